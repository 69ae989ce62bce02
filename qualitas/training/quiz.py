"""A course's optional quiz (issue 16): questions with choices and a pass mark, maintained by
training coordinators; attempts submitted by the trainee, scored and kept for good.

A course has a quiz when it has active questions and a pass mark. Then the trainee's
signature on it ("trained") waits for a passed attempt: the workflow's `quiz_passed` guard
refuses the step, and `require_passed` lets `services.complete_training` answer 409.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from qualitas.core import audit, permissions
from qualitas.core.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.core.validation import clean_or_raise
from qualitas.training import workflows as w
from qualitas.training.models import (
    OPEN_STATES,
    Course,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    TrainingRecord,
)

MAX_CHOICES = 8


@dataclass(frozen=True)
class ChoiceInput:
    text: str
    correct: bool = False


# --- Reads ----------------------------------------------------------------------------------


def questions_of(course: Course, *, include_retired: bool = False) -> QuerySet[QuizQuestion]:
    """The course's questions with their choices, in order (two queries however many)."""
    found = QuizQuestion.objects.filter(course=course)
    if not include_retired:
        found = found.filter(active=True)
    return found.prefetch_related(Prefetch("choices", QuizChoice.objects.order_by("pk")))


def has_quiz(course: Course | None) -> bool:
    return (
        course is not None
        and course.pass_mark is not None
        and course.quiz_questions.filter(active=True).exists()
    )


def attempts_of(record: TrainingRecord) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(record=record).order_by("submitted_at", "pk")


def has_passed(record: TrainingRecord) -> bool:
    return QuizAttempt.objects.filter(record=record, passed=True).exists()


def require_passed(record: TrainingRecord) -> None:
    """Completion of a course with a quiz waits for a passed attempt (409 naming the quiz)."""
    reason = w.quiz_passed(record)
    if reason is not None:
        raise Conflict(reason)


# --- Maintaining the quiz (training coordinators) -------------------------------------------


def _choices(choices: Sequence[ChoiceInput]) -> list[ChoiceInput]:
    cleaned = [ChoiceInput(c.text.strip(), correct=bool(c.correct)) for c in choices]
    if any(not c.text for c in cleaned):
        raise InvalidInput.for_field("choices", "Every choice needs a text.")
    if len(cleaned) < 2:
        raise InvalidInput.for_field("choices", "Offer at least two choices.")
    if len(cleaned) > MAX_CHOICES:
        raise InvalidInput.for_field("choices", f"Offer at most {MAX_CHOICES} choices.")
    if len({c.text.casefold() for c in cleaned}) != len(cleaned):
        raise InvalidInput.for_field("choices", "Two choices have the same text.")
    if sum(c.correct for c in cleaned) != 1:
        raise InvalidInput.for_field("choices", "Mark exactly one choice as correct.")
    return cleaned


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput.for_field("text", "Write the question.")
    if len(text) > 2000:
        raise InvalidInput.for_field("text", "Keep the question under 2,000 characters.")
    return text


def _next_order(course: Course) -> int:
    last = QuizQuestion.objects.filter(course=course).order_by("-order").first()
    return (last.order + 1) if last is not None else 1


@audit.service
def add_question(
    course: Course,
    *,
    actor: User,
    text: str,
    choices: Sequence[ChoiceInput],
    order: int | None = None,
) -> QuizQuestion:
    """A new question with its choices (2 to 8, exactly one correct)."""
    permissions.require(actor, w.MANAGE)
    text = _text(text)
    cleaned = _choices(choices)
    if order is not None and order < 0:
        raise InvalidInput.for_field("order", "The order is a number from 0.")
    Course.objects.select_for_update().get(pk=course.pk)  # one order sequence at a time
    question = QuizQuestion(
        course=course, text=text, order=order if order is not None else _next_order(course)
    )
    clean_or_raise(question)
    question.save()
    for choice in cleaned:
        QuizChoice.objects.create(question=question, text=choice.text, correct=choice.correct)
    return question


def _answered(question: QuizQuestion) -> set[int]:
    """Ids of this question's choices some attempt chose."""
    key = str(question.pk)
    chosen: set[int] = set()
    for answers in QuizAttempt.objects.filter(record__course_id=question.course_id).values_list(
        "answers", flat=True
    ):
        value = answers.get(key) if isinstance(answers, dict) else None
        if value is not None:
            chosen.add(int(value))
    return chosen


@audit.service
def update_question(
    question: QuizQuestion,
    *,
    actor: User,
    text: str | None = None,
    order: int | None = None,
    choices: Sequence[ChoiceInput] | None = None,
) -> QuizQuestion:
    """Change a question's text, order or choices. Choices are matched by position: the
    first stays the first (kept answers still point at it); a choice an attempt chose is
    never removed (retire the question and write a new one instead)."""
    permissions.require(actor, w.MANAGE)
    current: QuizQuestion = QuizQuestion.objects.select_for_update().get(pk=question.pk)
    if not current.active:
        raise Conflict("This question is retired: write a new one.")
    if text is not None:
        current.text = _text(text)
    if order is not None:
        if order < 0:
            raise InvalidInput.for_field("order", "The order is a number from 0.")
        current.order = order
    cleaned = _choices(choices) if choices is not None else None
    existing = list(current.choices.order_by("pk"))
    if cleaned is not None and len(cleaned) < len(existing):
        dropped = existing[len(cleaned) :]
        used = _answered(current) & {c.pk for c in dropped}
        if used:
            raise InvalidInput.for_field(
                "choices",
                "A choice to remove was chosen in an attempt: retire the question and write "
                "a new one.",
            )
    clean_or_raise(current)
    current.save()
    if cleaned is not None:
        for n, choice in enumerate(cleaned):
            if n < len(existing):
                kept = existing[n]
                if (kept.text, kept.correct) != (choice.text, choice.correct):
                    kept.text, kept.correct = choice.text, choice.correct
                    kept.save()
            else:
                QuizChoice.objects.create(
                    question=current, text=choice.text, correct=choice.correct
                )
        for gone in existing[len(cleaned) :]:
            gone.delete()  # audited (registered with protect_delete=False); never chosen
    return current


