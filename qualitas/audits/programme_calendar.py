"""An audit programme's calendar: each line and month, planned or not, with the audits held
or planned in it; and where the year deviates from the plan (ISO 19011 5.5.7: monitoring the
programme): a month passed without its audit, an audit moved or cancelled, an audit no line
planned. Read by the programme's page, its exports and the API."""

from __future__ import annotations

import calendar as months_of
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from qualitas.audits import services, workflows as w
from qualitas.audits.models import Audit, AuditProgramme, ProgrammeEntry
from qualitas.audits.programmes import HELD, MONTHS


@dataclass(frozen=True)
class CalendarAudit:
    pk: int
    number: str
    title: str
    state: str
    state_label: str
    url: str
    month: int
    held: bool


@dataclass
class Cell:
    month: int
    planned: bool
    current: bool
    audits: list[CalendarAudit] = field(default_factory=list)
    overdue: bool = False


@dataclass
class Row:
    entry: ProgrammeEntry
    cells: list[Cell]


@dataclass(frozen=True)
class Deviation:
    kind: str  # overdue, moved, cancelled, unplanned
    reason: str
    entry_id: int | None = None
    subject: str = ""
    month: int | None = None
    audit: CalendarAudit | None = None


@dataclass
class Calendar:
    programme: AuditProgramme
    rows: list[Row]
    deviations: list[Deviation]
    current_month: int | None

    @property
    def months(self) -> tuple[str, ...]:
        return MONTHS


DEVIATION_LABELS = {
    "overdue": "Overdue",
    "moved": "Moved",
    "cancelled": "Cancelled",
    "unplanned": "Unplanned",
}


def _key(subject_kind: str, subject: str) -> tuple[str, str]:
    return subject_kind, subject.strip().lower()


def _when(found: Audit) -> datetime.date | None:
    return found.started_on or found.planned_start


def _shown(found: Audit, labels: dict[str, str], year: int) -> CalendarAudit | None:
    when = _when(found)
    if when is None or when.year != year:
        return None
    return CalendarAudit(
        pk=found.pk,
        number=found.number,
        title=found.title,
        state=found.state,
        state_label=labels.get(found.state, found.state),
        url=services.url_of(found),
        month=when.month,
        held=found.state in HELD or found.started_on is not None,
    )


def _month_over(year: int, month: int, today: datetime.date) -> bool:
    return today > datetime.date(year, month, months_of.monthrange(year, month)[1])


def calendar(programme: AuditProgramme, *, today: datetime.date | None = None) -> Calendar:
    """Each line and month: planned or not and the line's audits held or planned in it; and
    the deviations from the plan. Five queries whatever the number of lines and audits."""
    today = today or timezone.localdate()
    year = programme.year
    labels = dict(w.State.choices)
    entries = list(
        programme.entries.select_related("department", "lead_auditor")
        .prefetch_related("requirements__framework")
        .order_by("order", "id")
    )
    # The audits of every revision's lines for the site's year, matched to this revision's
    # lines by subject.
    planned_audits = Audit.objects.filter(
        programme_entry__programme__site=programme.site_id,
        programme_entry__programme__year=year,
    ).select_related("programme_entry")
    by_subject: dict[tuple[str, str], list[Audit]] = defaultdict(list)
    for found in planned_audits.order_by("planned_start", "id"):
        line = found.programme_entry
        if line is None:
            continue
        by_subject[_key(line.subject_kind, line.subject)].append(found)
    current_month = today.month if today.year == year else None
    rows: list[Row] = []
    deviations: list[Deviation] = []
    matched: set[tuple[str, str]] = set()
    for entry in entries:
        key = _key(entry.subject_kind, entry.subject)
        matched.add(key)
        row, found = _row(entry, by_subject.get(key, []), labels, year, today, current_month)
        rows.append(row)
        deviations.extend(found)
    unplanned = Audit.objects.filter(site=programme.site_id, programme_entry__isnull=True)
    unplanned = unplanned.filter(
        Q(started_on__year=year) | Q(started_on__isnull=True, planned_start__year=year)
    ).exclude(state=w.State.CANCELLED)
    for found in unplanned.order_by("planned_start", "id"):
        shown = _shown(found, labels, year)
        if shown is not None:
            deviations.append(
                Deviation(
                    "unplanned",
                    f"{found.number} in {MONTHS[shown.month - 1]} is not in the programme.",
                    month=shown.month,
                    audit=shown,
                    subject=found.title,
                )
            )
    for key, audits in by_subject.items():
        if key in matched:
            continue
        for found in audits:
            shown = _shown(found, labels, year)
            if shown is not None and found.state != w.State.CANCELLED:
                deviations.append(
                    Deviation(
                        "unplanned",
                        f"{found.number}: its line was taken out of this revision.",
                        month=shown.month,
                        audit=shown,
                        subject=found.programme_entry.subject if found.programme_entry else "",
                    )
                )
    return Calendar(programme, rows, deviations, current_month)


