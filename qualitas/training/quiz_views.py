"""Quiz pages (/training/courses/<pk>/quiz/… and /training/records/<pk>/quiz/…): the course's
quiz for training coordinators (questions, choices, pass mark; add, edit, retire), and for
the trainee the quiz of an open training record, its result and the attempts kept.

The result names the questions answered wrong, never the right choice: the trainee goes
back to the material, not to the answer key."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.core import permissions, records
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.forms import StyledForm
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.training import quiz, workflows as w
from qualitas.training.course_views import TrainingForm
from qualitas.training.models import Course, QuizAttempt, QuizQuestion, TrainingRecord

CHOICE_SLOTS = 6
RESOURCE = "training-records"


def _quiz_url(pk: int) -> str:
    return reverse("training:course_quiz", args=[pk])


@login_required
def course_quiz(request: HttpRequest, pk: int) -> HttpResponse:
    """The quiz as coordinators maintain it: every question, which choice is correct."""
    user = signed_in_user(request)
    permissions.require(user, w.MANAGE)
    course = get_or_404(Course.objects.all(), pk=pk)
    context = {
        "title": f"Quiz: {course}",
        "course": course,
        "questions": list(quiz.questions_of(course, include_retired=True)),
        "has_quiz": quiz.has_quiz(course),
    }
    return render(request, "training/quiz_course.html", context)


class PassMarkForm(StyledForm):
    pass_mark = forms.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Percent of questions answered right to pass; empty: no quiz.",
    )


class QuestionForm(StyledForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    order = forms.IntegerField(min_value=0, max_value=32767, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, CHOICE_SLOTS + 1):
            self.fields[f"choice_{n}"] = forms.CharField(
                max_length=500, required=False, label=f"Choice {n}"
            )
            self.fields[f"choice_{n}"].widget.attrs["class"] = "form-control"
        self.fields["correct"] = forms.TypedChoiceField(
            choices=[(n, f"Choice {n}") for n in range(1, CHOICE_SLOTS + 1)],
            coerce=int,
            widget=forms.RadioSelect,
            label="Correct choice",
        )

    def choices(self) -> list[quiz.ChoiceInput]:
        """The filled choice slots, in order; the correct one as marked."""
        data = self.cleaned_data
        return [
            quiz.ChoiceInput(data[f"choice_{n}"], correct=data["correct"] == n)
            for n in range(1, CHOICE_SLOTS + 1)
            if data.get(f"choice_{n}", "").strip()
        ]


class _QuizForm(TrainingForm):
    def get_object(self) -> Course:
        return get_or_404(Course.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def cancel_url(self) -> str:
        return _quiz_url(self.kwargs["pk"])

    def success_url(self, saved: Any) -> str:
        return _quiz_url(self.kwargs["pk"])


class PassMarkView(_QuizForm):
    form_class = PassMarkForm
    success_message = "Pass mark saved."

    def get_title(self) -> str:
        return f"Pass mark: {self.object}"

    def get_initial(self) -> dict[str, Any]:
        return {"pass_mark": self.object.pass_mark}  # type: ignore[union-attr]

    def perform(self, form: forms.Form) -> Course:
        course: Course = self.object  # type: ignore[assignment]
        return quiz.set_pass_mark(
            course, actor=signed_in_user(self.request), pass_mark=form.cleaned_data["pass_mark"]
        )


class QuestionAddView(_QuizForm):
    form_class = QuestionForm
    success_message = "Question added."

    def get_title(self) -> str:
        return f"New question: {self.object}"

    def perform(self, form: forms.Form) -> QuizQuestion:
        if not isinstance(form, QuestionForm):  # the form_class above; narrows for mypy
            raise TypeError(type(form).__name__)
        course: Course = self.object  # type: ignore[assignment]
        return quiz.add_question(
            course,
            actor=signed_in_user(self.request),
            text=form.cleaned_data["text"],
            order=form.cleaned_data["order"],
            choices=form.choices(),
        )


class QuestionEditView(_QuizForm):
    form_class = QuestionForm
    success_message = "Question saved."

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.question: QuizQuestion = get_or_404(
            QuizQuestion.objects.filter(course_id=kwargs["pk"]), pk=kwargs["question"]
        )

    def get_title(self) -> str:
        return f"Edit question: {self.object}"

    def get_initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = {"text": self.question.text, "order": self.question.order}
        for n, choice in enumerate(self.question.choices.order_by("pk")[:CHOICE_SLOTS], 1):
            initial[f"choice_{n}"] = choice.text
            if choice.correct:
                initial["correct"] = n
        return initial

    def perform(self, form: forms.Form) -> QuizQuestion:
        if not isinstance(form, QuestionForm):  # the form_class above; narrows for mypy
            raise TypeError(type(form).__name__)
        return quiz.update_question(
            self.question,
            actor=signed_in_user(self.request),
            text=form.cleaned_data["text"],
            order=form.cleaned_data["order"],
            choices=form.choices(),
        )


@login_required
@require_POST
def retire_question(request: HttpRequest, pk: int, question: int) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.MANAGE)
    found = get_or_404(QuizQuestion.objects.filter(course_id=pk), pk=question)
    try:
        quiz.retire_question(found, actor=user)
    except Conflict as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Question retired: attempts that answered it keep their score.")
    return HttpResponseRedirect(_quiz_url(pk))


# --- The trainee's side ---------------------------------------------------------------------


def _own_record(request: HttpRequest, record_id: int) -> tuple[Any, TrainingRecord]:
    user = signed_in_user(request)
    record = records.get_visible(user, records.type_of(TrainingRecord), record_id)
    return user, record


@login_required
def take_quiz(request: HttpRequest, record_id: int) -> HttpResponse:
    """The quiz of an open training record: radio choices, then the result page. Others who
    may see the record see its attempts here, not the questions."""
    user, record = _own_record(request, record_id)
    course = record.course
    trainee = record.person_id == user.pk
    questions = list(quiz.questions_of(course)) if course is not None else []
    errors: dict[str, str] = {}
    problem = ""
    chosen: dict[str, str] = {}
    if request.method == "POST":
        if not trainee:
            raise PermissionDenied("Only the trainee takes the quiz of their own training.")
        chosen = {
            str(q.pk): request.POST.get(f"q{q.pk}", "")[:20]
            for q in questions
            if request.POST.get(f"q{q.pk}")
        }
        try:
            attempt = quiz.submit_attempt(record, actor=user, answers=chosen)
        except InvalidInput as exc:
            errors = {e.field.removeprefix("answers."): e.message for e in exc.errors}
            problem = "Answer every question."
        except Conflict as exc:
            problem = exc.detail
        else:
            url = reverse("training:quiz_attempt", args=[record.pk, attempt.pk])
            return HttpResponseRedirect(url)
    open_to_take = (
        trainee and record.state in ("assigned", "awaiting_trainer") and quiz.has_quiz(course)
    )
    context = {
        "title": f"Quiz: {record.course or record.title}",
        "record": record,
        "resource": RESOURCE,
        "questions": [(q, errors.get(str(q.pk), ""), chosen.get(str(q.pk), "")) for q in questions]
        if open_to_take
        else [],
        "open_to_take": open_to_take,
        "passed": quiz.has_passed(record),
        "problem": problem,
        "attempts": list(quiz.attempts_of(record)),
    }
    return render(request, "training/quiz_take.html", context, status=422 if problem else 200)


@login_required
def attempt_result(request: HttpRequest, record_id: int, attempt_id: int) -> HttpResponse:
    """One attempt: score, passed or not, and the questions answered wrong."""
    user, record = _own_record(request, record_id)
    attempt: QuizAttempt = get_or_404(QuizAttempt.objects.filter(record=record), pk=attempt_id)
    wrong = QuizQuestion.objects.filter(pk__in=attempt.wrong_questions).order_by("order", "pk")
    context = {
        "title": f"Quiz result: {record.number}",
        "record": record,
        "resource": RESOURCE,
        "attempt": attempt,
        "outcome": quiz.outcome(attempt),
        "wrong": list(wrong),
        "trainee": record.person_id == user.pk,
    }
    return render(request, "training/quiz_result.html", context)
