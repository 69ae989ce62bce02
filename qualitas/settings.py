"""Django settings for Qualitas, read from the environment.

Every value has a safe production default; the environment variables are listed in
docs/admin-guide.md. Parsers fail loudly (ImproperlyConfigured) instead of guessing.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_str(name: str, default: str = "") -> str:
    """Return the variable's value, or the default when unset or empty."""
    return os.environ.get(name) or default


def env_bool(name: str, *, default: bool) -> bool:
    """Parse a boolean variable; anything but a clear yes/no is a configuration error."""
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, *, default: int) -> int:
    """Parse an integer variable."""
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    """Parse a comma-separated variable."""
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


DATA_DIR = Path(env_str("QUALITAS_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in DATA_DIR.

    A per-installation key kept on disk means a fresh install is never running on a
    published default key, and sessions survive restarts.
    """
    if key := env_str("SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Transport security -------------------------------------------------------------------
# QUALITAS_HTTPS says the site is served over TLS (directly or behind a proxy). It is on by
# default so a production install gets secure cookies and HSTS unless someone turns it off;
# `qualitas demo` and the test settings turn it off for plain http on localhost.
HTTPS = env_bool("QUALITAS_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("QUALITAS_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load-balancer probes speak plain http
SECURE_HSTS_SECONDS = env_int("QUALITAS_HSTS_SECONDS", default=31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("QUALITAS_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS: list[str] = []
if not SECURE_HSTS_PRELOAD:
    # Preloading commits the customer's whole domain, subdomains included, to HTTPS in every
    # browser for months; that is the domain owner's decision, so it stays opt-in.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
BEHIND_PROXY = env_bool("QUALITAS_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
# Inactivity timeout: the cookie age is renewed on every request, so a session dies after
# this many idle minutes (ASVS V3.3.2; Part 11 §11.300(d) asks for session controls).
SESSION_IDLE_MINUTES = env_int("QUALITAS_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "qualitas.core.staticfiles.QualitasStaticFilesConfig",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "csp",
    "axes",
    "ninja",  # serves the API docs' Swagger UI from local static files, no CDN
    "qualitas.core",
    "qualitas.studies",
    "qualitas.nonconformance",
    "qualitas.capa",
    "qualitas.documents",
    "qualitas.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qualitas.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "qualitas.core.views.errors.QualitasErrorMiddleware",
    "qualitas.core.middleware.PasswordExpiryMiddleware",
]

ROOT_URLCONF = "qualitas.urls"
WSGI_APPLICATION = "qualitas.wsgi.application"

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
                "qualitas.core.context_processors.shell",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'qualitas.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets readers work while a writer commits; IMMEDIATE takes the write lock at the
    # start of a transaction so concurrent writers queue instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
if test_url := env_str("QUALITAS_TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": test_url}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("QUALITAS_PASSWORD_MIN_LENGTH", default=12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout (ASVS V2.2.1): per account, so an attacker rotating addresses still locks it, and
# per client address, so one address spraying passwords over many accounts is stopped too.
# Sites where many people share one NAT address may turn the second off.
AXES_FAILURE_LIMIT = env_int("QUALITAS_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("QUALITAS_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS: list[str] = ["username"]
if env_bool("QUALITAS_LOCKOUT_BY_ADDRESS", default=True):
    AXES_LOCKOUT_PARAMETERS.append("ip_address")
else:
    SILENCED_SYSTEM_CHECKS.append("axes.W006")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Audit trail checkpoints: the chain head signed with a key kept outside the database.
AUDIT_CHECKPOINT_DIR = Path(
    env_str("QUALITAS_AUDIT_CHECKPOINT_DIR", str(DATA_DIR / "audit-checkpoints"))
)
AUDIT_CHECKPOINT_KEY = env_str("QUALITAS_AUDIT_CHECKPOINT_KEY")
AUDIT_CHECKPOINT_KEY_FILE = Path(
    env_str("QUALITAS_AUDIT_CHECKPOINT_KEY_FILE", str(DATA_DIR / "audit-checkpoint.key"))
)

# Record numbering: a JSON object overriding a record type's pattern,
# e.g. {"nonconformance": "NCR-{year}-{seq:05}"}; placeholders {prefix}, {year}, {seq}.
NUMBER_PATTERNS = env_str("QUALITAS_NUMBER_PATTERNS", "{}")

# Nonconformances: the currency of cost lines, and when to suggest escalating to a CAPA
# (the same defect code on the same part this many times within this many days).
QUALITAS_CURRENCY = env_str("QUALITAS_CURRENCY", "EUR").upper()
QUALITAS_ESCALATION_REPEATS = env_int("QUALITAS_ESCALATION_REPEATS", default=3)
QUALITAS_ESCALATION_DAYS = env_int("QUALITAS_ESCALATION_DAYS", default=90)
# How many nonconformances `qualitas demo` generates (18 months of history).
DEMO_NONCONFORMANCES = env_int("QUALITAS_DEMO_NONCONFORMANCES", default=300)

# Attachments.
MAX_ATTACHMENT_MB = env_int("QUALITAS_MAX_ATTACHMENT_MB", default=25)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Electronic signatures: failed password entries before signing is locked, and for how long.
SIGNATURE_FAILURE_LIMIT = env_int("QUALITAS_SIGNATURE_FAILURES", default=3)
SIGNATURE_LOCK_MINUTES = env_int("QUALITAS_SIGNATURE_LOCK_MINUTES", default=30)

# Account hygiene (Part 11 §11.300(b), ASVS V2.1): password expiry is off by default, as
# current guidance advises; dormant accounts are deactivated after this many days (0 = never).
PASSWORD_MAX_AGE_DAYS = env_int("QUALITAS_PASSWORD_MAX_AGE_DAYS", default=0)
DORMANT_ACCOUNT_DAYS = env_int("QUALITAS_DORMANT_ACCOUNT_DAYS", default=90)

# Personal access tokens for the API.
API_TOKEN_DEFAULT_DAYS = env_int("QUALITAS_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env_int("QUALITAS_TOKEN_MAX_DAYS", default=366)

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("QUALITAS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
# Front-end packages come from npm (package.json); their dist folders are mapped here and
# collected into STATIC_ROOT, which git ignores.
NODE_MODULES = Path(env_str("QUALITAS_NODE_MODULES", str(PROJECT_DIR / "node_modules")))
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("QUALITAS_STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
STATICFILES_DIRS += [
    (prefix, NODE_MODULES / folder)
    for prefix, folder in [
        ("vendor/bootstrap", "bootstrap/dist"),
        ("vendor/bootstrap-icons", "bootstrap-icons/font"),
        ("vendor/htmx", "htmx.org/dist"),
        ("vendor/chartjs", "chart.js/dist"),
    ]
    if (NODE_MODULES / folder).is_dir()
]
# Attachments: on the local disk by default, on S3-compatible storage (AWS, MinIO, Ceph …)
# when QUALITAS_S3_BUCKET is set (pip install "qualitas[s3]").
S3_BUCKET = env_str("QUALITAS_S3_BUCKET")
FILE_STORAGE: dict[str, Any] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(DATA_DIR / "media")},
}
if S3_BUCKET:
    FILE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("QUALITAS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("QUALITAS_S3_REGION") or None,
            "access_key": env_str("QUALITAS_S3_ACCESS_KEY") or None,
            "secret_key": env_str("QUALITAS_S3_SECRET_KEY") or None,
            "location": env_str("QUALITAS_S3_PREFIX", "qualitas"),
            "default_acl": None,
            "querystring_auth": True,  # never public URLs; downloads go through Qualitas anyway
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": FILE_STORAGE,
    "staticfiles": {
        "BACKEND": env_str(
            "QUALITAS_STATICFILES_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        ),
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Source maps are only fetched by developer tools: compressing them cost most of set-up time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    "jpg",
    "jpeg",
    "png",
    "gif",
    "webp",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "tbz",
    "xz",
    "br",
    "swf",
    "flv",
    "woff",
    "woff2",
    "3gp",
    "3gpp",
    "asf",
    "avi",
    "m4v",
    "mov",
    "mp4",
    "mpeg",
    "mpg",
    "webm",
    "wmv",
    "map",
]

# --- Email --------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "qualitas@localhost")
# Where people reach Qualitas: used in links inside e-mails.
SITE_URL = env_str("QUALITAS_SITE_URL", "http://localhost:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL  # embedded mode runs tasks in-process
CELERY_TASK_ACKS_LATE = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("QUALITAS_LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every PDF it makes at INFO; its warnings are what matter.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500
