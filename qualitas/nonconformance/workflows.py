"""The nonconformance workflow: open → containment → review → disposition → verification →
closed, with cancellation (and its reason) from any open state.

A split disposition must account for the whole nonconforming quantity; use-as-is and repair
(concessions) need two approval signatures, quality and engineering, by two different people,
neither of whom raised the nonconformance.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from qualitas.core import actions
from qualitas.core.models import Meaning
from qualitas.core.workflow import Transition, Workflow

VIEW = "nc.view"
CREATE = "nc.create"
EDIT = "nc.edit"
DISPOSE = "nc.disposition"
APPROVE_QUALITY = "nc.approve_quality"
APPROVE_ENGINEERING = "nc.approve_engineering"
CLOSE = "nc.close"
MANAGE_TAXONOMY = "nc.manage_taxonomy"


class State(models.TextChoices):
    OPEN = "open", "Open"
    CONTAINMENT = "containment", "Containment"
    REVIEW = "review", "Material review"
    DISPOSITION = "disposition", "Disposition"
    VERIFICATION = "verification", "Verification"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


def has_quantity(nc: Any) -> str | None:
    if not nc.quantity_nonconforming or nc.quantity_nonconforming <= 0:
        return "Give the nonconforming quantity first."
    return None


def disposition_covers_quantity(nc: Any) -> str | None:
    """A guard: the disposition lines add up to the nonconforming quantity."""
    lines = list(nc.disposition_lines.all())
    if not lines:
        return "Decide the disposition first (what happens to the nonconforming quantity)."
    total = sum((line.quantity for line in lines), Decimal(0))
    if total != nc.quantity_nonconforming:
        return (
            f"The disposition covers {total.normalize():f} {nc.unit}, but "
            f"{nc.quantity_nonconforming.normalize():f} {nc.unit} are nonconforming."
        )
    return None


def needs_concession(nc: Any) -> bool:
    from qualitas.nonconformance.models import Decision

    found: bool = nc.disposition_lines.filter(decision__in=Decision.concessions()).exists()
    return found


def _approval_pending(transition_name: str) -> Any:
    def guard(nc: Any) -> str | None:
        if not needs_concession(nc):
            return "No concession (use as is, repair) to approve."
        if nc.signatures.filter(transition=transition_name).exists():
            return "Already approved."
        return None

    guard.__name__ = f"{transition_name}_pending"
    return guard


def concession_approved(nc: Any) -> str | None:
    """A guard: a concession carries both approval signatures before it is carried out."""
    if not needs_concession(nc):
        return None
    signed = set(nc.signatures.values_list("transition", flat=True))
    approvals = {"approve_quality": "quality", "approve_engineering": "engineering"}
    missing = [label for name, label in approvals.items() if name not in signed]
    if missing:
        return f"The concession needs the {' and '.join(missing)} approval."
    return None


WORKFLOW = Workflow(
    initial=State.OPEN,
    states=State,
    transitions=(
        Transition(
            "contain",
            (State.OPEN,),
            State.CONTAINMENT,
            label="Start containment",
            permission=EDIT,
            relations=("owner",),
            requires=("severity", "defect_code", "finding"),
        ),
        Transition(
            "submit_review",
            (State.CONTAINMENT,),
            State.REVIEW,
            label="Send to material review",
            permission=EDIT,
            relations=("owner",),
            guard=has_quantity,
            notify=(DISPOSE,),
        ),
        Transition(
            "dispose",
            (State.REVIEW,),
            State.DISPOSITION,
            label="Decide disposition",
            permission=DISPOSE,
            guard=disposition_covers_quantity,
            notify=(APPROVE_QUALITY, APPROVE_ENGINEERING),
        ),
        Transition(
            "revise_disposition",
            (State.DISPOSITION,),
            State.REVIEW,
            label="Revise disposition",
            permission=DISPOSE,
            comment_required=True,
            style="secondary",
        ),
        Transition(
            "approve_quality",
            (State.DISPOSITION,),
            State.DISPOSITION,
            label="Approve concession (quality)",
            permission=APPROVE_QUALITY,
            signature=Meaning.APPROVED,
            not_by=("creator",),
            distinct_from_signers=(Meaning.APPROVED,),
            guard=_approval_pending("approve_quality"),
        ),
        Transition(
            "approve_engineering",
            (State.DISPOSITION,),
            State.DISPOSITION,
            label="Approve concession (engineering)",
            permission=APPROVE_ENGINEERING,
            signature=Meaning.APPROVED,
            not_by=("creator",),
            distinct_from_signers=(Meaning.APPROVED,),
            guard=_approval_pending("approve_engineering"),
        ),
        Transition(
            "carry_out",
            (State.DISPOSITION,),
            State.VERIFICATION,
            label="Disposition carried out",
            permission=DISPOSE,
            relations=("owner",),
            guard=concession_approved,
        ),
        Transition(
            "close",
            (State.VERIFICATION,),
            State.CLOSED,
            label="Verify and close",
            permission=CLOSE,
            signature=Meaning.VERIFIED,
            guard=actions.all_actions_done,
        ),
        Transition(
            "cancel",
            (State.OPEN, State.CONTAINMENT, State.REVIEW, State.DISPOSITION),
            State.CANCELLED,
            permission=EDIT,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(State.CLOSED, State.CANCELLED),
)
