"""Database connections survive a database restart."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connection, connections
from django.test import Client

from qualitas.core import records, server, services


def test_kept_connections_are_health_checked_before_reuse() -> None:
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"] is True


def end_other_connections() -> int:
    """What a restart of PostgreSQL does to every connection but this one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (ended,) = cursor.fetchone()
    return int(ended)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server's restart")
@pytest.mark.django_db(transaction=True)
def test_requests_after_the_database_dropped_every_connection_succeed(
    quality_manager: Any,
) -> None:
    """A restart of PostgreSQL ends every kept connection (AdminShutdown). The first query
    of the next request finds its connection dead by the health check and opens a new one,
    before any statement of the request runs: no 500."""
    _token, plain = services.create_token(actor=quality_manager, name="restart drill")
    httpd = server.create("127.0.0.1", 0)
    threading.Thread(target=httpd.run, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.effective_port}/api/v1/me"
    headers = {"Authorization": f"Bearer {plain}"}

    def statuses(n: int) -> Counter[int]:
        with ThreadPoolExecutor(max_workers=4) as clients:
            return Counter(
                clients.map(
                    lambda _: requests.get(url, headers=headers, timeout=30).status_code, range(n)
                )
            )

    try:
        before = statuses(24)  # the server's threads now keep their connections
        ended = end_other_connections()
        after = statuses(24)
    finally:
        httpd.close()
        end_other_connections()  # the server threads' connections, before the test database goes

    assert before == Counter({200: 24})
    assert ended >= 1  # the server's kept connections were there, and were ended
    assert after == Counter({200: 24}), after


def _database_down(*_: Any, **__: Any) -> None:
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_a_503_to_retry(
    quality_manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _token, plain = services.create_token(actor=quality_manager, name="outage")
    browser = Client(raise_request_exception=False)
    browser.force_login(quality_manager)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {plain}")
    # During the view (a list's query), and before it (the session, read by middleware).
    monkeypatch.setattr(records, "visible_to", _database_down)
    page = browser.get("/nonconformances/")
    listed = api.get("/api/v1/nonconformances")
    monkeypatch.setattr(SessionStore, "load", _database_down)
    before_the_view = browser.get("/")

    for response in (page, listed, before_the_view):
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
    assert listed.json()["detail"].startswith("The database is not answering")
    assert "Try again in a moment" in page.content.decode()


@pytest.mark.django_db
def test_other_failures_stay_a_500(quality_manager: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("a bug")

    browser = Client(raise_request_exception=False)
    browser.force_login(quality_manager)
    monkeypatch.setattr(records, "visible_to", broken)
    assert browser.get("/nonconformances/").status_code == 500
