"""The change request list: its columns (and exports) and its filters."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet

from qualitas.changes import services
from qualitas.changes.models import ChangeRequest, ChangeType, Urgency
from qualitas.changes.workflows import State
from qualitas.core import records, search as text_search
from qualitas.core.models import Site, User
from qualitas.core.views.records import StateColumn, detail_url, status_filter


class ChangeRequestTable(tables.Table):
    number = tables.Column(linkify=lambda record: detail_url(record))
    title = tables.Column()
    state = StateColumn()
    change_type = tables.Column(verbose_name="Type")
    urgency = tables.Column()
    site = tables.Column(accessor="site__code", default="")
    owner = tables.Column(order_by=("owner__last_name",))
    due_on = tables.DateColumn(format="Y-m-d", verbose_name="Due", default="")
    created_at = tables.DateColumn(format="Y-m-d", verbose_name="Raised")

    class Meta:
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No change requests match these filters."
        order_by = ("-created_at",)


class ChangeRequestFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = status_filter("by_status")
    state = django_filters.ChoiceFilter(choices=State.choices, empty_label="Any")
    change_type = django_filters.ChoiceFilter(
        choices=ChangeType.choices, empty_label="Any", label="Type"
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, empty_label="Any")
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), empty_label="Any")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.exclude(username="system"), empty_label="Anyone"
    )

    class Meta:
        model = ChangeRequest
        fields: list[str] = []

    def by_status(
        self, queryset: QuerySet[ChangeRequest], name: str, value: str
    ) -> QuerySet[ChangeRequest]:
        return records.with_status(services.record_type(), queryset, value)

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return text_search.matching(queryset, services.record_type(), value)
