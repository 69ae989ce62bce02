"""Test settings: the production settings with plain-http cookies and fast password hashing.

The database comes from DATABASE_URL as in production, so the same suite runs on SQLite
(the default) and on PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("QUALITAS_DATA_DIR", tempfile.mkdtemp(prefix="qualitas-test-"))
os.environ.setdefault("QUALITAS_HTTPS", "false")
os.environ.setdefault(
    "SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-django-checks-0123"
)
os.environ.setdefault(
    "QUALITAS_STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)

from qualitas.settings import *  # noqa: F403
from qualitas.settings import (
    INSTALLED_APPS as PRODUCTION_APPS,
    PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS,
)

# Argon2 is deliberately slow; tests that check hashing use PRODUCTION_PASSWORD_HASHERS.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True

# A record type that exists only in the tests (its migration lives beside it).
INSTALLED_APPS = [*PRODUCTION_APPS, "tests.recordtypes"]

# The fixtures' administrators would have to enrol an authenticator before every page;
# tests/core/test_mfa.py turns enforcement on where it is tested.
MFA_ENFORCE_ROLES = False

# The demo's 18 months of nonconformances are many; tests load a sample.
DEMO_NONCONFORMANCES = 25
# And without the bulk inspection history (tests/inspection/test_demo_history.py loads some).
DEMO_INSPECTION_WEEKS = 0
