"""The revision workflow: draft → in review → approved → effective → superseded, and
obsolete (withdrawn) with a reason.

Reviews and approvals are per person (`SignOff`), so they are services, not transitions:
the last approver's signature fires `approve`, and the effective date fires
`make_effective` (at once, or from `qualitas tick`), which supersedes the revision before.
Those transitions are `automatic`: nobody fires them from a button or the API.

This module is data: states, transitions and guards (pure predicates over the revision).
What happens besides the change of state (sign-offs opened or voided, the document made
obsolete) is done by the service functions the record type names in `entails` (services.ENTAILS).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from qualitas.core.workflow import Transition, Workflow

VIEW = "documents.view"
AUTHOR = "documents.author"
CONTROL = "documents.control"
APPROVE = "documents.approve"
HISTORY = "documents.view_history"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    EFFECTIVE = "effective", "Effective"
    SUPERSEDED = "superseded", "Superseded"
    OBSOLETE = "obsolete", "Obsolete"


# Content is frozen from review on: changing it means back to draft or a new revision.
FROZEN = (State.IN_REVIEW, State.APPROVED, State.EFFECTIVE, State.SUPERSEDED, State.OBSOLETE)
# States a revision can still move out of toward being effective.
IN_PROGRESS = (State.DRAFT, State.IN_REVIEW, State.APPROVED)


def this_rounds_signoffs(revision: Any) -> list[Any]:
    """This round's reviews and approvals, reviews first (voided ones belong to earlier
    rounds). Read through the revision, so the guards need neither models nor queries."""
    steps = revision.signoffs.exclude(outcome="voided").select_related("person", "signature")
    return sorted(steps, key=lambda s: (s.kind != "review", s.position, s.pk))


def ready_for_review(revision: Any) -> str | None:
    """Content, approvers, and (from the second revision) what changed."""
    problems = []
    has_files = revision.attachments.filter(removed_at__isnull=True).exists()
    if not revision.content_text.strip() and not has_files:
        problems.append("Write the content or upload a file first.")
    if revision.sequence > 1 and not revision.change_summary.strip():
        problems.append("Summarise what changed from the last revision.")
    steps = this_rounds_signoffs(revision)
    if not any(s.kind == "approval" for s in steps):
        problems.append("Choose at least one approver.")
    if any(s.person_id == revision.owner_id for s in steps if s.kind == "approval"):
        problems.append("The author cannot approve their own revision: choose another approver.")
    return " ".join(problems) or None


def all_approved(revision: Any) -> str | None:
    done = {"review": "accepted", "approval": "signed"}
    if any(s.outcome != done[s.kind] for s in this_rounds_signoffs(revision)):
        return "Every reviewer must accept and every approver sign first."
    return None


WORKFLOW = Workflow(
    initial=State.DRAFT,
    states=State,
    transitions=(
        Transition(
            "submit",
            (State.DRAFT,),
            State.IN_REVIEW,
            label="Send for review",
            permission=CONTROL,
            relations=("owner",),
            requires=("title",),
            guard=ready_for_review,
        ),
        Transition(
            "return_to_draft",
            (State.IN_REVIEW, State.APPROVED),
            State.DRAFT,
            label="Back to draft",
            permission=CONTROL,
            relations=("owner", "reviewer", "approver"),
            comment_required=True,
            notify=("owner",),
            style="warning",
        ),
        Transition(
            "approve",
            (State.IN_REVIEW,),
            State.APPROVED,
            relations=("approver",),
            guard=all_approved,
            automatic=True,
            notify=("owner",),
        ),
        Transition(
            "make_effective",
            (State.APPROVED,),
            State.EFFECTIVE,
            label="Make effective",
            permission=CONTROL,
            relations=("approver",),
            automatic=True,
        ),
        Transition(
            "supersede",
            (State.EFFECTIVE,),
            State.SUPERSEDED,
            permission=CONTROL,
            relations=("approver",),
            automatic=True,
        ),
        Transition(
            "withdraw",
            (State.DRAFT, State.IN_REVIEW, State.APPROVED, State.EFFECTIVE),
            State.OBSOLETE,
            label="Withdraw (obsolete)",
            permission=CONTROL,
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=FROZEN,
)
