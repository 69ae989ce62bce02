"""The demo's server answers eight busy clients without a 5xx (runserver did not)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.db import connection

from qualitas.core import server, services
from tests.core.test_connections import end_other_connections

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_clients_get_no_server_error(quality_manager: Any) -> None:
    _token, plain = services.create_token(actor=quality_manager, name="load")
    httpd = server.create("127.0.0.1", 0)
    serving = threading.Thread(target=httpd.run, daemon=True)
    serving.start()
    base = f"http://127.0.0.1:{httpd.effective_port}"
    paths = ["/healthz", "/login/", "/api/v1/me", "/api/v1/nonconformances", "/api/v1/sites"]

    def fetch(n: int) -> int:
        answer = requests.get(
            base + paths[n % len(paths)], headers={"Authorization": f"Bearer {plain}"}, timeout=30
        )
        return answer.status_code

    try:
        # One call first stamps the token's last use (then quiet for a minute). The test
        # database is SQLite's in-memory shared cache, where a write locks the whole table
        # against readers too; the demo's own file database (WAL) lets readers through.
        assert fetch(2) == 200
        with ThreadPoolExecutor(max_workers=8) as clients:
            statuses = Counter(clients.map(fetch, range(200)))
    finally:
        httpd.close()
        if connection.vendor == "postgresql":
            end_other_connections()  # the server threads' own, before the test database goes
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[200] == 200, statuses
