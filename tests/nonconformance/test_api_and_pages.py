"""Nonconformances through the API and the pages; list query counts; taxonomy rights."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core import workflow
from qualitas.core.models import User
from qualitas.nonconformance.models import DefectCode, Nonconformance
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_raise_and_decide_through_the_api(
    api_for: object, inspector: User, quality_manager: User, codes: dict[str, DefectCode]
) -> None:
    raised = api_for(inspector).post(
        "/nonconformances",
        {  # type: ignore[operator]
            "title": "Scratch on cover",
            "source": "final_inspection",
            "detected_on": "2026-11-20",
            "quantity_nonconforming": "4",
            "defect_code": codes["COS-01"].pk,
            "severity": "minor",
            "finding": "Scratch",
        },
    )
    nc_id = raised.json()["id"]
    api_for(inspector).post(f"/nonconformances/{nc_id}/transitions/contain", {})  # type: ignore[operator]
    api_for(inspector).post(f"/nonconformances/{nc_id}/transitions/submit_review", {})  # type: ignore[operator]
    qm = api_for(quality_manager)  # type: ignore[operator]
    version = qm.get(f"/nonconformances/{nc_id}").json()["version"]

    wrong = qm._send(
        "put",
        f"/nonconformances/{nc_id}/disposition",
        {"version": version, "lines": [{"decision": "scrap", "quantity": "3"}]},
    )
    right = qm._send(
        "put",
        f"/nonconformances/{nc_id}/disposition",
        {
            "version": version,
            "lines": [
                {"decision": "scrap", "quantity": "1"},
                {"decision": "rework", "quantity": "3", "instructions": "Polish"},
            ],
        },
    )
    cost = qm.post(
        f"/nonconformances/{nc_id}/cost-lines",
        {"category": "rework", "amount": "45.00", "currency": "GBP"},
    )

    assert raised.status_code == 201 and raised.json()["number"].startswith("NC-")
    assert (
        wrong.status_code == 422
        and "add up to 3 pcs, but 4 pcs" in wrong.json()["errors"][0]["message"]
    )
    assert right.status_code == 200 and [line["decision"] for line in right.json()["lines"]] == [
        "scrap",
        "rework",
    ]
    assert cost.status_code == 201
    assert (
        qm.post(f"/nonconformances/{nc_id}/transitions/dispose", {}).json()["state"]
        == "disposition"
    )


def test_api_analysis_and_taxonomy(
    api_for: object, raise_nc: object, viewer: User, quality_manager: User
) -> None:
    raise_nc()  # type: ignore[operator]

    pareto = api_for(viewer).get("/nonconformances/pareto", by="defect_code").json()  # type: ignore[operator]
    bad = api_for(viewer).get("/nonconformances/pareto", by="colour")  # type: ignore[operator]
    refused = api_for(viewer).post(
        "/nonconformances/defect-codes",
        {"category": "dimensional", "code": "DIM-09", "name": "Flatness"},
    )  # type: ignore[operator]
    added = api_for(quality_manager).post(
        "/nonconformances/defect-codes",
        {"category": "dimensional", "code": "dim-09", "name": "Flatness"},
    )  # type: ignore[operator]

    assert pareto == [
        {
            "label": "DIM-01 Diameter out",
            "weight": 1.0,
            "percent": 100.0,
            "cumulative_percent": 100.0,
        }
    ]
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "by"
    assert refused.status_code == 403
    assert added.status_code == 201 and added.json()["code"] == "DIM-09"


def test_the_list_filters_exports_and_keeps_its_query_count(
    client_for: object, raise_nc: object, quality_manager: User, codes: dict[str, DefectCode]
) -> None:
    client = client_for(quality_manager)  # type: ignore[operator]
    raise_nc(severity="critical", title="Critical one")  # type: ignore[operator]
    raise_nc(severity="minor", title="Minor one", defect_code=codes["COS-01"])  # type: ignore[operator]
    client.get("/nonconformances/")
    with CaptureQueriesContext(connection) as few:
        client.get("/nonconformances/")
    for _ in range(12):
        raise_nc()  # type: ignore[operator]
    with CaptureQueriesContext(connection) as many:
        client.get("/nonconformances/")
    export = client.get("/nonconformances/", {"severity": "critical", "export": "csv"})

    assert len(many) == len(few)
    rows = list(csv.reader(io.StringIO(export.getvalue().decode().lstrip("\ufeff"))))
    assert rows[0][:5] == ["Number", "Title", "State", "Severity", "Defect"]
    assert [r[1] for r in rows[1:]] == ["Critical one"]


def test_the_detail_page_shows_disposition_costs_and_escalation(
    client_for: object, raise_nc: object, quality_manager: User
) -> None:
    nc = raise_nc(severity="critical")  # type: ignore[operator]

    body = client_for(quality_manager).get(f"/nonconformances/{nc.pk}/").content.decode()  # type: ignore[operator]

    assert 'data-testid="escalation"' in body and "Critical severity" in body
    assert "Cost of poor quality" in body and "Not decided yet (10 pcs nonconforming)" in body


def test_the_disposition_page_refuses_a_wrong_total(
    client_for: object, raise_nc: object, inspector: User, quality_manager: User
) -> None:
    nc = raise_nc()  # type: ignore[operator]
    nc = workflow.fire(
        workflow.fire(nc, "contain", actor=inspector), "submit_review", actor=inspector
    )
    form = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "version": nc.version,
        "form-0-decision": "scrap",
        "form-0-quantity": "4",
        "form-1-decision": "rework",
        "form-1-quantity": "5",
    }
    client = client_for(quality_manager)  # type: ignore[operator]

    refused = client.post(f"/nonconformances/{nc.pk}/disposition/", form)
    accepted = client.post(
        f"/nonconformances/{nc.pk}/disposition/", {**form, "form-1-quantity": "6"}
    )

    assert refused.status_code == 422 and b"add up to 9 pcs" in refused.content
    assert accepted.status_code == 302
    assert sorted(
        Nonconformance.objects.get(pk=nc.pk).disposition_lines.values_list("quantity", flat=True)
    ) == [Decimal(4), Decimal(6)]


def test_the_analysis_page_and_its_export(
    client_for: object, raise_nc: object, viewer: User
) -> None:
    raise_nc()  # type: ignore[operator]
    client = client_for(viewer)  # type: ignore[operator]

    page = client.get("/nonconformances/analysis/", {"by": "part"})
    export = client.get("/nonconformances/analysis/", {"by": "part", "export": "csv"})

    assert b'id="nc-analysis-data"' in page.content and b"HSG-4471" in page.content
    assert export.content.decode().lstrip("\ufeff").splitlines()[1] == "HSG-4471,1.0,100.0,100.0"


def test_only_quality_managers_extend_the_taxonomy(
    client_for: object, viewer: User, quality_manager: User, codes: dict[str, DefectCode]
) -> None:
    form = {"category": codes["DIM-01"].category_id, "code": "DIM-07", "name": "Roundness"}

    refused = client_for(viewer).post("/nonconformances/defect-codes/", form)  # type: ignore[operator]
    added = client_for(quality_manager).post("/nonconformances/defect-codes/", form)  # type: ignore[operator]

    assert refused.status_code == 403
    assert added.status_code == 302 and DefectCode.objects.filter(code="DIM-07").exists()


def test_quality_managers_see_escalations_on_my_work(
    client_for: object, raise_nc: object, quality_manager: User, viewer: User
) -> None:
    nc = raise_nc(severity="critical")  # type: ignore[operator]

    assert nc.number.encode() in client_for(quality_manager).get("/").content  # type: ignore[operator]
    assert b"panel-escalations" not in client_for(viewer).get("/").content  # type: ignore[operator]


def test_signing_a_close_in_the_page(
    client_for: object, raise_nc: object, inspector: User, quality_manager: User
) -> None:
    from qualitas.nonconformance import services

    nc = raise_nc()  # type: ignore[operator]
    nc = workflow.fire(
        workflow.fire(nc, "contain", actor=inspector), "submit_review", actor=inspector
    )
    nc = services.set_disposition(
        nc,
        actor=quality_manager,
        lines=[services.DispositionInput("scrap", Decimal(10))],
        expected_version=nc.version,
    )
    nc = workflow.fire(
        workflow.fire(nc, "dispose", actor=quality_manager), "carry_out", actor=quality_manager
    )

    response = client_for(quality_manager).post(  # type: ignore[operator]
        f"/nonconformances/{nc.pk}/transitions/close/",
        {"password": PASSWORD, "version": nc.version},
    )

    assert response.status_code == 302
    assert Nonconformance.objects.get(pk=nc.pk).state == "closed"


def test_the_page_and_the_api_raise_through_the_modules_service(
    api_for: object, client_for: object, inspector: User, codes: dict[str, DefectCode]
) -> None:
    """Issue 11: pages and the API went through the generic create, so an NC raised there had
    no detector and the module's defaults were tested only by the demo and the tests."""
    from django.utils import timezone

    by_api = api_for(inspector).post(  # type: ignore[operator]
        "/nonconformances",
        {"title": "Burr on flange", "source": "in_process", "severity": "minor", "finding": "x"},
    )
    by_page = client_for(inspector).post(  # type: ignore[operator]
        "/nonconformances/new/",
        {
            "title": "Dent on housing",
            "source": "in_process",
            "severity": "minor",
            "finding": "y",
            "unit": "pcs",
            "priority": "medium",
            "quantity_affected": "1",
            "quantity_nonconforming": "1",
            "defect_code": codes["DIM-01"].pk,
        },
    )

    assert by_api.status_code == 201, by_api.json()
    assert by_page.status_code == 302, by_page.content[-2000:]
    api_nc = Nonconformance.objects.get(pk=by_api.json()["id"])
    page_nc = Nonconformance.objects.get(title="Dent on housing")
    assert (api_nc.detected_by, api_nc.detected_on) == (inspector, timezone.localdate())
    assert (page_nc.detected_by, page_nc.detected_on) == (inspector, timezone.localdate())
