"""Audit programme pages beyond the generic record pages: the panel on a programme's page
(its approach, the 12-month calendar, the deviations, the forms for its lines while it is
drafted, scheduling and revising once approved) and the actions those forms post to; the
calendar exported as CSV or XLSX (/audits/programmes/<pk>/calendar/?export=csv|xlsx).
Approval and withdrawal are steps on the record's own page (the core's signing form)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from qualitas.audits import programme_calendar, programmes, readiness, services, workflows as w
from qualitas.audits.models import AuditProgramme, AuditType, ProgrammeEntry, Risk, SubjectKind
from qualitas.core import exports, permissions, records, workflow
from qualitas.core.errors import InvalidInput, NotFound, QualitasError
from qualitas.core.models import Department, User
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url

# Bootstrap badge classes for an audit's state in the calendar.
STATE_BADGES: dict[str, str] = {
    w.State.PLANNED: "text-bg-secondary",
    w.State.PREPARED: "text-bg-info",
    w.State.IN_PROGRESS: "text-bg-primary",
    w.State.REPORTING: "text-bg-primary",
    w.State.FOLLOW_UP: "text-bg-warning",
    w.State.CLOSED: "text-bg-success",
    w.State.CANCELLED: "text-bg-danger",
}
DEVIATION_BADGES = {
    "overdue": "text-bg-danger",
    "moved": "text-bg-warning",
    "cancelled": "text-bg-secondary",
    "unplanned": "text-bg-info",
}


def _programme(request: HttpRequest, pk: int) -> AuditProgramme:
    found: AuditProgramme = records.get_visible(
        signed_in_user(request), programmes.record_type(), pk
    )
    return found


def _entry(programme: AuditProgramme, entry_pk: int) -> ProgrammeEntry:
    entry: ProgrammeEntry | None = (
        ProgrammeEntry.objects.select_related("programme__site")
        .filter(pk=entry_pk, programme=programme)
        .first()
    )
    if entry is None:
        raise NotFound(f"No line {entry_pk} in {programme.number}.")
    return entry


def requirement_label(requirement: Any) -> str:
    return f"{requirement.framework.key}:{requirement.ref_id}"


def _auditors(programme: AuditProgramme) -> list[User]:
    """Who may lead an audit at the programme's site (qualified by role)."""
    ids = workflow.holders_of(readiness.CONDUCT, site=programme.site)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("last_name", "first_name"))


def panel(programme: AuditProgramme, request: HttpRequest) -> str:
    """On the programme's page: approach, calendar, deviations and the planner's controls."""
    viewer = signed_in_user(request)
    found = programme_calendar.calendar(programme)
    may_plan = programmes.may_plan(viewer, programme)
    approved = programme.state == w.ProgrammeState.APPROVED
    plans_here = permissions.has_perm(viewer, w.PLAN, site=programme.site)
    rows = [
        {
            "entry": row.entry,
            "criteria": ", ".join(requirement_label(r) for r in row.entry.requirements.all()),
            "cells": [
                {
                    "cell": cell,
                    "audits": [
                        (a, STATE_BADGES.get(a.state, "text-bg-light")) for a in cell.audits
                    ],
                }
                for cell in row.cells
            ],
        }
        for row in found.rows
    ]
    context = {
        "programme": programme,
        "calendar": found,
        "rows": rows,
        "months": list(enumerate(programmes.MONTHS, start=1)),
        "deviations": [
            (d, programme_calendar.DEVIATION_LABELS[d.kind], DEVIATION_BADGES[d.kind])
            for d in found.deviations
        ],
        "may_plan": may_plan,
        "may_schedule": approved and plans_here,
        "may_revise": approved and plans_here,
        "audit_types": AuditType.choices,
        "risks": Risk.choices,
        "subject_kinds": SubjectKind.choices,
        "departments": list(Department.objects.filter(site=programme.site_id).order_by("name"))
        if may_plan
        else [],
        "auditors": _auditors(programme) if may_plan else [],
    }
    return render_to_string("audits/programme_panel.html", context, request=request)


def _back(programme: AuditProgramme) -> HttpResponseRedirect:
    return HttpResponseRedirect(detail_url(programme))


def _optional_pk(post: Any, name: str) -> int | None:
    value = post.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput.for_field(name, f"'{value}' is not a choice.")
    return int(value)


