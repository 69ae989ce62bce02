"""The audit-trail search page for quality managers and auditors, with CSV/XLSX export."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join

from qualitas.core import permissions
from qualitas.core.changes import brief
from qualitas.core.models import AuditAction, AuditEvent, User
from qualitas.core.views.generic import ObjectListView


class ChangesColumn(tables.Column):
    def render(self, value: dict[str, Any]) -> str:
        return format_html_join(
            "",
            "<div><span class='text-body-secondary'>{}</span>: {} → {}</div>",
            (
                (k, brief(_raw(v, "old")), brief(_raw(v, "new")))
                if isinstance(v, dict)
                else (k, "", brief(v))
                for k, v in value.items()
            ),
        )

    def value(self, value: dict[str, Any]) -> str:
        return "; ".join(
            f"{k}: {_show(v, 'old')} -> {_show(v, 'new')}" if isinstance(v, dict) else f"{k}: {v}"
            for k, v in value.items()
        )


def _raw(change: dict[str, Any], side: str) -> Any:
    label = change.get(f"{side}_label")
    return label if label is not None else change.get(side)


def _show(change: dict[str, Any], side: str) -> str:
    label = change.get(f"{side}_label")
    value = change.get(side)
    return str(label if label is not None else ("—" if value in (None, "") else value))


class AuditEventTable(tables.Table):
    id = tables.Column(verbose_name="#")
    occurred_at = tables.Column(verbose_name="When (UTC)")
    actor_name = tables.Column(verbose_name="Who")
    action = tables.Column()
    object_type = tables.Column(accessor="object_type__model", verbose_name="Type")
    object_repr = tables.Column(verbose_name="Record")
    changes = ChangesColumn(orderable=False)
    reason = tables.Column()
    client_address = tables.Column(verbose_name="From", default="")
    request_id = tables.Column(verbose_name="Request", default="")

    class Meta:
        attrs = {"class": "table table-sm table-hover align-top audit-table"}
        empty_text = "No events match these filters."
        order_by = ("-id",)

    def render_occurred_at(self, value: Any) -> str:
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}"

    def value_occurred_at(self, value: Any) -> str:
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}"

    def render_request_id(self, value: str) -> str:
        return format_html("<code class='small'>{}</code>", value[:12])

    def value_request_id(self, value: str) -> str:
        """Exports carry the whole request id as text (the page shows its start as code)."""
        return value


class AuditEventFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    actor = django_filters.ModelChoiceFilter(queryset=User.objects.all(), empty_label="Anyone")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, empty_label="Any")
    record_type = django_filters.CharFilter(field_name="object_type__model", label="Type")
    since = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label="From"
    )
    until = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label="To")

    class Meta:
        model = AuditEvent
        fields = ["q", "actor", "action", "record_type", "since", "until"]

    def search(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        from django.db.models import Q

        return queryset.filter(Q(object_repr__icontains=value) | Q(reason__icontains=value))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["since"].field.widget.input_type = "date"
        self.filters["until"].field.widget.input_type = "date"


class AuditTrailView(ObjectListView):
    permission = permissions.VIEW_AUDIT_TRAIL
    table_class = AuditEventTable
    filterset_class = AuditEventFilterSet
    title = "Audit trail"
    export_name = "audit-trail"
    per_page = 50

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.select_related("object_type").order_by("-id")
