"""The framework and requirement lists: their columns (also the columns of their CSV/XLSX
exports) and filters."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import Q, QuerySet

from qualitas.compliance.models import Framework, FrameworkKind, Requirement
from qualitas.core.filters import ANY


class FrameworkTable(tables.Table):
    name = tables.Column(linkify=("compliance:framework", {"key": tables.A("key")}))
    key = tables.Column()
    version = tables.Column()
    kind = tables.Column()
    publisher = tables.Column()
    in_force = tables.Column(verbose_name="Requirements")
    shipped = tables.BooleanColumn(verbose_name="Shipped with Qualitas")
    loaded_at = tables.DateTimeColumn(verbose_name="Loaded", format="Y-m-d H:i")

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "framework-table"}
        empty_text = "No frameworks match these filters."
        order_by = ("name",)


class FrameworkFilterSet(django_filters.FilterSet):  # django-filter: no hints
    kind = django_filters.ChoiceFilter(choices=FrameworkKind.choices, empty_label=ANY)

    class Meta:
        model = Framework
        fields = ["kind"]


class RequirementTable(tables.Table):
    framework = tables.Column(accessor="framework__name", verbose_name="Framework")
    ref_id = tables.Column(verbose_name="Reference", order_by=("framework__name", "order"))
    title = tables.Column()
    auditable = tables.BooleanColumn()
    guidance = tables.Column(verbose_name="Guidance (ours)", orderable=False)
    retired = tables.BooleanColumn(verbose_name="Retired")

    class Meta:
        attrs = {"class": "table table-sm align-middle", "data-testid": "requirement-table"}
        empty_text = "No requirements match these filters."
        order_by = ("ref_id",)

    def render_ref_id(self, record: Requirement) -> Any:
        from django.urls import reverse
        from django.utils.html import format_html

        url = reverse("compliance:framework", args=[record.framework.key])
        return format_html('<a href="{}#req-{}">{}</a>', url, record.pk, record.ref_id)


def _search(queryset: QuerySet[Requirement], name: str, value: str) -> QuerySet[Requirement]:
    text = value.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(ref_id__icontains=text) | Q(title__icontains=text) | Q(guidance__icontains=text)
    )


class RequirementFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method=_search, label="Search")
    framework = django_filters.ModelChoiceFilter(
        queryset=Framework.objects.order_by("name"), empty_label=ANY
    )
    auditable = django_filters.BooleanFilter()
    retired = django_filters.BooleanFilter()

    class Meta:
        model = Requirement
        fields = ["q", "framework", "auditable", "retired"]


class ScopeTable(tables.Table):
    framework = tables.Column(accessor="framework__name", verbose_name="Framework")
    site = tables.Column(accessor="site__name", verbose_name="Site", default="Whole organisation")
    certified = tables.BooleanColumn()
    certification_body = tables.Column(verbose_name="Certification body")
    certificate_number = tables.Column(verbose_name="Certificate")
    certified_until = tables.DateColumn(verbose_name="Valid until", format="Y-m-d")
    coverage = tables.TemplateColumn(
        "<a href=\"{% url 'compliance:coverage' record.pk %}\">Coverage</a>",
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "scope-table"}
        empty_text = "No framework is in scope yet."
        order_by = ("framework",)
