"""Historical training brought in from a spreadsheet (the paper and Excel records kept before
Qualitas): one row per completed training, all or nothing.

Columns (header row, any order, case ignored): `username`, `item` (a course code or a
controlled document's number), `completed_on` (ISO date), and optionally `trainer` (a
username) and `method`. A document's row records the reading of its revision in force.
Every row is checked before anything is saved; a refusal names each row and column wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from qualitas.core import audit, permissions, records, workflow
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.core.services import SYSTEM_USERNAME
from qualitas.documents import queries as documents
from qualitas.studies import parsing
from qualitas.training import services, workflows as w
from qualitas.training.models import (
    Course,
    JobRole,
    Method,
    Requirement,
    TrainingRecord,
)

if TYPE_CHECKING:
    from qualitas.documents.queries import ControlledDocument

REQUIRED = ("username", "item", "completed_on")
OPTIONAL = ("trainer", "method")
# Headers a spreadsheet kept before Qualitas may well use instead.
ALIASES = {
    "course": "item",
    "course_code": "item",
    "document": "item",
    "document_number": "item",
    "trainer_username": "trainer",
}


@dataclass(frozen=True)
class HistoricalTraining:
    """One checked row: who completed what, when, how and with whom."""

    line: int
    person: User
    course: Course | None
    document: ControlledDocument | None
    completed_on: date
    trainer: User | None
    method: str


def _date(text: str) -> date | None:
    """An ISO date; a spreadsheet's date cell reads as the date at midnight."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.date() if moment.time() == datetime.min.time() else None


def _method(text: str) -> str | None:
    """A method by its value or its label ("on_the_job", "On the job")."""
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    return wanted if wanted in Method.values else None


def read(content: bytes, name: str) -> list[HistoricalTraining]:
    """The file's rows, every one checked; InvalidInput naming each row and column wrong."""
    table = parsing.parse_upload(content, name)
    headers = [h.strip().lower().replace(" ", "_") for h in table.headers]
    headers = [ALIASES.get(h, h) for h in headers]
    missing = [column for column in REQUIRED if column not in headers]
    if missing:
        raise InvalidInput.for_field(
            "file",
            f"'{name}' has no column {', '.join(missing)}; the columns are "
            f"{', '.join(REQUIRED + OPTIONAL)} (the last two optional).",
        )
    lines = table.lines or tuple(range(2, len(table.rows) + 2))
    cells = [
        {
            column: (row[headers.index(column)] if headers.index(column) < len(row) else "").strip()
            for column in REQUIRED + OPTIONAL
            if column in headers
        }
        for row in table.rows
    ]
    usernames = {c["username"] for c in cells} | {c.get("trainer", "") for c in cells}
    people = {
        u.username: u
        for u in User.objects.filter(username__in=usernames - {""}).exclude(
            username=SYSTEM_USERNAME
        )
    }
    items = {c["item"] for c in cells if c["item"]}
    courses = {c.code: c for c in Course.objects.filter(code__in=items)}
    controlled = documents.controlled_documents(numbers=items)
    done = _completed_before(people.values())
    waiting = _awaiting_trainer(people.values())
    today = timezone.localdate()
    errors: list[FieldError] = []
    checked: list[HistoricalTraining] = []
    seen: dict[tuple[int, str, int, date], int] = {}

    def refuse(line: int, column: str, message: str) -> None:
        errors.append(FieldError(f"row {line}, {column}", message))

    for line, row in zip(lines, cells, strict=True):
        before = len(errors)
        person = people.get(row["username"])
        if not row["username"]:
            refuse(line, "username", "Name the person trained.")
        elif person is None:
            refuse(line, "username", f"There is no person '{row['username']}'.")
        item = row["item"]
        course, document = courses.get(item), controlled.get(item)
        if not item:
            refuse(line, "item", "Name a course code or a controlled document's number.")
        elif course is not None and document is not None:
            refuse(line, "item", f"'{item}' is both a course code and a document number.")
        elif course is None and document is None:
            refuse(line, "item", f"There is no course or controlled document '{item}'.")
        elif document is not None and document.effective_revision_id is None:
            refuse(line, "item", f"{item} has no revision in force to record reading.")
        completed_on = _date(row["completed_on"])
        if completed_on is None:
            refuse(
                line,
                "completed_on",
                f"'{row['completed_on']}' is not a date; write it as YYYY-MM-DD.",
            )
        elif completed_on > today:
            refuse(line, "completed_on", f"{completed_on.isoformat()} is in the future.")
        trainer = None
        if row.get("trainer"):
            trainer = people.get(row["trainer"])
            if trainer is None:
                refuse(line, "trainer", f"There is no person '{row['trainer']}'.")
        method = ""
        if row.get("method"):
            method = _method(row["method"]) or ""
            if not method:
                refuse(
                    line,
                    "method",
                    f"'{row['method']}' is not a method; choose one of {', '.join(Method.values)}.",
                )
        if len(errors) > before or person is None or completed_on is None:
            continue
        key = (person.pk, *_item(course, document), completed_on)
        if key in done:
            refuse(
                line,
                "completed_on",
                f"{person.username} already has {item} completed on {completed_on.isoformat()}.",
            )
            continue
        if course is not None and (person.pk, course.pk) in waiting:
            refuse(
                line,
                "item",
                f"{waiting[person.pk, course.pk]} for {person.username} is awaiting the "
                "trainer's confirmation: sign it off there instead.",
            )
            continue
        if key in seen:
            refuse(line, "completed_on", f"Duplicate of row {seen[key]}.")
            continue
        seen[key] = line
        checked.append(
            HistoricalTraining(line, person, course, document, completed_on, trainer, method)
        )
    if errors:
        raise InvalidInput(errors, detail=f"{len(errors)} errors in '{name}': nothing imported.")
    return checked


