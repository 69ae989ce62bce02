"""Every write of the training module: courses, job roles and their members, curriculum
lines, and the training records they call for. Assignment is idempotent: whatever runs it
(a revision made effective, a person joining a role, a requirement added, a lapsed
certificate) assigns only what a person lacks, so running it twice creates nothing twice."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qualitas.core import audit, events, notifications, numbering, permissions, records, workflow
from qualitas.core.errors import FieldError, InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.core.services import SYSTEM_USERNAME, system_user
from qualitas.core.validation import clean_or_raise
from qualitas.documents import queries as documents
from qualitas.training import effectiveness, quiz, workflows as w
from qualitas.training.models import (
    OPEN_STATES,
    Course,
    CourseKind,
    JobRole,
    Method,
    Requirement,
    TrainingRecord,
)

if TYPE_CHECKING:
    from qualitas.core.models import Department, Site
    from qualitas.core.signatures import SignatureToken
    from qualitas.documents.events import RevisionBecameEffective
    from qualitas.documents.queries import ControlledDocument


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def record_url(record: TrainingRecord) -> str:
    return f"/training-records/{record.pk}/"


# --- Courses and job roles (master data of the whole organisation) --------------------------

COURSE_FIELDS = (
    "title",
    "kind",
    "description",
    "validity_months",
    "effectiveness_days",
    "owner",
    "active",
)


@audit.service
def create_course(
    *,
    actor: User,
    code: str,
    title: str,
    kind: str,
    owner: User | None = None,
    validity_months: int | None = None,
    description: str = "",
    effectiveness_days: int | None = None,
) -> Course:
    permissions.require(actor, w.MANAGE)
    course = Course(
        code=code,
        title=title,
        kind=kind,
        owner=owner or actor,
        validity_months=validity_months or None,
        description=description,
        effectiveness_days=effectiveness_days or None,
    )
    clean_or_raise(course)
    course.save()
    return course


@audit.service
def update_course(course: Course, *, actor: User, **changes: Any) -> Course:
    permissions.require(actor, w.MANAGE)
    unknown = sorted(set(changes) - set(COURSE_FIELDS))
    if unknown:
        raise InvalidInput([FieldError(name, "This field cannot be changed.") for name in unknown])
    current: Course = Course.objects.select_for_update().get(pk=course.pk)
    for name, value in changes.items():
        setattr(current, name, value)
    clean_or_raise(current)
    current.save()
    return current


@audit.service
def create_job_role(*, actor: User, name: str, description: str = "") -> JobRole:
    permissions.require(actor, w.MANAGE)
    job_role = JobRole(name=name, description=description)
    clean_or_raise(job_role)
    job_role.save()
    return job_role


@audit.service
def set_members(job_role: JobRole, *, actor: User, members: Iterable[User]) -> list[TrainingRecord]:
    """Who holds the job role (audited); whoever joins is assigned what its curriculum asks
    and they lack. Returns the records assigned."""
    permissions.require(actor, w.MANAGE)
    people = list(dict.fromkeys(members))
    inactive = [p.printed_name for p in people if not p.is_active]
    if inactive:
        raise InvalidInput.for_field("members", f"Not active: {', '.join(inactive)}.")
    before = set(job_role.members.values_list("pk", flat=True))
    audit.set_many(job_role, "members", people)
    joined = [person for person in people if person.pk not in before]
    return assign_missing(actor=actor, people=joined) if joined else []


def add_member(job_role: JobRole, *, actor: User, person: User) -> list[TrainingRecord]:
    return set_members(job_role, actor=actor, members=[*job_role.members.all(), person])


# --- Curriculum -----------------------------------------------------------------------------


def _where(job_role: JobRole | None, department: Department | None, site: Site | None) -> Any:
    """The site a curriculum line concerns, for the permission check (None: every site)."""
    if site is not None:
        return site
    if department is not None:
        return department.site
    return None


@audit.service
def add_requirement(
    *,
    actor: User,
    job_role: JobRole | None = None,
    department: Department | None = None,
    site: Site | None = None,
    document_number: str = "",
    course: Course | None = None,
    gating: bool = False,
    validity_months: int | None = None,
    due_within_days: int = 30,
) -> Requirement:
    """A curriculum line; everyone it covers is assigned it at once."""
    if sum(a is not None for a in (job_role, department, site)) != 1:
        raise InvalidInput.for_field(
            "audience", "Name exactly one audience: a job role, a department or a site."
        )
    document_number = document_number.strip()
    if bool(document_number) == (course is not None):
        raise InvalidInput.for_field(
            "item", "Name exactly one item: a controlled document or a course."
        )
    permissions.require(actor, w.MANAGE, site=_where(job_role, department, site))
    document_id = None
    if document_number:
        found = documents.controlled_documents(numbers=[document_number]).get(document_number)
        if found is None:
            raise InvalidInput.for_field(
                "document_number", f"There is no controlled document {document_number}."
            )
        document_id = found.id
    same = Requirement.objects.filter(
        active=True,
        job_role=job_role,
        department=department,
        site=site,
        document_id=document_id,
        course=course,
    )
    if same.exists():
        raise InvalidInput.for_field("item", "This audience is already required to train on it.")
    requirement = Requirement(
        job_role=job_role,
        department=department,
        site=site,
        document_id=document_id,
        document_number=document_number,
        course=course,
        gating=gating,
        validity_months=validity_months or None,
        due_within_days=due_within_days,
        created_by=actor,
    )
    clean_or_raise(requirement)
    requirement.save()
    assign_missing(actor=actor, requirements=[requirement])
    return requirement


@audit.service
def retire_requirement(requirement: Requirement, *, actor: User, reason: str) -> Requirement:
    """The line leaves the curriculum; its open assignments are cancelled (records kept)."""
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the requirement is retired.")
    permissions.require(
        actor,
        w.MANAGE,
        site=_where(requirement.job_role, requirement.department, requirement.site),
    )
    current: Requirement = Requirement.objects.select_for_update().get(pk=requirement.pk)
    current.active = False
    current.save()
    for record in TrainingRecord.objects.filter(requirement=current, state__in=OPEN_STATES):
        workflow.fire(record, "cancel", actor=actor, comment=reason, by_service=True)
    return current


# --- Who must be trained on what ----------------------------------------------------------


def people() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(username=SYSTEM_USERNAME)


def audience(requirement: Requirement) -> QuerySet[User]:
    """The active people a curriculum line covers."""
    if requirement.job_role_id is not None:
        return people().filter(job_roles=requirement.job_role_id)
    if requirement.department_id is not None:
        return people().filter(department_id=requirement.department_id)
    return people().filter(site=requirement.site)


def requirements_of(person: User) -> QuerySet[Requirement]:
    """The active curriculum lines that cover a person."""
    covers = Q(job_role__members=person)
    if person.department_id is not None:
        covers |= Q(department_id=person.department_id)
    if person.site_id is not None:
        covers |= Q(site_id=person.site_id)
    return (
        Requirement.objects.filter(covers, active=True)
        .select_related("course", "job_role", "department", "site")
        .distinct()
    )


def validity_of(requirement: Requirement | None, course: Course | None) -> int | None:
    if requirement is not None and requirement.validity_months:
        return requirement.validity_months
    return course.validity_months if course is not None else None


def _satisfied(rows: Iterable[dict[str, Any]], today: date) -> set[tuple[int, str, int]]:
    """(person, kind, item) pairs already covered: an open assignment, a course completed
    and not lapsed, or the revision in force of a document read or being read. For a
    document the item is the revision id."""
    covered = set()
    for row in rows:
        person = row["person_id"]
        if row["course_id"] is not None:
            current = row["state"] == w.State.COMPLETED and (
                row["expires_on"] is None or row["expires_on"] > today
            )
            if row["state"] in OPEN_STATES or current:
                covered.add((person, "course", row["course_id"]))
        elif row["revision_id"] is not None and row["state"] != w.State.CANCELLED:
            covered.add((person, "revision", row["revision_id"]))
    return covered


@audit.service
def assign_missing(
    *,
    actor: User,
    people: Iterable[User] | None = None,
    requirements: Iterable[Requirement] | None = None,
) -> list[TrainingRecord]:
    """Assign to everyone covered what the curriculum asks and they lack (all people and
    all requirements when not narrowed). Idempotent."""
    today = timezone.localdate()
    found = Requirement.objects.filter(active=True).select_related("course")
    if requirements is not None:
        found = found.filter(pk__in=[r.pk for r in requirements])
    lines: list[Requirement] = list(found)
    wanted = {p.pk for p in people} if people is not None else None
    pairs: list[tuple[User, Requirement]] = []
    for requirement in lines:
        covered = audience(requirement)
        if wanted is not None:
            covered = covered.filter(pk__in=wanted)
        pairs.extend((person, requirement) for person in covered)
    if not pairs:
        return []
    in_force = {
        d.id: d
        for d in documents.controlled_documents(
            ids={r.document_id for r in lines if r.document_id is not None}
        ).values()
    }
    held = TrainingRecord.objects.filter(person_id__in={p.pk for p, _ in pairs}).values(
        "person_id", "course_id", "revision_id", "state", "expires_on"
    )
    covered_pairs = _satisfied(held, today)
    created = []
    for person, requirement in pairs:
        document = in_force.get(requirement.document_id or 0)
        if requirement.course_id is not None:
            key = (person.pk, "course", requirement.course_id)
        elif document is not None and document.effective_revision_id is not None:
            key = (person.pk, "revision", document.effective_revision_id)
        else:
            continue  # a document with no revision in force asks nobody to read it
        if key in covered_pairs:
            continue
        covered_pairs.add(key)
        created.append(
            open_record(
                person=person,
                actor=actor,
                requirement=requirement,
                course=requirement.course,
                document=document,
                due_on=today + timedelta(days=requirement.due_within_days),
            )
        )
    return created


def open_record(
    *,
    person: User,
    actor: User,
    requirement: Requirement | None,
    course: Course | None,
    document: ControlledDocument | None,
    due_on: date,
    assigned_on: date | None = None,
    notify: bool = True,
) -> TrainingRecord:
    """A new assignment, numbered and audited. Assignment follows from the curriculum, not
    from a person's permission: the caller has decided it is due."""
    record_type = records.type_of(TrainingRecord)
    if document is not None:
        title = f"{document.number} rev {document.effective_label} {document.title}"
    elif course is not None:
        title = f"{course.code} {course.title}"
    else:
        raise InvalidInput.for_field("item", "Name a controlled document or a course.")
    record = TrainingRecord(
        title=title[:200],
        person=person,
        course=course,
        document_id=document.id if document else None,
        document_number=document.number if document else "",
        revision_id=document.effective_revision_id if document else None,
        revision_label=(document.effective_label or "") if document else "",
        requirement=requirement,
        assigned_on=assigned_on or timezone.localdate(),
        due_on=due_on,
        state=w.WORKFLOW.initial,
        site_id=person.site_id,
        department_id=person.department_id,
        # The coordinator who wrote the curriculum line answers for its assignments.
        owner=requirement.created_by if requirement is not None else actor,
        created_by=actor,
        updated_by=actor,
    )
    record.number = "pending"
    clean_or_raise(
        record, exclude=["number", "owner", "created_by", "updated_by", "site", "department"]
    )
    pattern = numbering.pattern_for(record_type.key, record_type.number_pattern)
    record.number = numbering.next_number(
        record_type.key, prefix=record_type.prefix, pattern=pattern
    )
    record.save()
    events.publish(events.RecordCreated(record_type.key, record.pk, actor.pk))
    if notify:
        notifications.notify(
            person,
            title=f"Training assigned: {title}"[:200],
            body=f"Due {due_on:%Y-%m-%d}.",
            url=record_url(record),
            email=True,
        )
    return record


