"""Every write to audit programmes: a site's year of planned audits (ISO 9001 9.2.2 a, ISO
19011 5), its lines with a risk-based frequency, approval by signature, revision, and the
audits raised from it; and the calendar that shows where the year deviates from the plan.

A line's audits are matched by its subject across the revisions of the site's programme for
the year, so an audit held under revision 1 still counts once revision 2 is in force."""

from __future__ import annotations

import calendar as months_of
import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from qualitas.audits import readiness, services, workflows as w
from qualitas.audits.models import (
    AUDITS_PER_YEAR,
    Audit,
    AuditProgramme,
    AuditType,
    ProgrammeEntry,
    Risk,
    SubjectKind,
)
from qualitas.core import audit, permissions, records, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import Department, Site, User
from qualitas.core.validation import clean_or_raise

PROGRAMME = "auditprogramme"
MONTHS = tuple(months_of.month_abbr[m] for m in range(1, 13))
# An audit counts as held once its fieldwork has started.
HELD = (w.State.IN_PROGRESS, w.State.REPORTING, w.State.FOLLOW_UP, w.State.CLOSED)
# Changed by the approval step itself, after the signature: not part of what is signed.
UNSIGNED = ("approved_at",)


def record_type() -> records.RecordType:
    return records.RECORD_TYPES[PROGRAMME]


def url_of(programme: AuditProgramme) -> str:
    return f"/{record_type().resource}/{programme.pk}/"


# --- The programme -----------------------------------------------------------------------------


def _site_of_new(actor: User, site: Site | None) -> Site | None:
    """The site a new programme will belong to, as records.create decides it: the one given,
    the planner's own, or the only site where they plan audits."""
    if site is not None:
        return site
    if actor.site is not None and permissions.has_perm(actor, w.PLAN, site=actor.site):
        return actor.site
    sites = permissions.sites_with_perm(actor, w.PLAN)
    if sites is not None and len(sites) == 1:
        return Site.objects.filter(pk=next(iter(sites))).first()
    return None


def _refuse_second(site: Site | None, year: int, *, field_name: str = "year") -> None:
    """One programme being drafted and one in force per site and year."""
    if site is None:
        return
    other = (
        AuditProgramme.objects.filter(site=site, year=year, state__in=("draft", "approved"))
        .order_by("state")
        .first()
    )
    if other is not None:
        raise InvalidInput.for_field(
            field_name,
            f"{site.name} already has a {other.get_state_display().lower()} programme for "
            f"{year} ({other.number}, revision {other.revision}): "
            + ("finish or withdraw it." if other.state == "draft" else "revise it instead."),
        )


@audit.service
def create_programme(*, actor: User, **fields: Any) -> AuditProgramme:
    """Draft a site's programme for a year (one draft and one approved per site and year)."""
    year = fields.get("year")
    try:
        year = int(year) if year is not None else None
    except (TypeError, ValueError):
        year = None
    if year is None or not 2000 <= year <= 2100:
        raise InvalidInput.for_field("year", "Give the programme's year, e.g. 2027.")
    fields["year"] = year
    site = _site_of_new(actor, fields.get("site"))
    if site is not None:
        permissions.require(actor, record_type().permissions.create, site=site)
        fields["site"] = site
    _refuse_second(site, year)
    created: AuditProgramme = records.create(record_type(), actor=actor, **fields)
    return created


@audit.service
def revise(programme: AuditProgramme, *, actor: User) -> AuditProgramme:
    """A new draft revision of an approved programme, its lines copied; approving it
    supersedes this one (ENTAILS["approve"])."""
    # Its row locked to the commit: two planners revising at once make one draft.
    with records.locked(programme) as programme:
        return _revise(programme, actor)


