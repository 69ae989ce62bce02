"""The document register (master list): its table, filters, page and PDF export."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from qualitas.core.models import Department, Site, User
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView
from qualitas.documents import content, queries, workflows as w
from qualitas.documents.models import Document, DocumentStatus, DocumentType

# --- The register (master list) ----------------------------------------------------------------


class RegisterTable(tables.Table):
    number = tables.Column(
        linkify=lambda record: reverse("documents:detail", args=[record.pk]),
        verbose_name="Number",
        attrs={"td": {"class": "text-nowrap"}},
    )
    title = tables.Column()
    document_type = tables.Column(verbose_name="Type", order_by=("document_type__position",))
    owner = tables.Column(order_by=("owner__last_name",))
    current_revision = tables.Column(
        accessor="current_revision__label", verbose_name="Revision", default="—"
    )
    effective_on = tables.DateColumn(
        accessor="current_revision__effective_on",
        format="Y-m-d",
        verbose_name="Effective",
        attrs={"td": {"class": "text-nowrap"}},
    )
    next_review_on = tables.DateColumn(
        format="Y-m-d", verbose_name="Next review", attrs={"td": {"class": "text-nowrap"}}
    )
    status = tables.Column()

    class Meta:
        attrs = {"class": "table table-hover align-middle", "data-testid": "register"}
        empty_text = "No documents match these filters."

    def render_status(self, value: str, record: Document) -> str:
        return format_html(
            '<span class="badge state-badge state-{}">{}</span>',
            record.status,
            record.get_status_display(),
        )

    def value_status(self, value: str, record: Document) -> str:
        return str(record.get_status_display())

    def render_next_review_on(self, value: Any, record: Document) -> str:
        overdue = record.status == DocumentStatus.EFFECTIVE and value < timezone.localdate()
        if overdue:
            return format_html('<span class="text-danger fw-semibold">{} overdue</span>', value)
        return str(value)


class RegisterFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Number or title")
    document_type = django_filters.ModelChoiceFilter(
        queryset=DocumentType.objects.all(), label="Type", empty_label="Any"
    )
    status = django_filters.ChoiceFilter(choices=DocumentStatus.choices, empty_label="Any")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True).exclude(username="system"),
        empty_label="Anyone",
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), empty_label="Any"
    )
    site = django_filters.ModelChoiceFilter(
        queryset=Site.objects.all(), method="at_site", label="Applies at", empty_label="Any"
    )
    review = django_filters.ChoiceFilter(
        choices=(("overdue", "Overdue"), ("90", "Due within 90 days")),
        method="review_due",
        label="Periodic review",
        empty_label="Any",
    )

    class Meta:
        model = Document
        fields = ["q", "document_type", "status", "owner", "department", "site", "review"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))

    def at_site(self, queryset: QuerySet[Any], name: str, value: Site) -> QuerySet[Any]:
        return queryset.filter(Q(sites__isnull=True) | Q(sites=value)).distinct()

    def review_due(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        from datetime import timedelta

        today = timezone.localdate()
        limit = today if value == "overdue" else today + timedelta(days=90)
        found = queryset.filter(status=DocumentStatus.EFFECTIVE)
        if value == "overdue":
            return found.filter(next_review_on__lt=limit)
        return found.filter(next_review_on__lte=limit)


class RegisterView(ObjectListView):
    """The document register: the list an auditor asks for first."""

    permission = w.VIEW
    table_class = RegisterTable
    filterset_class = RegisterFilter
    title = "Document register"
    export_name = "document-register"
    create_url_name = "documents:create"
    create_permission = w.AUTHOR
    template_name = "documents/register.html"

    def get_queryset(self) -> QuerySet[Any]:
        return queries.visible_documents(signed_in_user(self.request)).select_related(
            "document_type", "owner", "current_revision"
        )

    export_formats = ("csv", "xlsx", "pdf")

    def export(self, table: tables.Table, export_format: str) -> HttpResponseBase:
        """CSV and Excel as every list; PDF for the auditor who asks for the register."""
        if export_format != "pdf":
            return super().export(table, export_format)
        rows = list(table.as_values())
        html = render_to_string(
            "documents/register_pdf.html",
            {
                "header": rows[0],
                "rows": rows[1:],
                "printed_at": timezone.now(),
                "printed_by": signed_in_user(self.request),
            },
        )
        response = HttpResponse(content.html_to_pdf(html), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="document-register.pdf"'
        return response
