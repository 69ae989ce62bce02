"""The training matrix (ISO 9001 7.2 b, ISO 13485 6.2 e: evidence of each person's
competence): people down, curriculum lines across, each cell where that person stands on
that line. Built with a fixed handful of queries whatever its size (the people, the lines,
the people's job roles, their records, the revisions in force), then put together here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qualitas.core import exports, permissions
from qualitas.core.errors import InvalidInput
from qualitas.core.models import Department, Site
from qualitas.core.validation import fits_database_integer
from qualitas.documents import queries as documents
from qualitas.training import services, workflows as w
from qualitas.training.models import OPEN_STATES, JobRole, Requirement, TrainingRecord

if TYPE_CHECKING:
    from qualitas.core.models import User

CURRENT = "current"
DUE = "due"
OVERDUE = "overdue"
EXPIRED = "expired"
# Covered by a line but holding no record that answers it (a person who joined the
# department after the curriculum ran, a revision read that is no longer in force).
MISSING = "missing"
NOT_REQUIRED = "not_required"

# What each state is called and its Bootstrap colour, in the legend's order.
STATES: dict[str, tuple[str, str]] = {
    CURRENT: ("Current", "text-bg-success"),
    DUE: ("Due", "text-bg-info"),
    OVERDUE: ("Overdue", "text-bg-danger"),
    EXPIRED: ("Expired", "text-bg-warning"),
    MISSING: ("Required, not assigned", "text-bg-secondary"),
    NOT_REQUIRED: ("Not required", "text-bg-light border"),
}


@dataclass(frozen=True)
class Filters:
    site: Site | None = None
    department: Department | None = None


@dataclass(frozen=True)
class Row:
    person: User
    cells: list[str]


def chosen(model: type[Any], name: str, value: Any) -> Any:
    """The record a filter parameter names by id (None when empty); anything else is an
    InvalidInput naming the parameter. The skills matrix filters with it too."""
    text = str(value or "").strip()
    if not text:
        return None
    found = None
    if text.isdigit() and fits_database_integer(int(text)):
        found = model.objects.filter(pk=int(text)).first()
    if found is None:
        raise InvalidInput.for_field(name, f"There is no {name} {text[:40]!r}: choose one listed.")
    return found


def filters_from(params: Any) -> Filters:
    """The site and department asked for (GET parameters), each an id; junk is refused
    naming the parameter."""
    return Filters(
        site=chosen(Site, "site", params.get("site")),
        department=chosen(Department, "department", params.get("department")),
    )


def people(user: User, filters: Filters) -> QuerySet[User]:
    """The active people whose training the user may see (at the sites where they hold
    `training.view_records`; people of no site only by those holding it everywhere)."""
    permissions.require(user, w.VIEW_RECORDS)
    found = services.people().select_related("site", "department")
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    if sites is not None:
        found = found.filter(site_id__in=sites)
    if filters.site is not None:
        found = found.filter(site_id=filters.site.pk)
    if filters.department is not None:
        found = found.filter(department_id=filters.department.pk)
    return found.order_by("last_name", "first_name", "username", "pk")


def columns(user: User, filters: Filters) -> list[Requirement]:
    """The active curriculum lines that may cover the people filtered, grouped by item: a
    line of a department or a site the user does not see, or outside the filter, is left
    out (every job role's line stays: its holders may work anywhere)."""
    lines = Requirement.objects.filter(active=True).select_related(
        "course", "job_role", "department", "site"
    )
    anywhere = Q(job_role__isnull=False)
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    if sites is not None:
        lines = lines.filter(anywhere | Q(department__site_id__in=sites) | Q(site_id__in=sites))
    if filters.department is not None:
        department = filters.department
        lines = lines.filter(
            anywhere | Q(department_id=department.pk) | Q(site_id=department.site_id)
        )
    if filters.site is not None:
        site = filters.site.pk
        lines = lines.filter(anywhere | Q(department__site_id=site) | Q(site_id=site))
    return sorted(lines, key=lambda line: (line.item_code, line.pk))


def rows(people: Sequence[User], lines: Sequence[Requirement]) -> list[Row]:
    """Each person's cells, one per line, in the lines' order: three queries at most."""
    if not people:
        return []
    ids = [person.pk for person in people]
    role_ids = {line.job_role_id for line in lines if line.job_role_id is not None}
    holds: set[tuple[int, int]] = set()
    if role_ids:
        holds = set(
            JobRole.members.through.objects.filter(
                user_id__in=ids, jobrole_id__in=role_ids
            ).values_list("user_id", "jobrole_id")
        )
    courses = {line.course_id for line in lines if line.course_id is not None}
    document_ids = {line.document_id for line in lines if line.document_id is not None}
    held: dict[tuple[int, str, int], list[dict[str, Any]]] = defaultdict(list)
    if courses or document_ids:
        for record in (
            TrainingRecord.objects.filter(person_id__in=ids)
            .filter(Q(course_id__in=courses) | Q(document_id__in=document_ids))
            .values(
                "person_id",
                "course_id",
                "document_id",
                "revision_id",
                "state",
                "due_on",
                "expires_on",
            )
        ):
            if record["course_id"] is not None:
                held[(record["person_id"], "course", record["course_id"])].append(record)
            else:
                held[(record["person_id"], "document", record["document_id"])].append(record)
    in_force = {}
    if document_ids:
        named = documents.controlled_documents(ids=document_ids).values()
        in_force = {d.id: d.effective_revision_id for d in named}
    today = timezone.localdate()
    # Who each line covers, worked out once per line (not once per cell): the positions of
    # the people holding its job role, in its department or at its site. Most cells are
    # not required; only the covered ones read the records.
    position = {person.pk: index for index, person in enumerate(people)}
    by_role: dict[int, list[int]] = defaultdict(list)
    for person_id, role_id in holds:
        by_role[role_id].append(position[person_id])
    by_department: dict[int, list[int]] = defaultdict(list)
    by_site: dict[int, list[int]] = defaultdict(list)
    for index, person in enumerate(people):
        if person.department_id is not None:
            by_department[person.department_id].append(index)
        if person.site_id is not None:
            by_site[person.site_id].append(index)
    grid = [[NOT_REQUIRED] * len(lines) for _ in people]
    for column, line in enumerate(lines):
        for index in _covered(line, by_role, by_department, by_site):
            person_id = people[index].pk
            if line.course_id is not None:
                found = held[(person_id, "course", line.course_id)]
                grid[index][column] = state_of(found, None, today)
            else:
                document = line.document_id or 0
                found = held[(person_id, "document", document)]
                grid[index][column] = state_of(found, in_force.get(document), today, document=True)
    return [Row(person, cells) for person, cells in zip(people, grid, strict=True)]


def _covered(
    line: Requirement,
    by_role: dict[int, list[int]],
    by_department: dict[int, list[int]],
    by_site: dict[int, list[int]],
) -> list[int]:
    """The people (their positions) a line covers: its job role's holders, else its
    department's people, else its site's."""
    if line.job_role_id is not None:
        return by_role.get(line.job_role_id, [])
    if line.department_id is not None:
        return by_department.get(line.department_id, [])
    if line.site_id is not None:
        return by_site.get(line.site_id, [])
    return []


def state_of(
    found: Sequence[dict[str, Any]], revision: int | None, today: date, *, document: bool = False
) -> str:
    """Where a person covered by a line stands on its item. A document is current only
    when the revision read is the one in force; a certificate only until it lapses."""

    def valid(record: dict[str, Any]) -> bool:
        if record["state"] != w.State.COMPLETED:
            return False
        if record["expires_on"] is not None and record["expires_on"] <= today:
            return False
        return not document or revision is None or record["revision_id"] == revision

    if any(valid(record) for record in found):
        return CURRENT
    dues = [r["due_on"] for r in found if r["state"] in OPEN_STATES]
    if dues:
        return OVERDUE if any(due is not None and due < today for due in dues) else DUE
    lapsed = [
        r
        for r in found
        if r["state"] == w.State.EXPIRED
        or (
            r["state"] == w.State.COMPLETED
            and r["expires_on"] is not None
            and r["expires_on"] <= today
        )
    ]
    return EXPIRED if lapsed else MISSING


def heading(line: Requirement) -> str:
    return f"{line.item_code} ({line.audience})"


EXPORT_CHUNK = 500


def export_rows(user: User, filters: Filters) -> Iterator[list[object]]:
    """The whole filtered matrix as spreadsheet rows, read 500 people at a time. Ready to
    write as they are (exports.xlsx_stream(neutralised=True)): the text people and lines
    bring (names, codes) is neutralised here, once per person or line; the 600,000 state
    cells are fixed labels that no formula can hide in."""
    text = exports.neutralise
    lines = columns(user, filters)
    yield ["Person", "Username", "Site", "Department", *(text(heading(line)) for line in lines)]
    labels = {code: label for code, (label, _css) in STATES.items()}
    found = people(user, filters)
    start = 0
    while True:
        chunk = list(found[start : start + EXPORT_CHUNK])
        for row in rows(chunk, lines):
            person = row.person
            yield [
                text(person.printed_name),
                text(person.username),
                text(str(person.site)) if person.site else "",
                text(str(person.department)) if person.department else "",
                *(labels[cell] for cell in row.cells),
            ]
        if len(chunk) < EXPORT_CHUNK:
            return
        start += EXPORT_CHUNK
