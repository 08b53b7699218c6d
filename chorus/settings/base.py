"""Production-safe settings, driven by environment variables (django-environ).

Every value that differs between machines comes from the environment; the defaults here are the
safe ones (DEBUG off, secure cookies, HSTS). ``dev.py`` and ``test.py`` relax what they must.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# An optional .env file beside manage.py, never committed.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("CHORUS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite file, outbox, embedded broker, cache

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.apps.ChorusAdminConfig",  # django.contrib.admin, its login being the portal's
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dsfr",
    "crispy_forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "structures",
    "invoices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "chorus.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last: one transaction around each POST/PUT/PATCH/DELETE view, none around reads.
    "chorus.transactions.AtomicUnsafeRequestsMiddleware",
]

ROOT_URLCONF = "chorus.urls"
WSGI_APPLICATION = "chorus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorus.context_processors.portal",
                "structures.context_processors.current_structure",
            ],
            # French formats and the DSFR table for every template: {% load chorus %}.
            "libraries": {"chorus": "chorus.templatetags"},
            # {% url %} with its reversals kept for the process (chorus/urltag.py).
            "builtins": ["chorus.urltag"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Default: a SQLite file in WAL mode with a busy timeout, so the portal, its worker and beat can
# share it. Set DATABASE_URL=postgres://... for PostgreSQL.
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'chorus.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # A reused connection is checked (SELECT 1) before the first query of each request, and of
    # each task (chorus/celery.py closes unusable connections at task start), so a database
    # restart costs one reconnection, never a failed page or task.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Bounded wait for a new connection (libpq's connect_timeout, seconds).
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )
# The statements of chorus/prepared.py (memberships, search pages) are prepared on the server once
# per PostgreSQL connection (PREPARE, then EXECUTE): set False behind a pooler in transaction mode
# (PgBouncer), where a session's connection is not always the same server connection.
DATABASE_SERVER_PREPARED = env.bool("DATABASE_SERVER_PREPARED", default=True)
# No BEGIN … COMMIT around reads: chorus.transactions.AtomicUnsafeRequestsMiddleware opens one
# around each unsafe request only (what ATOMIC_REQUESTS did for all of them).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: bounded waits ------------------------------------------------------------------
# Every Redis client (cache, broker, result backend) gives up after these many seconds, so a
# frozen Redis makes a page degrade within a second or two instead of hanging until the web
# server's timeout (README, "Pannes").
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)

# --- Cache (rate limits) ---------------------------------------------------------------------
# With Redis, chorus.cache.FallbackRedisCache: when Redis fails, each process keeps its rate
# limits in local memory for CACHE_FALLBACK_SECONDS (a warning is logged), then tries Redis again.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "chorus.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            },
            "FALLBACK_SECONDS": env.int("CACHE_FALLBACK_SECONDS", default=30),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# The Tableau de bord and Liste fiscale figures of a supplier stay in the cache until one of its
# invoices changes status, at most this long (invoices/figures_cache.py); 0 turns it off.
CHORUS_FIGURES_CACHE_SECONDS = env.int("CHORUS_FIGURES_CACHE_SECONDS", default=300)

# The invoice list of the admin (financial services) keeps its capped count this long for the
# same user, filters and search (invoices/admin/invoice.py, CappedPaginator); 0 counts each page.
CAPPED_COUNT_SECONDS = env.int("CAPPED_COUNT_SECONDS", default=60)

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # French common passwords and keyboard runs, then the ANSSI/CNIL strength estimate (accounts/passwords.py).
    {"NAME": "accounts.passwords.FrenchCommonPasswordValidator"},
    {
        "NAME": "accounts.passwords.PasswordStrengthValidator",
        "OPTIONS": {
            "min_entropy_bits": env.int("PASSWORD_MIN_ENTROPY_BITS", default=80),
            "max_repeated_characters": 3,
        },
    },
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# The activation link is valid this many minutes (the real portal: 60).
ACCOUNT_ACTIVATION_MINUTES = env.int("ACCOUNT_ACTIVATION_MINUTES", default=60)
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = ACCOUNT_ACTIVATION_MINUTES / (24 * 60)
ACCOUNT_EMAIL_CONFIRMATION_HMAC = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
# No page tells whether an address has an account: the password reset answers the same for
# every address (an unknown one gets an e-mail saying so), so does "Renvoyer le lien
# d'activation". The one deliberate exception: a sign-up with an address already in use says so
# next to the field, as the real portal does (accounts.forms.SignupForm; see the README).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Chorus Pro] "
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Tell the user by e-mail when their password or e-mail address changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Client IP for every limit: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT proxies of ours, the
# X-Forwarded-For entry the outermost one added (1: the last entry). TRUSTED_CLIENT_IP_HEADER
# (e.g. X-Real-IP) takes the address from a header that the proxy sets instead.
# Read by accounts.adapter.AccountAdapter.get_client_ip, which allauth's limits also call.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_CLIENT_IP_HEADER = env.str("TRUSTED_CLIENT_IP_HEADER", default="")
# Failed passwords (accounts/login_throttle.py): per address and per client IP, the first
# free_failures cost nothing, then each attempt waits base_delay × 2^(n − free_failures) seconds,
# at most max_delay, after the last one; counts are forgotten after `window` quiet seconds.
LOGIN_THROTTLE = {
    "address": {
        "free_failures": env.int("LOGIN_FREE_FAILURES_PER_ADDRESS", default=5),
        "base_delay": 2,
        "max_delay": env.int("LOGIN_MAX_DELAY_PER_ADDRESS", default=60),
    },
    "ip": {
        "free_failures": env.int("LOGIN_FREE_FAILURES_PER_IP", default=20),
        "base_delay": 2,
        "max_delay": env.int("LOGIN_MAX_DELAY_PER_IP", default=300),
    },
    "window": env.int("LOGIN_THROTTLE_WINDOW", default=900),
}
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    # allauth applies this one to second-factor codes (key: the user); passwords: LOGIN_THROTTLE.
    "login_failed": env.str("RATE_LIMIT_MFA_FAILED", default="20/5m/ip,5/5m/key"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/5m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}

# A new contact address ("Mon compte") is used once confirmed by the link sent to it, valid this
# many hours; the link can be sent again once every CONTACT_EMAIL_RESEND_SECONDS.
CONTACT_EMAIL_CONFIRMATION_HOURS = env.int("CONTACT_EMAIL_CONFIRMATION_HOURS", default=24)
# Where users write when something on their account or structure looks wrong (named in e-mails).
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@chorus.invalid")
CONTACT_EMAIL_RESEND_SECONDS = 180
# "Nous contacter" (visitors): at most this many messages per client IP and per e-mail address
# within an hour of the first one (counters in the cache), with a French message saying when to
# try again.
CONTACT_FORM_LIMITS = {
    "ip": {"count": env.int("CONTACT_FORM_MAX_PER_IP", default=5), "seconds": 3600},
    "email": {"count": env.int("CONTACT_FORM_MAX_PER_EMAIL", default=3), "seconds": 3600},
}
# Second factor (allauth.mfa): an authenticator app (TOTP) and recovery codes, offered to every
# account from "Mon compte"; superusers must activate it before reaching the admin when
# MFA_REQUIRED_FOR_SUPERUSERS (on here, off in dev and test settings).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Chorus Pro"
# A code of the previous or next 30-second period is accepted too (RFC 6238, section 5.2): a code
# typed as the period ends, or a phone clock a few seconds off, is not refused.
MFA_TOTP_TOLERANCE = env.int("MFA_TOTP_TOLERANCE", default=1)
MFA_REQUIRED_FOR_SUPERUSERS = env.bool("MFA_REQUIRED_FOR_SUPERUSERS", default=True)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files and uploaded files --------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded invoices are private: they are stored through the storage API and only ever served by
# views that check access. There is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # whitenoise's CompressedManifestStaticFilesStorage, each URL computed once per process.
    "staticfiles": {"BACKEND": "chorus.storage.KeptManifestStaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Forms (crispy with the project's DSFR template pack) ------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = ("crispy_dsfr",)
CRISPY_TEMPLATE_PACK = "crispy_dsfr"
CRISPY_FAIL_SILENTLY = False

# --- E-mail ---------------------------------------------------------------------------------
# Default: every message is written as an .eml file into the outbox folder (no SMTP needed).
# Set EMAIL_URL=smtp://user:pass@host:587 (or smtp+tls://...) to send for real.
EMAIL_OUTBOX_DIR = Path(env.str("EMAIL_OUTBOX_DIR", default=str(VAR_DIR / "outbox")))
# Seconds an SMTP socket operation may wait (Django's default is to wait forever).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
_email_url = env.str("EMAIL_URL", default="")
if _email_url:
    vars().update(env.email_url_config(_email_url))
else:
    EMAIL_BACKEND = "chorus.mail.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chorus Pro <ne-pas-repondre@chorus.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The portal's public address, the base of every link in e-mails (chorus.links.absolute_url),
# whichever process renders them (web, worker, beat). Required in production; `make run` passes
# http://HOST:PORT of the run to its three processes.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL")

# --- E-mail outbox (accounts.OutboxEmail, accounts/outbox.py) ----------------------------------
# Every e-mail is a row written in the caller's transaction, delivered after the commit by
# accounts.deliver_email. A worker claims a row for OUTBOX_LEASE_SECONDS (longer than any SMTP
# exchange can last with EMAIL_TIMEOUT); a failed attempt is retried after
# OUTBOX_RETRY_BASE_SECONDS × 2^(attempts-1) (at most OUTBOX_RETRY_MAX_SECONDS), and after
# OUTBOX_MAX_ATTEMPTS the row is "failed" (manage.py outbox retry). accounts.sweep_outbox, every
# OUTBOX_SWEEP_EVERY_SECONDS, hands on the rows still pending OUTBOX_SWEEP_AFTER_SECONDS after
# their last enqueue (task lost: broker down, worker killed), at most OUTBOX_SWEEP_BATCH a run.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_SWEEP_AFTER_SECONDS = env.int("OUTBOX_SWEEP_AFTER_SECONDS", default=120)
OUTBOX_SWEEP_EVERY_SECONDS = env.int("OUTBOX_SWEEP_EVERY_SECONDS", default=60)
OUTBOX_SWEEP_BATCH = env.int("OUTBOX_SWEEP_BATCH", default=500)

# --- Celery ---------------------------------------------------------------------------------
# Default: Kombu's filesystem transport under var/broker, consumed by a real worker (make run
# starts it). With CELERY_BROKER_URL=redis://... the same tasks run on Redis workers and beat.
# CELERY_TASK_ALWAYS_EAGER=true runs tasks in process (after the commit, as everywhere).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # A task taken by a worker that dies (acks_late) is delivered again once this many seconds
    # have passed, by a worker scanning every interval × throttle seconds (Kombu's defaults: 100 s).
    # The invoice sweeper usually catches up first (INVOICE_SWEEP_AFTER_MINUTES).
    # Socket and connect timeouts: a frozen Redis fails a publish within about
    # (1 + publish retries) × REDIS_SOCKET_TIMEOUT instead of blocking it forever.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
# A publish is retried once, at once (a pooled connection that Redis closed is replaced), then
# the error reaches chorus.queue, which logs it and pauses publishing for
# BROKER_OUTAGE_PAUSE_SECONDS: the work waits in the database for the sweepers.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
BROKER_OUTAGE_PAUSE_SECONDS = env.int("BROKER_OUTAGE_PAUSE_SECONDS", default=10)
# /sante/ gives the broker this many seconds (one try) before it answers 503.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
# A Redis result backend, if one is configured, gets the same bounded waits.
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep database connections between tasks (see docs/architecture: 4x throughput).
CELERY_WORKER_DB_REUSE_MAX = env.int("CELERY_WORKER_DB_REUSE_MAX", default=100)
# Periodic tasks, reviewed like code (celery -A chorus beat). Timings: INVOICE_* settings below.
CELERY_BEAT_SCHEDULE: dict = {
    "accounts-sweep-outbox": {
        "task": "accounts.sweep_outbox",
        "schedule": OUTBOX_SWEEP_EVERY_SECONDS,
        "options": {"expires": max(OUTBOX_SWEEP_EVERY_SECONDS - 10, 10)},
    },
    "invoices-sweep-unnotified-events": {
        "task": "invoices.sweep_unnotified_events",
        "schedule": env.int("INVOICE_NOTIFY_SWEEP_EVERY_SECONDS", default=300),
        "options": {"expires": 240},
    },
    "invoices-sweep-transition-requests": {
        "task": "invoices.sweep_transition_requests",
        "schedule": env.int("INVOICE_REQUEST_SWEEP_EVERY_SECONDS", default=60),
        "options": {"expires": 50},
    },
    "invoices-sweep-stuck-invoices": {
        "task": "invoices.sweep_stuck_invoices",
        "schedule": env.int("INVOICE_SWEEP_EVERY_SECONDS", default=300),
        "options": {"expires": 240},
    },
    "invoices-remind-suspended-invoices": {
        "task": "invoices.remind_suspended_invoices",
        "schedule": crontab(minute=0, hour=env.int("INVOICE_REMINDER_HOUR", default=8)),
    },
    "invoices-send-daily-digest": {
        "task": "invoices.send_daily_digest",
        "schedule": crontab(minute=30, hour=env.int("INVOICE_DIGEST_HOUR", default=7)),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
# Sessions read from the cache (Redis in production), written through to the database: no
# session query on each page; a cache lost or flushed falls back to the database row.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy of every page, portal and admin (chorus/csp.py): our own files only,
# no inline script or style (scripts live in static/), data: images for the TOTP QR code.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CONTENT_SECURITY_POLICY_REPORT_ONLY = env.bool("CONTENT_SECURITY_POLICY_REPORT_ONLY", default=False)
# /sante/ shows only {"status": ...} to anonymous callers; staff and callers sending
# "Authorization: Bearer <HEALTH_CHECK_TOKEN>" also get each check's details. Empty: staff only.
HEALTH_CHECK_TOKEN = env.str("HEALTH_CHECK_TOKEN", default="")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

ADMINS = [("Exploitation", a) for a in env.list("ADMIN_EMAILS", default=[])]
CSRF_FAILURE_VIEW = "chorus.errors.csrf_failure"

# --- Invoices (issue 4: deposit, entry, drafts, sending) ------------------------------------
# Limits of the real portal (reference §4): main PDF and each attachment ≤ 10 Mo, all files of
# one invoice ≤ 120 Mo. The identifier shown to users is "<prefix>-<year>-<7 digits>".
INVOICE_MAX_PDF_SIZE = env.int("INVOICE_MAX_PDF_SIZE", default=10 * 1024 * 1024)
INVOICE_MAX_ATTACHMENT_SIZE = env.int("INVOICE_MAX_ATTACHMENT_SIZE", default=10 * 1024 * 1024)
INVOICE_MAX_TOTAL_SIZE = env.int("INVOICE_MAX_TOTAL_SIZE", default=120 * 1024 * 1024)
INVOICE_IDENTIFIER_PREFIX = env.str("INVOICE_IDENTIFIER_PREFIX", default="FAC")

# --- Invoices: validation of structured files (issue 12 item 4) ----------------------------
# XSD and EN 16931 schematron checks run in a child process (invoices.validation.worker), at
# most INVOICE_VALIDATION_TIMEOUT seconds a file; results are cached INVOICE_VALIDATION_CACHE_SECONDS
# by the SHA-256 of the XML. "Vérifier ma facture" accepts INVOICE_CHECK_LIMIT files per user
# per window (the cache keeps the counters).
INVOICE_VALIDATION_TIMEOUT = env.float("INVOICE_VALIDATION_TIMEOUT", default=30.0)
INVOICE_VALIDATION_CACHE_SECONDS = env.int("INVOICE_VALIDATION_CACHE_SECONDS", default=7 * 24 * 3600)
INVOICE_CHECK_LIMIT = {
    "count": env.int("INVOICE_CHECK_LIMIT_COUNT", default=60),
    "seconds": env.int("INVOICE_CHECK_LIMIT_SECONDS", default=3600),
}

# --- Invoices: lifecycle, routing, notifications (issue 5) ----------------------------------
# The sweeper (invoices.sweep_stuck_invoices, every INVOICE_SWEEP_EVERY_SECONDS) re-enqueues the
# routing of invoices DEPOSEE or EN_COURS_ACHEMINEMENT for more than INVOICE_SWEEP_AFTER_MINUTES
# (a task lost while the broker was down or a worker died), at most INVOICE_SWEEP_BATCH a run.
# A supplier is reminded of a suspension unanswered for INVOICE_REMINDER_AFTER_DAYS days (then
# again every such period), at INVOICE_REMINDER_HOUR; daily digests go at INVOICE_DIGEST_HOUR:30.
INVOICE_SWEEP_AFTER_MINUTES = env.int("INVOICE_SWEEP_AFTER_MINUTES", default=10)
INVOICE_SWEEP_BATCH = env.int("INVOICE_SWEEP_BATCH", default=1000)
INVOICE_REMINDER_AFTER_DAYS = env.int("INVOICE_REMINDER_AFTER_DAYS", default=7)
# invoices.sweep_unnotified_events re-enqueues the notification of events that notify and are
# still unnotified INVOICE_NOTIFY_SWEEP_AFTER_MINUTES after they happened (task lost), looking back
# INVOICE_NOTIFY_SWEEP_WINDOW_HOURS at most (the created_at index bounds the scan), at most
# INVOICE_SWEEP_BATCH a run.
INVOICE_NOTIFY_SWEEP_AFTER_MINUTES = env.int("INVOICE_NOTIFY_SWEEP_AFTER_MINUTES", default=5)
INVOICE_NOTIFY_SWEEP_WINDOW_HOURS = env.int("INVOICE_NOTIFY_SWEEP_WINDOW_HOURS", default=72)
# invoices.sweep_transition_requests (every INVOICE_REQUEST_SWEEP_EVERY_SECONDS) hands to a worker
# again the staff actions still pending INVOICE_REQUEST_SWEEP_AFTER_MINUTES after they were asked
# (their task was lost: broker down at the commit, worker killed).
INVOICE_REQUEST_SWEEP_AFTER_MINUTES = env.int("INVOICE_REQUEST_SWEEP_AFTER_MINUTES", default=2)

# --- Invoices: batch deposit of a zip (invoices/services/batch.py) ----------------------------
# The zip: at most INVOICE_BATCH_MAX_ZIP_SIZE (the portal's upload limit, that of an invoice with
# all its files), INVOICE_BATCH_MAX_FILES invoice files (hidden files and __MACOSX apart) among at
# most INVOICE_BATCH_MAX_ENTRIES entries, INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE once uncompressed
# (declared sizes checked on upload, real sizes while reading); each file INVOICE_MAX_PDF_SIZE.
# invoices.sweep_deposit_batches (every INVOICE_BATCH_SWEEP_EVERY_SECONDS) hands to a worker again
# the batches unfinished and idle for INVOICE_BATCH_SWEEP_AFTER_MINUTES (task lost, worker killed).
INVOICE_BATCH_MAX_ZIP_SIZE = env.int("INVOICE_BATCH_MAX_ZIP_SIZE", default=INVOICE_MAX_TOTAL_SIZE)
INVOICE_BATCH_MAX_FILES = env.int("INVOICE_BATCH_MAX_FILES", default=500)
INVOICE_BATCH_MAX_ENTRIES = env.int("INVOICE_BATCH_MAX_ENTRIES", default=2000)
INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE = env.int("INVOICE_BATCH_MAX_UNCOMPRESSED_SIZE", default=500 * 1024 * 1024)
INVOICE_BATCH_SWEEP_AFTER_MINUTES = env.int("INVOICE_BATCH_SWEEP_AFTER_MINUTES", default=5)
CELERY_BEAT_SCHEDULE["invoices-sweep-deposit-batches"] = {
    "task": "invoices.sweep_deposit_batches",
    "schedule": env.int("INVOICE_BATCH_SWEEP_EVERY_SECONDS", default=60),
    "options": {"expires": 50},
}

# --- API for Chorus Pro clients (invoices/api, issue 13) -------------------------------------------
# Lifetimes: an application (client id and secret), and a bearer token of the token endpoint.
API_APPLICATION_LIFETIME_DAYS = env.int("API_APPLICATION_LIFETIME_DAYS", default=365)
API_EXPIRY_REMINDER_DAYS = env.int("API_EXPIRY_REMINDER_DAYS", default=30)
API_TOKEN_LIFETIME_SECONDS = env.int("API_TOKEN_LIFETIME_SECONDS", default=3600)
# Calls per application and per minute (cache-based); token requests per client id and per minute.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
API_TOKEN_RATE_LIMIT_PER_MINUTE = env.int("API_TOKEN_RATE_LIMIT_PER_MINUTE", default=30)
# Domain of the technical users' logins (not a mailbox: they receive no e-mail).
API_TECHNICAL_LOGIN_DOMAIN = env.str("API_TECHNICAL_LOGIN_DOMAIN", default="api.chorus.invalid")
# A qualification space: a test instance for integrators (banner on every page, demo recipients
# loaded by `manage.py load_qualification`, environment named by the API's health check).
QUALIFICATION = env.bool("CHORUS_QUALIFICATION", default=False)
CELERY_BEAT_SCHEDULE["structures-remind-api-expiry"] = {
    "task": "structures.remind_api_expiry",
    "schedule": crontab(minute=15, hour=env.int("API_EXPIRY_REMINDER_HOUR", default=8)),
}