def _item(course: Course | None, document: ControlledDocument | None) -> tuple[str, int]:
    """What a record is of: a course, or the revision of a document read."""
    if course is not None:
        return ("course", course.pk)
    revision = document.effective_revision_id if document is not None else None
    return ("revision", revision or 0)


def _completed_before(people: Iterable[User]) -> set[tuple[int, str, int, date]]:
    """(person, kind, item, date) of the training these people have completed already."""
    found = TrainingRecord.objects.filter(
        person__in=list(people),
        state__in=(w.State.COMPLETED, w.State.EXPIRED),
        completed_on__isnull=False,
    ).values_list("person_id", "course_id", "revision_id", "completed_on")
    return {
        (person, "course", course, day) if course is not None else (person, "revision", rev, day)
        for person, course, rev, day in found
    }


def _awaiting_trainer(people: Iterable[User]) -> dict[tuple[int, int], str]:
    """On-the-job training signed by the trainee and awaiting the trainer, by (person,
    course): the trainer's signature completes it, not a row from history."""
    found = TrainingRecord.objects.filter(
        person__in=list(people), state=w.State.AWAITING_TRAINER
    ).values_list("person_id", "course_id", "number")
    return {(person, course): number for person, course, number in found}


def _requirement(
    row: HistoricalTraining, lines: Sequence[Requirement], roles: set[int]
) -> Requirement | None:
    """The curriculum line the training answers, if any (its validity then applies)."""
    person = row.person
    for line in lines:
        item = (
            line.course_id == row.course.pk
            if row.course is not None
            else row.document is not None and line.document_id == row.document.id
        )
        covers = (
            (line.job_role_id is not None and line.job_role_id in roles)
            or (line.department_id is not None and line.department_id == person.department_id)
            or (line.site_id is not None and line.site_id == person.site_id)
        )
        if item and covers:
            return line
    return None


@audit.service
def import_history(
    *, actor: User, rows: Sequence[HistoricalTraining], reason: str = ""
) -> list[TrainingRecord]:
    """Record each row as completed training (transition `record_completion`, no signature:
    it was signed on paper). An open assignment for the same item is completed rather than
    a second record opened. Needs `training.manage` where each person works."""
    for site in {row.person.site for row in rows}:
        permissions.require(actor, w.MANAGE, site=site)
    lines = list(Requirement.objects.filter(active=True).order_by("pk"))
    roles: dict[int, set[int]] = {}
    for person, role in JobRole.members.through.objects.filter(
        user_id__in={row.person.pk for row in rows}
    ).values_list("user_id", "jobrole_id"):
        roles.setdefault(person, set()).add(role)
    return [
        _record(row, actor, _requirement(row, lines, roles.get(row.person.pk, set())))
        for row in rows
    ]


def _record(
    row: HistoricalTraining, actor: User, requirement: Requirement | None
) -> TrainingRecord:
    # The assignment the curriculum already made is the one the history completes.
    assigned = TrainingRecord.objects.filter(person=row.person, state=w.State.ASSIGNED)
    if row.course is not None:
        assigned = assigned.filter(course=row.course)
    elif row.document is not None:
        assigned = assigned.filter(revision_id=row.document.effective_revision_id)
    record = assigned.first()
    if record is None:
        record = services.open_record(
            person=row.person,
            actor=actor,
            requirement=requirement,
            course=row.course,
            document=row.document,
            due_on=row.completed_on,
            assigned_on=row.completed_on,
            notify=False,
        )
    with records.locked(record) as current:
        current.completed_on = row.completed_on
        current.method = row.method or current.method
        current.trainer = row.trainer or current.trainer
        records.touch(current, actor)
    done: TrainingRecord = workflow.fire(
        current,
        "record_completion",
        actor=actor,
        comment=f"Completed {row.completed_on.isoformat()}; recorded from history.",
        by_service=True,
    )
    return done


def import_file(content: bytes, name: str, *, actor: User) -> list[TrainingRecord]:
    """Check the whole file, then record every row in one unit of work."""
    rows = read(content, name)
    return import_history(actor=actor, rows=rows, reason=f"Historical training from {name}")
