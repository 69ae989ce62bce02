"""Pages every record type gets: list, detail, raise, edit, and one page per transition."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from qualitas.core import (
    actions,
    attachments,
    links,
    permissions,
    recordapi,
    records,
    search as text_search,
    workflow,
)
from qualitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qualitas.core.forms import put_errors
from qualitas.core.forms_records import (
    ActionForm,
    AttachmentForm,
    LinkForm,
    TransitionForm,
    record_form,
)
from qualitas.core.models import User
from qualitas.core.registry import registry
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView

# The page shows the newest events; the full history is in the API and the audit-trail export.
HISTORY_SHOWN = 500


def detail_url(record: Any) -> str:
    return reverse("core:record_detail", args=[records.type_of(record).resource, record.pk])


class StateColumn(tables.Column):
    """The state as a badge; exported as its label."""

    def render(self, value: Any, record: Any) -> str:
        return format_html(
            '<span class="badge state-badge state-{}">{}</span>', value, record.get_state_display()
        )

    def value(self, value: Any, record: Any) -> str:
        return str(record.get_state_display())


def table_for(record_type: records.RecordType) -> type[tables.Table]:
    attrs = {
        "number": tables.Column(linkify=lambda record: detail_url(record), verbose_name="Number"),
        "title": tables.Column(),
        "state": StateColumn(),
        "owner": tables.Column(order_by=("owner__last_name",)),
        "site": tables.Column(accessor="site__code", default="—"),
        "priority": tables.Column(),
        "due_on": tables.DateColumn(format="Y-m-d", verbose_name="Due"),
        "updated_at": tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Changed"),
        "Meta": type(
            "Meta",
            (),
            {
                "attrs": {"class": "table table-hover align-middle"},
                "empty_text": "No records match these filters.",
            },
        ),
    }
    return type(f"{record_type.model.__name__}Table", (tables.Table,), attrs)


def status_filter(method: Any) -> django_filters.ChoiceFilter:
    """Not closed / overdue / closed (records.with_status): what the KPI strip links to."""
    return django_filters.ChoiceFilter(
        choices=records.STATUSES, method=method, empty_label="Any", label="Status"
    )


def filterset_for(record_type: records.RecordType) -> type[django_filters.FilterSet]:
    def search(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return text_search.matching(queryset, record_type, value)

    attrs = {
        "q": django_filters.CharFilter(method=search, label="Search"),
        "status": status_filter(
            lambda queryset, name, value: records.with_status(record_type, queryset, value)
        ),
        "state": django_filters.ChoiceFilter(
            choices=record_type.workflow.states.choices, empty_label="Any"
        ),
        "Meta": type("Meta", (), {"model": record_type.model, "fields": ["q", "status", "state"]}),
    }
    return type(f"{record_type.model.__name__}FilterSet", (django_filters.FilterSet,), attrs)


class RecordListView(ObjectListView):
    """The list of one record type; declared by nothing but the record type itself."""

    template_name = "core/object_list.html"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.record_type = records.by_resource(kwargs["resource"])
        self.permission = self.record_type.permissions.view
        self.table_class = self.record_type.presentation.table_class or table_for(self.record_type)
        self.filterset_class = self.record_type.presentation.filterset_class or filterset_for(
            self.record_type
        )
        self.title = self.record_type.label_plural
        self.export_name = self.record_type.resource
        self.create_permission = self.record_type.permissions.create

    def get_queryset(self) -> QuerySet[Any]:
        found = records.visible_to(signed_in_user(self.request), self.record_type)
        # select_related() with no names would replace the owner/site/department joins
        # visible_to() made with "every non-null foreign key", and a site is nullable.
        extra = self.record_type.presentation.list_select_related
        return found.select_related(*extra) if extra else found

    def create_url(self, user: Any) -> str | None:
        if not permissions.has_perm(user, self.record_type.permissions.create):
            return None
        if self.record_type.presentation.create_url_name:
            return reverse(self.record_type.presentation.create_url_name)
        return reverse("core:record_create", args=[self.record_type.resource])


@login_required
def record_detail(request: HttpRequest, resource: str, pk: int) -> HttpResponse:
    record_type = records.by_resource(resource)
    actor = signed_in_user(request)
    record = records.get_visible(
        actor, record_type, pk, related=_places(record_type), signatures=True
    )
    _with_people(record)
    record_actions = list(actions.actions_of(record))
    # Other modules' notes beside the actions (the change that implements a CAPA action).
    notes: dict[int, list[Any]] = {}
    for source in registry.action_notes:
        if record_type.key in source.record_types and record_actions:
            for action_id, lines in source.notes(record, record_actions, actor).items():
                notes.setdefault(action_id, []).extend(lines)
    for action in record_actions:
        action.notes = notes.get(action.pk, [])  # type: ignore[attr-defined]
    fields = []
    for name in record_type.presentation.display_fields or (
        "owner",
        "site",
        "department",
        "priority",
        "due_on",
        *record_type.editable_fields,
    ):
        if name in {"title"}:
            continue
        field = record._meta.get_field(name)
        value = getattr(record, name)
        display = getattr(record, f"get_{name}_display", None)
        if callable(display):
            value = display()
        elif isinstance(value, Decimal):
            value = f"{value.normalize():f}"
        elif isinstance(value, datetime):
            # As the rest of the page shows times: local, to the minute, with the zone.
            value = f"{timezone.localtime(value):%Y-%m-%d %H:%M %Z}"
        elif isinstance(value, date):
            value = value.isoformat()
        fields.append((str(field.verbose_name).capitalize(), value))
    history = list(recordapi.history_of(record).order_by("-id")[:HISTORY_SHOWN])
    context = {
        "title": f"{record.number} {record.title}",
        "record": record,
        "record_type": record_type,
        "fields": list(dict.fromkeys(fields)),
        "transitions": workflow.available(record, actor),
        "may_edit": records.may_edit(actor, record),
        "signatures": recordapi.signature_rows(record),
        "actions": record_actions,
        "closable_actions": {
            a.pk for a in record_actions if actions.may_complete(actor, a, record)
        },
        "attachments": attachments.attachments_of(record, include_removed=True),
        "links": links.links_of(record, viewer=actor),
        "history": history,
        # Counted only when the page shows less than all of it.
        "history_count": len(history)
        if len(history) < HISTORY_SHOWN
        else recordapi.history_of(record).count(),
        "history_shown": HISTORY_SHOWN,
        "action_form": ActionForm(),
        "attachment_form": AttachmentForm(),
        "link_form": LinkForm(),
        "locked": record.state in record_type.workflow.locked_states,
        "today": timezone.localdate(),
        "documents": [
            (d.label, reverse(d.url_name, args=[record.pk]))
            for d in registry.record_documents
            if d.record_type == record_type.key and (d.shown is None or d.shown(record))
        ],
        # Other modules' controls on this page (raise a change request from it).
        "buttons": [
            (button.label, button.icon, href)
            for button in registry.record_buttons
            if record_type.key in button.record_types
            and (href := button.href(record, actor)) is not None
        ],
        "panel": record_type.presentation.detail_panel(record, request)
        if record_type.presentation.detail_panel
        else "",
    }
    return render(request, "core/record_detail.html", context)


def _places(record_type: records.RecordType) -> tuple[str, ...]:
    """The shown foreign keys that are not people (a defect code, a part): joined to the
    record's own query. Joining every key instead made PostgreSQL spend longer planning the
    query than three more queries cost."""
    shown = set(record_type.presentation.display_fields)
    return tuple(
        field.name
        for field in record_type.model._meta.concrete_fields
        if field.many_to_one and field.name in shown and field.related_model is not User
    )


def _with_people(record: Any) -> None:
    """Everyone the page names (owner, raised by, changed by, a verifier …) read in one
    query and set on the record, instead of one query each as the template reaches them."""
    fields = [
        field
        for field in record._meta.concrete_fields
        if field.many_to_one and field.related_model is User and not field.is_cached(record)
    ]
    people = User.objects.in_bulk({getattr(record, f.attname) for f in fields} - {None})
    for field in fields:
        person = people.get(getattr(record, field.attname))
        if person is not None:
            field.set_cached_value(record, person)


@login_required
def record_create(request: HttpRequest, resource: str) -> HttpResponse:
    record_type = records.by_resource(resource)
    actor = signed_in_user(request)
    permissions.require(actor, record_type.permissions.create)
    if not record_type.generic_create:
        if record_type.presentation.create_url_name:
            return redirect(record_type.presentation.create_url_name)
        raise NotFound(f"{record_type.label_plural} are not raised here.")
    form_class = record_form(record_type, editing=False)
    form = form_class(
        request.POST or None, initial={"site": actor.site, "department": actor.department}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in record_type.editable_fields}
        try:
            created = records.raise_record(record_type, actor=actor, **data)
        except (InvalidInput, PermissionDenied) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, f"{created.number} raised.")
            return redirect(detail_url(created))
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "title": f"New {record_type.label.lower()}",
        "cancel_url": reverse("core:record_list", args=[resource]),
    }
    return render(request, "core/object_form.html", context, status=status)


@login_required
def record_edit(request: HttpRequest, resource: str, pk: int) -> HttpResponse:
    record_type = records.by_resource(resource)
    actor = signed_in_user(request)
    record = records.get_visible(actor, record_type, pk)
    # Nobody is shown a form they could never submit (a viewer, a closed record).
    if record.state in record_type.workflow.locked_states:
        raise records.RecordLocked(
            f"{record.number} is {record.get_state_display()} and can no longer be changed."
        )
    if not records.may_edit(actor, record):
        records.require_for(actor, record_type.permissions.edit, record)
    form_class = record_form(record_type, editing=True)
    # The form fills in its own copy: the service must see the record as it stands, to tell
    # what the person changed (a verification taken back, a date corrected).
    form = form_class(
        request.POST or None, instance=copy.copy(record), initial={"version": record.version}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in record_type.editable_fields}
        try:
            records.change_record(
                record,
                actor=actor,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data.get("reason", ""),
                **data,
            )
        except (InvalidInput, PermissionDenied, Conflict) as exc:
            record.refresh_from_db()
            put_errors(form, exc)
        else:
            messages.success(request, f"{record.number} saved.")
            return redirect(detail_url(record))
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": f"Edit {record.number}", "cancel_url": detail_url(record)}
    return render(request, "core/object_form.html", context, status=status)


@login_required
def record_transition(request: HttpRequest, resource: str, pk: int, name: str) -> HttpResponse:
    """Confirm one transition: a reason when needed, the password when it is a signature."""
    record_type = records.by_resource(resource)
    actor = signed_in_user(request)
    record = records.get_visible(actor, record_type, pk)
    transition = record_type.workflow.transition(name)
    refusals = workflow.evaluate(record, transition, actor)
    options: dict[str, Any] = {
        "needs_signature": transition.signature is not None,
        "comment_required": transition.comment_required,
        "signer": actor,
    }
    form = TransitionForm(request.POST or None, initial={"version": record.version}, **options)
    if request.method == "POST" and not refusals and form.is_valid():
        try:
            recordapi.fire_with_signature(
                record,
                name,
                actor=actor,
                comment=form.cleaned_data["comment"],
                version=form.cleaned_data["version"],
                request=request,
                credentials=form.cleaned_data,
            )
        except (InvalidInput, PermissionDenied, Conflict) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, f"{record.number}: {transition.title} done.")
            return redirect(detail_url(record))
    context = {
        "title": f"{transition.title}: {record.number}",
        "record": record,
        "transition": transition,
        "refusals": refusals,
        "form": form,
        "meaning": transition.signature,
        "target_label": record_type.workflow.label_of(transition.target),
        "cancel_url": detail_url(record),
        "who_may": workflow.who_may(record, transition)
        if any(r.code == "separation_of_duties" for r in refusals)
        else [],
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "core/record_transition.html", context, status=status)
