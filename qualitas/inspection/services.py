"""Inspection's public services: plans (items, approval that supersedes the revision before),
lots (opened with each characteristic's sample from the switching state in force, judged from
Ac/Re when the inspector signs, a rejection raising one nonconformance), and the switching
rules moved by every judged lot. Other modules call these, never the models."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from qualitas.core import audit, links, permissions, records, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.inspection import workflows as w
from qualitas.inspection.models import (
    Characteristic,
    InspectionLot,
    InspectionPlan,
    LotCheck,
    PartRevision,
    PlanItem,
    Sampling,
    Stage,
    SwitchingEvent,
    SwitchingState,
    SwitchingStateName,
    Verdict,
)
from qualitas.nonconformance import services as nonconformance
from qualitas.spc import sampling as aql_tables
from qualitas.spc.errors import SpcInputError
from qualitas.spc.switching import LotResult, next_inspection_state


def plan_type() -> records.RecordType:
    return records.RECORD_TYPES["inspectionplan"]


def lot_type() -> records.RecordType:
    return records.RECORD_TYPES["inspectionlot"]


# ----------------------------------------------------------------------------- plans


@audit.service
def create_plan(*, actor: User, **fields: Any) -> InspectionPlan:
    """A draft inspection plan for a part revision at a stage (its items are added next)."""
    revision = fields.get("part_revision")
    if isinstance(revision, PartRevision) and not revision.part.is_active:
        raise InvalidInput.for_field("part_revision", f"{revision.part.number} is not in use.")
    plan: InspectionPlan = records.create(plan_type(), actor=actor, **fields)
    return plan


@audit.service
def set_item(
    plan: InspectionPlan,
    *,
    actor: User,
    characteristic: Characteristic,
    sampling: str = Sampling.AQL,
    sample_size: int | None = None,
    acceptance_number: int = 0,
    inspection_level: str = "II",
    aql: float | None = None,
    skip_every: int | None = None,
    reaction: str = "",
) -> PlanItem:
    """Add a characteristic to a draft plan, or change how it is sampled."""
    with records.locked(plan) as current:
        if not records.may_edit(actor, current):
            raise PermissionDenied(f"You may not change {current.number}.")
        if current.state != w.PlanState.DRAFT:
            raise Conflict(f"{current.number} is {current.get_state_display()}: revise it.")
        if characteristic.revision_id != current.part_revision_id:
            raise InvalidInput.for_field(
                "characteristic", f"{characteristic} is not a characteristic of this revision."
            )
        _check_sampling(sampling, sample_size, acceptance_number, inspection_level, aql, skip_every)
        item, _ = PlanItem.objects.update_or_create(
            plan=current,
            characteristic=characteristic,
            defaults={
                "sampling": sampling,
                "sample_size": sample_size,
                "acceptance_number": acceptance_number,
                "inspection_level": inspection_level,
                "aql": aql,
                "skip_every": skip_every,
                "reaction": reaction,
            },
        )
        records.touch(current, actor)
    return item


def _check_sampling(
    sampling: str,
    sample_size: int | None,
    acceptance_number: int,
    level: str,
    aql: float | None,
    skip_every: int | None,
) -> None:
    if sampling not in Sampling.values:
        raise InvalidInput.for_field("sampling", f"Unknown sampling '{sampling}'.")
    if sampling == Sampling.FIXED:
        if not sample_size:
            raise InvalidInput.for_field("sample_size", "A fixed sample needs its size.")
        if acceptance_number >= sample_size:
            raise InvalidInput.for_field("acceptance_number", "Ac must be below the sample size.")
    if sampling in (Sampling.AQL, Sampling.SKIP_LOT):
        if aql is None:
            raise InvalidInput.for_field("aql", "Sampling by the tables needs an AQL.")
        try:  # the tables' own check: an AQL they hold, a level they know
            aql_tables.sampling_plan(1000, aql, level=level)
        except SpcInputError as exc:
            field = "inspection_level" if "level" in str(exc) else "aql"
            raise InvalidInput.for_field(field, str(exc)) from None
    if sampling == Sampling.SKIP_LOT and not (skip_every and skip_every >= 2):
        raise InvalidInput.for_field("skip_every", "Skip-lot inspects one lot in 2 or more.")


def _supersede_the_previous(plan: InspectionPlan, actor: User, comment: str) -> None:
    """Entailed by approval: the revision this plan replaces stops being in force."""
    if plan.supersedes_id is None:
        return
    previous = InspectionPlan.objects.get(pk=plan.supersedes_id)
    if previous.state == w.PlanState.APPROVED:
        workflow.fire(
            previous,
            "supersede",
            actor=actor,
            comment=f"Superseded by {plan.number} rev {plan.plan_revision}",
        )


@audit.service
def revise_plan(plan: InspectionPlan, *, actor: User) -> InspectionPlan:
    """A new draft revision of an approved plan, with its items; approving it supersedes
    this one."""
    if plan.state != w.PlanState.APPROVED:
        raise Conflict(f"Only an approved plan is revised; {plan.number} is {plan.state}.")
    letter = plan.plan_revision
    following = chr(ord(letter[-1]) + 1) if letter and letter[-1].isalpha() else f"{letter}.1"
    new: InspectionPlan = records.create(
        plan_type(),
        actor=actor,
        computed={
            "plan_revision": letter[:-1] + following if letter[-1:].isalpha() else following,
            "supersedes": plan,
        },
        title=plan.title,
        part_revision=plan.part_revision,
        stage=plan.stage,
        operation=plan.operation,
        description=plan.description,
        site=plan.site,
        department=plan.department,
    )
    for item in plan.items.all():
        item.pk = None
        item.plan = new
        item.save()
    return new


# ----------------------------------------------------------------------------- switching


def switching_state(characteristic: Characteristic, supplier_name: str) -> SwitchingState:
    state, _ = SwitchingState.objects.get_or_create(
        characteristic=characteristic, supplier_name=supplier_name.strip()
    )
    return state


def _move_switching(check: LotCheck, lot: InspectionLot, *, accepted: bool) -> None:
    """Feed one judged lot to the switching rules of its characteristic and supplier."""
    if check.sampling not in (Sampling.AQL, Sampling.SKIP_LOT) or check.skipped:
        return
    state = SwitchingState.objects.select_for_update().get(
        pk=switching_state(check.characteristic, lot.supplier_name).pk
    )
    entry = {
        "lot": lot.number,
        "accepted": accepted,
        "nonconforming": check.nonconforming,
        "acceptance_number": check.acceptance_number,
        "accepted_at_tighter_aql": (
            accepted
            and check.tighter_acceptance_number is not None
            and check.nonconforming <= check.tighter_acceptance_number
        ),
    }
    history = [*state.history, entry]
    if state.state == SwitchingStateName.DISCONTINUED:
        state.history = history
        state.save(update_fields=["history", "updated_at"])
        return
    result = next_inspection_state(
        [
            LotResult(
                accepted=h["accepted"],
                nonconforming=h["nonconforming"],
                acceptance_number=h["acceptance_number"],
                accepted_at_tighter_aql=h.get("accepted_at_tighter_aql"),
            )
            for h in history
        ],
        start=state.state,
        reduced_allowed=state.reduced_allowed,
    )
    if result.state != state.state:
        SwitchingEvent.objects.create(
            state=state,
            from_state=state.state,
            to_state=result.state,
            reason=result.reason,
            lot_number=lot.number,
        )
        state.state, state.reason, state.since, state.history = (
            result.state,
            result.reason,
            timezone.now(),
            [],
        )
    else:
        state.history = history
    state.save()


@audit.service
def consent_to_reduced(
    state: SwitchingState, *, actor: User, allowed: bool, reason: str
) -> SwitchingState:
    """The responsible authority's decision that reduced inspection may be used once the
    switching score allows it (ISO 2859-1:1999 9.3.3 c): production steady, and consent."""
    permissions.require(actor, w.APPROVE_PLAN)
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why (steady production, the evidence).")
    state = SwitchingState.objects.select_for_update().get(pk=state.pk)
    state.reduced_allowed = allowed
    state.save(update_fields=["reduced_allowed", "updated_at"])
    return state


@audit.service
def restore_inspection(state: SwitchingState, *, actor: User, reason: str) -> SwitchingState:
    """Discontinued inspection resumes, on tightened inspection, once the supplier has acted
    to improve quality and the responsible authority has approved the action (ISO
    2859-1:1999 9.4)."""
    permissions.require(actor, w.APPROVE_PLAN)
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say what the supplier did to improve quality.")
    state = SwitchingState.objects.select_for_update().get(pk=state.pk)
    if state.state != SwitchingStateName.DISCONTINUED:
        raise Conflict(f"Inspection is {state.get_state_display().lower()}, not discontinued.")
    SwitchingEvent.objects.create(
        state=state,
        from_state=state.state,
        to_state=SwitchingStateName.TIGHTENED,
        reason=f"Restored: {reason}"[:200],
    )
    state.state, state.reason, state.since, state.history = (
        SwitchingStateName.TIGHTENED,
        f"Restored: {reason}"[:200],
        timezone.now(),
        [],
    )
    state.save()
    return state


# ----------------------------------------------------------------------------- lots


def _check_for(item: PlanItem, lot_quantity: int, state: SwitchingState, index: int) -> LotCheck:
    """The sample one characteristic needs in this lot."""
    check = LotCheck(
        characteristic=item.characteristic,
        sampling=item.sampling,
        inspection=state.state,
    )
    if item.sampling == Sampling.HUNDRED_PERCENT:
        check.sample_size, check.acceptance_number, check.rejection_number = lot_quantity, 0, 1
        return check
    if item.sampling == Sampling.FIXED:
        n = min(item.sample_size or 1, lot_quantity)
        check.sample_size = n
        check.acceptance_number = item.acceptance_number
        check.rejection_number = item.acceptance_number + 1
        return check
    if state.state == SwitchingStateName.DISCONTINUED:
        raise Conflict(
            f"Inspection of {item.characteristic} from {state.supplier_name or 'production'} is "
            "discontinued (5 lots not accepted on tightened inspection) until the supplier "
            "has acted and the quality manager restores it."
        )
    plan = aql_tables.sampling_plan(
        lot_quantity, item.aql or 0, level=item.inspection_level, inspection=state.state
    )
    check.code_letter = plan.code_letter
    check.sample_size = plan.sample_size
    check.acceptance_number = plan.acceptance_number
    check.rejection_number = plan.rejection_number
    check.tighter_acceptance_number = _tighter_ac(item, lot_quantity, plan)
    if item.sampling == Sampling.SKIP_LOT and item.skip_every and index % item.skip_every:
        check.skipped, check.sample_size, check.result = True, 0, Verdict.ACCEPT
    return check


def _tighter_ac(item: PlanItem, lot_quantity: int, plan: Any) -> int | None:
    """Ac at the next tighter AQL for the same sample (ISO 2859-1:1999 9.3.3 b): what the
    switching score asks of a lot whose plan has Ac >= 2. None where there is no tighter
    column or the tighter plan takes another sample size (an arrow)."""
    if plan.inspection != "normal" or plan.acceptance_number < 2:
        return None
    index = aql_tables.AQLS.index(plan.aql)
    if index == 0:
        return None
    tighter = aql_tables.sampling_plan(
        lot_quantity, aql_tables.AQLS[index - 1], level=item.inspection_level
    )
    return tighter.acceptance_number if tighter.sample_size == plan.sample_size else 0


@audit.service
def open_lot(*, actor: User, **fields: Any) -> InspectionLot:
    """Open a lot against the approved plan in force: each characteristic's sample size and
    Ac/Re are fixed now, from its switching state for the lot's supplier."""
    plan = fields.get("plan")
    if not isinstance(plan, InspectionPlan):
        raise InvalidInput.for_field("plan", "Choose the inspection plan.")
    if plan.state != w.PlanState.APPROVED:
        raise InvalidInput.for_field(
            "plan", f"{plan.number} is {plan.get_state_display()}: only an approved plan is used."
        )
    quantity = fields.get("quantity") or 0
    if quantity < 1:
        raise InvalidInput.for_field("quantity", "A lot has at least one item.")
    items = list(plan.items.select_related("characteristic"))
    with transaction.atomic():
        lot: InspectionLot = records.create(
            lot_type(),
            actor=actor,
            computed={"stage": plan.stage, "part_revision": plan.part_revision},
            **fields,
        )
        index = InspectionLot.objects.filter(plan__part_revision=plan.part_revision).count()
        checks = []
        for item in items:
            state = switching_state(item.characteristic, lot.supplier_name)
            check = _check_for(item, quantity, state, index)
            check.lot = lot
            checks.append(check)
        for check in checks:  # each audited: the sample and Ac/Re the lot was judged by
            check.save()
    return lot


