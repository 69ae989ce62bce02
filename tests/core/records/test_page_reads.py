"""What a record's pages read, and how (issue 12): the people a detail page names in one
query, its history counted only when it shows less than all of it, and a list's filter
panel read with plain queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core import records
from qualitas.core.models import User
from qualitas.core.views import records as record_views
from tests.factories import UserFactory, with_role
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db

# A person read alone by their id (a foreign key reached in a template), as opposed to the
# page's one read of everyone it names (`id IN (…)`).
ONE_PERSON = re.compile(r'FROM "core_user" WHERE "core_user"\."id" = ')


def _detail(client: object, record: Deviation) -> list[str]:
    url = f"/deviations/{record.pk}/"
    client.get(url)  # type: ignore[attr-defined]  # warm: content types, permissions
    with CaptureQueriesContext(connection) as run:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return [query["sql"] for query in run.captured_queries]


def test_the_people_a_record_page_names_are_read_in_one_query(
    client_for: object, author: User, quality_manager: User, raise_deviation: object
) -> None:
    owner = with_role(UserFactory(first_name="Olga", last_name="Owner"), "contributor")
    record = raise_deviation(owner=owner)  # type: ignore[operator]
    record = records.update(
        record, actor=quality_manager, expected_version=record.version, title="New"
    )
    editor = quality_manager

    sql = _detail(client_for(author), record)  # type: ignore[operator]

    # Only the signed-in person is read alone (by the session); owner, author and editor
    # come together.
    assert len([q for q in sql if ONE_PERSON.search(q)]) == 1
    body = client_for(author).get(f"/deviations/{record.pk}/").content.decode()  # type: ignore[operator]
    for name in (owner.printed_name, author.printed_name, editor.printed_name):
        assert name in body


def test_a_short_history_is_not_counted_and_a_long_one_says_how_long(
    client_for: object, author: User, raise_deviation: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = raise_deviation()  # type: ignore[operator]
    for n in range(3):
        record = records.update(
            record, actor=author, expected_version=record.version, title=f"Take {n}"
        )
    client = client_for(author)  # type: ignore[operator]

    sql = _detail(client, record)
    counted = [q for q in sql if q.startswith("SELECT COUNT(*)") and "core_auditevent" in q]
    assert counted == []

    monkeypatch.setattr(record_views, "HISTORY_SHOWN", 2)
    body = client.get(f"/deviations/{record.pk}/").content.decode()
    # Created, then changed three times.
    assert "the latest 2 of 4 events are shown" in body


def test_the_filter_panel_reads_its_choices_without_a_server_side_cursor(
    client_for: object, quality_manager: User
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("server-side cursors are PostgreSQL's (SQLite has none to avoid)")
    # The nonconformance list filters by site, department, owner and defect code.
    client = client_for(quality_manager)  # type: ignore[operator]
    client.get("/nonconformances/")
    with CaptureQueriesContext(connection) as run:
        page = client.get("/nonconformances/")

    assert page.status_code == 200
    assert quality_manager.get_full_name() in page.content.decode()  # an owner to choose
    assert [q["sql"] for q in run.captured_queries if q["sql"].startswith("DECLARE")] == []