def _row(
    entry: ProgrammeEntry,
    audits: list[Audit],
    labels: dict[str, str],
    year: int,
    today: datetime.date,
    current_month: int | None,
) -> tuple[Row, list[Deviation]]:
    planned = set(entry.planned_months or [])
    cells = [Cell(m, m in planned, m == current_month) for m in range(1, 13)]
    deviations: list[Deviation] = []

    def deviation(kind: str, reason: str, month: int, shown: CalendarAudit | None = None) -> None:
        deviations.append(Deviation(kind, reason, entry.pk, entry.subject, month, shown))

    live: list[CalendarAudit] = []
    for found in audits:
        shown = _shown(found, labels, year)
        if shown is None:
            continue
        cells[shown.month - 1].audits.append(shown)
        if found.state == w.State.CANCELLED:
            deviation(
                "cancelled",
                f"{shown.number} ({MONTHS[shown.month - 1]}) was cancelled.",
                shown.month,
                shown,
            )
        else:
            live.append(shown)
    covered = {a.month for a in live if a.month in planned}
    free = sorted(planned - covered)
    for shown in live:
        if shown.month in planned:
            continue
        # Held (or now planned) in another month: counted against the nearest planned
        # month with no audit of its own, so that month is not reported twice.
        origin = min(free, key=lambda m: abs(m - shown.month)) if free else None
        verb = "held" if shown.held else "planned"
        if origin is not None:
            free.remove(origin)
            reason = (
                f"{shown.number} planned for {MONTHS[origin - 1]}, "
                f"{verb} in {MONTHS[shown.month - 1]}."
            )
        else:
            reason = (
                f"{shown.number} {verb} in {MONTHS[shown.month - 1]}, a month the "
                "programme does not plan for this line."
            )
        deviation("moved", reason, shown.month, shown)
    for month in free:
        cell = cells[month - 1]
        if not _month_over(year, month, today):
            continue
        waiting = [a for a in cell.audits if a.state != w.State.CANCELLED]
        if not waiting:
            cell.overdue = True
            deviation("overdue", f"No audit held in {MONTHS[month - 1]} as planned.", month)
    for month in sorted(covered):
        cell = cells[month - 1]
        waiting = [a for a in cell.audits if a.state != w.State.CANCELLED]
        if _month_over(year, month, today) and not any(a.held for a in waiting):
            cell.overdue = True
            numbers = ", ".join(a.number for a in waiting)
            deviation(
                "overdue",
                f"{numbers} planned in {MONTHS[month - 1]} has not been started.",
                month,
                waiting[0],
            )
    return Row(entry, cells), deviations


def export_rows(found: Calendar) -> list[list[object]]:
    """The calendar as the auditors' sheet: one row per line, one column per month (the
    planned months marked, the audits in them named), then the deviations."""
    programme = found.programme
    rows: list[list[object]] = [
        ["Programme", programme.number, "Revision", programme.revision, "Year", programme.year],
        [
            "Site",
            programme.site.name if programme.site else "",
            "State",
            programme.get_state_display(),
        ],
        [],
        ["Subject", "Audited", "Type", "Risk", "Department", "Lead auditor", *MONTHS],
    ]
    for row in found.rows:
        entry = row.entry
        rows.append(
            [
                entry.subject,
                entry.get_subject_kind_display(),
                entry.get_audit_type_display(),
                entry.get_risk_display(),
                str(entry.department) if entry.department else "",
                entry.lead_auditor.printed_name if entry.lead_auditor else "",
                *(_cell_text(cell) for cell in row.cells),
            ]
        )
    rows.append([])
    rows.append(["Deviation", "Subject", "Month", "Audit", "Reason"])
    for deviation in found.deviations:
        rows.append(
            [
                DEVIATION_LABELS[deviation.kind],
                deviation.subject,
                MONTHS[deviation.month - 1] if deviation.month else "",
                deviation.audit.number if deviation.audit else "",
                deviation.reason,
            ]
        )
    return rows


def _cell_text(cell: Cell) -> str:
    parts = ["planned"] if cell.planned else []
    parts += [f"{a.number} ({a.state_label})" for a in cell.audits]
    if cell.overdue:
        parts.append("overdue")
    return "; ".join(parts)
