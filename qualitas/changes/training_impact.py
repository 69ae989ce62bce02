"""The change's training impact carried out: each person the training answer names (by job
title, department or role, at the change's site) reads each revision the change puts in
force, before the change goes to verification.

Changes and training are independent modules (import-linter): the readings are asked
through the core's port (`core.training_requests`, which the training module declares), and
their states are read through the core's record registry. Which reading was asked for whom
is kept here (`ChangeTraining`), so asking again assigns only what is missing.

Training is asked neither at the board's approval nor when implementation starts, but when
a revision made for the change takes effect (and on demand from the change's page or the
API, idempotently): before that there is nothing new to read, and a reading of the revision
being replaced would be cancelled by the training module the day the new one takes effect.
The change cannot go to verification while a reading is not asked or not completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from qualitas.changes import checklists, readiness
from qualitas.changes.models import Answer, ChangeRequest, ChangeTraining
from qualitas.core import audit, links, records, training_requests
from qualitas.core.errors import Conflict, InvalidInput, QualitasError
from qualitas.core.models import LinkKind, User
from qualitas.core.services import SYSTEM_USERNAME
from qualitas.documents import queries as document_queries

if TYPE_CHECKING:
    from qualitas.documents.events import RevisionBecameEffective
    from qualitas.documents.queries import ControlledDocument

TRAINING_TYPE = "trainingrecord"
COMPLETED = "completed"
# A reading no longer asked (a newer revision took effect, or it lapsed): asked again.
WITHDRAWN = ("cancelled", "expired")
# The workflow's state in which training is asked (the workflow's guard reads this module).
IMPLEMENTING = "implementing"
# Time people get to read the revised documents.
DUE_WITHIN_DAYS = 14


def _training_answer(cr: ChangeRequest) -> Any:
    for answer in cr.impact_answers.all():
        if answer.item == checklists.NAMES_AUDIENCES and answer.answer == Answer.YES:
            return answer
    return None


def audiences(cr: ChangeRequest) -> list[str]:
    """The audiences a "yes" on the training item names (none for a "no")."""
    answer = _training_answer(cr)
    return list(answer.audiences) if answer is not None else []


def courses(cr: ChangeRequest) -> list[str]:
    """The courses the audiences take for the change (a "yes" on the training item): asked
    as soon as the change is being implemented, there being no revision to wait for."""
    answer = _training_answer(cr)
    return list(answer.courses) if answer is not None else []


def _matching(name: str) -> Q:
    return (
        Q(job_title__iexact=name)
        | Q(department__code__iexact=name)
        | Q(department__name__iexact=name)
        | Q(role_assignments__role__code__iexact=name)
        | Q(role_assignments__role__name__iexact=name)
    )


def people_named(cr: ChangeRequest) -> tuple[list[User], list[str]]:
    """The active people the audiences cover at the change's site, and the audiences that
    name nobody (shown on the change's page, so a misspelt one is caught)."""
    named = audiences(cr)
    if not named:
        return [], []
    everyone = User.objects.filter(is_active=True).exclude(username=SYSTEM_USERNAME)
    if cr.site_id is not None:
        everyone = everyone.filter(site_id=cr.site_id)
    query = Q()
    for name in named:
        query |= _matching(name)
    people = list(everyone.filter(query).distinct().order_by("last_name", "first_name", "pk"))
    # A handful of audiences: one small query each says which name nobody.
    unmatched = [name for name in named if not everyone.filter(_matching(name)).exists()]
    return people, unmatched


def documents_to_read(cr: ChangeRequest) -> list[ControlledDocument]:
    """The documents the change revises whose revisions made for it are all in force (the
    documents named in the assessment that it has started revising)."""
    named = {
        int(d)
        for a in cr.impact_answers.all()
        if a.item == checklists.NAMES_DOCUMENTS and a.answer == Answer.YES
        for d in a.documents
    }
    revisions = [r for r in readiness.linked_revisions(cr) if r.document_id in named]
    waiting = {r.document_id for r in revisions if r.state not in readiness.IN_FORCE}
    ready = {r.document_id for r in revisions} - waiting
    if not ready:
        return []
    found = document_queries.controlled_documents(ids=ready).values()
    return [d for d in found if d.effective_revision_id is not None]


def _training_model() -> Any:
    record_type = records.RECORD_TYPES.get(TRAINING_TYPE)
    return record_type.model if record_type is not None else None


def states_of(rows: list[ChangeTraining]) -> dict[int, str]:
    """The state of each row's training record, by record id, in one query."""
    model = _training_model()
    if model is None or not rows:
        return {}
    return dict(
        model.objects.filter(pk__in=[r.training_record_id for r in rows]).values_list("pk", "state")
    )


def rows_of(cr: ChangeRequest) -> list[ChangeTraining]:
    return list(cr.training.select_related("person"))


@dataclass(frozen=True)
class Reading:
    """One person's reading of one document for the change, as the pages and API show it."""

    person: User
    document_number: str
    training_record_id: int | None
    training_record_number: str
    state: str
    url: str = ""

    @property
    def done(self) -> bool:
        return self.state == COMPLETED


def readings(cr: ChangeRequest) -> tuple[list[Reading], list[tuple[User, str]]]:
    """The readings asked (with their states), and the (person, document) pairs the impact
    calls for that are not asked yet (or were withdrawn since)."""
    rows = rows_of(cr)
    states = states_of(rows)
    record_type = records.RECORD_TYPES.get(TRAINING_TYPE)
    asked = [
        Reading(
            r.person,
            r.item,
            r.training_record_id,
            r.training_record_number,
            states.get(r.training_record_id, ""),
            f"/{record_type.resource}/{r.training_record_id}/" if record_type else "",
        )
        for r in rows
    ]
    live = [r for r in rows if states.get(r.training_record_id, "") not in WITHDRAWN]
    standing = {(r.person_id, r.document_id) for r in live if not r.course_code}
    taking = {(r.person_id, r.course_code) for r in live if r.course_code}
    people, _unmatched = people_named(cr)
    missing = [
        (person, document.number)
        for document in documents_to_read(cr)
        for person in people
        if (person.pk, document.id) not in standing
    ]
    missing += [
        (person, f"course {code}")
        for code in courses(cr)
        for person in people
        if (person.pk, code) not in taking
    ]
    return asked, missing


def progress(cr: ChangeRequest) -> tuple[int, int]:
    """Readings completed, and readings the change calls for (asked or still to ask)."""
    return progress_of(*readings(cr))


def progress_of(asked: list[Reading], missing: list[tuple[User, str]]) -> tuple[int, int]:
    live = [r for r in asked if r.state not in WITHDRAWN]
    return sum(1 for r in live if r.done), len(live) + len(missing)


def unfinished(cr: ChangeRequest) -> list[str]:
    """What of the training stops verification: readings not asked, and readings open. With
    no module assigning training there is nothing here to wait for."""
    if not training_requests.available() or not audiences(cr):
        return []
    asked, missing = readings(cr)
    lines = [
        f"{number} is not assigned to {person.printed_name} yet (assign the training)"
        for person, number in missing
    ]
    lines += [
        f"{r.person.printed_name} has not completed {r.training_record_number} "
        f"({r.document_number})"
        for r in asked
        if r.state not in WITHDRAWN and not r.done
    ]
    return lines


def _held(person: User, document: ControlledDocument) -> Any:
    """A reading of the revision in force the person already has (from their curriculum):
    it serves the change too, so nothing is assigned twice."""
    model = _training_model()
    return (
        model.objects.filter(person_id=person.pk, revision_id=document.effective_revision_id)
        .exclude(state__in=WITHDRAWN)
        .order_by("-pk")
        .first()
    )


def may_assign(cr: ChangeRequest) -> bool:
    """Training is asked while the change is being implemented."""
    return cr.state == IMPLEMENTING and bool(audiences(cr))


@audit.service
def assign(cr: ChangeRequest, *, actor: User) -> list[ChangeTraining]:
    """Ask the training module for every reading the change calls for that is not asked yet
    (or was withdrawn since); the readings asked. All or nothing; idempotent."""
    records.get_visible(actor, records.type_of(cr), cr.pk)
    if cr.state != IMPLEMENTING:
        raise Conflict(
            f"{cr.number} is {cr.get_state_display()}: its training is assigned while it is "
            "being implemented."
        )
    if not audiences(cr):
        raise InvalidInput.for_field(
            "training", f"The impact assessment of {cr.number} names nobody to train."
        )
    if not training_requests.available():
        raise Conflict("No installed module assigns training: assign it in the training module.")
    held = rows_of(cr)
    rows = {(r.person_id, r.document_id): r for r in held if not r.course_code}
    states = states_of(held)
    people, _unmatched = people_named(cr)
    due_on = timezone.localdate() + timedelta(days=DUE_WITHIN_DAYS)
    asked = _assign_courses(cr, held, states, people, actor, due_on)
    for document in documents_to_read(cr):
        for person in people:
            row = rows.get((person.pk, document.id))
            if row is not None and states.get(row.training_record_id, "") not in WITHDRAWN:
                continue
            record = _held(person, document) or training_requests.assign(
                actor=actor, person=person, document_number=document.number, due_on=due_on
            )
            row = row or ChangeTraining(change_request=cr, person=person, document_id=document.id)
            row.document_number = document.number
            row.training_record_id = record.pk
            row.training_record_number = record.number
            row.assigned_by = actor
            row.save()
            asked.append(row)
    return asked


def _assign_courses(
    cr: ChangeRequest,
    held: list[ChangeTraining],
    states: dict[int, str],
    people: list[User],
    actor: User,
    due_on: Any,
) -> list[ChangeTraining]:
    rows = {(r.person_id, r.course_code): r for r in held if r.course_code}
    asked = []
    for code in courses(cr):
        for person in people:
            row = rows.get((person.pk, code))
            if row is not None and states.get(row.training_record_id, "") not in WITHDRAWN:
                continue
            record = training_requests.assign(
                actor=actor, person=person, course_code=code, due_on=due_on
            )
            row = row or ChangeTraining(change_request=cr, person=person, course_code=code)
            row.training_record_id = record.pk
            row.training_record_number = record.number
            row.assigned_by = actor
            row.save()
            asked.append(row)
    return asked


def on_implementation_started(cr: ChangeRequest, actor: User, comment: str) -> None:
    """Implementation started: the courses the impact names are asked at once (readings wait
    for their revisions), by whoever started it when they may assign training; otherwise
    they wait on the change's page, and verification is refused until they are done."""
    if not courses(cr) or not training_requests.available():
        return
    try:
        with transaction.atomic():
            assign(cr, actor=actor)
    except QualitasError:
        return


def on_revision_effective(event: RevisionBecameEffective) -> None:
    """A revision made for a change took effect: the change's audiences are asked to read
    it, by the person who made it effective when they may assign training. Otherwise (an
    approver, the scheduled job) it waits on the change's page for a training coordinator,
    and verification is refused until it is assigned and read."""
    if not training_requests.available():
        return
    revision_type = records.RECORD_TYPES[readiness.REVISION_TYPE]
    revision = revision_type.model.objects.filter(pk=event.revision_id).first()
    actor = User.objects.filter(pk=event.actor_id).first()
    if revision is None or actor is None:
        return
    for cr in links.linked(revision, kind=LinkKind.IMPLEMENTS, model=ChangeRequest):
        if not may_assign(cr):
            continue
        try:
            with transaction.atomic():
                assign(cr, actor=actor)
        except QualitasError:
            continue


def visible_readings(viewer: User, found: list[Reading]) -> list[Reading]:
    """The readings whose training records the viewer may see (people's training is not
    everyone's to read)."""
    record_type = records.RECORD_TYPES.get(TRAINING_TYPE)
    if record_type is None:
        return []
    ids = [r.training_record_id for r in found if r.training_record_id]
    seen: QuerySet[Any] = records.visible_to(viewer, record_type).filter(pk__in=ids)
    shown = set(seen.values_list("pk", flat=True))
    return [r for r in found if r.training_record_id in shown]
