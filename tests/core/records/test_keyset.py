"""Record lists page by cursor: stable under inserts, cheap at any depth, and every record
table has indexes for the default order and the common filters (EXPLAIN on PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from qualitas.core import records
from qualitas.core.models import User

pytestmark = pytest.mark.django_db


def _titles(rows: list[dict[str, Any]]) -> list[str]:
    return [row["title"] for row in rows]


def test_a_cursor_continues_exactly_where_the_page_ended_despite_new_records(
    api_for: Any, author: User, raise_deviation: Any
) -> None:
    for n in range(7):
        raise_deviation(title=f"Deviation {n}")
    api = api_for(author)

    first = api.get("/deviations", page_size=3).json()
    assert first["count"] == 7
    assert _titles(first["results"]) == ["Deviation 6", "Deviation 5", "Deviation 4"]
    raise_deviation(title="Raised while reading")  # newest first: would shift a page number

    second = api.get("/deviations", page_size=3, after=first["next"]).json()
    third = api.get("/deviations", page_size=3, after=second["next"]).json()

    assert (second["count"], second["page"]) == (None, None)
    assert _titles(second["results"]) == ["Deviation 3", "Deviation 2", "Deviation 1"]
    assert _titles(third["results"]) == ["Deviation 0"]
    assert third["next"] is None


def test_the_last_page_by_number_has_no_cursor(
    api_for: Any, author: User, raise_deviation: Any
) -> None:
    for n in range(4):
        raise_deviation(title=f"Deviation {n}")
    last = api_for(author).get("/deviations", page_size=2, page=2).json()
    assert _titles(last["results"]) == ["Deviation 1", "Deviation 0"]
    assert last["next"] is None


def test_a_cursor_keeps_the_filters(api_for: Any, author: User, raise_deviation: Any) -> None:
    for n in range(4):
        raise_deviation(title=f"Valve {n}" if n % 2 else f"Pump {n}")
    api = api_for(author)
    first = api.get("/deviations", page_size=1, q="Valve").json()
    rest = api.get("/deviations", page_size=5, q="Valve", after=first["next"]).json()
    assert _titles(first["results"]) + _titles(rest["results"]) == ["Valve 3", "Valve 1"]


@pytest.mark.parametrize("cursor", ["junk!", "bm90LWEtZGF0ZXw1", "x" * 201])
def test_a_cursor_not_from_the_list_is_a_422_naming_it(
    api_for: Any, author: User, cursor: str
) -> None:
    refused = api_for(author).get("/deviations", after=cursor)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "after"


def test_lists_without_a_cursor_say_so(api_for: Any, quality_manager: User) -> None:
    refused = api_for(quality_manager).get("/users", after="abc")
    assert refused.status_code == 422
    assert "page" in refused.json()["errors"][0]["message"]


def test_the_cursor_query_count_does_not_grow_with_depth(
    api_for: Any, author: User, raise_deviation: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        raise_deviation(title=f"Deviation {n}")
    api = api_for(author)
    cursor = api.get("/deviations", page_size=2).json()["next"]
    for _ in range(4):
        with django_assert_max_num_queries(4):
            page = api.get("/deviations", page_size=2, after=cursor).json()
        cursor = page["next"]
    assert cursor is not None


# --- Indexes: the default order and the common filter are served by an index ---------------


def _plan(queryset: Any) -> str:
    """The plan PostgreSQL makes for a large table. On an empty test table every plan costs
    about the same and the planner may pick any index and sort its few rows; with scans of
    the whole table and sorts priced out, it shows whether an index serves the query in
    order, as at a million rows."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    return str(queryset.explain())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
@pytest.mark.parametrize("key", sorted(records.RECORD_TYPES))
def test_the_default_list_and_the_site_filter_use_an_index(key: str, site: Any) -> None:
    model = records.RECORD_TYPES[key].model
    table = model._meta.db_table
    newest = model.objects.order_by("-created_at", "-id")[:25]
    here = model.objects.filter(site=site, state="open").order_by("-created_at", "-id")[:25]
    for queryset, index in ((newest, "_recent_idx"), (here, "_site_state_idx")):
        plan = _plan(queryset)
        assert f"Seq Scan on {table}" not in plan, plan
        # Read in order from the index: no sort of the whole table for a page of 25.
        assert index in plan and "Sort" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
