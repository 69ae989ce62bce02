"""Live SPC per characteristic (qualitas.inspection.live): the chart chosen from the kind and
the subgroup size, limits equal to the engine's, a frozen baseline (reason, permission,
audit), new points judged against it (owner told, one NC per alarm when configured), the
chart API and the characteristic's page.

Reference: Montgomery, Introduction to Statistical Quality Control (7th ed.), Example 6.1,
the piston-ring inside diameters of Table 6.3 (tests/spc/spc_data.py): 25 samples of 5,
x-double-bar = 74.00118, R-bar = 0.02324, X̄ chart UCL 74.0146 / LCL 73.9878. (The brief
for this work quoted UCL 74.0139 from memory; the book and tests/spc/test_charts.py give
74.0146 = 74.00118 + 0.577 x 0.02324.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas import spc
from qualitas.core import audit
from qualitas.core.models import AuditEvent, Notification, User
from qualitas.inspection import ingest, live, services
from qualitas.inspection.models import (
    Characteristic,
    ControlBaseline,
    InspectionLot,
    InspectionPlan,
    Measurement,
    MeasurementBatch,
)
from qualitas.nonconformance.models import Nonconformance
from tests.spc.spc_data import PISTON_RINGS

pytestmark = pytest.mark.django_db


def _lot(people: dict[str, User], plan: InspectionPlan, number: str) -> InspectionLot:
    return services.open_lot(
        actor=people["inspector"], title=f"Lot {number}", plan=plan, lot_number=number,
        quantity=1000, site=plan.site,
    )  # fmt: skip


def _measure(
    people: dict[str, User], lot: InspectionLot, values: list[float], number: str = "10"
) -> MeasurementBatch:
    rows = [
        ingest.Row(characteristic=number, sample_no=i + 1, value=v) for i, v in enumerate(values)
    ]
    return ingest.record_measurements(
        lot, actor=people["inspector"], rows=rows, key=str(uuid.uuid4())
    )


def _rings(people: dict[str, User], plan: InspectionPlan, count: int = 25) -> Characteristic:
    for i, sample in enumerate(PISTON_RINGS[:count]):
        _measure(people, _lot(people, plan, f"R{i + 1:02d}"), sample)
    return plan.part_revision.characteristics.get(number="10")


def test_chart_kind_follows_the_subgroup_size() -> None:
    # Montgomery 6.3/6.4: the range for small subgroups, s from about 10, I-MR for one value.
    assert live.variable_type(1) == live.IMR
    assert live.variable_type(2) == live.XBAR_R
    assert live.variable_type(9) == live.XBAR_R
    assert live.variable_type(10) == live.XBAR_S


def test_piston_rings_give_montgomerys_limits(
    people: dict[str, User], plan: InspectionPlan
) -> None:
    """Montgomery 7th ed. Example 6.1: centre 74.00118, UCL 74.0146, LCL 73.9878, R-bar
    0.02324 — and exactly what a direct qualitas.spc.xbar_r call gives on the same array."""
    bore = _rings(people, plan)
    data = live.chart_data(bore)
    assert data["chart_type"] == live.XBAR_R and data["subgroup_size"] == 5
    assert data["preliminary"] is True and data["baseline"] is None
    xbar, r = data["charts"]
    assert xbar["center"] == pytest.approx(74.00118, abs=1e-5)
    assert xbar["ucl"] == pytest.approx(74.0146, abs=1e-4)
    assert xbar["lcl"] == pytest.approx(73.9878, abs=1e-4)
    assert r["center"] == pytest.approx(0.02324, abs=1e-5)
    direct_x, direct_r = spc.xbar_r(np.array(PISTON_RINGS))
    assert xbar["center"] == pytest.approx(float(direct_x.center), rel=1e-12)
    assert xbar["statistic"] == pytest.approx(direct_x.statistic.tolist(), rel=1e-12)
    assert r["ucl"] == pytest.approx(float(direct_r.ucl[0]), rel=1e-12)
    # Every lot is a point, named by its lot number, in the order measured.
    assert [p["lot_number"] for p in data["points"]][:3] == ["R01", "R02", "R03"]
    # Capability over the window, from the engine with the drawing's limits.
    cap = spc.capability(np.array(PISTON_RINGS), lsl=73.95, usl=74.05)
    assert data["capability"]["cpk"] == pytest.approx(cap.cpk, rel=1e-12)
    assert data["capability"]["n"] == 125


def test_window_keeps_the_last_points(people: dict[str, User], plan: InspectionPlan) -> None:
    bore = _rings(people, plan, count=10)
    data = live.chart_data(bore, window=4)
    assert data["total_points"] == 10
    assert len(data["charts"][0]["statistic"]) == 4
    assert [p["lot_number"] for p in data["points"]] == ["R07", "R08", "R09", "R10"]
    direct = spc.capability(np.array(PISTON_RINGS[6:10]), lsl=73.95, usl=74.05)
    assert data["capability"]["n"] == 20
    assert data["capability"]["cpk"] == pytest.approx(direct.cpk, rel=1e-12)


def test_attribute_characteristic_gives_a_p_chart(
    people: dict[str, User], plan: InspectionPlan
) -> None:
    """The burr check (fixed n 5): fraction nonconforming per lot, p-bar = 2/15."""
    for i, bad in enumerate((0, 1, 1)):
        lot = _lot(people, plan, f"A{i}")
        rows = [
            ingest.Row(characteristic="20", sample_no=j + 1, conforming=j >= bad) for j in range(5)
        ]
        ingest.record_measurements(lot, actor=people["inspector"], rows=rows, key=f"a{i}")
    burr = plan.part_revision.characteristics.get(number="20")
    data = live.chart_data(burr)
    assert data["chart_type"] == live.P
    (p,) = data["charts"]
    assert p["statistic"] == pytest.approx([0.0, 0.2, 0.2])
    assert p["center"] == pytest.approx(2 / 15)
    assert data["capability"] is None


def test_defect_counts_give_a_c_chart(people: dict[str, User], plan: InspectionPlan) -> None:
    lot = _lot(people, plan, "D1")
    with audit.context(actor=None, actor_name="test fixture"):
        scratches = Characteristic.objects.get(revision=plan.part_revision, number="30")
        batch = MeasurementBatch.objects.create(
            lot=lot, key="d", sha256="0" * 64, count=6, created_by=people["inspector"]
        )
    other = _lot(people, plan, "D2")
    now = lot.created_at
    Measurement.objects.bulk_create(
        Measurement(lot=target, characteristic=scratches, batch=batch, sample_no=s,
                    conforming=True, defects=d, measured_at=now)
        for target, s, d in ((lot, 1, 2), (lot, 2, 1), (lot, 3, 0),
                             (other, 1, 4), (other, 2, 0), (other, 3, 1))
    )  # fmt: skip
    data = live.chart_data(scratches)
    assert data["chart_type"] == live.C
    assert data["charts"][0]["statistic"] == [3.0, 5.0]
    assert data["charts"][0]["center"] == pytest.approx(4.0)


def test_freezing_needs_a_reason_and_is_audited(
    people: dict[str, User], plan: InspectionPlan
) -> None:
    bore = _rings(people, plan, count=20)
    from qualitas.core.errors import InvalidInput, PermissionDenied

    with pytest.raises(InvalidInput) as refused:
        live.freeze_baseline(bore, actor=people["planner"], reason="  ")
    assert refused.value.errors[0].field == "reason"
    with pytest.raises(PermissionDenied):
        live.freeze_baseline(bore, actor=people["viewer"], reason="phase I done")
    first = live.freeze_baseline(
        bore, actor=people["planner"], reason="Phase I: 20 subgroups", points=20
    )
    direct, _ = spc.xbar_r(np.array(PISTON_RINGS[:20]))
    assert first.chart_type == live.XBAR_R and first.points == 20
    assert first.mean == pytest.approx(float(direct.center), rel=1e-12)
    assert first.sigma == pytest.approx(direct.sigma, rel=1e-12)
    again = live.freeze_baseline(
        bore, actor=people["planner"], reason="New tooling: recalculated", points=10
    )
    first.refresh_from_db()
    assert not first.is_current and again.is_current and again.points == 10
    assert AuditEvent.objects.filter(
        object_id=again.pk, reason="New tooling: recalculated"
    ).exists()
    # The chart now judges against the frozen limits, not trial ones.
    data = live.chart_data(bore)
    assert data["preliminary"] is False and data["baseline"]["id"] == again.pk
    ten, _ = spc.xbar_r(np.array(PISTON_RINGS[:10]))
    assert data["charts"][0]["ucl"] == pytest.approx(float(ten.ucl[0]), rel=1e-12)


def _out_of_control(people: dict[str, User], plan: InspectionPlan, number: str) -> Any:
    # Far above the frozen UCL (about 74.0146): Nelson rule 1 on the X̄ chart.
    return _measure(people, _lot(people, plan, number), [74.040, 74.041, 74.039, 74.040, 74.042])


def test_new_point_beyond_the_limits_tells_the_owner(
    people: dict[str, User], plan: InspectionPlan
) -> None:
    bore = _rings(people, plan, count=20)
    with audit.context(actor=None, actor_name="test fixture"):
        bore.owner = people["planner"]
        bore.save()
    live.freeze_baseline(bore, actor=people["planner"], reason="Phase I")
    # An in-control lot raises nothing.
    told = Notification.objects.filter(recipient=people["planner"], title__startswith="SPC alarm")
    quiet = _measure(people, _lot(people, plan, "OK1"), PISTON_RINGS[20])
    assert live.after_batch(quiet) == [] and not told.exists()
    # Recording the batch judges it (the ingest calls after_batch in the same unit of work).
    batch = _out_of_control(people, plan, "HOT1")
    assert told.count() == 1 and "HOT1" in told.get().body
    assert "nelson1" in told.get().body or "limit" in told.get().body.lower()
    assert not Nonconformance.objects.filter(lot_number="HOT1").exists()
    # The same batch judged again is the same alarm: nothing more.
    assert live.after_batch(batch) == []
    assert told.count() == 1


def test_alarm_raises_one_nc_when_configured(people: dict[str, User], plan: InspectionPlan) -> None:
    bore = _rings(people, plan, count=20)
    with audit.context(actor=None, actor_name="test fixture"):
        bore.owner = people["planner"]
        bore.nc_on_alarm = True
        bore.save()
    live.freeze_baseline(bore, actor=people["planner"], reason="Phase I")
    batch = _out_of_control(people, plan, "HOT2")  # judged as it is recorded
    nc = Nonconformance.objects.get(lot_number="HOT2")
    assert nc.source == "incoming_inspection"  # the plan's stage
    assert "nelson1" in nc.finding and "HOT2" in nc.finding
    live.after_batch(batch)
    assert Nonconformance.objects.filter(lot_number="HOT2").count() == 1


def test_no_baseline_no_alarm(people: dict[str, User], plan: InspectionPlan) -> None:
    _rings(people, plan, count=5)
    assert live.after_batch(_out_of_control(people, plan, "HOT3")) == []


def test_chart_data_queries_do_not_grow(people: dict[str, User], plan: InspectionPlan) -> None:
    bore = _rings(people, plan, count=5)
    with CaptureQueriesContext(connection) as few:
        live.chart_data(bore)
    _rings(people, plan, count=25)  # 25 more lots, 125 more values
    with CaptureQueriesContext(connection) as many:
        data = live.chart_data(bore)
    assert data["total_points"] == 30
    assert len(many) == len(few) <= 4


# ----------------------------------------------------------------------------- API


def test_chart_api(
    people: dict[str, User], plan: InspectionPlan, api_for: Callable[[User], Any]
) -> None:
    bore = _rings(people, plan, count=10)
    api = api_for(people["viewer"])
    got = api.get(f"/characteristics/{bore.pk}/chart", window=5)
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["chart_type"] == "xbar_r" and body["preliminary"] is True
    assert len(body["charts"][0]["statistic"]) == 5
    assert body["capability"]["n"] == 25
    # parts_api's router on the same prefix still answers.
    assert api.get(f"/characteristics/{bore.pk}").json()["number"] == "10"
    assert api.get("/characteristics/999999/chart").status_code == 404


def test_baseline_api(
    people: dict[str, User], plan: InspectionPlan, api_for: Callable[[User], Any]
) -> None:
    bore = _rings(people, plan, count=10)
    path = f"/characteristics/{bore.pk}/baseline"
    assert api_for(people["viewer"]).post(path, {"reason": "phase I"}).status_code == 403
    planner = api_for(people["planner"])
    blank = planner.post(path, {"reason": ""})
    assert blank.status_code == 422
    assert "reason" in blank.content.decode()
    made = planner.post(path, {"reason": "Phase I", "points": 8})
    assert made.status_code == 201, made.content
    assert made.json()["points"] == 8
    assert ControlBaseline.objects.get(is_current=True).reason == "Phase I"
    chart = planner.get(f"/characteristics/{bore.pk}/chart").json()
    assert chart["preliminary"] is False and chart["baseline"]["points"] == 8


# ----------------------------------------------------------------------------- page


def test_page_for_viewers_form_for_planners(
    people: dict[str, User], plan: InspectionPlan, client_for: Callable[[User], Any]
) -> None:
    bore = _rings(people, plan, count=10)
    url = f"/inspection/characteristics/{bore.pk}/"
    seen = client_for(people["viewer"]).get(url)
    assert seen.status_code == 200
    html = seen.content.decode()
    assert 'id="live-chart-data"' in html and "Preliminary" in html
    assert 'data-testid="freeze-form"' not in html
    assert "R10" in html  # the lots that measured it
    assert client_for(people["viewer"]).post(url, {"reason": "x"}).status_code == 403
    planner = client_for(people["planner"])
    assert 'data-testid="freeze-form"' in planner.get(url).content.decode()
    refused = planner.post(url, {"reason": ""})
    assert refused.status_code == 422
    assert 'data-testid="error-reason"' in refused.content.decode()
    done = planner.post(url, {"reason": "Phase I"})
    assert done.status_code == 302
    assert 'data-testid="frozen"' in planner.get(url).content.decode()


def test_the_worker_task_freezes_in_the_requesters_name(
    people: dict[str, User], plan: InspectionPlan
) -> None:
    """The Celery task is registered under the name request_freeze sends, and freezes as the
    person who asked, with their reason."""
    from qualitas.celery import app
    from qualitas.inspection import tasks

    bore = _rings(people, plan)

    baseline_id = tasks.freeze_baseline.run(bore.pk, people["planner"].pk, "phase I, 25 lots", None)

    assert app.tasks[live.FREEZE_TASK].name == tasks.freeze_baseline.name == live.FREEZE_TASK
    baseline = ControlBaseline.objects.get(pk=baseline_id)
    assert (baseline.frozen_by, baseline.reason, baseline.is_current) == (
        people["planner"],
        "phase I, 25 lots",
        True,
    )
