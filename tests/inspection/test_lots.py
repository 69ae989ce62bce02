"""Inspection lots through the services: the sample each check needs (ISO 2859-1 Tables 1
and II-A/B/C by the switching state), the verdict from Ac/Re, the switching rules moved by
judged lots (ISO 2859-1:1999 clause 9), one nonconformance per rejected lot, plan approval
superseding the revision before.

The measurement counts are set on the checks directly here: what the ingest writes is
tested in test_ingest.py; these tests are about what follows from the counts."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core.errors import Conflict, InvalidInput
from qualitas.core.models import AuditEvent, Site, User
from qualitas.inspection import services
from qualitas.inspection.models import (
    Characteristic,
    InspectionLot,
    InspectionPlan,
    LotCheck,
    PartRevision,
    SwitchingEvent,
    SwitchingState,
)
from tests.factories import PASSWORD
from tests.inspection.conftest import sign

pytestmark = pytest.mark.django_db


def _open(people: dict[str, User], plan: InspectionPlan, lot: str, **fields: Any) -> Any:
    return services.open_lot(
        actor=people["inspector"], title=f"Lot {lot}", plan=plan, lot_number=lot,
        quantity=fields.pop("quantity", 1000), site=plan.site, **fields,
    )  # fmt: skip


def _found(lot: InspectionLot, **nonconforming: int) -> None:
    """The sample measured, with `nonconforming` items per characteristic number."""
    from qualitas.core import audit

    with audit.context(actor=None, actor_name="test fixture"):
        for check in lot.checks.select_related("characteristic"):
            check.measured = check.sample_size
            check.nonconforming = nonconforming.get(f"c{check.characteristic.number}", 0)
            check.save()


def _state(*, number: str, **values: Any) -> SwitchingState:
    from qualitas.core import audit

    with audit.context(actor=None, actor_name="test fixture"):
        return SwitchingState.objects.create(
            characteristic=Characteristic.objects.get(number=number), **values
        )


def _judged(people: dict[str, User], lot: InspectionLot, **nonconforming: int) -> Any:
    _found(lot, **nonconforming)
    sign(people["inspector"], lot, "sign_inspection")
    lot.refresh_from_db()
    return lot


def test_a_lot_takes_its_samples_from_the_tables(people: dict, plan: InspectionPlan) -> None:
    lot = _open(people, plan, "2611")

    checks = {c.characteristic.number: c for c in lot.checks.select_related("characteristic")}
    # ISO 2859-1 Table 1: 1,000 at level II is letter J; Table II-A, AQL 1.0: n 80, Ac 2, Re 3.
    assert (checks["10"].code_letter, checks["10"].sample_size) == ("J", 80)
    assert (checks["10"].acceptance_number, checks["10"].rejection_number) == (2, 3)
    assert (checks["20"].sample_size, checks["20"].acceptance_number) == (5, 0)
    assert lot.state == "open" and lot.stage == "incoming"


def test_signing_before_the_sample_is_measured_is_refused(
    people: dict, plan: InspectionPlan
) -> None:
    lot = _open(people, plan, "2612")

    with pytest.raises(Exception, match="Measure the whole sample first"):
        sign(people["inspector"], lot, "sign_inspection")
    assert InspectionLot.objects.get(pk=lot.pk).state == "open"


def test_the_verdict_follows_ac_and_re(people: dict, plan: InspectionPlan) -> None:
    accepted = _judged(people, _open(people, plan, "A"), c10=2)
    rejected = _judged(people, _open(people, plan, "B"), c10=3)

    assert (accepted.state, accepted.verdict) == ("accepted", "accept")
    assert (rejected.state, rejected.verdict) == ("rejected", "reject")
    assert "10 Bore Ø74: 3 nonconforming of 80, Re 3" in rejected.verdict_reason


def test_a_rejected_lot_raises_one_nonconformance_linked_to_it(
    people: dict, plan: InspectionPlan
) -> None:
    from qualitas.core.links import links_of
    from qualitas.nonconformance.models import Nonconformance

    lot = _judged(people, _open(people, plan, "2613", supplier_name="Acme Castings"), c20=1)

    nc = Nonconformance.objects.get(number=lot.nonconformance_number)
    assert (nc.source, nc.severity, nc.lot_number) == ("incoming_inspection", "critical", "2613")
    assert (nc.part_number, nc.part_revision, nc.supplier_name) == (
        "HSG-4471",
        "C",
        "Acme Castings",
    )
    assert nc.quantity_nonconforming == 1 and "20 Burr free" in nc.requirement
    assert any(
        v.link.kind == "raised_from" and v.other == lot for v in links_of(nc, viewer=people["qm"])
    )
    services._raise_nonconformance(lot, people["inspector"], "again", [])  # a second call
    assert Nonconformance.objects.filter(lot_number="2613").count() == 1


def test_two_rejections_in_five_lots_tighten_inspection(people: dict, plan: InspectionPlan) -> None:
    """ISO 2859-1:1999 9.3.2: normal → tightened when 2 of 5 or fewer consecutive lots are
    not accepted; the next lot's sample comes from Table II-B (J, AQL 1.0: n 80, Ac 1 Re 2)."""
    supplier = {"supplier_name": "Acme Castings"}
    _judged(people, _open(people, plan, "1", **supplier), c10=3)
    _judged(people, _open(people, plan, "2", **supplier))
    _judged(people, _open(people, plan, "3", **supplier), c10=3)

    state = SwitchingState.objects.get(characteristic__number="10", supplier_name="Acme Castings")
    assert state.state == "tightened"
    assert SwitchingEvent.objects.get(state=state).lot_number.startswith("LOT-")
    check = _open(people, plan, "4", **supplier).checks.get(characteristic__number="10")
    assert (check.inspection, check.sample_size, check.acceptance_number) == ("tightened", 80, 1)
    other = _open(people, plan, "5", supplier_name="Other Foundry")
    assert other.checks.get(characteristic__number="10").inspection == "normal"


