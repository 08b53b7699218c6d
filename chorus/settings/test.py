"""Test settings: same code, fast hashing, e-mails kept in memory, tasks run in process.

DATABASE_URL and REDIS_URL / CELERY_BROKER_URL from the environment are honoured, so CI runs the
same suite on PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "*")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
# The portal's address in e-mail links; `make run` passes the one of the run.
os.environ.setdefault("PORTAL_BASE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("MFA_REQUIRED_FOR_SUPERUSERS", "false")
os.environ.setdefault("CHORUS_VAR_DIR", tempfile.mkdtemp(prefix="chorus-test-"))
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

from chorus.settings.base import *  # noqa: E402,F403
from chorus.settings.base import STORAGES, TEMPLATES  # noqa: E402
from chorus.settings.strict_templates import StrictInvalidVariable  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A real worker started by a test gets the outbox backend through TEST_EMAIL_BACKEND.
EMAIL_BACKEND = env.str("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")  # noqa: F405
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Static files come from the finders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)

# An invalid variable in one of our templates fails the test (chorus/settings/strict_templates.py).
TEMPLATES = [
    {
        **TEMPLATES[0],
        "OPTIONS": {**TEMPLATES[0]["OPTIONS"], "string_if_invalid": StrictInvalidVariable(TEMPLATES[0]["DIRS"])},
    }
]
