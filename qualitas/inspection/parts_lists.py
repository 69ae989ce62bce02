"""The parts list: its columns (also the columns of its CSV/XLSX export) and its filters."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet

from qualitas.core.filters import ActiveFilter
from qualitas.core.tables import ActiveColumn
from qualitas.inspection import parts
from qualitas.inspection.models import Part


class PartTable(tables.Table):  # django-tables2 has no hints
    number = tables.Column(linkify=("inspection:part_detail", {"pk": tables.A("pk")}))
    name = tables.Column()
    current_revision = tables.Column(verbose_name="Current revision", default="—")
    customer = tables.Column(default="")
    is_active = ActiveColumn(verbose_name="Status")
    updated_at = tables.DateTimeColumn(format="Y-m-d", verbose_name="Changed")

    class Meta:
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No parts match these filters."
        order_by = ("number",)


class PartFilterSet(django_filters.FilterSet):  # nor django-filter
    q = django_filters.CharFilter(method="search", label="Search")
    is_active = ActiveFilter()

    class Meta:
        model = Part
        fields = ["q", "is_active"]

    def search(self, queryset: QuerySet[Part], name: str, value: str) -> QuerySet[Part]:
        return parts.search_parts(queryset, value)
