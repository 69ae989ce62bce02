"""Generic list pages: filter, sort, paginate, export exactly what is shown; constant queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from qualitas.core.models import User
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _csv_rows(response: object) -> list[list[str]]:
    text = b"".join(
        response.streaming_content if response.streaming else [response.content]
    ).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_people_list_filters_by_department(client_for: object, viewer: User) -> None:
    quality = DepartmentFactory(name="Quality")
    UserFactory(username="in-quality", department=quality)
    UserFactory(username="elsewhere")

    response = client_for(viewer).get("/people/", {"department": quality.pk})  # type: ignore[operator]

    assert b"in-quality" in response.content
    assert b"elsewhere" not in response.content


def test_csv_export_has_the_table_columns_and_every_filtered_row(
    client_for: object, viewer: User
) -> None:
    quality = DepartmentFactory(name="Quality")
    for n in range(30):  # more than one page: the export is not paginated
        UserFactory(username=f"q{n:02d}", department=quality, job_title="Inspector")
    UserFactory(username="outsider")

    response = client_for(viewer).get("/people/", {"department": quality.pk, "export": "csv"})  # type: ignore[operator]

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="people-')
    rows = _csv_rows(response)
    assert rows[0] == [
        "Username",
        "Name",
        "Job title",
        "Department",
        "Site",
        "Status",
        "Last login",
    ]
    assert sorted(r[0] for r in rows[1:]) == [f"q{n:02d}" for n in range(30)]
    assert {r[3] for r in rows[1:]} == {"Quality"}


def test_only_administrators_see_other_peoples_email(
    client_for: object, api_for: object, viewer: User, admin: User
) -> None:
    """Security review finding 10: the directory is open to every role, e-mails are not."""
    UserFactory(username="helen", email="helen.marsh@example.test")

    for person, sees in ((viewer, False), (admin, True)):
        page = client_for(person).get("/people/", {"export": "csv"})  # type: ignore[operator]
        found = client_for(person).get("/people/", {"q": "helen.marsh"})  # type: ignore[operator]
        api = api_for(person).get("/users?q=helen").json()  # type: ignore[operator]
        assert (b"helen.marsh@example.test" in page.getvalue()) is sees
        assert (b"helen.marsh@example.test" in found.content) is sees
        assert (api["results"][0]["email"] == "helen.marsh@example.test") is sees
    own = api_for(viewer).get("/me").json()  # type: ignore[operator]
    assert own["email"] == viewer.email


def test_xlsx_export_is_a_real_workbook_with_the_same_rows(
    client_for: object, viewer: User
) -> None:
    UserFactory(username="zed", first_name="Zoë", last_name="Ørsted")

    response = client_for(viewer).get("/people/", {"q": "zed", "export": "xlsx"})  # type: ignore[operator]

    workbook = load_workbook(io.BytesIO(response.getvalue()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Username", "Name", "Job title")
    assert rows[1][:2] == ("zed", "Zoë Ørsted")
    assert len(rows) == 2


def test_exports_neutralise_spreadsheet_formulas(client_for: object, viewer: User) -> None:
    UserFactory(username="mallory", job_title='=HYPERLINK("http://evil.test","x")')

    rows = _csv_rows(client_for(viewer).get("/people/", {"q": "mallory", "export": "csv"}))  # type: ignore[operator]

    assert rows[1][2] == '\'=HYPERLINK("http://evil.test","x")'


def test_sorting_follows_the_column_asked_for(client_for: object, viewer: User) -> None:
    UserFactory(username="aaa", job_title="Zoologist")
    UserFactory(username="bbb", job_title="Auditor")

    rows = _csv_rows(client_for(viewer).get("/people/", {"sort": "job_title", "export": "csv"}))  # type: ignore[operator]

    titles = [r[2] for r in rows[1:]]
    assert titles == sorted(titles)


def test_the_htmx_request_gets_only_the_table(client_for: object, viewer: User) -> None:
    response = client_for(viewer).get("/people/", headers={"HX-Request": "true"})  # type: ignore[operator]

    assert b'id="list-table"' in response.content
    assert b"<nav" not in response.content


def test_pages_hold_25_rows_and_link_to_the_next(client_for: object, viewer: User) -> None:
    UserFactory.create_batch(30)

    response = client_for(viewer).get("/people/")  # type: ignore[operator]

    assert response.content.count(b"/people/") >= 25
    assert b"page=2" in response.content
    assert b"31 in total" in response.content


@pytest.mark.parametrize("path", ["/people/", "/departments/", "/sites/"])
def test_list_queries_do_not_grow_with_rows(client_for: object, viewer: User, path: str) -> None:
    client = client_for(viewer)  # type: ignore[operator]
    client.get(path)  # warm the session
    department = DepartmentFactory()
    UserFactory.create_batch(3, department=department)
    with CaptureQueriesContext(connection) as few:
        client.get(path)
    for _ in range(20):
        UserFactory(department=DepartmentFactory())
    with CaptureQueriesContext(connection) as many:
        client.get(path)

    assert len(many) == len(few)
    assert len(many) <= 13  # 12, and one for the second factor (MfaMiddleware)