@audit.service
def assign_training(
    *,
    actor: User,
    person: User,
    course: Course | None = None,
    document_number: str = "",
    due_on: date | None = None,
) -> TrainingRecord:
    """A one-off assignment outside any curriculum (a course after an incident)."""
    permissions.require(actor, w.MANAGE, site=person.site)
    if not person.is_active:
        raise InvalidInput.for_field("person", f"{person.printed_name} is not active.")
    document = None
    if document_number:
        document = documents.controlled_documents(numbers=[document_number]).get(document_number)
        if document is None or document.effective_revision_id is None:
            raise InvalidInput.for_field(
                "document_number", f"{document_number} has no revision in force to read."
            )
    if (document is None) == (course is None):
        raise InvalidInput.for_field(
            "item", "Name exactly one item: a controlled document or a course."
        )
    today = timezone.localdate()
    due = due_on or today + timedelta(days=30)
    if due < today:
        raise InvalidInput.for_field("due_on", "The due date cannot be in the past.")
    return open_record(
        person=person, actor=actor, requirement=None, course=course, document=document, due_on=due
    )


class RequestedTraining:
    """What another module asks through the core's port (core.training_requests): a
    reading of a document's revision in force, or a course by its code."""

    def __call__(
        self,
        *,
        actor: User,
        person: User,
        due_on: date | None = None,
        document_number: str = "",
        course_code: str = "",
    ) -> TrainingRecord:
        course = None
        if course_code:
            course = Course.objects.filter(code=course_code).first()
            if course is None:
                raise InvalidInput.for_field("course_code", f"There is no course {course_code}.")
        return assign_training(
            actor=actor,
            person=person,
            course=course,
            document_number="" if course else document_number,
            due_on=due_on,
        )

    def unknown_courses(self, codes: Iterable[str]) -> list[str]:
        codes = list(dict.fromkeys(codes))
        kept = set(Course.objects.filter(code__in=codes).values_list("code", flat=True))
        return [c for c in codes if c not in kept]


