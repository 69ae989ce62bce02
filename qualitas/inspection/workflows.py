"""Inspection plans are approved by signature and superseded by their next revision; an
inspection lot is measured, judged from the plan's Ac/Re, signed by its inspector, and
released or held; a rejected lot is released only by a concession on its nonconformance."""

from __future__ import annotations

from typing import Any

from django.db import models

from qualitas.core.models import Meaning
from qualitas.core.workflow import Transition, Workflow

VIEW = "inspection.view"
MANAGE_PARTS = "inspection.manage_parts"
PLAN = "inspection.plan"
APPROVE_PLAN = "inspection.approve_plan"
INSPECT = "inspection.inspect"
RELEASE = "inspection.release"
EDIT = "inspection.edit"


def plan_has_items(plan: Any) -> str | None:
    return None if plan.items.exists() else "A plan needs at least one characteristic."


def concession_granted(lot: Any) -> str | None:
    """A rejected lot is released only on its nonconformance's approved concession."""
    from qualitas.nonconformance import services as nonconformance

    return nonconformance.concession_refusal(lot.nonconformance_number)


def lot_measured(lot: Any) -> str | None:
    """The inspector signs only when every check has its sample measured, or has already
    found enough nonconforming items to reject."""
    short = [
        c
        for c in lot.checks.select_related("characteristic")
        if not c.skipped and c.measured < c.sample_size and c.nonconforming < c.rejection_number
    ]
    if not short:
        return None
    named = ", ".join(
        f"{c.characteristic.number} ({c.measured} of {c.sample_size})" for c in short[:5]
    )
    return f"Measure the whole sample first: {named}."


def inspection_methods(lot: Any) -> list[str]:
    """The inspection method documents of the lot's plan: the inspector signs under them,
    so the training gate asks that they be trained on the gating ones."""
    numbers = lot.plan.items.filter(characteristic__method__isnull=False).values_list(
        "characteristic__method__number", flat=True
    )
    return sorted(set(numbers))


class PlanState(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"
    WITHDRAWN = "withdrawn", "Withdrawn"


PLAN_WORKFLOW = Workflow(
    initial=PlanState.DRAFT,
    states=PlanState,
    transitions=(
        Transition(
            "approve",
            (PlanState.DRAFT,),
            PlanState.APPROVED,
            label="Approve and sign",
            permission=APPROVE_PLAN,
            signature=Meaning.APPROVED,
            not_by=("creator",),
            guard=plan_has_items,
        ),
        Transition(
            "supersede",
            (PlanState.APPROVED,),
            PlanState.SUPERSEDED,
            permission=PLAN,
            comment_required=True,
        ),
        Transition(
            "withdraw",
            (PlanState.DRAFT,),
            PlanState.WITHDRAWN,
            permission=PLAN,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(PlanState.APPROVED, PlanState.SUPERSEDED, PlanState.WITHDRAWN),
)


class LotState(models.TextChoices):
    OPEN = "open", "Open"
    INSPECTED = "inspected", "Inspected"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    RELEASED_ON_CONCESSION = "released_on_concession", "Released on concession"
    CANCELLED = "cancelled", "Cancelled"


LOT_WORKFLOW = Workflow(
    initial=LotState.OPEN,
    states=LotState,
    transitions=(
        # The inspector signs that the sample was inspected as the plan says; the verdict
        # (accept or reject) follows from the counts, never from a choice.
        Transition(
            "sign_inspection",
            (LotState.OPEN,),
            LotState.INSPECTED,
            label="Sign the inspection",
            permission=INSPECT,
            signature=Meaning.VERIFIED,
            guard=lot_measured,
            works_under=inspection_methods,
        ),
        Transition(
            "accept", (LotState.INSPECTED,), LotState.ACCEPTED, permission=INSPECT, automatic=True
        ),
        Transition(
            "reject", (LotState.INSPECTED,), LotState.REJECTED, permission=INSPECT, automatic=True
        ),
        Transition(
            "release_on_concession",
            (LotState.REJECTED,),
            LotState.RELEASED_ON_CONCESSION,
            label="Release on concession",
            permission=RELEASE,
            signature=Meaning.RELEASED,
            comment_required=True,
            guard=concession_granted,
        ),
        Transition(
            "cancel",
            (LotState.OPEN,),
            LotState.CANCELLED,
            permission=EDIT,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(
        LotState.ACCEPTED,
        LotState.REJECTED,
        LotState.RELEASED_ON_CONCESSION,
        LotState.CANCELLED,
    ),
)


MANAGE_GAUGES = "inspection.manage_gauges"
CALIBRATE = "inspection.calibrate"
VERIFY_CALIBRATION = "inspection.verify_calibration"


class CalibrationState(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    VERIFIED = "verified", "Verified"
    WITHDRAWN = "withdrawn", "Withdrawn"


CALIBRATION_WORKFLOW = Workflow(
    initial=CalibrationState.RECORDED,
    states=CalibrationState,
    transitions=(
        # The result is confirmed by a second person's signature (the one who measured may
        # not verify their own readings).
        Transition(
            "verify",
            (CalibrationState.RECORDED,),
            CalibrationState.VERIFIED,
            label="Verify and sign",
            permission=VERIFY_CALIBRATION,
            signature=Meaning.VERIFIED,
            not_by=("creator",),
        ),
        Transition(
            "withdraw",
            (CalibrationState.RECORDED,),
            CalibrationState.WITHDRAWN,
            permission=CALIBRATE,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(CalibrationState.VERIFIED, CalibrationState.WITHDRAWN),
)