def _revise(programme: AuditProgramme, actor: User) -> AuditProgramme:
    if programme.state != w.ProgrammeState.APPROVED:
        raise Conflict(
            f"Only the approved programme is revised; {programme.number} is "
            f"{programme.get_state_display().lower()}."
        )
    _refuse_second_draft(programme)
    new: AuditProgramme = records.create(
        record_type(),
        actor=actor,
        computed={"revision": programme.revision + 1, "supersedes": programme},
        title=programme.title,
        year=programme.year,
        approach=programme.approach,
        site=programme.site,
    )
    for entry in programme.entries.prefetch_related("requirements").order_by("order", "id"):
        copy = ProgrammeEntry.objects.create(
            programme=new,
            order=entry.order,
            subject_kind=entry.subject_kind,
            subject=entry.subject,
            audit_type=entry.audit_type,
            risk=entry.risk,
            planned_months=list(entry.planned_months),
            department_id=entry.department_id,
            lead_auditor_id=entry.lead_auditor_id,
            notes=entry.notes,
        )
        copy.requirements.set([r.pk for r in entry.requirements.all()])
    return new


def _refuse_second_draft(programme: AuditProgramme) -> None:
    draft = AuditProgramme.objects.filter(
        site=programme.site_id, year=programme.year, state=w.ProgrammeState.DRAFT
    ).first()
    if draft is not None:
        raise Conflict(
            f"{draft.number} (revision {draft.revision}) is already being drafted for "
            f"{programme.year}: finish or withdraw it."
        )


def approved(programme: Any, actor: User, comment: str) -> None:
    """Entailed by the approval signature: the date, and the revision it replaces is
    superseded (a site has one programme in force per year)."""
    programme.approved_at = timezone.now()
    programme.save(update_fields=["approved_at"])
    if programme.supersedes_id is None:
        return
    previous = AuditProgramme.objects.get(pk=programme.supersedes_id)
    if previous.state == w.ProgrammeState.APPROVED:
        workflow.fire(
            previous,
            "supersede",
            actor=actor,
            comment=f"Superseded by {programme.number} (revision {programme.revision})",
            by_service=True,
        )


ENTAILS: dict[str, Callable[[Any, Any, str], None]] = {"approve": approved}


def signed_entries(programme: AuditProgramme) -> list[dict[str, Any]]:
    """What an approval signature covers beyond the programme's fields: its lines."""
    return [
        {
            "subject_kind": e.subject_kind,
            "subject": e.subject,
            "audit_type": e.audit_type,
            "risk": e.risk,
            "planned_months": list(e.planned_months),
            "department": e.department_id,
            "lead_auditor": e.lead_auditor_id,
            "requirements": sorted(r.pk for r in e.requirements.all()),
            "notes": e.notes,
        }
        for e in programme.entries.prefetch_related("requirements").order_by("order", "id")
    ]


# --- Its lines ---------------------------------------------------------------------------------


def may_plan(user: User, programme: AuditProgramme) -> bool:
    return programme.state == w.ProgrammeState.DRAFT and records.may_edit(user, programme)


def _require_draft(actor: User, programme: AuditProgramme) -> None:
    if programme.state != w.ProgrammeState.DRAFT:
        raise Conflict(
            f"{programme.number} is {programme.get_state_display().lower()}: its lines no "
            "longer change. Revise it to plan differently."
        )
    if not records.may_edit(actor, programme):
        raise PermissionDenied(
            f"Only the owner of {programme.number} or an audit planner at "
            f"{programme.site.name if programme.site else 'its site'} may change its lines."
        )


