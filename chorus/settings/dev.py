"""Local development: embedded defaults, no service to install (make run)."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
# The portal's address in e-mail links; `make run` passes the one of the run.
os.environ.setdefault("PORTAL_BASE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("MFA_REQUIRED_FOR_SUPERUSERS", "false")

from chorus.settings.base import *  # noqa: E402,F403
from chorus.settings.base import STORAGES  # noqa: E402

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Static files come from the finders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)

# The French DSFR 404 page even with DEBUG on (chorus/errors.py), before the last middleware (the
# transaction of unsafe requests).
MIDDLEWARE = [*MIDDLEWARE[:-1], "chorus.errors.DebugNotFoundMiddleware", MIDDLEWARE[-1]]  # noqa: F405
