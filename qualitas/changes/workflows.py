"""The change request workflow: draft → impact assessment → board review → approved →
implementing → verification → closed, plus rejected (by a board member, with the reason)
and withdrawn (from any open state, with the reason).

The change control board votes in parallel: each member signs "approved" with the
password (a step that keeps the change in board review), and the change is approved when
the board's rule for its type is met; one signed rejection rejects it. The originator
never votes. An emergency change may be implemented first and approved retrospectively
within QUALITAS_EMERGENCY_APPROVAL_DAYS. A verifier other than the owner signs the
verification, which closes the change.

This module is data: states, transitions and guards (pure predicates over the change).
What a step entails beyond the change of state is in `services.ENTAILS`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from qualitas.changes import readiness, training_impact
from qualitas.core.models import Meaning
from qualitas.core.workflow import Transition, Workflow

VIEW = "changes.view"
CREATE = "changes.create"
EDIT = "changes.edit"
VERIFY = "changes.verify"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    IMPACT_ASSESSMENT = "impact_assessment", "Impact assessment"
    BOARD_REVIEW = "board_review", "Board review"
    APPROVED = "approved", "Approved"
    IMPLEMENTING = "implementing", "Implementing"
    VERIFICATION = "verification", "Verification"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATES = (
    State.DRAFT,
    State.IMPACT_ASSESSMENT,
    State.BOARD_REVIEW,
    State.APPROVED,
    State.IMPLEMENTING,
    State.VERIFICATION,
)
# The assessment is what the board signs: answered before board review, frozen after.
ASSESSING = (State.DRAFT, State.IMPACT_ASSESSMENT)


def impact_answered(cr: Any) -> str | None:
    """A guard: every item of the type's checklist is answered."""
    missing = readiness.missing_items(cr)
    if missing:
        return f"Answer the impact assessment first: {', '.join(missing)}."
    return None


def is_emergency(cr: Any) -> str | None:
    if cr.urgency != "emergency":
        return "Only an emergency change is implemented before the board approves it."
    return None


def _emergency_unapproved(cr: Any) -> str | None:
    if cr.urgency != "emergency" or cr.approval_due_on is None:
        return "Only an emergency change implemented first is voted on while implementing."
    if cr.approved_at is not None:
        return "The board has approved this change already."
    return None


def awaiting_retrospective_approval(cr: Any) -> str | None:
    """A guard: an emergency change implemented first, assessed, not yet approved."""
    return _emergency_unapproved(cr) or impact_answered(cr)


def vote_open(cr: Any) -> str | None:
    """A guard: the board votes on a change in board review, or on an emergency change
    implemented first until it is approved."""
    if cr.state == State.IMPLEMENTING:
        return _emergency_unapproved(cr)
    return None


def plan_done(cr: Any) -> str | None:
    """A guard: every action done or cancelled, every revision made for the change in
    force, the training its impact calls for completed, and an emergency change approved by
    its board."""
    unfinished = readiness.plan_unfinished(cr) + training_impact.unfinished(cr)
    if cr.approved_at is None:
        unfinished.insert(0, "the change board has not approved the change yet")
    if unfinished:
        return "Not implemented yet: " + "; ".join(unfinished) + "."
    return None


def actions_done(cr: Any) -> str | None:
    """A guard: nothing of the plan is still open when the change is closed."""
    unfinished = readiness.plan_unfinished(cr)
    if unfinished:
        return "The change cannot be closed: " + "; ".join(unfinished) + "."
    return None


WORKFLOW = Workflow(
    initial=State.DRAFT,
    states=State,
    transitions=(
        Transition(
            "assess",
            (State.DRAFT,),
            State.IMPACT_ASSESSMENT,
            label="Start impact assessment",
            permission=EDIT,
            relations=("owner",),
            requires=("reason_for_change",),
        ),
        Transition(
            "submit_to_board",
            (State.IMPACT_ASSESSMENT,),
            State.BOARD_REVIEW,
            label="Send to the change board",
            permission=EDIT,
            relations=("owner",),
            guard=impact_answered,
            notify=("board",),
        ),
        Transition(
            "board_approve",
            (State.BOARD_REVIEW,),
            State.BOARD_REVIEW,
            label="Approve (change board)",
            signature=Meaning.APPROVED,
            relations=("board",),
            not_by=("originator",),
            distinct_from_signers=(Meaning.APPROVED,),
        ),
        Transition(
            "board_reject",
            (State.BOARD_REVIEW, State.IMPLEMENTING),
            State.REJECTED,
            label="Reject (change board)",
            # Core signatures have no "rejected" meaning: the signed rejection is a review,
            # its step and reason say it rejected the change.
            signature=Meaning.REVIEWED,
            relations=("board",),
            not_by=("originator",),
            distinct_from_signers=(Meaning.APPROVED,),
            guard=vote_open,
            comment_required=True,
            style="danger",
            notify=("owner", "originator"),
        ),
        Transition(
            "approve",
            (State.BOARD_REVIEW,),
            State.APPROVED,
            label="Approved by the change board",
            automatic=True,
            notify=("owner",),
        ),
        Transition(
            "implement",
            (State.APPROVED,),
            State.IMPLEMENTING,
            label="Start implementation",
            permission=EDIT,
            relations=("owner",),
        ),
        Transition(
            "implement_now",
            ASSESSING,
            State.IMPLEMENTING,
            label="Emergency: implement now",
            permission=EDIT,
            relations=("owner",),
            requires=("reason_for_change",),
            guard=is_emergency,
            comment_required=True,
            style="warning",
            notify=("board",),
        ),
        Transition(
            "approve_retrospectively",
            (State.IMPLEMENTING,),
            State.IMPLEMENTING,
            label="Approve emergency change (change board)",
            signature=Meaning.APPROVED,
            relations=("board",),
            not_by=("originator",),
            distinct_from_signers=(Meaning.APPROVED,),
            guard=awaiting_retrospective_approval,
        ),
        Transition(
            "implemented",
            (State.IMPLEMENTING,),
            State.VERIFICATION,
            label="Implemented: verify",
            permission=EDIT,
            relations=("owner",),
            guard=plan_done,
            notify=(VERIFY,),
        ),
        Transition(
            "return_to_implementing",
            (State.VERIFICATION,),
            State.IMPLEMENTING,
            label="Not verified: back to implementing",
            permission=VERIFY,
            comment_required=True,
            style="secondary",
            notify=("owner",),
        ),
        Transition(
            "close",
            (State.VERIFICATION,),
            State.CLOSED,
            label="Verified: close",
            permission=VERIFY,
            signature=Meaning.VERIFIED,
            not_by=("owner",),
            comment_required=True,
            guard=actions_done,
        ),
        Transition(
            "withdraw",
            OPEN_STATES,
            State.WITHDRAWN,
            permission=EDIT,
            relations=("owner", "originator"),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(State.CLOSED, State.REJECTED, State.WITHDRAWN),
)