def judge(lot: InspectionLot) -> tuple[str, str, list[LotCheck]]:
    """The verdict from the counts: a check is rejected when its nonconforming items reach
    Re; the lot is rejected when any check is."""
    failing = []
    for check in lot.checks.select_related("characteristic"):
        if check.skipped:
            continue
        check.result = (
            Verdict.REJECT if check.nonconforming >= check.rejection_number else Verdict.ACCEPT
        )
        check.save(update_fields=["result"])
        if check.result == Verdict.REJECT:
            failing.append(check)
    if failing:
        reason = "; ".join(
            f"{c.characteristic.number} {c.characteristic.name}: {c.nonconforming} "
            f"nonconforming of {c.measured}, Re {c.rejection_number}"
            for c in failing
        )
        return Verdict.REJECT, reason, failing
    return Verdict.ACCEPT, "Every characteristic within its acceptance number.", []


NC_SOURCE: dict[str, str] = {
    Stage.INCOMING: "incoming_inspection",
    Stage.IN_PROCESS: "in_process",
    Stage.FIRST_ARTICLE: "in_process",
    Stage.FINAL: "final_inspection",
    Stage.OUTGOING: "final_inspection",
    Stage.REQUALIFICATION: "final_inspection",
}


def after_signing(lot: InspectionLot, actor: User, comment: str) -> None:
    """Entailed by the inspector's signature: judge, move the switching rules, and on a
    rejection raise the lot's one nonconformance."""
    verdict, reason, failing = judge(lot)
    lot.verdict, lot.verdict_reason = verdict, reason
    records.touch(lot, actor)
    for check in lot.checks.select_related("characteristic"):
        _move_switching(check, lot, accepted=check.result != Verdict.REJECT)
    workflow.fire(
        lot, "accept" if verdict == Verdict.ACCEPT else "reject", actor=actor, by_service=True
    )
    if verdict == Verdict.REJECT:
        _raise_nonconformance(lot, actor, reason, failing)


