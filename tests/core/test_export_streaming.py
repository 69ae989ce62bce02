"""List exports stream from values() rows and give the same cells django-tables2 gave.

The oracle is the former path: `table.as_values()` over model instances, written by the
non-streaming `csv_response` / `xlsx_response`.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.http import FileResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from openpyxl import load_workbook

from qualitas.capa import services as capa_services
from qualitas.core import audit, exports, permissions
from qualitas.core.export_plan import ExportPlan, stable_order
from qualitas.core.models import Site, User
from qualitas.documents import services as document_services
from qualitas.documents.models import DocumentType
from qualitas.nonconformance.models import Nonconformance
from qualitas.studies import services as study_services
from tests.factories import DepartmentFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db

# (list, filters and sort): every record list the brief names, the audit trail, the
# organisation lists, with the filters and sorts people use.
CASES = [
    ("/nonconformances/", {}),
    ("/nonconformances/", {"severity": "major", "sort": "owner"}),
    ("/nonconformances/", {"sort": "-site"}),
    ("/nonconformances/", {"sort": "quantity_nonconforming", "q": "bore"}),
    ("/capas/", {}),
    ("/capas/", {"sort": "-title"}),
    ("/document-revisions/", {}),
    ("/document-revisions/", {"sort": "owner"}),
    ("/spc-studies/", {}),
    ("/spc-studies/", {"sort": "-updated_at"}),
    ("/audit-trail/", {}),
    ("/audit-trail/", {"action": "create", "sort": "object_repr"}),
    ("/documents/", {}),
    ("/documents/", {"site": "PLANT", "sort": "-title"}),  # DISTINCT rows
    ("/departments/", {}),
    ("/sites/", {"sort": "name"}),
    ("/people/", {"sort": "job_title"}),  # a property column: exported row by row
]
PLANNED = [p for p, _ in CASES if p not in {"/people/"}]


@pytest.fixture
def records(quality_manager: User, raise_nc: Any) -> None:
    """A mix of every list's awkward cells: no site, no defect code, formulas, odd units."""
    with audit.context(actor=None, actor_name="test fixture"):
        plant = Site.objects.create(code="PL", name="Plant")
    owner = with_role(
        UserFactory(username="olga", first_name="Olga", last_name="Ørsted"),
        permissions.CONTRIBUTOR,
    )
    nameless = with_role(UserFactory(username="x", first_name="", last_name=""), "contributor")
    raise_nc(title='=HYPERLINK("http://evil.test")', site=plant, unit="kg")
    raise_nc(title="-3 parts short", severity="minor", defect_code=None)
    raise_nc(actor=owner, title="Bore oversize", quantity_nonconforming=Decimal("2.500"))
    raise_nc(actor=nameless, title="Müller lot", severity="", lot_number="L-1")
    raise_nc(title="@risk", detected_on=datetime.date(2024, 2, 29), supplier_name="+Acme")
    capa_services.open_capa(actor=owner, title="Tool life", problem_statement="3 NCs")
    capa_services.open_capa(actor=quality_manager, title="=1+1", problem_statement="x")
    author = with_role(UserFactory(username="ana", first_name="Ana"), permissions.CONTRIBUTOR)
    procedure = DocumentType.objects.get(code="procedure")
    for title in ("Control of nonconforming product", "+Calibration"):
        document_services.create_document(
            actor=author, document_type=procedure, title=title, content_text="# Purpose"
        )
    study_services.record_study(
        actor=owner,
        title="Rings",
        characteristic="Diameter",
        unit="mm",
        measurements=study_services.Measurements(
            chart_type="imr", values=[74.01, 74.0, 73.99, 74.02, 74.0, 73.98]
        ),
    )
    DepartmentFactory(name="Quality", head=owner)


def _view_table(path: str, params: dict[str, str], user: User) -> Any:
    """The list's table as the view builds it, in the export's order (ties broken by pk)."""
    request = RequestFactory().get(path, params)
    request.user = user
    match = resolve(path)
    view = match.func.view_class(**match.func.view_initkwargs)  # type: ignore[attr-defined]
    view.setup(request, *match.args, **match.kwargs)
    table = view.filtered_table(request)[0]
    table.data.data = stable_order(table.data.data)
    return view, table


