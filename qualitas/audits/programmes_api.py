"""Audit programme endpoints beyond the generic record API (list, read, create, update,
approve by signature and withdraw through /transitions): its lines, the calendar with its
deviations, revising an approved programme and scheduling a line's audit. Mounted at
/api/v1/audit-programmes.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qualitas.audits import programme_calendar, programmes
from qualitas.audits.models import AuditProgramme, ProgrammeEntry
from qualitas.core import records
from qualitas.core.errors import InvalidInput, NotFound
from qualitas.core.models import Department, User
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["audit programmes"])


def _programme(request: HttpRequest, programme_id: int) -> AuditProgramme:
    found: AuditProgramme = records.get_visible(
        actor_of(request), programmes.record_type(), programme_id
    )
    return found


def _entry(programme: AuditProgramme, entry_id: int) -> ProgrammeEntry:
    entry: ProgrammeEntry | None = ProgrammeEntry.objects.filter(
        pk=entry_id, programme=programme
    ).first()
    if entry is None:
        raise NotFound(f"No line {entry_id} in {programme.number}.")
    entry.programme = programme
    return entry


def _department(pk: int | None) -> Department | None:
    if pk is None:
        return None
    found: Department | None = Department.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput.for_field("department", f"No department {pk}.")
    return found


def _person(pk: int | None, field_name: str) -> User | None:
    if pk is None:
        return None
    found = User.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise InvalidInput.for_field(field_name, f"No active person {pk}.")
    return found


class EntryIn(Schema):
    subject: str = Field(..., max_length=200, description="The process, clause or supplier")
    audit_type: str = Field(..., description="internal, external, supplier, customer, …")
    risk: str = Field(..., description="high (twice a year), medium (once), low (every other)")
    subject_kind: str = Field("process", description="process, clause, department, …")
    planned_months: list[int] | None = Field(
        None, description="Months 1-12; left out: as often as the risk calls for"
    )
    department: int | None = Field(None, description="Id of the department audited")
    requirement_ids: list[int] = Field(default_factory=list, description="Criteria")
    lead_auditor: int | None = Field(None, description="Id of the planned lead auditor")
    notes: str = Field("", max_length=4000)


class EntryPatch(Schema):
    subject: str | None = Field(None, max_length=200)
    audit_type: str | None = None
    risk: str | None = None
    subject_kind: str | None = None
    planned_months: list[int] | None = None
    department: int | None = None
    requirement_ids: list[int] | None = None
    lead_auditor: int | None = None
    notes: str | None = Field(None, max_length=4000)
    order: int | None = Field(None, ge=0, le=32767)


class EntryOut(Schema):
    id: int
    order: int
    subject_kind: str
    subject: str
    audit_type: str
    risk: str
    planned_months: list[int]
    department: int | None
    lead_auditor: int | None
    requirement_ids: list[int]
    notes: str


def _entry_out(entry: ProgrammeEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "order": entry.order,
        "subject_kind": entry.subject_kind,
        "subject": entry.subject,
        "audit_type": entry.audit_type,
        "risk": entry.risk,
        "planned_months": list(entry.planned_months),
        "department": entry.department_id,
        "lead_auditor": entry.lead_auditor_id,
        "requirement_ids": sorted(r.pk for r in entry.requirements.all()),
        "notes": entry.notes,
    }


@router.get(
    "/{programme_id}/entries",
    response={200: list[EntryOut], **ERRORS},
    operation_id="audit_programme_entries",
    summary="The programme's lines",
)
def list_entries(request: HttpRequest, programme_id: int) -> Any:
    programme = _programme(request, programme_id)
    return [_entry_out(e) for e in programme.entries.prefetch_related("requirements")]


@router.post(
    "/{programme_id}/entries",
    response={201: EntryOut, **ERRORS},
    operation_id="audit_programme_entry_add",
    summary="Plan a subject in a draft programme (months default from its risk)",
)
def add_entry(request: HttpRequest, programme_id: int, payload: EntryIn) -> Any:
    programme = _programme(request, programme_id)
    data = payload.dict()
    entry = programmes.add_entry(
        programme,
        actor=actor_of(request),
        subject=data["subject"],
        audit_type=data["audit_type"],
        risk=data["risk"],
        subject_kind=data["subject_kind"],
        planned_months=data["planned_months"],
        department=_department(data["department"]),
        requirement_ids=data["requirement_ids"],
        lead_auditor=_person(data["lead_auditor"], "lead_auditor"),
        notes=data["notes"],
    )
    return Status(201, _entry_out(entry))


@router.patch(
    "/{programme_id}/entries/{entry_id}",
    response={200: EntryOut, **ERRORS},
    operation_id="audit_programme_entry_change",
    summary="Change a line of a draft programme (only the fields sent)",
)
def change_entry(
    request: HttpRequest, programme_id: int, entry_id: int, payload: EntryPatch
) -> Any:
    programme = _programme(request, programme_id)
    changes = payload.dict(exclude_unset=True)
    if "department" in changes:
        changes["department"] = _department(changes["department"])
    if "lead_auditor" in changes:
        changes["lead_auditor"] = _person(changes["lead_auditor"], "lead_auditor")
    for name in ("subject", "audit_type", "risk", "subject_kind", "requirement_ids", "order"):
        if name in changes and changes[name] is None:
            raise InvalidInput.for_field(name, "This field cannot be null.")
    entry = programmes.change_entry(_entry(programme, entry_id), actor=actor_of(request), **changes)
    return _entry_out(entry)


@router.delete(
    "/{programme_id}/entries/{entry_id}",
    response={204: None, **ERRORS},
    operation_id="audit_programme_entry_remove",
    summary="Take a line out of a draft programme",
)
def remove_entry(request: HttpRequest, programme_id: int, entry_id: int) -> Any:
    programme = _programme(request, programme_id)
    programmes.remove_entry(_entry(programme, entry_id), actor=actor_of(request))
    return Status(204, None)


class CalendarAuditOut(Schema):
    id: int
    number: str
    title: str
    state: str
    month: int
    held: bool
    url: str


class MonthOut(Schema):
    month: int
    planned: bool
    overdue: bool
    audits: list[CalendarAuditOut]


class CalendarRowOut(Schema):
    entry: int
    subject: str
    subject_kind: str
    audit_type: str
    risk: str
    months: list[MonthOut] = Field(..., description="January to December")


class DeviationOut(Schema):
    kind: str = Field(..., description="overdue, moved, cancelled or unplanned")
    reason: str
    entry: int | None
    subject: str
    month: int | None
    audit: CalendarAuditOut | None


class CalendarOut(Schema):
    programme: int
    year: int
    revision: int
    state: str
    rows: list[CalendarRowOut]
    deviations: list[DeviationOut]


def _audit_out(shown: programme_calendar.CalendarAudit | None) -> dict[str, Any] | None:
    if shown is None:
        return None
    return {
        "id": shown.pk,
        "number": shown.number,
        "title": shown.title,
        "state": shown.state,
        "month": shown.month,
        "held": shown.held,
        "url": shown.url,
    }


@router.get(
    "/{programme_id}/calendar",
    response={200: CalendarOut, **ERRORS},
    operation_id="audit_programme_calendar",
    summary="Lines by months with their audits, and the deviations from the plan",
)
def get_calendar(request: HttpRequest, programme_id: int) -> Any:
    programme = _programme(request, programme_id)
    found = programme_calendar.calendar(programme)
    return {
        "programme": programme.pk,
        "year": programme.year,
        "revision": programme.revision,
        "state": programme.state,
        "rows": [
            {
                "entry": row.entry.pk,
                "subject": row.entry.subject,
                "subject_kind": row.entry.subject_kind,
                "audit_type": row.entry.audit_type,
                "risk": row.entry.risk,
                "months": [
                    {
                        "month": cell.month,
                        "planned": cell.planned,
                        "overdue": cell.overdue,
                        "audits": [_audit_out(a) for a in cell.audits],
                    }
                    for cell in row.cells
                ],
            }
            for row in found.rows
        ],
        "deviations": [
            {
                "kind": d.kind,
                "reason": d.reason,
                "entry": d.entry_id,
                "subject": d.subject,
                "month": d.month,
                "audit": _audit_out(d.audit),
            }
            for d in found.deviations
        ],
    }


class RevisionOut(Schema):
    id: int
    number: str
    revision: int
    state: str
    year: int
    supersedes: int | None
    entries: int


@router.post(
    "/{programme_id}/revise",
    response={201: RevisionOut, **ERRORS},
    operation_id="audit_programme_revise",
    summary="A new draft revision of an approved programme (approving it supersedes this one)",
)
def revise(request: HttpRequest, programme_id: int) -> Any:
    new = programmes.revise(_programme(request, programme_id), actor=actor_of(request))
    return Status(
        201,
        {
            "id": new.pk,
            "number": new.number,
            "revision": new.revision,
            "state": new.state,
            "year": new.year,
            "supersedes": new.supersedes_id,
            "entries": new.entries.count(),
        },
    )


class ScheduleIn(Schema):
    month: int = Field(..., description="1 (Jan) to 12 (Dec)")
    lead_auditor: int | None = Field(None, description="Default: the line's lead auditor")
    title: str | None = Field(None, max_length=200)


class ScheduledOut(Schema):
    id: int
    number: str
    title: str
    state: str
    planned_start: date | None
    programme_entry: int | None
    lead_auditor: int | None


@router.post(
    "/{programme_id}/entries/{entry_id}/schedule",
    response={201: ScheduledOut, **ERRORS},
    operation_id="audit_programme_schedule",
    summary="Raise the audit a line of the approved programme plans for a month",
)
def schedule(request: HttpRequest, programme_id: int, entry_id: int, payload: ScheduleIn) -> Any:
    programme = _programme(request, programme_id)
    raised = programmes.schedule_audit(
        _entry(programme, entry_id),
        actor=actor_of(request),
        month=payload.month,
        lead_auditor=_person(payload.lead_auditor, "lead_auditor"),
        title=payload.title,
    )
    return Status(
        201,
        {
            "id": raised.pk,
            "number": raised.number,
            "title": raised.title,
            "state": raised.state,
            "planned_start": raised.planned_start,
            "programme_entry": raised.programme_entry_id,
            "lead_auditor": raised.lead_auditor_id,
        },
    )
