"""The training gate: an inspector signs an inspection under its method documents only when
currently trained on those a requirement marks as gating (refused with 409 otherwise)."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import audit, workflow
from qualitas.core.errors import Conflict
from qualitas.core.models import Signature, User
from qualitas.documents.models import Document
from qualitas.inspection import services as inspection
from qualitas.inspection.models import Characteristic, InspectionLot, Part, PartRevision
from qualitas.training import services
from qualitas.training.models import JobRole, TrainingRecord
from tests.training.conftest import token

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspectors(cast: dict[str, User]) -> JobRole:
    role = services.create_job_role(actor=cast["coordinator"], name="Inspector")
    services.add_member(role, actor=cast["coordinator"], person=cast["inspector"])
    return role


@pytest.fixture
def lot(cast: dict[str, User], sop: Document, site: Any) -> InspectionLot:
    """An open lot, sample measured, under a plan whose one characteristic is measured by
    the method `sop`."""
    with audit.context(actor=None, actor_name="test fixture"):
        part = Part.objects.create(number="HSG-4471", name="Pump housing")
        revision = PartRevision.objects.create(part=part, revision="C")
        bore = Characteristic.objects.create(
            revision=revision, number="10", name="Bore", kind="variable", lsl=73.95,
            usl=74.05, unit="mm", method=sop,
        )  # fmt: skip
    planner, manager = cast["approver"], cast["coordinator"]
    plan = inspection.create_plan(
        actor=planner, title="Final HSG-4471", part_revision=revision, stage="final", site=site
    )
    inspection.set_item(
        plan, actor=planner, characteristic=bore, sampling="fixed", sample_size=2,
        acceptance_number=0,
    )  # fmt: skip
    plan = workflow.fire(plan, "approve", actor=manager, signature=token(manager, plan))
    opened = inspection.open_lot(
        actor=cast["inspector"], title="Lot 1", plan=plan, lot_number="1", quantity=10, site=site
    )
    with audit.context(actor=None, actor_name="test fixture"):
        for check in opened.checks.all():
            check.measured = check.sample_size
            check.save()
    return opened


def _sign(inspector: User, lot: InspectionLot) -> Any:
    return workflow.fire(lot, "sign_inspection", actor=inspector, signature=token(inspector, lot))


def test_an_untrained_inspector_is_refused_by_the_service(cast, sop, inspectors, lot) -> None:
    services.add_requirement(
        actor=cast["coordinator"], job_role=inspectors, document_number=sop.number, gating=True
    )

    with pytest.raises(Conflict, match=f"not currently trained on {sop.number}"):
        _sign(cast["inspector"], lot)
    assert InspectionLot.objects.get(pk=lot.pk).state == "open"
    assert not Signature.objects.filter(object_id=lot.pk, meaning="verified").exists()


def test_an_untrained_inspector_is_refused_with_409_by_the_api(
    cast, sop, inspectors, lot, api_for
) -> None:
    from tests.factories import PASSWORD

    services.add_requirement(
        actor=cast["coordinator"], job_role=inspectors, document_number=sop.number, gating=True
    )

    answer = api_for(cast["inspector"]).post(
        f"/inspection-lots/{lot.pk}/transitions/sign_inspection", {"password": PASSWORD}
    )

    assert answer.status_code == 409, answer.content
    assert sop.number in answer.json()["detail"]
    assert "not yet signed as read and understood" in answer.json()["detail"]
    assert InspectionLot.objects.get(pk=lot.pk).state == "open"


def test_a_trained_inspector_signs(cast, sop, inspectors, lot) -> None:
    inspector = cast["inspector"]
    services.add_requirement(
        actor=cast["coordinator"], job_role=inspectors, document_number=sop.number, gating=True
    )
    record = TrainingRecord.objects.get(person=inspector)
    services.complete_training(record, actor=inspector, signature=token(inspector, record))

    signed = _sign(inspector, lot)

    assert signed.state in ("accepted", "rejected", "inspected")


def test_training_on_a_superseded_revision_does_not_count(
    cast, sop, inspectors, lot, revise
) -> None:
    inspector = cast["inspector"]
    services.add_requirement(
        actor=cast["coordinator"], job_role=inspectors, document_number=sop.number, gating=True
    )
    record = TrainingRecord.objects.get(person=inspector)
    services.complete_training(record, actor=inspector, signature=token(inspector, record))
    revise(sop)

    with pytest.raises(Conflict, match="revision B is assigned to you"):
        _sign(inspector, lot)


def test_a_non_gating_requirement_does_not_block(cast, sop, inspectors, lot) -> None:
    services.add_requirement(
        actor=cast["coordinator"], job_role=inspectors, document_number=sop.number, gating=False
    )

    assert _sign(cast["inspector"], lot).state != "open"


def test_gating_applies_to_whoever_signs_not_only_the_audience(cast, sop, assembly, lot) -> None:
    """The inspector is not in the assembly department the requirement names, yet signs
    under the same gating procedure: they must be trained too."""
    services.add_requirement(
        actor=cast["coordinator"], department=assembly, document_number=sop.number, gating=True
    )

    with pytest.raises(Conflict, match="there is no training record of it"):
        _sign(cast["inspector"], lot)


def test_the_lot_page_says_why_the_step_is_closed(cast, sop, inspectors, lot) -> None:
    services.add_requirement(
        actor=cast["coordinator"], job_role=inspectors, document_number=sop.number, gating=True
    )

    offered = {a.transition.name: a for a in workflow.available(lot, cast["inspector"])}

    refusal = offered["sign_inspection"].refusals
    assert [r.code for r in refusal] == ["untrained"]