def spread(count: int) -> list[int]:
    """`count` audits spread evenly over the year: 1 → June, 2 → March and September."""
    return [12 * (2 * i + 1) // (2 * count) for i in range(count)]


def audited_last_year(programme: AuditProgramme, subject: str) -> bool:
    """Whether last year's approved programme of the site planned or held an audit of this
    subject."""
    held = Audit.objects.filter(programme_entry=OuterRef("pk")).exclude(state=w.State.CANCELLED)
    return (
        ProgrammeEntry.objects.filter(
            programme__site=programme.site_id,
            programme__year=programme.year - 1,
            programme__state=w.ProgrammeState.APPROVED,
            subject__iexact=subject.strip(),
        )
        .filter(~Q(planned_months=[]) | Exists(held))
        .exists()
    )


def default_months(programme: AuditProgramme, risk: str, subject: str) -> list[int]:
    """The months a line's risk calls for: high twice a year, medium once, low every
    other year (this year when the subject was not audited last year)."""
    per_year = AUDITS_PER_YEAR[Risk(risk)]
    if per_year >= 1:
        return spread(int(per_year))
    return [] if audited_last_year(programme, subject) else spread(1)


def clean_months(value: Any) -> list[int]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidInput.for_field("planned_months", "Give the months as a list, e.g. [3, 9].")
    months = []
    for month in value:
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise InvalidInput.for_field(
                "planned_months", f"{month!r} is not a month: give numbers 1 (Jan) to 12 (Dec)."
            )
        months.append(month)
    return sorted(set(months))


def _choice(name: str, value: str, choices: Any) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise InvalidInput.for_field(name, f"'{value}' is not one of {allowed}.")
    return value


def _check_requirements(requirement_ids: Iterable[int]) -> list[int]:
    from qualitas.compliance import queries as compliance

    wanted = list(dict.fromkeys(int(i) for i in requirement_ids))
    known = compliance.requirement_ids(wanted)
    unknown = [str(i) for i in wanted if i not in known]
    if unknown:
        raise InvalidInput.for_field(
            "requirement_ids", f"No such requirement: {', '.join(unknown)}."
        )
    return wanted


def _check_department(programme: AuditProgramme, department: Department | None) -> None:
    if department is not None and department.site_id not in (None, programme.site_id):
        raise InvalidInput.for_field(
            "department", f"{department} is not a department of {programme.site}."
        )


def _check_lead(programme: AuditProgramme, lead: User | None) -> None:
    if lead is not None and readiness.unqualified(programme.site, [lead]):
        raise InvalidInput.for_field(
            "lead_auditor", readiness.qualification_reason([lead.printed_name])
        )


def _check_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput.for_field("subject", "Name the process, clause or supplier audited.")
    return subject


@audit.service
def add_entry(
    programme: AuditProgramme,
    *,
    actor: User,
    subject: str,
    audit_type: str,
    risk: str,
    subject_kind: str = SubjectKind.PROCESS,
    planned_months: list[int] | None = None,
    department: Department | None = None,
    requirement_ids: Iterable[int] = (),
    lead_auditor: User | None = None,
    notes: str = "",
) -> ProgrammeEntry:
    """Plan a subject in a draft programme; without months, as often as its risk calls for."""
    with records.locked(programme) as current:
        _require_draft(actor, current)
        subject = _check_subject(subject)
        _choice("audit_type", audit_type, AuditType)
        _choice("risk", risk, Risk)
        _choice("subject_kind", subject_kind, SubjectKind)
        months = (
            default_months(current, risk, subject)
            if planned_months is None
            else clean_months(planned_months)
        )
        _check_department(current, department)
        _check_lead(current, lead_auditor)
        wanted = _check_requirements(requirement_ids)
        last = current.entries.order_by("-order").values_list("order", flat=True).first()
        entry = ProgrammeEntry(
            programme=current,
            order=(last or 0) + 1,
            subject_kind=subject_kind,
            subject=subject,
            audit_type=audit_type,
            risk=risk,
            planned_months=months,
            department=department,
            lead_auditor=lead_auditor,
            notes=notes.strip(),
        )
        clean_or_raise(entry, exclude=["programme", "department", "lead_auditor"])
        entry.save()
        entry.requirements.set(wanted)
        records.touch(current, actor)
    return entry


ENTRY_FIELDS = (
    "subject",
    "subject_kind",
    "audit_type",
    "risk",
    "planned_months",
    "department",
    "requirement_ids",
    "lead_auditor",
    "notes",
    "order",
)


@audit.service
def change_entry(entry: ProgrammeEntry, *, actor: User, **changes: Any) -> ProgrammeEntry:
    """Change a line of a draft programme (only the fields given)."""
    unknown = sorted(set(changes) - set(ENTRY_FIELDS))
    if unknown:
        raise InvalidInput.for_field(unknown[0], "This field cannot be changed.")
    with records.locked(entry.programme) as current:
        _require_draft(actor, current)
        entry = ProgrammeEntry.objects.get(pk=entry.pk, programme=current)
        if "subject" in changes:
            entry.subject = _check_subject(changes["subject"])
        for name, choices in (
            ("audit_type", AuditType),
            ("risk", Risk),
            ("subject_kind", SubjectKind),
        ):
            if name in changes:
                setattr(entry, name, _choice(name, changes[name], choices))
        if "planned_months" in changes:
            entry.planned_months = clean_months(changes["planned_months"])
        if "department" in changes:
            _check_department(current, changes["department"])
            entry.department = changes["department"]
        if "lead_auditor" in changes:
            _check_lead(current, changes["lead_auditor"])
            entry.lead_auditor = changes["lead_auditor"]
        if "notes" in changes:
            entry.notes = (changes["notes"] or "").strip()
        if "order" in changes:
            entry.order = changes["order"]
        wanted = (
            _check_requirements(changes["requirement_ids"])
            if "requirement_ids" in changes
            else None
        )
        clean_or_raise(entry, exclude=["programme", "department", "lead_auditor"])
        entry.save()
        if wanted is not None:
            entry.requirements.set(wanted)
        records.touch(current, actor)
    return entry


@audit.service
def remove_entry(entry: ProgrammeEntry, *, actor: User) -> None:
    """Take a line out of a draft programme (the removal stays on the audit trail)."""
    with records.locked(entry.programme) as current:
        _require_draft(actor, current)
        entry.requirements.clear()
        entry.delete()
        records.touch(current, actor)


# --- Raising its audits ------------------------------------------------------------------------


def first_working_day(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month, 1)
    while day.weekday() >= 5:  # Saturday, Sunday
        day += datetime.timedelta(days=1)
    return day


@audit.service
def schedule_audit(
    entry: ProgrammeEntry,
    *,
    actor: User,
    month: int,
    lead_auditor: User | None = None,
    title: str | None = None,
) -> Audit:
    """Raise the audit a line of the approved programme plans for a month: planned for its
    first working day, with the line's criteria and audited department."""
    programme = AuditProgramme.objects.select_related("site").get(pk=entry.programme_id)
    if programme.state != w.ProgrammeState.APPROVED:
        raise Conflict(
            f"{programme.number} is {programme.get_state_display().lower()}: audits are "
            "scheduled from the approved programme."
        )
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise InvalidInput.for_field("month", "Give a month from 1 (Jan) to 12 (Dec).")
    lead = lead_auditor or entry.lead_auditor
    raised = services.raise_audit(
        actor=actor,
        computed={"programme_entry": entry},
        title=(title or "").strip()
        or f"{entry.subject}: {entry.get_audit_type_display().lower()} audit, "
        f"{months_of.month_name[month]} {programme.year}",
        audit_type=entry.audit_type,
        site=programme.site,
        department=entry.department,
        planned_start=first_working_day(programme.year, month),
        lead_auditor=lead,
    )
    requirement_ids = [r.pk for r in entry.requirements.all()]
    if requirement_ids:
        raised = services.set_criteria(
            raised, actor=actor, requirement_ids=requirement_ids, expected_version=raised.version
        )
    if entry.department_id:
        raised = services.set_auditee_departments(
            raised,
            actor=actor,
            department_ids=[entry.department_id],
            expected_version=raised.version,
        )
    return raised