REQUESTED = RequestedTraining()


# --- Triggers -------------------------------------------------------------------------------


def on_revision_effective(event: RevisionBecameEffective) -> None:
    """A new revision is in force: whoever must read the document reads it again."""
    reassign_document(event.document_id, actor=system_user())


@audit.service
def reassign_document(document_id: int, *, actor: User) -> list[TrainingRecord]:
    """Open readings of revisions no longer in force are cancelled; everyone the document's
    requirements cover is assigned the revision in force. Idempotent."""
    document = documents.controlled_documents(ids=[document_id])
    in_force = next(iter(document.values()), None)
    if in_force is None:
        return []
    cancel_stale_readings(in_force, actor=actor)
    lines = Requirement.objects.filter(active=True, document_id=document_id)
    return assign_missing(actor=actor, requirements=lines)


def cancel_stale_readings(in_force: ControlledDocument, *, actor: User) -> None:
    """Open readings of a revision of this document no longer in force are cancelled."""
    stale = TrainingRecord.objects.filter(document_id=in_force.id, state__in=OPEN_STATES).exclude(
        revision_id=in_force.effective_revision_id
    )
    for record in stale.select_related("person"):
        workflow.fire(
            record,
            "cancel",
            actor=actor,
            comment=f"Revision {in_force.effective_label} of {in_force.number} is now in force.",
            by_service=True,
        )
        reading_done(record)


