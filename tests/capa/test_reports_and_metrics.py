"""The 8D report and the CAPA metrics."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from qualitas.capa import eight_d, queries, services
from qualitas.core import actions, records, signatures, workflow
from qualitas.core.models import User
from qualitas.nonconformance import services as nc_services
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _closed_capa(raise_nc: Any, qm: User, approver: User) -> Any:
    nc = raise_nc(lot_number="L2611")
    capa = nc_services.escalate_to_capa(nc, actor=qm)
    capa = records.update(
        capa,
        actor=qm,
        expected_version=capa.version,
        due_on=TODAY + datetime.timedelta(days=30),
        is_description="HSG-4471",
    )
    capa = workflow.fire(capa, "investigate", actor=qm)
    capa = records.update(
        capa, actor=qm, expected_version=capa.version, containment_summary="Sorted"
    )
    capa = workflow.fire(capa, "confirm_containment", actor=qm)
    step = services.add_why(capa, actor=qm, why="Oversize", because="No tool-life rule")
    services.mark_root_cause(step, actor=qm)
    services.add_cause(capa, actor=qm, category="machine", text="Worn bar")
    capa = records.update(
        capa,
        actor=qm,
        expected_version=capa.version,
        root_cause="No tool-life rule",
        root_cause_category="method",
    )
    capa = workflow.fire(capa, "plan", actor=qm)
    action = actions.assign(
        capa, actor=qm, title="Tool-life counter", assignee=qm, due_on=TODAY, kind="corrective"
    )
    capa = workflow.fire(
        capa, "approve_plan", actor=approver, signature=signatures.authenticate(approver, PASSWORD)
    )
    actions.complete(action, actor=qm, note="Counter at 350")
    capa = records.update(
        capa,
        actor=qm,
        expected_version=capa.version,
        effectiveness_criteria="No repeat",
        effectiveness_due_on=TODAY,
    )
    capa = workflow.fire(capa, "implemented", actor=qm)
    capa = services.record_effectiveness(
        capa, actor=qm, expected_version=capa.version, result="passed", evidence="No repeat"
    )
    return workflow.fire(
        capa, "close", actor=qm, signature=signatures.authenticate(qm, PASSWORD)
    ), nc


def test_the_8d_report_lays_out_d0_to_d8(
    raise_nc: Any, quality_manager: User, engineer: User
) -> None:
    capa, nc = _closed_capa(raise_nc, quality_manager, engineer)

    report = eight_d.build(capa, viewer=quality_manager)

    assert report.sources == [f"{nc.number} {nc.title}"]
    assert report.whys == [("Why oversize?", "Because no tool-life rule.", True)]
    assert "Worn bar" in report.fishbone_svg
    assert [a.title for a in report.corrective_actions] == ["Tool-life counter"]
    assert report.effectiveness_result == "Effective"
    assert [s.split(" on ")[0] for s in report.signatures] == [
        "Signed by Eli Engineer",
        f"Signed by {quality_manager.printed_name}",
    ]


def test_the_8d_pdf_downloads(
    client_for: Any, raise_nc: Any, quality_manager: User, engineer: User
) -> None:
    capa, _nc = _closed_capa(raise_nc, quality_manager, engineer)

    page = client_for(quality_manager).get(f"/capas/{capa.pk}/").content.decode()
    response = client_for(quality_manager).get(f"/capas/{capa.pk}/8d.pdf")

    assert f'href="/capas/{capa.pk}/8d.pdf" data-testid="document"' in page

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"] == f'attachment; filename="{capa.number}-8D.pdf"'


def test_metrics_on_known_data(
    raise_nc: Any, quality_manager: User, engineer: User, owner_user: User
) -> None:
    capa, nc = _closed_capa(raise_nc, quality_manager, engineer)
    services.open_capa(actor=owner_user, title="Fresh one")
    # The same defect on the same part again, found the day after (never in the future).
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        raise_nc()

    m = queries.metrics(quality_manager)

    assert (m.open_total, m.closed_total) == (1, 1)
    assert m.open_by_age[0] == ("0-30 days", 1)
    assert m.on_time_closure_rate == 100.0
    assert m.effectiveness_pass_rate == 100.0
    assert m.mean_cycle_days is not None and m.mean_cycle_days < 1
    assert m.recurrences == [f"{capa.number}: {nc.defect_code} on HSG-4471 again (1 since)"]


def test_the_metrics_page_and_api(client_for: Any, api_for: Any, viewer: User) -> None:
    page = client_for(viewer).get("/capas/metrics/")
    data = api_for(viewer).get("/capas/metrics").json()

    assert page.status_code == 200 and b"capa-metrics" in page.content
    assert data["open_total"] == 0 and data["on_time_closure_rate"] is None


@pytest.fixture
def owner_user(db: None) -> User:
    from tests.factories import UserFactory, with_role

    return with_role(UserFactory(username="olga"), "contributor")
