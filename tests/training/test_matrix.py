"""The training matrix page: each cell's state, filters, paging, its Excel export, who may
see it, and a fixed number of queries whatever the number of people and lines."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from qualitas.core import permissions
from qualitas.core.models import Department, Site, User
from qualitas.documents.models import Document
from qualitas.training import matrix, matrix_views, services
from qualitas.training.models import Course, JobRole, Requirement, TrainingRecord
from tests.factories import UserFactory, with_role
from tests.training.conftest import token

pytestmark = pytest.mark.django_db

URL = "/training/matrix/"


@pytest.fixture
def curriculum(
    cast: dict[str, User],
    assembly: Department,
    first_aid: Course,
    operators: JobRole,
    sop: Document,
) -> tuple[Requirement, Requirement]:
    """First aid for the assembly department; the procedure for the operators' job role,
    which only the inspector holds. The operator has signed first aid."""
    coordinator = cast["coordinator"]
    aid = services.add_requirement(actor=coordinator, department=assembly, course=first_aid)
    reading = services.add_requirement(
        actor=coordinator, job_role=operators, document_number=sop.number
    )
    services.set_members(operators, actor=coordinator, members=[cast["inspector"]])
    operator = cast["operator"]
    record = TrainingRecord.objects.get(person=operator, course=first_aid)
    services.complete_training(record, actor=operator, signature=token(operator, record))
    return aid, reading


def _cells(viewer: User, **query: Any) -> dict[str, list[str]]:
    """username -> cell states, read from the page."""
    client = Client()
    client.force_login(viewer)
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    rows = re.findall(
        r'<tr data-testid="matrix-row" data-person="([^"]+)">(.*?)</tr>', response.text, re.S
    )
    return {who: re.findall(r'data-state="([a-z_]+)"', row) for who, row in rows}


def _states(viewer: User, filters: matrix.Filters | None = None) -> dict[str, list[str]]:
    """username -> cell states, straight from the computation."""
    lines = matrix.columns(viewer, filters or matrix.Filters())
    people = list(matrix.people(viewer, filters or matrix.Filters()))
    return {row.person.username: row.cells for row in matrix.rows(people, lines)}


def test_each_cell_says_where_the_person_stands(cast, curriculum, assembly, first_aid) -> None:
    states = _states(cast["coordinator"])

    lines = matrix.columns(cast["coordinator"], matrix.Filters())
    aid = [line.course_id is not None for line in lines].index(True)
    reading = 1 - aid
    assert states["oper"][aid] == "current"
    assert states["weld"][aid] == "due"
    assert states["insp"][aid] == "not_required"
    assert states["insp"][reading] == "due"
    assert states["oper"][reading] == "not_required"
    assert states["coord"] == ["not_required", "not_required"]

    # Joined the department after the curriculum ran: required, nothing assigned yet.
    UserFactory(username="late", site=assembly.site, department=assembly)
    assert _states(cast["coordinator"])["late"][aid] == "missing"

    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        later = _states(cast["coordinator"])
    assert later["weld"][aid] == "overdue" and later["insp"][reading] == "overdue"
    assert later["oper"][aid] == "current"

    # First aid lasts 24 months: the day it lapses the operator's certificate is expired,
    # whether or not the expiry job has run yet.
    lapses = TrainingRecord.objects.get(person=cast["operator"], course=first_aid).expires_on
    with time_machine.travel(lapses, tick=False):
        assert _states(cast["coordinator"])["oper"][aid] == "expired"


def test_a_new_revision_in_force_is_due_again(cast, curriculum, sop, revise) -> None:
    inspector = cast["inspector"]
    reading = TrainingRecord.objects.get(person=inspector, document_id=sop.pk)
    services.complete_training(reading, actor=inspector, signature=token(inspector, reading))
    lines = matrix.columns(cast["coordinator"], matrix.Filters())
    column = [line.document_id is not None for line in lines].index(True)
    assert _states(cast["coordinator"])["insp"][column] == "current"

    revise(sop)

    assert _states(cast["coordinator"])["insp"][column] == "due"


def test_the_page_shows_the_cells_and_the_legend(cast, curriculum, client_for) -> None:
    response = client_for(cast["coordinator"]).get(URL)

    assert response.status_code == 200
    legend = re.search(r'data-testid="matrix-legend".*?</ul>', response.text, re.S)[0]
    for label, css in matrix.STATES.values():
        assert f'class="badge {css}">{label}<' in legend
    page = _cells(cast["coordinator"])
    assert page == _states(cast["coordinator"])
    assert 'class="badge text-bg-success" data-state="current">Current<' in response.text


def test_filters_by_site_and_department(
    cast, curriculum, assembly: Department, other_site: Site
) -> None:
    far = UserFactory(username="far", site=other_site)
    everywhere = cast["approver"]  # an approver everywhere sees training everywhere

    assert set(_cells(everywhere)) >= {"oper", "weld", "insp", "far"}
    assert set(_cells(everywhere, department=assembly.pk)) == {"oper", "weld"}
    assert set(_cells(everywhere, site=other_site.pk)) == {far.username}
    # Another site's people are covered by no line of this site's department: not shown.
    client = Client()
    client.force_login(everywhere)
    there = client.get(URL, {"site": other_site.pk})
    assert there.text.count('data-testid="matrix-line"') == 1  # the job role's line only


@pytest.mark.parametrize(("name", "value"), [("site", "abc"), ("department", "999999")])
def test_a_filter_naming_nothing_is_refused_naming_it(cast, curriculum, client_for, name, value):
    response = client_for(cast["coordinator"]).get(URL, {name: value})

    assert response.status_code == 422
    assert name in response.text


def test_pages_by_people(cast, curriculum, client_for, monkeypatch) -> None:
    monkeypatch.setattr(matrix_views, "PEOPLE_PER_PAGE", 2)
    client = client_for(cast["coordinator"])
    everyone = [p.username for p in matrix.people(cast["coordinator"], matrix.Filters())]

    def shown(response: Any) -> list[str]:
        return re.findall(r'data-testid="matrix-row" data-person="([^"]+)"', response.text)

    first = client.get(URL)
    second = client.get(URL, {"page": 2})
    past = client.get(URL, {"page": 99})

    assert len(everyone) > 4
    assert shown(first) == everyone[:2] and shown(second) == everyone[2:4]
    assert "page=2" in first.text
    assert past.status_code == 404


def _grow(cast: dict[str, User], assembly: Department, people: int, lines: int) -> None:
    for n in range(people):
        UserFactory(username=f"extra{n}", site=assembly.site, department=assembly)
    for n in range(lines):
        course = services.create_course(
            actor=cast["coordinator"], code=f"C-{n}", title=f"Course {n}", kind="classroom"
        )
        services.add_requirement(actor=cast["coordinator"], department=assembly, course=course)


def test_the_number_of_queries_does_not_grow_with_the_matrix(
    cast, curriculum, assembly, client_for
) -> None:
    client = client_for(cast["coordinator"])
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200

    _grow(cast, assembly, people=6, lines=3)
    with CaptureQueriesContext(connection) as large:
        grown = client.get(URL)

    assert grown.text.count('data-testid="matrix-row"') == 6 + 6
    assert grown.text.count('data-testid="matrix-line"') == 2 + 3
    assert len(large) == len(small)


def test_the_excel_export_holds_the_whole_filtered_matrix(
    cast, curriculum, assembly, client_for, monkeypatch
) -> None:
    monkeypatch.setattr(matrix_views, "PEOPLE_PER_PAGE", 1)
    monkeypatch.setattr(matrix, "EXPORT_CHUNK", 1)  # across more than one read of people
    response = client_for(cast["coordinator"]).get(
        URL, {"department": assembly.pk, "export": "xlsx"}
    )

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    lines = matrix.columns(cast["coordinator"], matrix.Filters(department=assembly))
    assert table[0] == ["Person", "Username", "Site", "Department", *map(matrix.heading, lines)]
    aid = 4 + [line.course_id is not None for line in lines].index(True)
    by_user = {row[1]: row for row in table[1:]}
    assert set(by_user) == {"oper", "weld"}
    assert by_user["oper"][aid] == "Current" and by_user["weld"][aid] == "Due"
    assert by_user["oper"][3] == str(assembly)


def test_only_people_holding_view_records_see_the_matrix(viewer, client_for) -> None:
    response = client_for(viewer).get(URL)
    export = client_for(viewer).get(URL, {"export": "xlsx"})

    assert (response.status_code, export.status_code) == (403, 403)


def test_a_reader_sees_only_people_at_sites_where_they_may_view_records(
    cast, curriculum, other_site: Site, site: Site
) -> None:
    UserFactory(username="far", site=other_site)
    here_only = with_role(UserFactory(username="aud", site=site), permissions.AUDITOR, site=site)
    there_only = with_role(
        UserFactory(username="aud2", site=site), permissions.AUDITOR, site=other_site
    )

    assert "far" not in _cells(here_only) and "oper" in _cells(here_only)
    assert set(_cells(there_only)) == {"far"}
    # Not the lines of a department they do not see: the job role's line only.
    assert _cells(there_only)["far"] == ["not_required"]
    assert len(_cells(here_only)["oper"]) == 2


def test_the_menu_offers_the_matrix_to_those_who_may_see_it(cast, viewer, client_for) -> None:
    assert URL in client_for(cast["coordinator"]).get("/").text
    assert URL not in client_for(viewer).get("/").text
