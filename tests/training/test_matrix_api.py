"""GET /api/v1/training-matrix: the same matrix as the page, paged by people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core.models import Department, User
from qualitas.training import matrix, services
from tests.factories import UserFactory
from tests.training import test_matrix

pytestmark = pytest.mark.django_db

# The curriculum of test_matrix: first aid for assembly (the operator has signed it), the
# procedure for the operators' job role (the inspector's).
curriculum = test_matrix.curriculum


def test_requirements_are_the_columns_and_people_the_rows(
    cast: dict[str, User], curriculum: Any, api_for: Callable[[User], Any]
) -> None:
    body = api_for(cast["coordinator"]).get("/training-matrix").json()

    aid, reading = curriculum
    lines = {line["id"]: line for line in body["requirements"]}
    assert lines[aid.pk] == {
        "id": aid.pk,
        "item": "FA-01",
        "kind": "course",
        "audience": aid.audience,
        "gating": False,
    }
    assert lines[reading.pk]["kind"] == "document"
    column = [line["id"] for line in body["requirements"]].index(aid.pk)
    rows = {row["username"]: row for row in body["results"]}
    assert rows["oper"]["cells"][column] == "current"
    assert rows["weld"]["cells"][column] == "due"
    assert rows["insp"]["cells"][column] == "not_required"
    assert rows["oper"]["department"] == cast["operator"].department_id
    assert body["count"] == len(body["results"]) == len(rows)
    assert body["states"]["not_required"] == "Not required"


def test_pages_and_filters_as_the_page_does(
    cast: dict[str, User], curriculum: Any, assembly: Department, api_for: Callable[[User], Any]
) -> None:
    api = api_for(cast["coordinator"])
    everyone = [p.username for p in matrix.people(cast["coordinator"], matrix.Filters())]

    first = api.get("/training-matrix", page_size=2).json()
    second = api.get("/training-matrix", page_size=2, page=2).json()
    assembled = api.get("/training-matrix", department=assembly.pk).json()

    assert [r["username"] for r in first["results"]] == everyone[:2]
    assert [r["username"] for r in second["results"]] == everyone[2:4]
    assert first["count"] == len(everyone) and first["page_size"] == 2
    assert {r["username"] for r in assembled["results"]} == {"oper", "weld"}


@pytest.mark.parametrize(
    "query",
    [
        {"site": "abc"},
        {"site": "999999"},
        {"department": str(10**22)},
        {"page": "0"},
        {"page_size": "100000"},
    ],
)
def test_bad_filters_are_refused_with_a_4xx(
    cast: dict[str, User], curriculum: Any, api_for: Callable[[User], Any], query: dict[str, str]
) -> None:
    response = api_for(cast["coordinator"]).get("/training-matrix", **query)

    assert response.status_code == 422
    assert next(iter(query)) in response.content.decode()


def test_only_people_holding_view_records_read_it(
    viewer: User, api_for: Callable[[User], Any], anonymous_api: Any
) -> None:
    assert api_for(viewer).get("/training-matrix").status_code == 403
    assert anonymous_api.get("/training-matrix").status_code == 401


def test_the_number_of_queries_does_not_grow_with_the_page(
    cast: dict[str, User], curriculum: Any, assembly: Department, api_for: Callable[[User], Any]
) -> None:
    api = api_for(cast["coordinator"])
    api.get("/training-matrix")
    with CaptureQueriesContext(connection) as small:
        api.get("/training-matrix")
    for n in range(5):
        UserFactory(username=f"extra{n}", site=assembly.site, department=assembly)
    course = services.create_course(
        actor=cast["coordinator"], code="C-1", title="Course", kind="classroom"
    )
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=course)
    with CaptureQueriesContext(connection) as large:
        body = api.get("/training-matrix").json()

    assert len(body["requirements"]) == 3 and body["count"] == len(body["results"])
    assert len(large) == len(small)
