"""A list page counts at most QUALITAS_LIST_COUNT_CAP rows: beyond it, it says so ("N+")
and its cost stays that of the cap, whatever the table holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core.models import User

pytestmark = pytest.mark.django_db


def _count_sql(client: Any, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as run:
        response = client.get(url)
    assert response.status_code == 200
    found = [q["sql"] for q in run.captured_queries if "COUNT(" in q["sql"].upper()]
    return [sql for sql in found if "recordtypes_deviation" in sql]


def test_beyond_the_cap_the_list_says_so_and_counts_no_further(
    client_for: Any, author: User, raise_deviation: Any, settings: Any
) -> None:
    settings.QUALITAS_LIST_COUNT_CAP = 5
    for n in range(8):
        raise_deviation(title=f"Deviation {n}")
    client = client_for(author)

    page = client.get("/deviations/", {"per_page": 2}).content.decode()
    counts = _count_sql(client, "/deviations/?per_page=2")

    assert "5+ in total" in page
    assert len(counts) == 1 and "LIMIT 6" in counts[0], counts
    deepest = client.get("/deviations/", {"per_page": 2, "page": 3}).content.decode()
    beyond = client.get("/deviations/", {"per_page": 2, "page": 4})
    assert "Deviation 3" in deepest  # the fifth newest: the last row within the cap
    assert "Deviation 2" not in deepest
    assert beyond.status_code == 404


def test_within_the_cap_the_count_is_exact(
    client_for: Any, author: User, raise_deviation: Any, settings: Any
) -> None:
    settings.QUALITAS_LIST_COUNT_CAP = 5
    for n in range(4):
        raise_deviation(title=f"Deviation {n}")
    page = client_for(author).get("/deviations/").content.decode()
    assert "4 in total" in page
    assert "+ in total" not in page
