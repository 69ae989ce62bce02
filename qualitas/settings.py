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
from urllib.parse import urlsplit

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
# Inactivity timeout: a session dies after this many idle minutes (ASVS V3.3.2; Part 11
# §11.300(d) asks for session controls).  Its expiry is renewed when the session is saved,
# which `usersessions.record` makes happen at most once a minute of activity (it touches the
# session then), not on every request: an UPDATE per page view was a tenth of a list page's
# queries (issue "Platform at scale").  The session may so end up to a minute early, never late.
SESSION_IDLE_MINUTES = env_int("QUALITAS_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "ninja",  # serves the API docs' Swagger UI from local static files, no CDN
    "qualitas.core",
    "qualitas.studies",
    "qualitas.nonconformance",
    "qualitas.capa",
    "qualitas.documents",
    "qualitas.inspection",
    "qualitas.changes",
    "qualitas.training",
    "qualitas.compliance",
    "qualitas.audits",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qualitas.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Makes each person's sessions listable and endable (the session management page).
    "qualitas.core.usersessions.SessionRecordMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "qualitas.core.views.errors.QualitasErrorMiddleware",
    # A session is not signed in until its second factor is given (before anything else).
    "qualitas.core.views.mfa.MfaMiddleware",
    "qualitas.core.middleware.PasswordExpiryMiddleware",
    # Last: an API write sent with an Idempotency-Key runs once per person and key.
    "qualitas.api.idempotency.IdempotencyMiddleware",
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

# Django's renderer, with select boxes written in Python (a list's filter panel is hundreds
# of options; see qualitas/core/formrender.py).
FORM_RENDERER = "qualitas.core.formrender.FormRenderer"

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'qualitas.sqlite3'}")
# Health checks: a kept connection that died with a database restart is replaced, not a 500.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
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
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Repeats, sequences, keyboard walks, dates, the person's own name (qualitas.core.passwords).
    {"NAME": "qualitas.core.passwords.PredictablePasswordValidator"},
    # Breached passwords from zxcvbn's and Django's local lists (replaces CommonPassword...).
    {"NAME": "qualitas.core.passwords.BreachedPasswordValidator"},
    {
        "NAME": "qualitas.core.passwords.PasswordHistoryValidator",
        "OPTIONS": {"count": env_int("QUALITAS_PASSWORD_HISTORY", default=5)},
    },
]
# Password reset by e-mail: the link works once, for this many minutes; requests are limited
# per e-mail address and per client address, each per hour (counted in Django's cache).
PASSWORD_RESET_TIMEOUT = env_int("QUALITAS_PASSWORD_RESET_MINUTES", default=30) * 60
PASSWORD_RESET_PER_ADDRESS = env_int("QUALITAS_PASSWORD_RESET_PER_ADDRESS", default=3)
PASSWORD_RESET_PER_CLIENT = env_int("QUALITAS_PASSWORD_RESET_PER_CLIENT", default=10)
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


# --- Single sign-on (docs/admin-guide.md "Single sign-on") -----------------------------------
# OpenID Connect and LDAP/Active Directory are each on only when configured. Their groups map
# to roles at sites: "group=role@SITE;group=role@*" (* = every site; role codes as in
# qualitas.core.permissions, site codes as in Sites). Mapped assignments follow the groups at
# each sign-in; assignments made by hand are left alone.
def _sso_role_map(name: str) -> list[tuple[str, str, str]]:
    rules = []
    for rule in env_str(name).split(";"):
        if not rule.strip():
            continue
        group, _, targets = rule.partition("=")
        for target in targets.split(","):
            role, at, site = target.strip().partition("@")
            if not (group.strip() and role and at and site):
                raise ImproperlyConfigured(
                    f"{name}: {rule.strip()!r} is not group=role@SITE (or role@* for all sites)"
                )
            rules.append((group.strip(), role, site))
    return rules