def _raise_nonconformance(
    lot: InspectionLot, actor: User, reason: str, failing: list[LotCheck]
) -> None:
    with records.locked(lot) as current:
        if current.nonconformance_number:  # once per lot
            return
        _raise_for(current, actor, reason, failing)


def _raise_for(lot: InspectionLot, actor: User, reason: str, failing: list[LotCheck]) -> None:
    worst = min(
        (c.characteristic.char_class for c in failing),
        key=["critical", "major", "minor"].index,
        default="major",
    )
    part = lot.part_revision.part
    nc = nonconformance.raise_nonconformance(
        actor=actor,
        title=f"Lot {lot.lot_number} of {part.number} rejected at "
        f"{lot.get_stage_display().lower()} inspection",
        source=NC_SOURCE.get(lot.stage, "other"),
        part_number=part.number,
        part_revision=lot.part_revision.revision,
        lot_number=lot.lot_number,
        quantity_affected=lot.quantity,
        quantity_nonconforming=sum(c.nonconforming for c in failing),
        severity=worst,
        requirement="; ".join(
            f"{c.characteristic.number} {c.characteristic.name}" for c in failing
        ),
        finding=f"{lot.number}: {reason}",
        supplier_name=lot.supplier_name,
        site=lot.site,
        department=lot.department,
    )
    lot.nonconformance_number = nc.number
    records.touch(lot, actor)
    links.add(nc, actor=actor, target=lot, kind="raised_from", note="Rejected lot")


def lot_summary(lot: InspectionLot) -> dict[str, Any]:
    """The lot's checks as the page and the API show them."""
    return {
        "verdict": lot.verdict,
        "reason": lot.verdict_reason,
        "nonconformance": lot.nonconformance_number or None,
        "checks": [
            {
                "characteristic": c.characteristic.number,
                "name": c.characteristic.name,
                **{
                    k: v
                    for k, v in asdict_check(c).items()
                    if k not in ("id", "lot", "characteristic")
                },
            }
            for c in lot.checks.select_related("characteristic")
        ],
    }


def asdict_check(check: LotCheck) -> dict[str, Any]:
    return {
        "sampling": check.sampling,
        "inspection": check.inspection,
        "code_letter": check.code_letter,
        "sample_size": check.sample_size,
        "acceptance_number": check.acceptance_number,
        "rejection_number": check.rejection_number,
        "measured": check.measured,
        "nonconforming": check.nonconforming,
        "skipped": check.skipped,
        "result": check.result,
    }


__all__ = [
    "after_signing",
    "consent_to_reduced",
    "create_plan",
    "judge",
    "lot_summary",
    "open_lot",
    "restore_inspection",
    "revise_plan",
    "set_item",
    "switching_state",
]