def reading_done(record: TrainingRecord) -> None:
    """The request (and its reminders) leaves the person's unread notifications: those
    about the record and, for a reading, those about the revision to read."""
    notifications.mark_done([record.person], url=record_url(record))
    if record.document_id is not None and record.revision_id is not None:
        notifications.mark_done(
            [record.person], url=reading_url(record.document_id, record.revision_id)
        )


def reading_url(document_id: int, revision_id: int) -> str:
    """Where a reader reads (and may sign): the revision's page."""
    return f"/documents/{document_id}/?revision={revision_id}"


# --- Completion -----------------------------------------------------------------------------


def completing_step(record: TrainingRecord) -> str:
    """The trainee's signing step for this record."""
    if record.document_id is not None:
        return "acknowledge"
    if record.course is not None and record.course.kind == CourseKind.ON_THE_JOB:
        return "sign_trained"
    return "complete"


@audit.service
def complete_training(
    record: TrainingRecord,
    *,
    actor: User,
    signature: SignatureToken | None,
    completed_on: date | None = None,
    method: str = "",
    trainer: User | None = None,
    notes: str = "",
) -> TrainingRecord:
    """The trainee signs their training ("read and understood" or "trained")."""
    if record.person_id != actor.pk:
        raise PermissionDenied("Only the trainee signs their own training.")
    today = timezone.localdate()
    if completed_on is not None and completed_on > today:
        raise InvalidInput.for_field("completed_on", "The completion date cannot be in the future.")
    if method and method not in Method.values:
        raise InvalidInput.for_field("method", f"Choose one of: {', '.join(Method.values)}.")
    with records.locked(record) as current:
        quiz.require_passed(current)  # 409 naming the quiz, before anything is changed
        changes = {
            "completed_on": completed_on,
            "method": method,
            "trainer": trainer,
            "notes": notes,
        }
        given = {k: v for k, v in changes.items() if v}
        if given and current.state in OPEN_STATES:
            for name, value in given.items():
                setattr(current, name, value)
            records.touch(current, actor)
        done: TrainingRecord = workflow.fire(
            current, completing_step(current), actor=actor, signature=signature
        )
        return done


def default_method(record: TrainingRecord) -> str:
    if record.document_id is not None:
        return Method.READING
    return str(record.course.kind) if record.course is not None else ""


def completed(record: Any, actor: User, comment: str) -> None:
    """Entailed by the last signature: the date, the method and, for a certificate with a
    validity, the day it lapses; the supervisor's follow-up if the course asks for one."""
    _complete(record, actor)
    effectiveness.schedule(record, actor=actor)


def recorded_from_history(record: Any, actor: User, comment: str) -> None:
    """Entailed by the import of past training: completed as `completed` does, but no
    follow-up is asked. A supervisor's view of training done before Qualitas would not be a
    follow-up, and the import would pile them up as overdue."""
    _complete(record, actor)


def _complete(record: Any, actor: User) -> None:
    record.completed_on = record.completed_on or timezone.localdate()
    record.method = record.method or default_method(record)
    months = validity_of(record.requirement, record.course)
    record.expires_on = add_months(record.completed_on, months) if months else None
    records.touch(record, actor)
    reading_done(record)


ENTAILS: dict[str, Callable[[Any, Any, str], None]] = {
    "acknowledge": completed,
    "complete": completed,
    "confirm_competence": completed,
    "record_completion": recorded_from_history,
}