SSO_ROLE_MAP = _sso_role_map("QUALITAS_SSO_ROLE_MAP")
# Turn local password sign-in off except for named break-glass administrators.
SSO_LOCAL_LOGIN = env_bool("QUALITAS_SSO_LOCAL_LOGIN", default=True)
SSO_BREAK_GLASS_USERS = env_list("QUALITAS_SSO_BREAK_GLASS_USERS")
if not SSO_LOCAL_LOGIN:
    AUTHENTICATION_BACKENDS = [
        "qualitas.core.sso.BreakGlassBackend"
        if backend == "django.contrib.auth.backends.ModelBackend"
        else backend
        for backend in AUTHENTICATION_BACKENDS
    ]
# OpenID Connect (mozilla-django-oidc): endpoints not given are read from the issuer's
# /.well-known/openid-configuration.
OIDC_ENABLED = bool(env_str("QUALITAS_OIDC_CLIENT_ID"))
OIDC_PROVIDER_NAME = env_str("QUALITAS_OIDC_PROVIDER_NAME", "single sign-on")
OIDC_ISSUER = env_str("QUALITAS_OIDC_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("QUALITAS_OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("QUALITAS_OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("QUALITAS_OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("QUALITAS_OIDC_JWKS_URI")
OIDC_RP_CLIENT_ID = env_str("QUALITAS_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("QUALITAS_OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("QUALITAS_OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env_str("QUALITAS_OIDC_SIGN_ALGO", "RS256")
OIDC_USERNAME_CLAIM = env_str("QUALITAS_OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env_str("QUALITAS_OIDC_GROUPS_CLAIM", "groups")
# Signing: the IdP must have asked for the password again within this many seconds.
OIDC_REAUTH_MAX_AGE = env_int("QUALITAS_OIDC_REAUTH_MAX_AGE", default=120)
OIDC_TIMEOUT = env_int("QUALITAS_OIDC_TIMEOUT", default=10)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
if OIDC_ENABLED:
    if not (OIDC_ISSUER and OIDC_RP_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "QUALITAS_OIDC_CLIENT_ID needs QUALITAS_OIDC_ISSUER and QUALITAS_OIDC_CLIENT_SECRET"
        )
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "qualitas.core.sso.OIDCBackend"]
# LDAP / Active Directory (ldap3): find the person with a service account, bind as them.
LDAP_ENABLED = bool(env_str("QUALITAS_LDAP_SERVER_URI"))
LDAP_PROVIDER_NAME = env_str("QUALITAS_LDAP_PROVIDER_NAME", "LDAP directory")
LDAP_SERVER_URI = env_str("QUALITAS_LDAP_SERVER_URI")
LDAP_START_TLS = env_bool("QUALITAS_LDAP_START_TLS", default=False)
LDAP_CA_FILE = env_str("QUALITAS_LDAP_CA_FILE")
LDAP_BIND_DN = env_str("QUALITAS_LDAP_BIND_DN")
LDAP_BIND_PASSWORD = env_str("QUALITAS_LDAP_BIND_PASSWORD")
LDAP_USER_SEARCH_BASE = env_str("QUALITAS_LDAP_USER_SEARCH_BASE")
LDAP_USER_FILTER = env_str("QUALITAS_LDAP_USER_FILTER", "(uid={username})")
LDAP_USERNAME_ATTR = env_str("QUALITAS_LDAP_USERNAME_ATTR", "uid")
LDAP_ID_ATTR = env_str("QUALITAS_LDAP_ID_ATTR", "entryUUID")
LDAP_FIRST_NAME_ATTR = env_str("QUALITAS_LDAP_FIRST_NAME_ATTR", "givenName")
LDAP_LAST_NAME_ATTR = env_str("QUALITAS_LDAP_LAST_NAME_ATTR", "sn")
LDAP_EMAIL_ATTR = env_str("QUALITAS_LDAP_EMAIL_ATTR", "mail")
LDAP_GROUP_SEARCH_BASE = env_str("QUALITAS_LDAP_GROUP_SEARCH_BASE")
LDAP_GROUP_FILTER = env_str("QUALITAS_LDAP_GROUP_FILTER", "(member={dn})")
LDAP_GROUP_NAME_ATTR = env_str("QUALITAS_LDAP_GROUP_NAME_ATTR", "cn")
LDAP_TIMEOUT = env_int("QUALITAS_LDAP_TIMEOUT", default=10)
if LDAP_ENABLED:
    if not LDAP_USER_SEARCH_BASE:
        raise ImproperlyConfigured("QUALITAS_LDAP_SERVER_URI needs QUALITAS_LDAP_USER_SEARCH_BASE")
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "qualitas.core.directory.LDAPBackend"]

# MFA (qualitas.core.mfa): the name authenticator apps show; wrong codes back off
# exponentially (django-otp) and count towards the sign-in lockout above.
OTP_TOTP_ISSUER = env_str("QUALITAS_MFA_ISSUER", "Qualitas")
# Send holders of a role that requires MFA to enrol before anything else (off only for demos).
MFA_ENFORCE_ROLES = env_bool("QUALITAS_MFA_ENFORCE", default=True)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_code"]
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Passkeys / security keys (qualitas.core.passkeys): a second factor only, never passwordless.
# The relying-party ID is the host people reach Qualitas at; changing it voids every passkey.
_site = urlsplit(env_str("QUALITAS_SITE_URL", "http://localhost:8000"))
OTP_WEBAUTHN_RP_ID = env_str("QUALITAS_WEBAUTHN_RP_ID", _site.hostname or "localhost")
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "QUALITAS_WEBAUTHN_ORIGINS", f"{_site.scheme}://{_site.netloc}"
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

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
# Change control: an emergency change implemented first must be board-approved within this
# many days (a reminder the day before, then escalation to the quality managers).
QUALITAS_EMERGENCY_APPROVAL_DAYS = env_int("QUALITAS_EMERGENCY_APPROVAL_DAYS", default=5)
# How many nonconformances `qualitas demo` generates (18 months of history).
DEMO_NONCONFORMANCES = env_int("QUALITAS_DEMO_NONCONFORMANCES", default=300)
# Weeks of bulk inspection history (28 parts, ~60 lots and ~6,400 measurements a week);
# 0 leaves it out, and fewer than 26 are too few for the charts' frozen baselines.
DEMO_INSPECTION_WEEKS = env_int("QUALITAS_DEMO_INSPECTION_WEEKS", default=78)

# Attachments.
MAX_ATTACHMENT_MB = env_int("QUALITAS_MAX_ATTACHMENT_MB", default=25)
# Office files are zip archives: refuse one that would unpack to more than this (zip bombs).
MAX_UNPACKED_MB = env_int("QUALITAS_MAX_UNPACKED_MB", default=200)
# Text is read from uploaded PDF/Word/Excel files in a separate process held to these limits.
TEXT_EXTRACTION_SECONDS = env_int("QUALITAS_TEXT_EXTRACTION_SECONDS", default=60)
TEXT_EXTRACTION_MEMORY_MB = env_int("QUALITAS_TEXT_EXTRACTION_MEMORY_MB", default=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The longest text a record's free-text field holds (a finding, a root cause): some ten
# pages. Longer belongs in an attachment; a form or API call with more is refused naming it.
TEXT_MAX_CHARS = env_int("QUALITAS_TEXT_MAX_CHARS", default=20_000)
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
# Forms write dates in ISO 8601, which browsers' date inputs need (qualitas/formats).
FORMAT_MODULE_PATH = ["qualitas.formats"]
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
# Django's cache holds short-lived counters (password reset limits): shared through Redis
# when there is one, else in each process's memory (limits then count per process).
CACHES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }

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

# List pages count at most this many rows: beyond it they show "10,000+" and page no deeper
# (sort the other way for the oldest), so a list costs the same at a million records.
QUALITAS_LIST_COUNT_CAP = env_int("QUALITAS_LIST_COUNT_CAP", default=10_000)
# An export of more rows than this is written by a background job (progress, then a download
# link, under /exports/) instead of in the request, which a proxy would time out.
QUALITAS_EXPORT_BACKGROUND_ROWS = env_int("QUALITAS_EXPORT_BACKGROUND_ROWS", default=20_000)
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500
