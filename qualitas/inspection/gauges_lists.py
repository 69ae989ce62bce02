"""The gauge register's list: its columns (also the columns of its CSV/XLSX export) and its
filters, the effective status (due, overdue) among them."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html

from qualitas.inspection import gauges
from qualitas.inspection.gauges import EffectiveStatus
from qualitas.inspection.models import Gauge

BADGES = {
    EffectiveStatus.IN_SERVICE: "text-bg-success",
    EffectiveStatus.DUE: "text-bg-warning",
    EffectiveStatus.OVERDUE: "text-bg-danger",
    EffectiveStatus.OUT_OF_SERVICE: "text-bg-secondary",
    EffectiveStatus.RETIRED: "text-bg-dark",
}


def status_badge(status: str) -> str:
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        BADGES.get(status, "text-bg-secondary"),  # type: ignore[call-overload]
        status,
        EffectiveStatus(status).label,
    )


class EffectiveStatusColumn(tables.Column):  # django-tables2: no hints
    """The status as of today, computed per row from the fetched dates (no query)."""

    def render(self, record: Gauge) -> str:
        return status_badge(gauges.gauge_status(record))

    def value(self, record: Gauge, value: Any) -> str:
        return str(EffectiveStatus(gauges.gauge_status(record)).label)


class GaugeTable(tables.Table):
    identifier = tables.Column(linkify=("inspection:gauge_detail", {"pk": tables.A("pk")}))
    name = tables.Column()
    gauge_type = tables.Column(verbose_name="Type")
    location = tables.Column(default="")
    site = tables.Column(accessor="site__name", verbose_name="Site", default="")
    last_calibrated_on = tables.DateColumn(format="Y-m-d", verbose_name="Calibrated", default="")
    next_due_on = tables.DateColumn(format="Y-m-d", verbose_name="Next due", default="")
    effective_status = EffectiveStatusColumn(
        verbose_name="Status", accessor="status", order_by=("status", "next_due_on")
    )

    class Meta:
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No gauges match these filters."
        order_by = ("identifier",)


class GaugeFilterSet(django_filters.FilterSet):  # nor django-filter
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(
        choices=EffectiveStatus.choices, method="by_status", label="Status"
    )

    class Meta:
        model = Gauge
        fields = ["q", "status"]

    def search(self, queryset: QuerySet[Gauge], name: str, value: str) -> QuerySet[Gauge]:
        return gauges.search_gauges(queryset, value)

    def by_status(self, queryset: QuerySet[Gauge], name: str, value: str) -> QuerySet[Gauge]:
        return gauges.with_status(queryset, value)
