"""The Statement of Applicability's workflow: draft → approved (signed by a manager who did
not prepare it) → superseded when the next revision is approved; a draft may be withdrawn
with the reason.

ISO/IEC 27001:2022 6.1.3 d asks the SoA to justify every Annex A control's inclusion and
every exclusion: a draft whose snapshot leaves any control unjustified is not approved.
The guard reads the snapshot (what is signed), not the live register.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from qualitas.compliance.services import MANAGE, VIEW_COVERAGE
from qualitas.core.models import Meaning
from qualitas.core.workflow import Transition, Workflow

VIEW = VIEW_COVERAGE  # an SoA shows what is excluded and what is weak, like coverage
EDIT = MANAGE
# Top management approves the SoA in most ISMSs (ISO 27001 5.1, 6.1.3): approvers as well as
# quality managers, never the person who prepared it.
APPROVE = "compliance.approve_soa"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"
    WITHDRAWN = "withdrawn", "Withdrawn"


def unjustified(snapshot: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Ref ids of controls included without a justification, and excluded without one."""
    included = [
        row["ref_id"]
        for row in snapshot
        if row["applicable"] and not str(row.get("justification", "")).strip()
    ]
    excluded = [
        row["ref_id"]
        for row in snapshot
        if not row["applicable"] and not str(row.get("justification", "")).strip()
    ]
    return included, excluded


def every_control_justified(soa: Any) -> str | None:
    """A guard: each Annex A control in the snapshot carries its justification."""
    if not soa.snapshot:
        return "The statement lists no Annex A controls: refresh it from the register."
    included, excluded = unjustified(soa.snapshot)
    if not included and not excluded:
        return None
    parts = []
    if included:
        parts.append(f"applicable without a justification for inclusion: {', '.join(included)}")
    if excluded:
        parts.append(f"excluded without a justification: {', '.join(excluded)}")
    return (
        "ISO/IEC 27001 6.1.3 d asks a reason for every control; "
        + "; ".join(parts)
        + ". Justify them in the register, then refresh the statement."
    )


WORKFLOW = Workflow(
    initial=State.DRAFT,
    states=State,
    transitions=(
        Transition(
            "approve",
            (State.DRAFT,),
            State.APPROVED,
            label="Approve (sign)",
            permission=APPROVE,
            signature=Meaning.APPROVED,
            # Whoever prepared or refreshed the content does not approve it.
            not_by=("preparer",),
            guard=every_control_justified,
            notify=("owner",),
        ),
        Transition(
            "supersede",
            (State.APPROVED,),
            State.SUPERSEDED,
            label="Superseded by the next revision",
            automatic=True,
        ),
        Transition(
            "withdraw",
            (State.DRAFT,),
            State.WITHDRAWN,
            permission=EDIT,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(State.APPROVED, State.SUPERSEDED, State.WITHDRAWN),
)