def test_five_accepted_on_tightened_return_to_normal(people: dict, plan: InspectionPlan) -> None:
    """ISO 2859-1:1999 9.3.3: tightened → normal after 5 consecutive lots accepted."""
    _state(number="10", state="tightened")
    for n in range(5):
        _judged(people, _open(people, plan, f"T{n}"))

    assert SwitchingState.objects.get(supplier_name="", characteristic__number="10").state == (
        "normal"
    )


def test_five_rejected_on_tightened_discontinue_inspection(
    people: dict, plan: InspectionPlan
) -> None:
    """ISO 2859-1:1999 9.4: 5 lots not accepted on tightened → discontinue; no new lot is
    opened against the characteristic until the quality manager restores it."""
    _state(number="10", state="tightened")
    for n in range(5):
        _judged(people, _open(people, plan, f"D{n}"), c10=2)

    assert SwitchingState.objects.get(characteristic__number="10").state == "discontinued"
    with pytest.raises(Conflict, match="discontinued"):
        _open(people, plan, "D5")


def test_reduced_needs_consent_and_a_score_of_30(people: dict, plan: InspectionPlan) -> None:
    """ISO 2859-1:1999 9.3.3: with Ac >= 2 (J, AQL 1.0: Ac 2) an accepted lot adds 3 to the
    switching score if it would also have been accepted one AQL step tighter (AQL 0.65: n 80,
    Ac 1), else the score goes back to 0; at 30, reduced inspection starts where the
    responsible authority has consented. The sample then comes from Table II-C (J reduced,
    AQL 1.0: n 32, Ac 1)."""
    _state(number="10", reduced_allowed=True)
    for n in range(9):
        _judged(people, _open(people, plan, f"R{n}"))
    _judged(people, _open(people, plan, "R9"), c10=2)  # accepted, not at the tighter AQL
    bore = SwitchingState.objects.get(characteristic__number="10")
    assert bore.state == "normal" and bore.history[-1]["accepted_at_tighter_aql"] is False

    for n in range(10):
        _judged(people, _open(people, plan, f"S{n}"), c10=1)  # 1 <= tighter Ac 1: +3 each

    bore.refresh_from_db()
    assert bore.state == "reduced" and bore.reason == "switching score reached 30"
    check = _open(people, plan, "S10").checks.get(characteristic__number="10")
    assert (check.inspection, check.sample_size) == ("reduced", 32)


def test_without_consent_the_score_never_reduces(people: dict, plan: InspectionPlan) -> None:
    for n in range(10):
        _judged(people, _open(people, plan, f"N{n}"))

    assert SwitchingState.objects.get(characteristic__number="10").state == "normal"


def test_only_an_approved_plan_is_used(people: dict, revision: PartRevision, site: Site) -> None:
    draft = services.create_plan(
        actor=people["planner"], title="Draft", part_revision=revision, stage="final", site=site
    )

    with pytest.raises(InvalidInput) as refused:
        _open(people, draft, "X")
    assert refused.value.errors[0].field == "plan"
    assert not InspectionLot.objects.exists()


