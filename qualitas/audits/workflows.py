"""The workflows of audit programmes, audits and findings, as data.

Programme: draft → approved (signed) → superseded by its next revision; a draft withdrawn.
Audit (ISO 19011 6): planned → prepared → in progress → reporting → follow-up → closed,
cancelled with a reason before the report. The report is signed by the lead auditor.
Finding: a nonconformity (major or minor) is open until its corrective action is raised,
then verified and closed only when the CAPA is closed and found effective; an observation
or an opportunity for improvement is closed with the auditee's response.

Guards are pure predicates over the record, apart from those that read the state of the
audit's children (`readiness`)."""

from __future__ import annotations

from django.db import models

from qualitas.audits import readiness
from qualitas.core.models import Meaning
from qualitas.core.workflow import Transition, Workflow

VIEW = "audits.view"
PLAN = "audits.plan"
APPROVE_PROGRAMME = "audits.approve_programme"
OVERRIDE_INDEPENDENCE = "audits.override_independence"
VERIFY = "audits.verify"
MANAGE_BANKS = "audits.manage_question_banks"


class ProgrammeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"
    WITHDRAWN = "withdrawn", "Withdrawn"


PROGRAMME_WORKFLOW = Workflow(
    initial=ProgrammeState.DRAFT,
    states=ProgrammeState,
    transitions=(
        Transition(
            "approve",
            (ProgrammeState.DRAFT,),
            ProgrammeState.APPROVED,
            label="Approve (sign)",
            permission=APPROVE_PROGRAMME,
            signature=Meaning.APPROVED,
            guard=readiness.programme_has_entries,
            notify=("owner",),
        ),
        Transition(
            "supersede",
            (ProgrammeState.APPROVED,),
            ProgrammeState.SUPERSEDED,
            label="Superseded by the next revision",
            automatic=True,
        ),
        Transition(
            "withdraw",
            (ProgrammeState.DRAFT,),
            ProgrammeState.WITHDRAWN,
            permission=PLAN,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(ProgrammeState.APPROVED, ProgrammeState.SUPERSEDED, ProgrammeState.WITHDRAWN),
)


class State(models.TextChoices):
    PLANNED = "planned", "Planned"
    PREPARED = "prepared", "Prepared"
    IN_PROGRESS = "in_progress", "In progress"
    REPORTING = "reporting", "Reporting"
    FOLLOW_UP = "follow_up", "Follow-up"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# While the checklist may be answered and findings recorded.
FIELDWORK = (State.IN_PROGRESS, State.REPORTING)
# While the plan (scope, criteria, team, checklist) may change.
PLANNING = (State.PLANNED, State.PREPARED)

WORKFLOW = Workflow(
    initial=State.PLANNED,
    states=State,
    transitions=(
        Transition(
            "prepare",
            (State.PLANNED,),
            State.PREPARED,
            label="Mark prepared",
            permission=PLAN,
            relations=("owner", "lead_auditor"),
            guard=readiness.ready_to_prepare,
            notify=("team",),
        ),
        Transition(
            "start",
            (State.PREPARED,),
            State.IN_PROGRESS,
            label="Start the audit",
            relations=("lead_auditor",),
            guard=readiness.team_independent,
        ),
        Transition(
            "finish_fieldwork",
            (State.IN_PROGRESS,),
            State.REPORTING,
            label="Finish fieldwork",
            relations=("lead_auditor",),
            guard=readiness.checklist_answered,
        ),
        Transition(
            "issue_report",
            (State.REPORTING,),
            State.FOLLOW_UP,
            label="Sign and issue the report",
            relations=("lead_auditor",),
            signature=Meaning.APPROVED,
            guard=readiness.report_written,
            notify=("owner", "auditee"),
        ),
        Transition(
            "close",
            (State.FOLLOW_UP,),
            State.CLOSED,
            label="Close the audit",
            permission=VERIFY,
            relations=("lead_auditor",),
            guard=readiness.findings_closed,
        ),
        Transition(
            "cancel",
            (State.PLANNED, State.PREPARED, State.IN_PROGRESS),
            State.CANCELLED,
            permission=PLAN,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(State.FOLLOW_UP, State.CLOSED, State.CANCELLED),
)


class FindingState(models.TextChoices):
    OPEN = "open", "Open"
    ACTION = "action", "Corrective action"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


FINDING_WORKFLOW = Workflow(
    initial=FindingState.OPEN,
    states=FindingState,
    transitions=(
        Transition(
            "raise_action",
            (FindingState.OPEN,),
            FindingState.ACTION,
            label="Corrective action raised",
            automatic=True,
        ),
        Transition(
            "verify",
            (FindingState.ACTION,),
            FindingState.CLOSED,
            label="Verify and close (sign)",
            permission=VERIFY,
            signature=Meaning.VERIFIED,
            # The auditee who owns the correction does not verify it.
            not_by=("owner",),
            guard=readiness.corrective_action_effective,
        ),
        Transition(
            "close",
            (FindingState.OPEN,),
            FindingState.CLOSED,
            label="Close with the response",
            permission=VERIFY,
            relations=("owner",),
            guard=readiness.not_a_nonconformity,
            comment_required=True,
        ),
        Transition(
            "cancel",
            (FindingState.OPEN, FindingState.ACTION),
            FindingState.CANCELLED,
            permission=VERIFY,
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(FindingState.CLOSED, FindingState.CANCELLED),
)
