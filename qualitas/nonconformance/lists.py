"""The nonconformance list: its columns (and exports) and its filters on any field."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet

from qualitas.core import records, search as text_search
from qualitas.core.models import Department, Site, User
from qualitas.core.views.records import StateColumn, detail_url, status_filter
from qualitas.nonconformance import services
from qualitas.nonconformance.models import (
    DefectCategory,
    DefectCode,
    Nonconformance,
    Severity,
    Source,
)
from qualitas.nonconformance.workflows import State


class NonconformanceTable(tables.Table):
    number = tables.Column(linkify=lambda record: detail_url(record))
    title = tables.Column()
    state = StateColumn()
    severity = tables.Column()
    defect_code = tables.Column(accessor="defect_code__code", verbose_name="Defect", default="—")
    part_number = tables.Column(verbose_name="Part", default="—")
    lot_number = tables.Column(verbose_name="Lot", default="")
    quantity_nonconforming = tables.Column(verbose_name="Qty NC")
    source = tables.Column()
    supplier_name = tables.Column(verbose_name="Supplier", default="")
    site = tables.Column(accessor="site__code", default="")
    owner = tables.Column(order_by=("owner__last_name",))
    detected_on = tables.DateColumn(format="Y-m-d", verbose_name="Detected")

    class Meta:
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No nonconformances match these filters."
        order_by = ("-detected_on",)

    def render_quantity_nonconforming(self, value: Any, record: Nonconformance) -> str:
        return f"{value.normalize():f} {record.unit}"


class NonconformanceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = status_filter("by_status")
    state = django_filters.ChoiceFilter(choices=State.choices, empty_label="Any")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any")
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any")
    defect_category = django_filters.ModelChoiceFilter(
        field_name="defect_code__category",
        queryset=DefectCategory.objects.all(),
        empty_label="Any",
        label="Defect category",
    )
    defect_code = django_filters.ModelChoiceFilter(
        queryset=DefectCode.objects.all(), empty_label="Any"
    )
    part_number = django_filters.CharFilter(lookup_expr="icontains", label="Part")
    supplier_name = django_filters.CharFilter(lookup_expr="icontains", label="Supplier")
    customer_name = django_filters.CharFilter(lookup_expr="icontains", label="Customer")
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), empty_label="Any")
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), empty_label="Any"
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.exclude(username="system"), empty_label="Anyone"
    )
    detected_from = django_filters.DateFilter(
        field_name="detected_on", lookup_expr="gte", label="Detected from"
    )
    detected_to = django_filters.DateFilter(field_name="detected_on", lookup_expr="lte", label="to")

    class Meta:
        model = Nonconformance
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("detected_from", "detected_to"):
            self.filters[name].field.widget.input_type = "date"

    def by_status(
        self, queryset: QuerySet[Nonconformance], name: str, value: str
    ) -> QuerySet[Nonconformance]:
        return records.with_status(services.record_type(), queryset, value)

    def search(
        self, queryset: QuerySet[Nonconformance], name: str, value: str
    ) -> QuerySet[Nonconformance]:
        return text_search.matching(queryset, services.record_type(), value)
