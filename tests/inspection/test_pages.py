"""The inspection pages: a plan's items (added and changed through the page, revised once
approved), a lot's verdict, checks and measurement entry grid, and the switching page.

Sample sizes on the lot page are checked against Montgomery, Introduction to Statistical
Quality Control (6th ed., section 15.4, the MIL-STD-105E / ANSI Z1.4 example, typed from
memory): N = 2000, general level II, AQL 0.65 % gives code letter K and the normal plan
n = 125, Ac = 2, Re = 3 (ISO 2859-1:1999 Tables 1 and 2-A give the same)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualitas.core import audit, signatures, workflow
from qualitas.core.models import Site, User
from qualitas.inspection import ingest, services
from qualitas.inspection.models import (
    Characteristic,
    InspectionLot,
    InspectionPlan,
    Measurement,
    MeasurementBatch,
    PartRevision,
    PlanItem,
    SwitchingEvent,
    SwitchingState,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _char(number: str) -> Characteristic:
    return Characteristic.objects.get(number=number)


@pytest.fixture
def draft(people: dict[str, User], revision: PartRevision, site: Site) -> InspectionPlan:
    plan = services.create_plan(
        actor=people["planner"], title="Incoming HSG-4471", part_revision=revision,
        stage="incoming", site=site,
    )  # fmt: skip
    services.set_item(plan, actor=people["planner"], characteristic=_char("10"), aql=0.65)
    return plan


@pytest.fixture
def plan(people: dict[str, User], draft: InspectionPlan) -> InspectionPlan:
    planner = people["planner"]
    services.set_item(
        draft, actor=planner, characteristic=_char("20"), sampling="fixed", sample_size=5,
        acceptance_number=0,
    )  # fmt: skip
    services.set_item(
        draft, actor=planner, characteristic=_char("30"), sampling="fixed", sample_size=3,
        acceptance_number=0,
    )  # fmt: skip
    token = signatures.authenticate(people["qm"], PASSWORD, subject=draft)
    return workflow.fire(draft, "approve", actor=people["qm"], signature=token)


@pytest.fixture
def lot(people: dict[str, User], plan: InspectionPlan) -> InspectionLot:
    found: InspectionLot = services.open_lot(
        actor=people["inspector"], title="Lot 2611", plan=plan, lot_number="2611",
        quantity=2000, supplier_name="Acme Castings", site=plan.site,
    )  # fmt: skip
    return found


def _page(client: Client, record: Any) -> str:
    resource = "inspection-plans" if isinstance(record, InspectionPlan) else "inspection-lots"
    response = client.get(f"/{resource}/{record.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _cells(lot: InspectionLot, **values: dict[int, str]) -> dict[str, str]:
    """Grid cells by characteristic number: c10={1: "74.010"} -> {"m-<check>-1": "74.010"}."""
    checks = {c.characteristic.number: c.pk for c in lot.checks.select_related("characteristic")}
    return {
        f"m-{checks[name[1:]]}-{n}": text
        for name, cells in values.items()
        for n, text in cells.items()
    }


# ----------------------------------------------------------------------------- plans


def test_the_plan_page_lists_items_and_offers_the_form_to_its_editor(
    client_for: Callable[[User], Client], people: dict[str, User], draft: InspectionPlan
) -> None:
    html = _page(client_for(people["planner"]), draft)

    items = html[html.index('data-testid="plan-items"') :]
    assert "Bore Ø74" in items and "level II, AQL 0.65 %" in items
    assert 'data-testid="plan-item-form"' in html
    assert 'data-testid="plan-item-form"' not in _page(client_for(people["viewer"]), draft)


def test_an_item_is_added_through_the_page(
    client_for: Callable[[User], Client], people: dict[str, User], draft: InspectionPlan
) -> None:
    response = client_for(people["planner"]).post(
        f"/inspection/plans/{draft.pk}/items/",
        {
            "characteristic": _char("20").pk, "sampling": "fixed", "sample_size": 8,
            "acceptance_number": 0, "inspection_level": "II", "reaction": "Hold the lot",
        },
    )  # fmt: skip

    assert response.status_code == 302
    assert response["Location"] == f"/inspection-plans/{draft.pk}/"
    item = PlanItem.objects.get(plan=draft, characteristic__number="20")
    assert (item.sampling, item.sample_size, item.acceptance_number) == ("fixed", 8, 0)
    assert item.reaction == "Hold the lot"


def test_an_aql_the_tables_lack_is_refused_on_its_field(
    client_for: Callable[[User], Client], people: dict[str, User], draft: InspectionPlan
) -> None:
    """ISO 2859-1 Table 2-A has the preferred AQLs 0.65 and 1.0, no 0.7."""
    response = client_for(people["planner"]).post(
        f"/inspection/plans/{draft.pk}/items/",
        {
            "characteristic": _char("30").pk,
            "sampling": "aql",
            "inspection_level": "II",
            "aql": "0.7",
        },
    )

    assert response.status_code == 422
    assert "unknown AQL 0.7" in " ".join(response.context["form"].errors["aql"])
    assert not PlanItem.objects.filter(plan=draft, characteristic__number="30").exists()


def test_someone_who_may_not_edit_the_plan_is_refused(
    client_for: Callable[[User], Client], people: dict[str, User], draft: InspectionPlan
) -> None:
    for who in ("inspector", "viewer"):
        response = client_for(people[who]).post(
            f"/inspection/plans/{draft.pk}/items/",
            {"characteristic": _char("30").pk, "sampling": "fixed", "sample_size": 3},
        )
        assert response.status_code == 403
    assert not PlanItem.objects.filter(plan=draft, characteristic__number="30").exists()


def test_an_approved_plan_is_revised_into_a_new_draft(
    client_for: Callable[[User], Client], people: dict[str, User], plan: InspectionPlan
) -> None:
    assert 'data-testid="revise-plan"' in _page(client_for(people["planner"]), plan)
    assert 'data-testid="revise-plan"' not in _page(client_for(people["viewer"]), plan)
    assert 'data-testid="plan-item-form"' not in _page(client_for(people["planner"]), plan)

    response = client_for(people["planner"]).post(f"/inspection/plans/{plan.pk}/revise/")

    new = InspectionPlan.objects.exclude(pk=plan.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/inspection-plans/{new.pk}/"
    assert (new.state, new.plan_revision, new.supersedes_id) == ("draft", "B", plan.pk)
    assert new.items.count() == 3
    assert (
        client_for(people["viewer"]).post(f"/inspection/plans/{plan.pk}/revise/").status_code == 403
    )


# ----------------------------------------------------------------------------- lots


def _table_rows(html: str, testid: str) -> list[list[str]]:
    """The words of each body row of the table with this data-testid."""
    table = html[html.index(f'data-testid="{testid}"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [re.sub(r"<[^>]+>", " ", row).split() for row in rows]


def test_the_lot_page_shows_each_checks_sample(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    html = _page(client_for(people["viewer"]), lot)

    bore, burr, scratches = _table_rows(html, "lot-checks")
    # Montgomery's example: N 2000, level II, AQL 0.65 → K, n 125, Ac 2, Re 3, normal.
    assert bore == ["10", "Bore", "Ø74", "Normal", "K", "125", "2", "3", "0", "0", "Pending"]
    # Fixed samples: Re is Ac + 1.
    assert burr[-7:] == ["—", "5", "0", "1", "0", "0", "Pending"]
    assert scratches[-7:] == ["—", "3", "0", "1", "0", "0", "Pending"]
    assert 'data-verdict="pending"' in html
    assert f"/inspection/switching/?characteristic={_char('10').pk}" in html


def test_only_an_inspector_gets_the_entry_grid(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    html = _page(client_for(people["inspector"]), lot)

    assert 'data-testid="entry-grid"' in html and 'id="entry-grid-data"' in html
    # One row per sample item up to the largest sample (125); the burr (n 5) and scratch
    # (n 3) cells beyond their samples are there, disabled.
    assert html.count('aria-label="Beyond the sample size"') == (125 - 5) + (125 - 3)
    assert html.count('name="m-') == 125 + 5 + 3
    viewer = _page(client_for(people["viewer"]), lot)
    assert 'data-testid="entry-grid"' not in viewer and 'name="m-' not in viewer
    assert (
        client_for(people["viewer"]).get(f"/inspection/lots/{lot.pk}/measurements/").status_code
        == 403
    )


def test_a_sample_larger_than_a_page_points_to_the_upload(
    client_for: Callable[[User], Client], people: dict[str, User], draft: InspectionPlan
) -> None:
    """100 % inspection of 500 items: the page holds 200 rows, the rest come as a file."""
    services.set_item(draft, actor=people["planner"], characteristic=_char("20"), sampling="100")
    token = signatures.authenticate(people["qm"], PASSWORD, subject=draft)
    plan = workflow.fire(draft, "approve", actor=people["qm"], signature=token)
    lot = services.open_lot(
        actor=people["inspector"], title="Lot 2612", plan=plan, lot_number="2612",
        quantity=500, site=plan.site,
    )  # fmt: skip

    html = _page(client_for(people["inspector"]), lot)

    truncated = html[html.index('data-testid="grid-truncated"') :]
    assert "sample items 1\u2013200 of 500" in truncated
    assert f'href="/inspection/lots/{lot.pk}/upload/"' in truncated
    burr = lot.checks.get(characteristic__number="20").pk
    assert html.count(f'name="m-{burr}-') == 200


def test_a_rejected_lot_names_its_reason_and_nonconformance(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    """One failed burr check in a sample of 5 with Ac 0 reaches Re 1: the lot is rejected."""
    inspector = people["inspector"]
    rows = [ingest.Row("10", n, value=74.0) for n in range(1, 126)]
    rows += [ingest.Row("20", 1, conforming=False)]
    rows += [ingest.Row("30", n, defects=0) for n in range(1, 4)]
    ingest.record_measurements(lot, actor=inspector, rows=rows, key="test-reject")
    token = signatures.authenticate(inspector, PASSWORD, subject=lot)
    workflow.fire(lot, "sign_inspection", actor=inspector, signature=token)
    lot.refresh_from_db()

    html = _page(client_for(inspector), lot)

    assert lot.state == "rejected" and lot.nonconformance_number.startswith("NC-")
    assert 'data-verdict="reject"' in html and "1 nonconforming of 1, Re 1" in html
    assert f'href="/nonconformances/?q={lot.nonconformance_number}"' in html
    assert 'data-testid="entry-grid"' not in html  # a judged lot takes no more measurements
    assert 'data-testid="measurements"' in html  # what was measured stays to be read


def test_cells_that_are_not_values_are_refused_and_kept(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    huge = "7" + "0" * 35  # more defects than a database integer holds
    data = {
        "key": str(uuid.uuid4()),
        **_cells(lot, c10={1: "74.010"}, c20={2: "maybe"}, c30={3: huge}),
    }

    response = client_for(people["inspector"]).post(
        f"/inspection/lots/{lot.pk}/measurements/", data
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Row 2: 20 Burr free: &#x27;maybe&#x27; is neither pass" in html
    assert "Row 3: 30 Scratches:" in html
    assert 'value="maybe"' in html and 'value="74.010"' in html
    assert 'class="table-warning" data-row="2"' in html
    assert not MeasurementBatch.objects.exists()


def test_saving_the_grid_counts_into_the_checks(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    """74.080 is above the USL 74.05, a fail is nonconforming, 0 defects conform."""
    data = {
        "key": str(uuid.uuid4()),
        **_cells(
            lot, c10={1: "74.000", 2: "74.010", 3: "74.080"}, c20={1: "p", 2: "nok"}, c30={1: "0"}
        ),
    }

    response = client_for(people["inspector"]).post(
        f"/inspection/lots/{lot.pk}/measurements/", data
    )

    assert response.status_code == 302 and response["Location"] == f"/inspection-lots/{lot.pk}/"
    counts = {
        c.characteristic.number: (c.measured, c.nonconforming)
        for c in lot.checks.select_related("characteristic")
    }
    assert counts == {"10": (3, 1), "20": (2, 1), "30": (1, 0)}
    html = _page(client_for(people["inspector"]), lot)
    assert html.count('data-testid="measured"') == 6 and "74.080" in html
    check = lot.checks.get(characteristic__number="10").pk
    assert f'name="m-{check}-1"' not in html and f'name="m-{check}-4"' in html


def test_a_double_submit_is_one_batch(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    data = {"key": str(uuid.uuid4()), **_cells(lot, c10={1: "74.000", 2: "74.010"})}
    client = client_for(people["inspector"])

    first = client.post(f"/inspection/lots/{lot.pk}/measurements/", data)
    second = client.post(f"/inspection/lots/{lot.pk}/measurements/", data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert MeasurementBatch.objects.filter(lot=lot).count() == 1
    assert Measurement.objects.filter(lot=lot).count() == 2
    assert lot.checks.get(characteristic__number="10").measured == 2


def test_the_ingest_refusal_names_the_row(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    """The bore is measured to 3 decimals: 74.0005 has more than the gauge resolves."""
    data = {"key": str(uuid.uuid4()), **_cells(lot, c10={1: "74.000", 4: "74.0005"})}

    response = client_for(people["inspector"]).post(
        f"/inspection/lots/{lot.pk}/measurements/", data
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Row 4" in html and 'value="74.0005"' in html
    assert not Measurement.objects.exists()


def _measure(lot: InspectionLot, user: User, count: int) -> None:
    """Bore values straight into the tables (the ingest's own tests cover how they come)."""
    bore = _char("10")
    with audit.context(actor=None, actor_name="test fixture"):
        batch = MeasurementBatch.objects.create(
            lot=lot, key=f"fixture-{count}-{uuid.uuid4()}", sha256="0" * 64, count=count,
            created_by=user,
        )  # fmt: skip
    start = Measurement.objects.filter(lot=lot).count()
    Measurement.objects.bulk_create(
        Measurement(
            lot=lot,
            characteristic=bore,
            batch=batch,
            sample_no=start + n + 1,
            value=74.0 + n / 1000,
            conforming=True,
            measured_at=timezone.now(),
        )
        for n in range(count)
    )


def test_the_lot_page_does_not_ask_more_with_more_measurements(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    client = client_for(people["inspector"])
    _measure(lot, people["inspector"], 2)
    client.get(f"/inspection-lots/{lot.pk}/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/inspection-lots/{lot.pk}/").status_code == 200

    _measure(lot, people["inspector"], 100)
    with CaptureQueriesContext(connection) as many:
        html = client.get(f"/inspection-lots/{lot.pk}/").content.decode()

    assert html.count('data-testid="measured"') == 102
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_viewer_sees_measurements_read_only(
    client_for: Callable[[User], Client], people: dict[str, User], lot: InspectionLot
) -> None:
    _measure(lot, people["inspector"], 3)

    html = _page(client_for(people["viewer"]), lot)

    table = html[html.index('data-testid="measurements"') :]
    assert "74.000" in table and "74.002" in table and "<input" not in table.split("</table>")[0]


# ----------------------------------------------------------------------------- switching


def test_the_switching_page_shows_states_and_their_history(
    client_for: Callable[[User], Client], people: dict[str, User], revision: PartRevision
) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        tightened = SwitchingState.objects.create(
            characteristic=_char("10"), supplier_name="Acme Castings", state="tightened",
            reason="2 of 5 consecutive lots not accepted",
        )  # fmt: skip
        SwitchingEvent.objects.create(
            state=tightened, from_state="normal", to_state="tightened",
            reason="2 of 5 consecutive lots not accepted", lot_number="LOT-2026-0007",
        )  # fmt: skip
        SwitchingState.objects.create(characteristic=_char("20"), supplier_name="Other")
    client = client_for(people["viewer"])

    response = client.get("/inspection/switching/", {"characteristic": _char("10").pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "Acme Castings" in html and "Other" not in html.split('data-testid="switching-states"')[1]
    )
    assert "Normal → Tightened after LOT-2026-0007" in html
    assert client.get("/inspection/switching/", {"characteristic": "x"}).status_code == 404
    outsider = client_for(UserFactory(username="outsider"))
    assert outsider.get("/inspection/switching/").status_code == 403
