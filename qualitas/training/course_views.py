"""Course pages (/training/courses/…): the course list (filters, CSV/XLSX export), a course
with who must take it and where people stand on it, and the forms that hand their input to
services.create_course and services.update_course. Everyone holding training.view reads
courses; holders of training.manage write them."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from qualitas.core import permissions
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView, ServiceFormView
from qualitas.training import matrix, services, workflows as w
from qualitas.training.forms import CourseEditForm, CourseForm
from qualitas.training.lists import CourseFilterSet, CourseTable
from qualitas.training.models import Course, Requirement, TrainingRecord

# The standings a course page counts, in the matrix legend's order (not-required is no
# standing on a course one is not asked to take).
COUNTED = (matrix.CURRENT, matrix.DUE, matrix.OVERDUE, matrix.EXPIRED, matrix.MISSING)


class CourseListView(ObjectListView):
    permission = w.VIEW
    table_class = CourseTable
    filterset_class = CourseFilterSet
    title = "Courses"
    export_name = "courses"
    create_url_name = "training:course_create"
    create_permission = w.MANAGE

    def get_queryset(self) -> QuerySet[Course]:
        return Course.objects.select_related("owner")


def _detail(pk: int) -> str:
    return reverse("training:course_detail", args=[pk])


def matrix_link(line: Requirement) -> str:
    """The matrix narrowed to where a line's audience works: its department or site (a job
    role's holders may work anywhere, so its line opens the whole matrix)."""
    url = reverse("training:matrix")
    if line.department_id is not None:
        return f"{url}?{urlencode({'department': line.department_id})}"
    if line.site_id is not None:
        return f"{url}?{urlencode({'site': line.site_id})}"
    return url


def standings(user: Any, course: Course, lines: list[Requirement]) -> dict[str, int]:
    """How many of the people the user may see stand where on the course, each person once,
    as the matrix shows them: those its curriculum lines cover, and those assigned it
    outside any curriculum. A fixed number of queries whatever the number of people."""
    people = matrix.people(user, matrix.Filters())
    counts: Counter[str] = Counter()
    covered: set[int] = set()
    for row in matrix.rows(list(people), lines):
        # All lines are this course's: a person covered by several stands alike on each.
        cells = [cell for cell in row.cells if cell != matrix.NOT_REQUIRED]
        if cells:
            counts[cells[0]] += 1
            covered.add(row.person.pk)
    held: dict[int, list[dict[str, Any]]] = defaultdict(list)
    records = TrainingRecord.objects.filter(course=course, person__in=people.values("pk")).exclude(
        state=w.State.CANCELLED
    )
    for record in records.values("person_id", "state", "due_on", "expires_on", "revision_id"):
        if record["person_id"] not in covered:
            held[record["person_id"]].append(record)
    today = timezone.localdate()
    for found in held.values():
        counts[matrix.state_of(found, None, today)] += 1
    return {state: counts[state] for state in COUNTED}


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A course: what it is, which roles, departments and sites must take it, and how many
    people are trained, due, overdue, expired on it."""
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    course = get_or_404(Course.objects.select_related("owner"), pk=pk)
    lines = list(
        Requirement.objects.filter(course=course, active=True)
        .select_related("job_role", "department__site", "site", "course")
        .order_by("pk")
    )
    # Where people stand is theirs to know and their coordinators': not every reader's.
    counts = standings(user, course, lines) if permissions.has_perm(user, w.VIEW_RECORDS) else None
    context = {
        "title": str(course),
        "course": course,
        "lines": [(line, services.validity_of(line, course), matrix_link(line)) for line in lines],
        "counts": (
            [(state, *matrix.STATES[state], counts[state]) for state in COUNTED]
            if counts is not None
            else None
        ),
        "matrix_url": reverse("training:matrix"),
        "may_manage": permissions.has_perm(user, w.MANAGE),
    }
    return render(request, "training/course_detail.html", context)


class TrainingForm(ServiceFormView):
    """A form of the training pages: only holders of training.manage see or post it."""

    template_name = "training/course_form.html"
    permission = w.MANAGE
    cancel_to = "training:course_list"

    def cancel_url(self) -> str:
        return reverse(self.cancel_to)


class CourseCreateView(TrainingForm):
    form_class = CourseForm
    title = "New course"
    success_message = "Course created."

    def perform(self, form: forms.Form) -> Course:
        data = dict(form.cleaned_data)
        return services.create_course(actor=signed_in_user(self.request), **data)

    def success_url(self, saved: Course) -> str:
        return _detail(saved.pk)


class CourseEditView(TrainingForm):
    form_class = CourseEditForm
    success_message = "Course saved."

    def get_object(self) -> Course:
        return get_or_404(Course.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Edit {self.object}"

    def cancel_url(self) -> str:
        return _detail(self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        course: Course = self.object  # type: ignore[assignment]
        return {name: getattr(course, name) for name in services.COURSE_FIELDS}

    def perform(self, form: forms.Form) -> Course:
        course: Course = self.object  # type: ignore[assignment]
        return services.update_course(
            course, actor=signed_in_user(self.request), **form.cleaned_data
        )

    def success_url(self, saved: Course) -> str:
        return _detail(saved.pk)