def _csv_cells(response: Any) -> list[list[str]]:
    body = response.getvalue().decode()
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx_cells(response: Any) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(response.getvalue()))
    return list(workbook.active.iter_rows(values_only=True))


@pytest.mark.usefixtures("records")
@pytest.mark.parametrize(("path", "params"), CASES)
def test_the_streamed_export_has_the_cells_the_table_gave(
    client_for: Any, quality_manager: User, path: str, params: dict[str, str]
) -> None:
    client = client_for(quality_manager)
    params = {
        k: str(Site.objects.get(code="PL").pk) if v == "PLANT" else v for k, v in params.items()
    }
    view, table = _view_table(path, params, quality_manager)
    expected_csv = _csv_cells(exports.csv_response("x", list(table.as_values())))
    _, table = _view_table(path, params, quality_manager)
    expected_xlsx = _xlsx_cells(
        exports.xlsx_response("x", list(table.as_values()), title=view.title)
    )

    streamed = client.get(path, {**params, "export": "csv"})
    workbook = client.get(path, {**params, "export": "xlsx"})

    assert isinstance(streamed, StreamingHttpResponse)
    assert isinstance(workbook, FileResponse)
    assert len(expected_csv) > 1
    assert _csv_cells(streamed) == expected_csv
    assert _xlsx_cells(workbook) == expected_xlsx
    assert streamed["Content-Disposition"].startswith(f'attachment; filename="{view.export_name}-')
    assert workbook["Content-Disposition"].endswith('.xlsx"')


@pytest.mark.usefixtures("records")
@pytest.mark.parametrize("path", sorted(set(PLANNED)))
def test_lists_are_read_without_model_instances(
    client_for: Any, quality_manager: User, path: str
) -> None:
    """No instance per row, so no audit snapshot per row either."""
    _, table = _view_table(path, {}, quality_manager)
    ExportPlan(table, table.data.data)  # raises Unplannable if a column needs instances
    model = table.data.data.model
    built: list[Any] = []

    def count(sender: type, instance: object, **_: Any) -> None:
        built.append(instance)

    post_init.connect(count, sender=model)
    try:
        rows = _csv_cells(client_for(quality_manager).get(path, {"export": "csv"}))
    finally:
        post_init.disconnect(count, sender=model)
    assert len(rows) > 1
    # At most a blank instance per distinct state, to ask the workflow for its label.
    assert all(instance.pk is None for instance in built)
    assert len(built) < len(rows) - 1 or len(built) <= 1


def test_export_queries_do_not_grow_with_rows(
    client_for: Any, quality_manager: User, raise_nc: Any
) -> None:
    client = client_for(quality_manager)
    client.get("/nonconformances/")  # warm the session
    for n in range(5):
        raise_nc(title=f"few {n}")
    with CaptureQueriesContext(connection) as few:
        few_rows = _csv_cells(client.get("/nonconformances/", {"export": "csv"}))
    for n in range(45):
        raise_nc(title=f"many {n}", severity="minor" if n % 2 else "major")
    with CaptureQueriesContext(connection) as many:
        many_rows = _csv_cells(client.get("/nonconformances/", {"export": "csv"}))

    assert (len(few_rows), len(many_rows)) == (6, 51)
    assert len(many) == len(few)


def test_a_long_export_streams(client_for: Any, quality_manager: User, raise_nc: Any) -> None:
    first = raise_nc(title="=first")
    copies = []
    for n in range(2999):
        copy = Nonconformance.objects.get(pk=first.pk)
        copy.pk = None
        copy.number = f"NC-BULK-{n:05d}"
        copies.append(copy)
    Nonconformance.objects.bulk_create(copies)  # bulk rows bypass the audit trail: a test fixture

    response = client_for(quality_manager).get("/nonconformances/", {"export": "csv"})

    assert isinstance(response, StreamingHttpResponse)
    pieces = list(response.streaming_content)
    assert len(pieces) > 1
    lines = b"".join(pieces).decode().splitlines()
    assert len(lines) == 3001
    assert sum("'=first" in line for line in lines) == 3000
