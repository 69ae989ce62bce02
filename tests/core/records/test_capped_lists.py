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


def test_the_last_page_of_a_long_list_is_read_from_the_other_end(
    client_for: Any, author: User, raise_deviation: Any, settings: Any, monkeypatch: Any
) -> None:
    from qualitas.core import pagination

    monkeypatch.setattr(pagination, "REVERSE_FROM", 4)  # a "long" list of 7
    for n in range(7):
        raise_deviation(title=f"Deviation {n}")
    client = client_for(author)

    with CaptureQueriesContext(connection) as run:
        answer = client.get("/deviations/", {"per_page": 3, "page": 3})
    # Read before the next request: a request's start clears the connection's query log.
    rows = [q["sql"] for q in run.captured_queries if "recordtypes_deviation" in q["sql"]]
    page_query = [sql for sql in rows if not sql.startswith("SELECT COUNT(")]
    assert answer.status_code == 200, answer.content
    last = answer.content.decode()
    middle = client.get("/deviations/", {"per_page": 3, "page": 2}).content.decode()
    by_title = client.get("/deviations/", {"per_page": 3, "page": 3, "sort": "title"})

    assert "Deviation 0" in last and "Deviation 1" not in last  # the oldest, alone
    assert "OFFSET" not in page_query[-1] and "ASC" in page_query[-1], page_query
    assert "Deviation 3" in middle and "Deviation 0" not in middle
    # Sorted by a column that is not unique, the order is not mirrored: OFFSET as before.
    assert "Deviation 6" in by_title.content.decode()