@audit.service
def retire_question(question: QuizQuestion, *, actor: User) -> QuizQuestion:
    """The question leaves the quiz; attempts that answered it keep their score."""
    permissions.require(actor, w.MANAGE)
    current: QuizQuestion = QuizQuestion.objects.select_for_update().get(pk=question.pk)
    if not current.active:
        raise Conflict("This question is retired already.")
    current.active = False
    current.save()
    return current


@audit.service
def set_pass_mark(course: Course, *, actor: User, pass_mark: int | None) -> Course:
    """The percent to pass (1-100); None takes the quiz out of use (questions are kept)."""
    permissions.require(actor, w.MANAGE)
    if pass_mark is not None and not 1 <= pass_mark <= 100:
        raise InvalidInput.for_field("pass_mark", "Give a percent from 1 to 100.")
    current: Course = Course.objects.select_for_update().get(pk=course.pk)
    current.pass_mark = pass_mark
    clean_or_raise(current)
    current.save()
    return current


# --- Attempts (the trainee) -----------------------------------------------------------------


def _parse_answers(
    questions: list[QuizQuestion], answers: Mapping[Any, Any]
) -> tuple[dict[str, str], list[int]]:
    """Every active question answered with one of its own choices; the answers as stored,
    and the ids of the questions answered wrong. Errors name each question by its number."""
    given: dict[str, Any] = {str(k): v for k, v in answers.items()}
    errors: list[FieldError] = []
    stored: dict[str, str] = {}
    wrong: list[int] = []
    known = {str(q.pk) for q in questions}
    for key in sorted(set(given) - known):
        errors.append(FieldError(f"answers.{key}", "This is not a question of this quiz."))
    for n, question in enumerate(questions, start=1):
        key = str(question.pk)
        field = f"answers.{key}"
        value = given.get(key)
        if value in (None, ""):
            errors.append(FieldError(field, f"Answer question {n}."))
            continue
        try:
            choice_id = int(value)
        except (TypeError, ValueError):
            errors.append(FieldError(field, f"Question {n}: choose one of its answers."))
            continue
        choices = {c.pk: c for c in question.choices.all()}
        if choice_id not in choices:
            errors.append(FieldError(field, f"Question {n}: choose one of its own answers."))
            continue
        stored[key] = str(choice_id)
        if not choices[choice_id].correct:
            wrong.append(question.pk)
    if errors:
        raise InvalidInput(errors)
    return stored, wrong


@audit.service
def submit_attempt(
    record: TrainingRecord,
    *,
    actor: User,
    answers: Mapping[Any, Any],
    started_at: datetime | None = None,
    submitted_at: datetime | None = None,
) -> QuizAttempt:
    """The trainee's answers, scored and kept. A failed attempt leaves the record open to try
    again. `submitted_at` other than now is for history loaded by the demo."""
    if record.person_id != actor.pk:
        raise PermissionDenied("Only the trainee takes the quiz of their own training.")
    current: TrainingRecord = (
        TrainingRecord.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=record.pk)
    )
    if current.state not in OPEN_STATES:
        raise Conflict(f"{current.number} is not open: its quiz can no longer be taken.")
    course = current.course
    if course is None or course.pass_mark is None or not has_quiz(course):
        raise Conflict(f"{current.number} has no quiz to take.")
    now = timezone.now()
    submitted = submitted_at or now
    started = started_at or submitted
    # A time given without its zone is read in the organisation's.
    if timezone.is_naive(started):
        started = timezone.make_aware(started)
    if timezone.is_naive(submitted):
        submitted = timezone.make_aware(submitted)
    try:
        out_of_order = submitted > now or started > submitted
    except OverflowError:  # a time so near year 1 its zone cannot be applied
        out_of_order = True
    if out_of_order:
        raise InvalidInput.for_field("started_at", "The attempt cannot start after it ends.")
    questions = list(questions_of(course))
    stored, wrong = _parse_answers(questions, answers)
    right = len(questions) - len(wrong)
    # Whole percents, rounded down: 79.9% does not pass a mark of 80.
    score = right * 100 // len(questions)
    attempt = QuizAttempt(
        record=current,
        person=actor,
        started_at=started,
        submitted_at=submitted,
        answers=stored,
        wrong_questions=wrong,
        score=score,
        pass_mark=course.pass_mark,
        passed=score >= course.pass_mark,
    )
    clean_or_raise(attempt)
    attempt.save()
    return attempt


def outcome(attempt: QuizAttempt) -> str:
    """The one sentence the trainee reads after submitting."""
    if attempt.passed:
        return f"Passed: {attempt.score}% (pass mark {attempt.pass_mark}%). You may now sign."
    return (
        f"Not passed: {attempt.score}% (pass mark {attempt.pass_mark}%). "
        "Your training stays open: read the material again and retake the quiz."
    )
