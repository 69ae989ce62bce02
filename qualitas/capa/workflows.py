"""The CAPA workflow, 8D-compatible: initiated (D0-D2) → investigation with containment (D3)
→ root cause (D4) → action plan (D5, approved by signature) → implementation (D6) →
effectiveness check (D7) → closed (D8, signed by the quality manager). A failed
effectiveness check sends the CAPA back to root cause with the reason.

This module is data: states, transitions and guards (pure predicates over the CAPA). What a
transition entails besides the change of state is done by the service functions the record
type names in `entails` (`services.ENTAILS`)."""

from __future__ import annotations

from typing import Any

from django.db import models

from qualitas.core import actions
from qualitas.core.models import Meaning
from qualitas.core.workflow import Transition, Workflow

VIEW = "capa.view"
CREATE = "capa.create"
EDIT = "capa.edit"
APPROVE = "capa.approve"
CLOSE = "capa.close"


class State(models.TextChoices):
    INITIATED = "initiated", "Initiated"
    INVESTIGATION = "investigation", "Investigation"
    ROOT_CAUSE = "root_cause", "Root cause"
    ACTION_PLAN = "action_plan", "Action plan"
    IMPLEMENTATION = "implementation", "Implementation"
    EFFECTIVENESS = "effectiveness", "Effectiveness check"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


def has_actions(capa: Any) -> str | None:
    if not actions.actions_of(capa).exclude(state="cancelled").exists():
        return "Plan at least one corrective or preventive action first."
    return None


def effectiveness_passed(capa: Any) -> str | None:
    if capa.effectiveness_result != "passed":
        return "Record an effective result of the effectiveness check first."
    return None


def effectiveness_failed(capa: Any) -> str | None:
    if capa.effectiveness_result != "failed":
        return "Record the effectiveness check as not effective first."
    return None


OPEN_STATES = (
    State.INITIATED,
    State.INVESTIGATION,
    State.ROOT_CAUSE,
    State.ACTION_PLAN,
    State.IMPLEMENTATION,
    State.EFFECTIVENESS,
)

WORKFLOW = Workflow(
    initial=State.INITIATED,
    states=State,
    transitions=(
        Transition(
            "investigate",
            (State.INITIATED,),
            State.INVESTIGATION,
            label="Start investigation",
            permission=EDIT,
            relations=("owner",),
            requires=("problem_statement",),
        ),
        Transition(
            "confirm_containment",
            (State.INVESTIGATION,),
            State.ROOT_CAUSE,
            label="Containment confirmed",
            permission=EDIT,
            relations=("owner",),
            requires=("containment_summary",),
        ),
        Transition(
            "plan",
            (State.ROOT_CAUSE,),
            State.ACTION_PLAN,
            label="Root cause found",
            permission=EDIT,
            relations=("owner",),
            requires=("root_cause", "root_cause_category"),
        ),
        Transition(
            "approve_plan",
            (State.ACTION_PLAN,),
            State.IMPLEMENTATION,
            label="Approve the action plan",
            permission=APPROVE,
            signature=Meaning.APPROVED,
            not_by=("owner",),
            guard=has_actions,
            notify=("owner",),
        ),
        Transition(
            "implemented",
            (State.IMPLEMENTATION,),
            State.EFFECTIVENESS,
            label="Actions implemented",
            permission=EDIT,
            relations=("owner",),
            guard=actions.all_actions_done,
            requires=("effectiveness_criteria", "effectiveness_due_on"),
        ),
        Transition(
            "close",
            (State.EFFECTIVENESS,),
            State.CLOSED,
            label="Effective: close",
            permission=CLOSE,
            signature=Meaning.CLOSED,
            guard=effectiveness_passed,
        ),
        Transition(
            "not_effective",
            (State.EFFECTIVENESS,),
            State.ROOT_CAUSE,
            label="Not effective: back to root cause",
            permission=EDIT,
            relations=("owner",),
            comment_required=True,
            guard=effectiveness_failed,
            style="warning",
        ),
        Transition(
            "cancel",
            OPEN_STATES,
            State.CANCELLED,
            permission=EDIT,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(State.CLOSED, State.CANCELLED),
)
