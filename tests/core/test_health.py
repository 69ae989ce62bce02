"""GET /healthz: 200 when the database (and broker, when configured) answer, 503 when not."""

from __future__ import annotations

import socket

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_answers() -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["database"]["vendor"] == connection.vendor
    assert "broker" not in body["checks"]


def test_unhealthy_when_the_database_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"status": "down", "error": "OperationalError"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unhealthy_when_the_configured_broker_is_unreachable() -> None:
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "down"


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_answers(), reason="Redis is not running on 127.0.0.1:6379")
def test_healthy_with_a_reachable_broker() -> None:
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/15"):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["status"] == "up"


def test_healthz_is_never_cached_and_needs_no_sign_in() -> None:
    response = Client().get("/healthz")

    assert "no-cache" in response["Cache-Control"]
