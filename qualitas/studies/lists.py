"""The SPC study list: which analysis each study holds, filterable by it (and its exports)."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet

from qualitas.core import records, search as text_search
from qualitas.core.models import Site
from qualitas.core.views.records import StateColumn, detail_url, status_filter
from qualitas.studies.models import AnalysisKind, SpcStudy
from qualitas.studies.workflows import State


class StudyTable(tables.Table):
    number = tables.Column(linkify=lambda record: detail_url(record))
    title = tables.Column()
    state = StateColumn()
    analysis = tables.Column(verbose_name="Analysis")
    characteristic = tables.Column(default="")
    site = tables.Column(accessor="site__code", default="—", verbose_name="Site")
    owner = tables.Column(order_by=("owner__last_name",))
    updated_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Changed")

    class Meta:
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No studies match these filters."


class StudyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = status_filter("by_status")
    state = django_filters.ChoiceFilter(choices=State.choices, empty_label="Any")
    analysis = django_filters.ChoiceFilter(choices=AnalysisKind.choices, empty_label="Any")
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), empty_label="Any")

    class Meta:
        model = SpcStudy
        fields: list[str] = []

    def by_status(self, queryset: QuerySet[SpcStudy], name: str, value: str) -> QuerySet[SpcStudy]:
        return records.with_status(records.RECORD_TYPES["spcstudy"], queryset, value)

    def search(self, queryset: QuerySet[SpcStudy], name: str, value: str) -> QuerySet[SpcStudy]:
        return text_search.matching(queryset, records.RECORD_TYPES["spcstudy"], value)
