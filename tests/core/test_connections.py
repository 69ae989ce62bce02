"""Database connections survive a database restart."""

from __future__ import annotations

from django.conf import settings
from django.db import connections


def test_kept_connections_are_health_checked_before_reuse() -> None:
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"] is True