def _criteria(text: str) -> list[int]:
    """Requirements named as framework:reference, e.g. iso-9001-2015:8.5.1, comma separated."""
    from qualitas.compliance import queries as compliance

    names = [n.strip() for n in text.replace("\n", ",").split(",") if n.strip()]
    refs = []
    for name in names:
        key, _, ref = name.partition(":")
        if not ref:
            raise InvalidInput.for_field(
                "requirement_ids", f"Name '{name}' as framework:reference, e.g. iso-9001-2015:8.5."
            )
        refs.append((key.strip(), ref.strip()))
    found = compliance.requirement_ids_by_ref(refs)
    if len(found) != len(refs):
        raise InvalidInput.for_field(
            "requirement_ids", f"Not every requirement named exists: {', '.join(names)}."
        )
    return found


def _entry_input(post: Any, programme: AuditProgramme, *, adding: bool) -> dict[str, Any]:
    """A line's fields from the form: the months ticked (none ticked on a new line: as its
    risk calls for), department and lead auditor by id, criteria by reference."""
    months = [int(m) for m in post.getlist("planned_months") if m.isdigit()]
    if len(months) != len(post.getlist("planned_months")):
        raise InvalidInput.for_field("planned_months", "Tick months from the calendar.")
    department_pk = _optional_pk(post, "department")
    department = None
    if department_pk is not None:
        department = Department.objects.filter(pk=department_pk).first()
        if department is None:
            raise InvalidInput.for_field("department", "No such department.")
    lead_pk = _optional_pk(post, "lead_auditor")
    lead = None
    if lead_pk is not None:
        lead = User.objects.filter(pk=lead_pk, is_active=True).first()
        if lead is None:
            raise InvalidInput.for_field("lead_auditor", "No such person.")
    return {
        "subject": post.get("subject", ""),
        "subject_kind": post.get("subject_kind", SubjectKind.PROCESS),
        "audit_type": post.get("audit_type", ""),
        "risk": post.get("risk", ""),
        "planned_months": months if months or not adding else None,
        "department": department,
        "lead_auditor": lead,
        "requirement_ids": _criteria(post.get("criteria", "")),
        "notes": post.get("notes", ""),
    }


@require_POST
@login_required
def add_entry(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    programme = _programme(request, pk)
    try:
        entry = programmes.add_entry(
            programme, actor=user, **_entry_input(request.POST, programme, adding=True)
        )
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{entry.subject} added to {programme.number}.")
    return _back(programme)


@require_POST
@login_required
def change_entry(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    programme = _programme(request, pk)
    try:
        entry = programmes.change_entry(
            _entry(programme, entry_pk),
            actor=user,
            **_entry_input(request.POST, programme, adding=False),
        )
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{entry.subject}: saved.")
    return _back(programme)


@require_POST
@login_required
def remove_entry(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    programme = _programme(request, pk)
    try:
        entry = _entry(programme, entry_pk)
        subject = entry.subject
        programmes.remove_entry(entry, actor=user)
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{subject} taken out of {programme.number}.")
    return _back(programme)


@require_POST
@login_required
def schedule(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """Raise the audit a line plans for a month; on to the new audit's page."""
    user = signed_in_user(request)
    programme = _programme(request, pk)
    month = request.POST.get("month", "")
    try:
        raised = programmes.schedule_audit(
            _entry(programme, entry_pk),
            actor=user,
            month=int(month) if month.isdigit() else 0,
        )
    except QualitasError as exc:
        messages.error(request, exc.detail)
        return _back(programme)
    messages.success(request, f"{raised.number} planned for {raised.planned_start:%Y-%m-%d}.")
    return HttpResponseRedirect(services.url_of(raised))


@require_POST
@login_required
def revise(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    programme = _programme(request, pk)
    try:
        new = programmes.revise(programme, actor=user)
    except QualitasError as exc:
        messages.error(request, exc.detail)
        return _back(programme)
    messages.success(
        request, f"{new.number} (revision {new.revision}) drafted from {programme.number}."
    )
    return _back(new)


@require_GET
@login_required
def calendar_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The calendar as a sheet: ?export=csv or ?export=xlsx."""
    programme = _programme(request, pk)
    wanted = request.GET.get("export", "")
    rows = programme_calendar.export_rows(programme_calendar.calendar(programme))
    name = f"{programme.number}-rev{programme.revision}-calendar"
    if wanted == "csv":
        return exports.csv_response(name, rows)
    if wanted == "xlsx":
        return exports.xlsx_response(name, rows, title=f"Audit programme {programme.year}")
    raise InvalidInput.for_field("export", "Ask for csv or xlsx.")
