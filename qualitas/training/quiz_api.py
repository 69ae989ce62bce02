"""A course's quiz and a training record's attempts, beside the course and record endpoints:
GET/PUT /api/v1/courses/{id}/quiz (the questions; the pass mark),
POST /api/v1/courses/{id}/quiz/questions, PUT …/quiz/questions/{question_id} (active=false
retires it), GET/POST /api/v1/training-records/{id}/quiz-attempts.

Which choice is correct is shown to training coordinators (training.manage) only.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qualitas.core import permissions, records
from qualitas.core.models import User
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.training import quiz, workflows as w
from qualitas.training.models import Course, QuizQuestion, TrainingRecord

courses_router = Router(tags=["training"])
records_router = Router(tags=["training"])


class ChoiceOut(Schema):
    id: int
    text: str
    correct: bool | None = Field(None, description="Shown to training coordinators only")


class QuestionOut(Schema):
    id: int
    order: int
    text: str
    active: bool
    choices: list[ChoiceOut]


class QuizOut(Schema):
    course: int
    pass_mark: int | None = Field(None, description="Percent to pass; null: no quiz")
    has_quiz: bool = Field(..., description="Active questions and a pass mark")
    questions: list[QuestionOut]


class ChoiceIn(Schema):
    text: str = Field(..., max_length=500)
    correct: bool = False


class QuestionIn(Schema):
    text: str = Field(..., max_length=2000)
    order: int | None = Field(None, ge=0, le=32767)
    choices: list[ChoiceIn] = Field(..., description="2 to 8, exactly one correct")


class QuestionPatch(Schema):
    text: str | None = Field(None, max_length=2000)
    order: int | None = Field(None, ge=0, le=32767)
    choices: list[ChoiceIn] | None = Field(None, description="Replaces them, by position")
    active: bool | None = Field(None, description="false retires the question")


class PassMarkIn(Schema):
    pass_mark: int | None = Field(..., ge=1, le=100, description="null takes the quiz away")


class AttemptOut(Schema):
    id: int
    record: int = Field(..., alias="record_id")
    person: int = Field(..., alias="person_id")
    started_at: datetime
    submitted_at: datetime
    answers: dict[str, str] = Field(..., description="{question id: choice id}")
    wrong_questions: list[int] = Field(..., description="Ids of the questions answered wrong")
    score: int = Field(..., description="Percent answered right")
    pass_mark: int
    passed: bool


class AttemptIn(Schema):
    answers: dict[str, int] = Field(..., description="{question id: chosen choice id}")
    started_at: datetime | None = Field(None, description="When the trainee began; now if null")


def _quiz(course: Course, user: User) -> dict[str, Any]:
    manager = permissions.has_perm(user, w.MANAGE)
    questions = quiz.questions_of(course, include_retired=manager)
    return {
        "course": course.pk,
        "pass_mark": course.pass_mark,
        "has_quiz": quiz.has_quiz(course),
        "questions": [
            {
                "id": q.pk,
                "order": q.order,
                "text": q.text,
                "active": q.active,
                "choices": [
                    {"id": c.pk, "text": c.text, "correct": c.correct if manager else None}
                    for c in q.choices.all()
                ],
            }
            for q in questions
        ],
    }


def _course(request: HttpRequest, course_id: int) -> tuple[User, Course]:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    return actor, get_or_404(Course.objects.all(), pk=course_id)


@courses_router.get(
    "/{course_id}/quiz", response={200: QuizOut, **ERRORS}, summary="A course's quiz"
)
def get_quiz(request: HttpRequest, course_id: int) -> Any:
    actor, course = _course(request, course_id)
    return _quiz(course, actor)


@courses_router.put(
    "/{course_id}/quiz",
    response={200: QuizOut, **ERRORS},
    summary="Set the quiz's pass mark (null takes the quiz away)",
)
def put_pass_mark(request: HttpRequest, course_id: int, payload: PassMarkIn) -> Any:
    actor, course = _course(request, course_id)
    changed = quiz.set_pass_mark(course, actor=actor, pass_mark=payload.pass_mark)
    return _quiz(changed, actor)


def _choices(items: list[ChoiceIn]) -> list[quiz.ChoiceInput]:
    return [quiz.ChoiceInput(c.text, correct=c.correct) for c in items]


@courses_router.post(
    "/{course_id}/quiz/questions",
    response={201: QuizOut, **ERRORS},
    summary="Add a question with its choices",
)
def add_question(request: HttpRequest, course_id: int, payload: QuestionIn) -> Any:
    actor, course = _course(request, course_id)
    quiz.add_question(
        course,
        actor=actor,
        text=payload.text,
        order=payload.order,
        choices=_choices(payload.choices),
    )
    return Status(201, _quiz(course, actor))


@courses_router.put(
    "/{course_id}/quiz/questions/{question_id}",
    response={200: QuizOut, **ERRORS},
    summary="Change a question, or retire it (active=false)",
)
def change_question(
    request: HttpRequest, course_id: int, question_id: int, payload: QuestionPatch
) -> Any:
    actor, course = _course(request, course_id)
    question = get_or_404(QuizQuestion.objects.filter(course=course), pk=question_id)
    if payload.text is not None or payload.order is not None or payload.choices is not None:
        question = quiz.update_question(
            question,
            actor=actor,
            text=payload.text,
            order=payload.order,
            choices=_choices(payload.choices) if payload.choices is not None else None,
        )
    if payload.active is False:
        quiz.retire_question(question, actor=actor)
    return _quiz(course, actor)


def _record(request: HttpRequest, record_id: int) -> tuple[User, TrainingRecord]:
    actor = actor_of(request)
    found = records.get_visible(actor, records.type_of(TrainingRecord), record_id)
    return actor, found


@records_router.get(
    "/{record_id}/quiz-attempts",
    response={200: list[AttemptOut], **ERRORS},
    summary="The quiz attempts on a training record",
)
def list_attempts(request: HttpRequest, record_id: int) -> Any:
    _actor, record = _record(request, record_id)
    return list(quiz.attempts_of(record))


@records_router.post(
    "/{record_id}/quiz-attempts",
    response={201: AttemptOut, **ERRORS},
    summary="Submit the trainee's answers; scored and kept",
)
def submit_attempt(request: HttpRequest, record_id: int, payload: AttemptIn) -> Any:
    actor, record = _record(request, record_id)
    attempt = quiz.submit_attempt(
        record, actor=actor, answers=payload.answers, started_at=payload.started_at
    )
    return Status(201, attempt)
