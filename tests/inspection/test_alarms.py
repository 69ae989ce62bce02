"""Control chart alarms as records (qualitas.inspection.alarms): recorded once per broken rule
as the batch is judged, acknowledged with the cause and the action, closed, all on the audit
trail; refused to readers and to planners of another site; the characteristic's page, the
list with its export, and /api/v1/chart-alarms."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core import audit
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Notification, Site, User
from qualitas.inspection import alarms, ingest, live, services
from qualitas.inspection.models import ChartAlarm, InspectionLot, InspectionPlan
from qualitas.nonconformance.models import Nonconformance
from qualitas.spc.rules import describe_rule
from tests.factories import UserFactory, with_role
from tests.spc.spc_data import PISTON_RINGS

pytestmark = pytest.mark.django_db

# Far above the X̄ chart's frozen UCL (about 74.0146): Nelson rule 1.
HOT = [74.040, 74.041, 74.039, 74.040, 74.042]


def _lot(people: dict[str, User], plan: InspectionPlan, number: str) -> InspectionLot:
    return services.open_lot(
        actor=people["inspector"], title=f"Lot {number}", plan=plan, lot_number=number,
        quantity=1000, site=plan.site,
    )  # fmt: skip


def _measure(
    people: dict[str, User],
    lot: InspectionLot,
    values: list[float],
    *,
    first: int = 1,
    key: str = "",
) -> ingest.Recorded:
    rows = [
        ingest.Row(characteristic="10", sample_no=first + i, value=v) for i, v in enumerate(values)
    ]
    return ingest.record_batch(
        lot, actor=people["inspector"], rows=rows, key=key or str(uuid.uuid4())
    )


def _in_control(people: dict[str, User], plan: InspectionPlan, *, nc_on_alarm: bool) -> None:
    """20 piston-ring subgroups (Montgomery Example 6.1), limits frozen from them."""
    for i, sample in enumerate(PISTON_RINGS[:20]):
        _measure(people, _lot(people, plan, f"R{i + 1:02d}"), sample)
    bore = plan.part_revision.characteristics.get(number="10")
    with audit.context(actor=None, actor_name="test fixture"):
        bore.owner = people["planner"]
        bore.nc_on_alarm = nc_on_alarm
        bore.save()
    live.freeze_baseline(bore, actor=people["planner"], reason="Phase I")


@pytest.fixture
def alarm(people: dict[str, User], plan: InspectionPlan) -> ChartAlarm:
    _in_control(people, plan, nc_on_alarm=False)
    _measure(people, _lot(people, plan, "HOT1"), HOT, key="hot-1")
    return ChartAlarm.objects.get()


@pytest.fixture
def elsewhere(other_site: Site) -> User:
    """Reads inspection everywhere, plans it only at the branch plant."""
    reader = with_role(UserFactory(username="branch-planner", site=other_site), "viewer")
    return with_role(reader, "approver", site=other_site)


def _events(alarm: ChartAlarm) -> Any:
    kind = ContentType.objects.get_for_model(ChartAlarm)
    return AuditEvent.objects.filter(object_type=kind, object_id=alarm.pk)


def _copies(alarm: ChartAlarm, count: int, start: int) -> None:
    """More alarms of the same lot (other points), for query counts."""
    with audit.context(actor=None, actor_name="test fixture"):
        for point in range(start, start + count):
            ChartAlarm.objects.create(
                characteristic=alarm.characteristic, baseline=alarm.baseline, lot=alarm.lot,
                batch=alarm.batch, chart="r", rule="nelson2", description="run", point=point,
                value=0.02,
            )  # fmt: skip


# ----------------------------------------------------------------------------- recording


def test_an_out_of_limit_batch_is_recorded_once(
    people: dict[str, User], plan: InspectionPlan, alarm: ChartAlarm
) -> None:
    hot = InspectionLot.objects.get(lot_number="HOT1")
    assert (alarm.chart, alarm.rule, alarm.point, alarm.state) == ("xbar", "nelson1", 0, "open")
    assert alarm.description == describe_rule("nelson1")
    assert alarm.value == pytest.approx(sum(HOT) / 5)
    assert alarm.lot == hot and alarm.baseline.is_current and alarm.nonconformance_number == ""
    assert alarm.batch is not None and alarm.batch.key == "hot-1"
    told = Notification.objects.get(recipient=people["planner"], title__startswith="SPC alarm")
    assert told.url == f"/inspection/characteristics/{alarm.characteristic_id}/#alarm-{alarm.pk}"
    assert _events(alarm).get().action == "create"

    resent = _measure(people, hot, HOT, key="hot-1")  # the same upload, retried
    live.after_batch(alarm.batch)  # the batch judged again
    # More of the lot's sample: its mean is still too high, its range in control.
    more = _measure(people, hot, [74.030, 74.048, 74.035, 74.045, 74.040], first=6)
    _measure(people, _lot(people, plan, "OK1"), PISTON_RINGS[20])

    assert resent.created is False and more.created is True
    assert ChartAlarm.objects.count() == 1


def test_the_nc_raised_is_recorded(people: dict[str, User], plan: InspectionPlan) -> None:
    _in_control(people, plan, nc_on_alarm=True)
    _measure(people, _lot(people, plan, "HOT2"), HOT)

    nc = Nonconformance.objects.get(lot_number="HOT2")
    assert ChartAlarm.objects.get().nonconformance_number == nc.number


# ----------------------------------------------------------------------------- services


def test_acknowledged_then_closed_on_the_audit_trail(
    people: dict[str, User], alarm: ChartAlarm
) -> None:
    planner = people["planner"]

    alarms.acknowledge(
        alarm, actor=planner, cause=" Worn boring tool ", action="Tool changed, 5 parts re-measured"
    )
    alarm.refresh_from_db()
    assert (alarm.state, alarm.acknowledged_by, alarm.cause) == (
        "acknowledged", planner, "Worn boring tool"
    )  # fmt: skip
    assert alarm.acknowledged_at is not None
    # The owner's notification of the alarm is dealt with.
    assert Notification.objects.get(recipient=planner, title__startswith="SPC").read_at is not None

    alarms.close(alarm, actor=people["qm"], comment="Back in control over 5 lots")
    alarm.refresh_from_db()
    assert (alarm.state, alarm.closed_by) == ("closed", people["qm"])
    assert alarm.close_comment == "Back in control over 5 lots"

    acknowledged, closed = _events(alarm).filter(action="update").order_by("id")
    assert acknowledged.actor == planner
    assert acknowledged.changes["state"] == {"old": "open", "new": "acknowledged"}
    assert acknowledged.changes["action"]["new"] == "Tool changed, 5 parts re-measured"
    assert closed.actor == people["qm"] and closed.changes["state"]["new"] == "closed"


def test_blank_cause_is_named(people: dict[str, User], alarm: ChartAlarm) -> None:
    with pytest.raises(InvalidInput) as refused:
        alarms.acknowledge(alarm, actor=people["planner"], cause="  ", action="Tool changed")

    assert [e.field for e in refused.value.errors] == ["cause"]
    alarm.refresh_from_db()
    assert alarm.state == "open" and _events(alarm).count() == 1


def test_an_open_alarm_is_not_closed(people: dict[str, User], alarm: ChartAlarm) -> None:
    with pytest.raises(Conflict):
        alarms.close(alarm, actor=people["planner"], comment="")

    alarm.refresh_from_db()
    assert alarm.state == "open" and _events(alarm).count() == 1


@pytest.mark.parametrize("_case", ["reader", "planner of another site"])
def test_refused_without_planning_at_the_lots_site(
    _case: str, people: dict[str, User], alarm: ChartAlarm, elsewhere: User
) -> None:
    actor = people["viewer"] if _case == "reader" else elsewhere

    with pytest.raises(PermissionDenied):
        alarms.acknowledge(alarm, actor=actor, cause="Worn tool", action="Changed")

    alarm.refresh_from_db()
    assert alarm.state == "open" and _events(alarm).count() == 1


# ----------------------------------------------------------------------------- pages


def test_the_characteristic_page_lets_planners_react(
    people: dict[str, User], alarm: ChartAlarm, client_for: Callable[[User], Any]
) -> None:
    page = f"/inspection/characteristics/{alarm.characteristic_id}/"
    acknowledge = f"/inspection/alarms/{alarm.pk}/acknowledge/"
    seen = client_for(people["viewer"]).get(page).content.decode()
    planner = client_for(people["planner"])

    assert f'id="alarm-{alarm.pk}"' in seen and 'data-testid="acknowledge-form"' not in seen
    assert 'data-testid="acknowledge-form"' in planner.get(page).content.decode()
    assert (
        client_for(people["viewer"]).post(acknowledge, {"cause": "x", "action": "y"}).status_code
        == 403
    )
    blank = planner.post(acknowledge, {"cause": "", "action": "Tool changed"})
    assert blank.status_code == 422 and 'data-testid="error-cause"' in blank.content.decode()
    done = planner.post(acknowledge, {"cause": "Worn tool", "action": "Tool changed"})
    assert done.status_code == 302 and done.url == alarms.page_url(alarm)
    assert 'data-testid="close-form"' in planner.get(page).content.decode()
    closed = planner.post(f"/inspection/alarms/{alarm.pk}/close/", {"comment": ""})
    assert closed.status_code == 302
    assert ChartAlarm.objects.get().state == "closed"


def test_pages_do_not_query_per_alarm(
    people: dict[str, User], alarm: ChartAlarm, client_for: Callable[[User], Any]
) -> None:
    client = client_for(people["planner"])
    urls = ("/inspection/alarms/", f"/inspection/characteristics/{alarm.characteristic_id}/")
    for url in urls:
        client.get(url)  # warm: content types, permissions
    _copies(alarm, 2, start=1)
    few = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        few.append(len(queries))
    _copies(alarm, 12, start=3)
    alarms.acknowledge(
        ChartAlarm.objects.get(point=5), actor=people["qm"], cause="Worn tool", action="Changed"
    )
    many = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        many.append(len(queries))

    assert many == few


def test_the_list_filters_and_exports(
    people: dict[str, User], alarm: ChartAlarm, client_for: Callable[[User], Any]
) -> None:
    client = client_for(people["viewer"])
    alarms.acknowledge(alarm, actor=people["planner"], cause="Worn tool", action="Changed")

    exported = client.get("/inspection/alarms/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(exported.getvalue().decode().lstrip("\ufeff"))))
    closed_only = client.get("/inspection/alarms/", {"state": "closed"}).content.decode()

    assert rows[0][:7] == ["Raised", "Part", "Characteristic", "Name", "Lot", "Chart", "Rule"]
    assert rows[1][1:] == [
        "HSG-4471", "10", "Bore Ø74", "HOT1", "xbar", "nelson1", describe_rule("nelson1"),
        f"{alarm.value:.6g}", "Acknowledged", "Worn tool", "Changed", "",
    ]  # fmt: skip
    assert len(rows) == 2
    assert "HOT1" not in closed_only


# ----------------------------------------------------------------------------- API


def test_the_api_lists_and_works_alarms(
    people: dict[str, User], alarm: ChartAlarm, api_for: Callable[[User], Any]
) -> None:
    api = api_for(people["planner"])
    path = f"/chart-alarms/{alarm.pk}"

    listed = api.get("/chart-alarms", state="open", characteristic=alarm.characteristic_id)
    assert listed.status_code == 200, listed.content
    assert [a["id"] for a in listed.json()["results"]] == [alarm.pk]
    assert listed.json()["results"][0]["lot_number"] == "HOT1"
    assert api.get("/chart-alarms", state="closed").json()["count"] == 0
    assert api.get("/chart-alarms", state="shut").status_code == 422
    refused = api.post(f"{path}/close", {})
    assert refused.status_code == 409
    blank = api.post(f"{path}/acknowledge", {"cause": "", "action": "Tool changed"})
    assert blank.status_code == 422
    assert [e["field"] for e in blank.json()["errors"]] == ["cause"]
    done = api.post(f"{path}/acknowledge", {"cause": "Worn tool", "action": "Tool changed"})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "acknowledged"
    assert done.json()["acknowledged_by"] == people["planner"].printed_name
    closed = api.post(f"{path}/close", {"comment": "Stable again"})
    assert closed.json()["state"] == "closed" and closed.json()["close_comment"] == "Stable again"
    assert api.get(path).json()["closed_by"] == people["planner"].printed_name


def test_the_api_refuses_readers_and_other_sites(
    people: dict[str, User],
    alarm: ChartAlarm,
    elsewhere: User,
    other_site: Site,
    api_for: Callable[[User], Any],
) -> None:
    body = {"cause": "Worn tool", "action": "Tool changed"}
    only_there = with_role(
        UserFactory(username="branch-only", site=other_site), "approver", site=other_site
    )

    for actor in (people["viewer"], elsewhere):
        assert api_for(actor).post(f"/chart-alarms/{alarm.pk}/acknowledge", body).status_code == 403
    # Someone who sees no inspection at the lot's site does not see the alarm at all.
    assert api_for(only_there).get(f"/chart-alarms/{alarm.pk}").status_code == 404
    assert api_for(only_there).get("/chart-alarms").json()["count"] == 0
    alarm.refresh_from_db()
    assert alarm.state == "open" and _events(alarm).count() == 1


def test_the_api_list_does_not_query_per_alarm(
    people: dict[str, User], alarm: ChartAlarm, api_for: Callable[[User], Any]
) -> None:
    api = api_for(people["viewer"])
    api.get("/chart-alarms")
    with CaptureQueriesContext(connection) as few:
        api.get("/chart-alarms")
    _copies(alarm, 12, start=1)
    alarms.acknowledge(alarm, actor=people["planner"], cause="Worn tool", action="Changed")
    with CaptureQueriesContext(connection) as many:
        listed = api.get("/chart-alarms")

    assert listed.json()["count"] == 13
    assert len(many) == len(few)