@pytest.mark.parametrize("key", sorted(records.RECORD_TYPES))
def test_a_text_search_reads_the_trigram_indexes(key: str) -> None:
    from qualitas.core import search

    record_type = records.RECORD_TYPES[key]
    table = record_type.model._meta.db_table
    # Unordered, so the plan shows how the rows are found (a page then sorts the few hits).
    found = search.matching(record_type.model.objects.order_by(), record_type, "bore")
    plan = _plan(found)
    assert f"Seq Scan on {table}" not in plan, plan
    for column in record_type.search_fields:
        assert search.trigram_index_name(table, column) in plan, plan


def test_the_list_search_and_the_api_search_find_the_same(
    api_for: Any, author: User, raise_deviation: Any, client_for: Any
) -> None:
    raise_deviation(title="Torque wrench out of calibration")
    raise_deviation(title="Spare gauge in use")
    api = api_for(author).get("/deviations", q="TORQUE").json()
    page = client_for(author).get("/deviations/", {"q": "torque"}).content.decode()
    assert _titles(api["results"]) == ["Torque wrench out of calibration"]
    assert "Torque wrench out of calibration" in page and "Spare gauge" not in page


def test_an_api_list_beyond_the_cap_says_so_and_pages_on_by_cursor(
    api_for: Any, author: User, raise_deviation: Any, settings: Any
) -> None:
    settings.QUALITAS_LIST_COUNT_CAP = 4
    for n in range(6):
        raise_deviation(title=f"Deviation {n}")
    api = api_for(author)
    last_counted = api.get("/deviations", page_size=2, page=2).json()
    beyond = api.get("/deviations", page_size=2, page=3).json()
    past_the_end = api.get("/deviations", page_size=2, page=4)
    rest = api.get("/deviations", page_size=5, after=last_counted["next"]).json()

    assert (last_counted["count"], last_counted["count_capped"]) == (4, True)
    # Past the counted rows, numbered pages still read on until the list runs out.
    assert _titles(beyond["results"]) == ["Deviation 1", "Deviation 0"]
    assert past_the_end.status_code == 200
    assert (past_the_end.json()["results"], past_the_end.json()["next"]) == ([], None)
    assert _titles(rest["results"]) == ["Deviation 1", "Deviation 0"]


def test_a_list_page_past_the_end_is_a_404_naming_the_last(
    client_for: Any, author: User, raise_deviation: Any, settings: Any
) -> None:
    for n in range(3):
        raise_deviation(title=f"Deviation {n}")
    client = client_for(author)

    shown = client.get("/deviations/", {"per_page": 2, "page": 2})
    past = client.get("/deviations/", {"per_page": 2, "page": 3})
    settings.QUALITAS_LIST_COUNT_CAP = 2
    past_the_cap = client.get("/deviations/", {"per_page": 2, "page": 2})

    assert shown.status_code == 200 and "Deviation 0" in shown.content.decode()
    assert past.status_code == 404 and "past the last page (2)" in past.content.decode()
    assert past_the_cap.status_code == 404
    assert "sort it the other way" in past_the_cap.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
@pytest.mark.parametrize("key", sorted(records.RECORD_TYPES))
def test_a_list_sorted_by_due_date_reads_its_index(key: str) -> None:
    model = records.RECORD_TYPES[key].model
    plan = _plan(model.objects.order_by("due_on")[:25])
    assert "_due_idx" in plan and "Sort" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans of PostgreSQL")
def test_the_nonconformance_list_sorted_by_part_reads_its_index() -> None:
    from qualitas.nonconformance.models import Nonconformance

    plan = _plan(Nonconformance.objects.order_by("part_number")[:25])
    assert "nc_part_idx" in plan and "Sort" not in plan, plan