def test_a_plan_item_needs_an_aql_from_the_table(
    people: dict, revision: PartRevision, site: Site
) -> None:
    draft = services.create_plan(
        actor=people["planner"], title="Draft", part_revision=revision, stage="final", site=site
    )
    bore = revision.characteristics.get(number="10")

    with pytest.raises(InvalidInput) as refused:
        services.set_item(draft, actor=people["planner"], characteristic=bore, aql=0.7)
    assert refused.value.errors[0].field == "aql"
    with pytest.raises(Exception, match="may not"):
        services.set_item(draft, actor=people["viewer"], characteristic=bore, aql=1.0)


def test_approving_a_revision_supersedes_the_plan_before(
    people: dict, plan: InspectionPlan
) -> None:
    revised = services.revise_plan(plan, actor=people["planner"])
    assert (revised.plan_revision, revised.state, revised.items.count()) == ("B", "draft", 2)

    sign(people["qm"], revised, "approve")

    plan.refresh_from_db()
    assert plan.state == "superseded"
    assert AuditEvent.objects.filter(object_id=str(plan.pk), action="transition").exists()


def test_a_plan_is_not_approved_by_its_author_nor_empty(
    people: dict, revision: PartRevision, site: Site
) -> None:
    empty = services.create_plan(
        actor=people["planner"], title="Empty", part_revision=revision, stage="final", site=site
    )

    with pytest.raises(Exception, match="at least one characteristic"):
        sign(people["qm"], empty, "approve")
    bore = revision.characteristics.get(number="10")
    services.set_item(empty, actor=people["planner"], characteristic=bore, aql=1.0)
    with pytest.raises(Exception):  # noqa: B017 - the core's refusal type
        sign(people["planner"], empty, "approve")
    assert InspectionPlan.objects.get(pk=empty.pk).state == "draft"
    assert LotCheck.objects.count() == 0


def _nc_in_disposition(people: dict, lot: InspectionLot, *decisions: tuple[str, int]) -> Any:
    """The lot's NC through containment and review to its decided disposition."""
    from decimal import Decimal

    from qualitas.core import workflow
    from qualitas.nonconformance import services as ncs
    from qualitas.nonconformance.models import Nonconformance
    from qualitas.nonconformance.services import DispositionInput

    nc = Nonconformance.objects.get(number=lot.nonconformance_number)
    category = ncs.add_defect_category(actor=people["qm"], code="dim", name="Dimensional")
    code = ncs.add_defect_code(actor=people["qm"], category=category, code="D1", name="Burr")
    nc = ncs.change_nonconformance(
        nc, actor=people["qm"], expected_version=nc.version, defect_code=code
    )
    nc = workflow.fire(nc, "contain", actor=people["qm"], comment="Lot quarantined")
    nc = workflow.fire(nc, "submit_review", actor=people["qm"])
    lines = [DispositionInput(decision, Decimal(quantity)) for decision, quantity in decisions]
    nc = ncs.set_disposition(nc, actor=people["qm"], lines=lines, expected_version=nc.version)
    return workflow.fire(nc, "dispose", actor=people["qm"])


def _release(people: dict, lot: InspectionLot) -> Any:
    from qualitas.core import signatures, workflow

    return workflow.fire(
        lot,
        "release_on_concession",
        actor=people["qm"],
        signature=signatures.authenticate(people["qm"], PASSWORD, subject=lot),
        comment="Released on the NC's concession: cosmetic only",
    )


def test_a_rejected_lot_is_released_only_on_its_approved_concession(
    people: dict, plan: InspectionPlan
) -> None:
    lot = _judged(people, _open(people, plan, "2620"), c20=1)
    assert lot.state == "rejected"

    with pytest.raises(InvalidInput, match="no disposition is decided yet"):
        _release(people, lot)
    nc = _nc_in_disposition(people, lot, ("use_as_is", 1))
    with pytest.raises(InvalidInput, match="awaits its quality approval"):
        _release(people, lot)
    nc = sign(people["qm"], nc, "approve_quality")
    with pytest.raises(InvalidInput, match="awaits its engineering approval"):
        _release(people, lot)
    sign(people["planner"], nc, "approve_engineering")

    released = _release(people, lot)

    assert released.state == "released_on_concession"
    assert AuditEvent.objects.filter(
        object_id=lot.pk, action="transition", changes__transition="release_on_concession"
    ).exists()


def test_scrap_is_no_concession(people: dict, plan: InspectionPlan) -> None:
    lot = _judged(people, _open(people, plan, "2621"), c20=1)
    _nc_in_disposition(people, lot, ("scrap", 1))

    with pytest.raises(InvalidInput, match="grants no concession"):
        _release(people, lot)
    assert InspectionLot.objects.get(pk=lot.pk).state == "rejected"
