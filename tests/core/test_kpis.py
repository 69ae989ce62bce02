"""The quality indicators on My work (issue 13, "a KPI strip for the quality manager"): what
the person may see, counted in one query each, linking to the list that shows exactly those
records; nobody without the permission sees the strip."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualitas.core import records
from qualitas.core.models import User

pytestmark = pytest.mark.django_db


def _strip(client: Any) -> dict[str, tuple[str, str]]:
    page = client.get("/")
    assert page.status_code == 200
    return {k.label: (k.value, k.url) for k in page.context["indicators"]}


def _listed(client: Any, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200
    return int(page.context["table"].paginator.count)


def test_the_quality_manager_sees_open_and_overdue_records_linked_to_their_lists(
    client_for: Any, quality_manager: User, raise_nc: Any, engineer: User
) -> None:
    detected = timezone.localdate() - datetime.timedelta(days=10)
    ncs = [raise_nc(detected_on=detected) for _ in range(3)]
    late = ncs[0]
    records.change_record(
        late,
        actor=quality_manager,
        expected_version=late.version,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    client = client_for(quality_manager)

    strip = _strip(client)

    assert strip["Open nonconformances"][0] == "3"
    assert strip["Overdue nonconformances"][0] == "1"
    assert _listed(client, strip["Open nonconformances"][1]) == 3
    overdue_url = strip["Overdue nonconformances"][1]
    assert "status=overdue" in overdue_url
    assert _listed(client, overdue_url) == 1
    assert late.number in client.get(overdue_url).content.decode()
    assert {"Open CAPAs", "Overdue CAPAs", "Overdue actions"} <= set(strip)


@pytest.mark.parametrize("role", ["viewer", "contributor"])
def test_people_who_do_not_steer_the_system_see_no_strip(
    client_for: Any, role: str, request: pytest.FixtureRequest, raise_nc: Any
) -> None:
    raise_nc()
    person = request.getfixturevalue(role)
    page = client_for(person).get("/")
    assert page.context["indicators"] == []
    assert 'data-testid="kpi-strip"' not in page.content.decode()


def test_the_strip_costs_the_same_queries_however_many_records(
    client_for: Any, quality_manager: User, raise_nc: Any
) -> None:
    client = client_for(quality_manager)
    raise_nc()
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for _ in range(5):
        raise_nc()
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(few)


def test_documents_overdue_for_review_and_reading_completion_are_on_the_strip(
    client_for: Any, quality_manager: User
) -> None:
    from qualitas.core import demo

    demo.load()
    from qualitas.documents import queries

    strip = _strip(client_for(quality_manager))

    overdue = queries.overdue_reviews(quality_manager).count()
    assert strip["Documents overdue for review"][0] == f"{overdue:,}"
    assert "review=overdue" in strip["Documents overdue for review"][1]
    completion = queries.reading_completion(quality_manager)
    assert completion is not None
    assert strip["Read and understood"][0] == f"{completion:.0f}%"


def test_overdue_records_call_for_attention_open_ones_do_not(
    client_for: Any, quality_manager: User, raise_nc: Any
) -> None:
    detected = timezone.localdate() - datetime.timedelta(days=10)
    late = raise_nc(detected_on=detected)
    records.change_record(
        late,
        actor=quality_manager,
        expected_version=late.version,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    shown = client_for(quality_manager).get("/").context["indicators"]
    attention = {k.label: k.attention for k in shown}
    assert attention["Overdue nonconformances"] is True
    assert attention["Open nonconformances"] is False
