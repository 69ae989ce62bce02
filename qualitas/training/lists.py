"""The course list: its columns (also the columns of its CSV/XLSX export) and its filters."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html

from qualitas.core.filters import ANY
from qualitas.training.models import Course, CourseKind


class InUseColumn(tables.BooleanColumn):  # django-tables2: no hints
    def render(self, value: Any) -> str:
        if value:
            return format_html('<span class="badge text-bg-success">{}</span>', "In use")
        return format_html('<span class="badge text-bg-secondary">{}</span>', "Out of use")

    def value(self, value: Any) -> str:
        return "in use" if value else "out of use"


class CourseTable(tables.Table):
    code = tables.Column(linkify=("training:course_detail", {"pk": tables.A("pk")}))
    title = tables.Column()
    kind = tables.Column()
    validity_months = tables.Column(verbose_name="Validity (months)", default="no expiry")
    owner = tables.Column(accessor="owner__last_name", verbose_name="Owner", default="")
    active = InUseColumn(verbose_name="Status")

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "course-table"}
        empty_text = "No courses match these filters."
        order_by = ("code",)

    def render_owner(self, record: Course) -> str:
        return record.owner.printed_name

    def value_owner(self, record: Course) -> str:
        return record.owner.printed_name


def _in_use(queryset: QuerySet[Course], name: str, value: str) -> QuerySet[Course]:
    return queryset.filter(active=(value == "yes"))


def _search(queryset: QuerySet[Course], name: str, value: str) -> QuerySet[Course]:
    text = value.strip()
    if not text:
        return queryset
    return queryset.filter(code__icontains=text) | queryset.filter(title__icontains=text)


class CourseFilterSet(django_filters.FilterSet):  # nor django-filter
    q = django_filters.CharFilter(method=_search, label="Search")
    kind = django_filters.ChoiceFilter(choices=CourseKind.choices, empty_label=ANY)
    active = django_filters.ChoiceFilter(
        choices=[("yes", "In use"), ("no", "Out of use")],
        method=_in_use,
        empty_label=ANY,
        label="Status",
    )

    class Meta:
        model = Course
        fields = ["q", "kind", "active"]
