"""A course's quiz (services): coordinators maintain questions, choices and the pass mark;
the trainee's attempts are scored and kept for good; a course with a quiz is signed only
after a passed attempt. Every refusal names its field and saves nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core import workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Department, User
from qualitas.training import quiz, services, workflows as w
from qualitas.training.models import (
    Course,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    TrainingRecord,
)
from tests.training.conftest import token

pytestmark = pytest.mark.django_db

QUESTIONS = (
    ("Who may sign an ESD-safe workstation as checked?", ("The operator", "Anyone", "A visitor")),
    ("How often is the wrist strap tested?", ("Every shift", "Yearly", "Never")),
    ("What does a red tag on a part mean?", ("Nonconforming", "Urgent", "Customer property")),
    ("Where are torque values taken from?", ("The drawing", "Memory", "A colleague")),
    ("Who approves a deviation?", ("Quality", "The operator", "Nobody")),
)


@pytest.fixture
def esd(cast: dict[str, User], assembly: Department) -> Course:
    return make_esd(cast, assembly)


def make_esd(cast: dict[str, User], assembly: Department) -> Course:
    """ESD handling: a five-question quiz, pass mark 80, required of assembly (so the
    operator and the welder each hold an open record of it)."""
    coordinator = cast["coordinator"]
    course = services.create_course(
        actor=coordinator, code="ESD-01", title="ESD handling", kind="e_learning"
    )
    for text, (right, *wrong) in QUESTIONS:
        quiz.add_question(
            course,
            actor=coordinator,
            text=text,
            choices=[quiz.ChoiceInput(right, correct=True), *map(quiz.ChoiceInput, wrong)],
        )
    course = quiz.set_pass_mark(course, actor=coordinator, pass_mark=80)
    services.add_requirement(actor=coordinator, department=assembly, course=course)
    return course


def record_of(person: User, course: Course) -> TrainingRecord:
    return TrainingRecord.objects.get(person=person, course=course)


def answers(course: Course, *, wrong: int = 0) -> dict[str, int]:
    """Answers to every active question, the first `wrong` of them answered wrong."""
    chosen = {}
    questions = QuizQuestion.objects.filter(course=course, active=True).order_by("order", "pk")
    for n, question in enumerate(questions):
        pick = question.choices.filter(correct=n >= wrong).order_by("pk").first()
        assert pick is not None
        chosen[str(question.pk)] = pick.pk
    return chosen


def _events(model: type[Any]) -> int:
    kind = ContentType.objects.get_for_model(model)
    return AuditEvent.objects.filter(object_type=kind).count()


# --- Maintaining the quiz ---------------------------------------------------------------------


def test_a_coordinator_writes_questions_with_their_choices(cast, esd) -> None:
    questions = list(quiz.questions_of(esd))

    assert [q.order for q in questions] == [1, 2, 3, 4, 5]
    assert [q.text for q in questions] == [text for text, _ in QUESTIONS]
    assert [c.text for c in questions[1].choices.all()] == ["Every shift", "Yearly", "Never"]
    assert [c.correct for c in questions[1].choices.all()] == [True, False, False]
    assert quiz.has_quiz(esd) is True
    assert _events(QuizQuestion) == 5 and _events(QuizChoice) == 15
    course_events = AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(Course), object_id=esd.pk
    )
    assert course_events.filter(changes__has_key="pass_mark").count() == 1


@pytest.mark.parametrize(
    ("_case", "text", "choices", "field"),
    [
        ("no text", "  ", [("A", True), ("B", False)], "text"),
        ("one choice", "Q?", [("A", True)], "choices"),
        ("no correct choice", "Q?", [("A", False), ("B", False)], "choices"),
        ("two correct choices", "Q?", [("A", True), ("B", True)], "choices"),
        ("a blank choice", "Q?", [("A", True), (" ", False)], "choices"),
        ("the same choice twice", "Q?", [("A", True), ("a", False)], "choices"),
    ],
)
def test_a_bad_question_is_refused_naming_the_field_and_nothing_is_saved(
    cast, first_aid, _case, text, choices, field
) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(InvalidInput) as refused:
        quiz.add_question(
            first_aid,
            actor=cast["coordinator"],
            text=text,
            choices=[quiz.ChoiceInput(t, correct=c) for t, c in choices],
        )

    assert [e.field for e in refused.value.errors] == [field]
    assert not QuizQuestion.objects.exists() and not QuizChoice.objects.exists()
    assert AuditEvent.objects.count() == before


def test_only_training_coordinators_maintain_the_quiz(cast, esd) -> None:
    question = QuizQuestion.objects.filter(course=esd).first()
    assert question is not None
    before = AuditEvent.objects.count()
    operator = cast["operator"]
    two = [quiz.ChoiceInput("A", correct=True), quiz.ChoiceInput("B")]

    with pytest.raises(PermissionDenied):
        quiz.add_question(esd, actor=operator, text="Mine?", choices=two)
    with pytest.raises(PermissionDenied):
        quiz.update_question(question, actor=operator, text="Changed")
    with pytest.raises(PermissionDenied):
        quiz.retire_question(question, actor=operator)
    with pytest.raises(PermissionDenied):
        quiz.set_pass_mark(esd, actor=operator, pass_mark=10)

    assert QuizQuestion.objects.filter(course=esd).count() == 5
    assert QuizQuestion.objects.get(pk=question.pk).text == question.text
    assert Course.objects.get(pk=esd.pk).pass_mark == 80
    assert AuditEvent.objects.count() == before


def test_a_pass_mark_outside_1_to_100_is_refused(cast, esd) -> None:
    with pytest.raises(InvalidInput) as refused:
        quiz.set_pass_mark(esd, actor=cast["coordinator"], pass_mark=101)

    assert refused.value.errors[0].field == "pass_mark"
    assert Course.objects.get(pk=esd.pk).pass_mark == 80


def test_a_question_is_edited_in_place_and_a_retired_one_leaves_the_quiz(cast, esd) -> None:
    coordinator = cast["coordinator"]
    first, second = list(quiz.questions_of(esd))[:2]
    kept = list(first.choices.order_by("pk"))

    quiz.update_question(
        first,
        actor=coordinator,
        text="Who signs the ESD check?",
        choices=[quiz.ChoiceInput("The operator"), quiz.ChoiceInput("The area lead", correct=True)],
    )
    quiz.retire_question(second, actor=coordinator)

    changed = QuizQuestion.objects.get(pk=first.pk)
    assert changed.text == "Who signs the ESD check?"
    assert [(c.pk, c.text, c.correct) for c in changed.choices.order_by("pk")] == [
        (kept[0].pk, "The operator", False),
        (kept[1].pk, "The area lead", True),
    ]
    assert second.pk not in {q.pk for q in quiz.questions_of(esd)}
    assert QuizQuestion.objects.get(pk=second.pk).active is False
    with pytest.raises(Conflict):
        quiz.update_question(second, actor=coordinator, text="Back?")


def test_a_choice_an_attempt_chose_is_never_removed(cast, esd) -> None:
    operator = cast["operator"]
    first = next(iter(quiz.questions_of(esd)))
    wrong = first.choices.order_by("pk")[2]  # "A visitor"
    given = answers(esd)
    given[str(first.pk)] = wrong.pk
    quiz.submit_attempt(record_of(operator, esd), actor=operator, answers=given)

    with pytest.raises(InvalidInput) as refused:
        quiz.update_question(
            first,
            actor=cast["coordinator"],
            choices=[quiz.ChoiceInput("The operator", correct=True), quiz.ChoiceInput("Anyone")],
        )

    assert refused.value.errors[0].field == "choices"
    assert QuizChoice.objects.filter(pk=wrong.pk).exists()


# --- Attempts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrong", "score", "passed"), [(0, 100, True), (1, 80, True), (2, 60, False)]
)
def test_an_attempt_is_scored_against_the_pass_mark(cast, esd, wrong, score, passed) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)
    given = answers(esd, wrong=wrong)

    attempt = quiz.submit_attempt(record, actor=operator, answers=given)

    wrong_ids = [int(k) for k in list(given)[:wrong]]
    assert (attempt.score, attempt.passed, attempt.pass_mark) == (score, passed, 80)
    assert attempt.wrong_questions == wrong_ids
    assert attempt.answers == {k: str(v) for k, v in given.items()}
    assert attempt.person == operator and attempt.started_at <= attempt.submitted_at
    assert _events(QuizAttempt) == 1


def test_a_failed_attempt_leaves_the_training_open_and_completion_waits_for_a_pass(
    cast, esd
) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)

    failed = quiz.submit_attempt(record, actor=operator, answers=answers(esd, wrong=3))
    with pytest.raises(Conflict) as refused:
        services.complete_training(record, actor=operator, signature=token(operator, record))
    still = TrainingRecord.objects.get(pk=record.pk)
    passed = quiz.submit_attempt(record, actor=operator, answers=answers(esd))
    done = services.complete_training(still, actor=operator, signature=token(operator, still))

    assert failed.passed is False and "Not passed: 40% (pass mark 80%)" in quiz.outcome(failed)
    assert "quiz of ESD-01" in refused.value.detail and refused.value.status == 409
    assert still.state == w.State.ASSIGNED and still.completed_on is None
    assert passed.passed is True
    assert done.state == w.State.COMPLETED
    assert list(quiz.attempts_of(done)) == [failed, passed]


def test_the_complete_step_says_why_it_waits_for_the_quiz(cast, esd) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)

    before = {a.transition.name: a for a in workflow.available(record, operator)}
    quiz.submit_attempt(record, actor=operator, answers=answers(esd))
    after = {a.transition.name: a for a in workflow.available(record, operator)}

    assert [r.message for r in before["complete"].refusals] == [
        "Pass the quiz of ESD-01 first (pass mark 80%): take it from My training."
    ]
    assert after["complete"].allowed


def test_a_course_without_a_pass_mark_or_questions_has_no_quiz(cast, esd, first_aid) -> None:
    coordinator = cast["coordinator"]
    quiz.set_pass_mark(esd, actor=coordinator, pass_mark=None)
    quiz.set_pass_mark(first_aid, actor=coordinator, pass_mark=50)  # but no question
    operator = cast["operator"]
    record = record_of(operator, esd)

    done = services.complete_training(record, actor=operator, signature=token(operator, record))

    assert done.state == w.State.COMPLETED
    assert quiz.has_quiz(Course.objects.get(pk=first_aid.pk)) is False


@pytest.mark.parametrize("_case", ["missing", "foreign choice", "not a number", "unknown question"])
def test_an_incomplete_attempt_is_refused_naming_the_question(cast, esd, _case) -> None:
    operator = cast["operator"]
    given: dict[str, Any] = answers(esd)
    first, second = list(given)[:2]
    if _case == "missing":
        del given[first]
    elif _case == "foreign choice":
        given[first] = given[second]
    elif _case == "not a number":
        given[first] = "x"
    else:
        given["999999"] = given[first]
    before = AuditEvent.objects.count()

    with pytest.raises(InvalidInput) as refused:
        quiz.submit_attempt(record_of(operator, esd), actor=operator, answers=given)

    field = "answers.999999" if _case == "unknown question" else f"answers.{first}"
    assert [e.field for e in refused.value.errors] == [field]
    assert not QuizAttempt.objects.exists() and AuditEvent.objects.count() == before


def test_only_the_trainee_takes_the_quiz_of_an_open_record(cast, esd) -> None:
    operator, welder = cast["operator"], cast["welder"]
    record = record_of(operator, esd)

    with pytest.raises(PermissionDenied):
        quiz.submit_attempt(record, actor=welder, answers=answers(esd))
    with pytest.raises(PermissionDenied):
        quiz.submit_attempt(record, actor=cast["coordinator"], answers=answers(esd))
    services.retire_requirement(record.requirement, actor=cast["coordinator"], reason="Moved")
    with pytest.raises(Conflict):
        quiz.submit_attempt(record, actor=operator, answers=answers(esd))

    assert not QuizAttempt.objects.exists()


def test_an_attempt_is_never_changed_or_removed(cast, esd) -> None:
    operator = cast["operator"]
    attempt = quiz.submit_attempt(record_of(operator, esd), actor=operator, answers=answers(esd))

    attempt.score = 0
    with pytest.raises(RuntimeError):
        attempt.save()
    with pytest.raises(RuntimeError):
        attempt.delete()

    assert QuizAttempt.objects.get(pk=attempt.pk).score == 100


@pytest.mark.slow
def test_the_demo_has_a_quiz_with_failed_and_passed_attempts() -> None:
    from qualitas.core import demo

    assert demo.load() is True

    course = Course.objects.get(code="ISO13485-AW")
    attempts = QuizAttempt.objects.filter(record__course=course).order_by("pk")
    assert course.pass_mark == 80 and len(quiz.questions_of(course)) == 5
    assert [(a.person.username, a.score, a.passed) for a in attempts] == [
        ("acosta", 60, False),
        ("acosta", 100, True),
        ("dfischer", 100, True),
    ]
    assert all(a.record.state == w.State.COMPLETED for a in attempts)
