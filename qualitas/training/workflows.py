"""A training record is assigned, then signed by the trainee ("read and understood" for a
document, "trained" for a course); on-the-job training is complete only when the trainer
signs the trainee competent. A certificate with a validity lapses (expired) and is assigned
again; an assignment no longer needed is cancelled."""

from __future__ import annotations

from typing import Any

from django.db import models

from qualitas.core.models import Meaning
from qualitas.core.workflow import NotYet, Transition, Workflow

VIEW = "training.view"
VIEW_RECORDS = "training.view_records"
MANAGE = "training.manage"
ASSESS = "training.assess"


class State(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    AWAITING_TRAINER = "awaiting_trainer", "Awaiting the trainer"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


def is_document_reading(record: Any) -> str | None:
    return None if record.document_id is not None else "This record is for a course."


def is_course(record: Any) -> str | None:
    if record.course_id is None:
        return "This record is for a document: sign it as read and understood."
    if record.course.kind == "on_the_job":
        return "On-the-job training: sign it as trained, then the trainer signs you competent."
    return None


def is_on_the_job(record: Any) -> str | None:
    """On-the-job training is signed off by a named trainer, so one must be named first."""
    if record.course_id is None or record.course.kind != "on_the_job":
        return "Only on-the-job training needs the trainer's signature."
    return None if record.trainer_id is not None else "Name the trainer first."


def quiz_passed(record: Any) -> str | None:
    """A course with a quiz (active questions and a pass mark) is signed only after the
    trainee has passed it; attempts are kept, so one pass is enough."""
    course = record.course
    if course is None or course.pass_mark is None:
        return None
    if not course.quiz_questions.filter(active=True).exists():
        return None
    if record.quiz_attempts.filter(passed=True).exists():
        return None
    return NotYet(
        f"Pass the quiz of {course.code} first (pass mark {course.pass_mark}%): "
        "take it from My training."
    )


def is_course_with_quiz_passed(record: Any) -> str | None:
    return is_course(record) or quiz_passed(record)


def is_on_the_job_with_quiz_passed(record: Any) -> str | None:
    return is_on_the_job(record) or quiz_passed(record)


WORKFLOW = Workflow(
    initial=State.ASSIGNED,
    states=State,
    transitions=(
        Transition(
            "acknowledge",
            (State.ASSIGNED,),
            State.COMPLETED,
            label="Sign as read and understood",
            relations=("trainee",),
            signature=Meaning.READ_AND_UNDERSTOOD,
            guard=is_document_reading,
        ),
        Transition(
            "complete",
            (State.ASSIGNED,),
            State.COMPLETED,
            label="Sign as trained",
            relations=("trainee",),
            signature=Meaning.TRAINED,
            guard=is_course_with_quiz_passed,
        ),
        Transition(
            "sign_trained",
            (State.ASSIGNED,),
            State.AWAITING_TRAINER,
            label="Sign as trained (on the job)",
            relations=("trainee",),
            signature=Meaning.TRAINED,
            guard=is_on_the_job_with_quiz_passed,
            notify=("trainer",),
        ),
        # The trainer (or a quality manager) confirms the trainee can do the job unaided;
        # never the trainee themself.
        Transition(
            "confirm_competence",
            (State.AWAITING_TRAINER,),
            State.COMPLETED,
            label="Sign the trainee competent",
            permission=ASSESS,
            relations=("trainer",),
            signature=Meaning.TRAINEE_COMPETENT,
            not_by=("trainee",),
        ),
        # Historical training brought in by the import: completed on paper, no signature here.
        Transition(
            "record_completion",
            (State.ASSIGNED,),
            State.COMPLETED,
            label="Recorded from history",
            permission=MANAGE,
            automatic=True,
        ),
        Transition("expire", (State.COMPLETED,), State.EXPIRED, permission=MANAGE, automatic=True),
        Transition(
            "cancel",
            (State.ASSIGNED, State.AWAITING_TRAINER),
            State.CANCELLED,
            permission=MANAGE,
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(State.COMPLETED, State.EXPIRED, State.CANCELLED),
)
