"""Read and understood, kept as training: the documents module decides who must read a
revision in force and shows who has; each reading is a training record (method reading) on
that revision, signed "read and understood" by the reader. One record per person and
revision, whoever asks (the revision's own audience, a curriculum line, a change request's
training impact), so nobody is asked twice for the same reading.

This is the training module's side of `qualitas.core.training_requests.ReadingRegister`.
It also takes over the documents module's earlier acknowledgements (`adopt_acknowledgements`,
after each migrate), without loss: the request's dates and state, and the signature given on
the revision.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from qualitas.core import audit, events, notifications, numbering, records, workflow
from qualitas.core.errors import Conflict, NotFound
from qualitas.core.models import Meaning, Signature, User
from qualitas.core.services import system_user
from qualitas.core.signatures import SignatureToken
from qualitas.core.training_requests import Reading, ReadingSummary
from qualitas.documents import queries as documents
from qualitas.training import services, workflows as w
from qualitas.training.models import OPEN_STATES, Method, TrainingRecord

# The documents module's words for a reading's state.
STATE_WORDS = {
    w.State.ASSIGNED: "pending",
    w.State.AWAITING_TRAINER: "pending",
    w.State.COMPLETED: "acknowledged",
    w.State.EXPIRED: "acknowledged",
    w.State.CANCELLED: "withdrawn",
}


@audit.service
def ask(
    *,
    document_id: int,
    revision_id: int,
    people: Iterable[User],
    due_on: date,
    actor: User,
) -> list[TrainingRecord]:
    """Ask these people to read the revision of the document in force. Idempotent: whoever
    has read it or is asked already (by any route) is not asked again; a request to read a
    revision no longer in force is cancelled first."""
    document = next(iter(documents.controlled_documents(ids=[document_id]).values()), None)
    if document is None or document.effective_revision_id != revision_id:
        return []  # only the revision in force is read
    wanted = [person for person in people if person.is_active]
    if not wanted:
        return []
    services.cancel_stale_readings(document, actor=actor)
    held = set(
        TrainingRecord.objects.filter(person_id__in=[p.pk for p in wanted], revision_id=revision_id)
        .exclude(state=w.State.CANCELLED)
        .values_list("person_id", flat=True)
    )
    asked = []
    for person in wanted:
        if person.pk in held:
            continue
        held.add(person.pk)
        record = services.open_record(
            person=person,
            actor=actor,
            requirement=None,
            course=None,
            document=document,
            due_on=due_on,
            notify=False,
        )
        notifications.notify(
            person,
            title=f"Read and acknowledge {document.number} rev {document.effective_label} "
            f"{document.title}"[:200],
            body=f"Please read it by {due_on:%Y-%m-%d}, then sign it as read and understood.",
            url=services.reading_url(document_id, revision_id),
            email=True,
        )
        asked.append(record)
    return asked


@audit.service
def withdraw(*, revision_id: int, actor: User, reason: str) -> list[TrainingRecord]:
    """Nobody need read this revision any more (it was withdrawn or made obsolete)."""
    cancelled = []
    for record in TrainingRecord.objects.filter(revision_id=revision_id, state__in=OPEN_STATES):
        cancelled.append(
            workflow.fire(record, "cancel", actor=actor, comment=reason, by_service=True)
        )
        services.reading_done(record)
    return cancelled


def _signatures(rows: list[TrainingRecord]) -> dict[int, tuple[int, Any]]:
    """Per record, the read-and-understood signature (its id and time), in one query."""
    found: dict[int, tuple[int, Any]] = {
        r.pk: (r.revision_signature.pk, r.revision_signature.signed_at)
        for r in rows
        if r.revision_signature is not None
    }
    own = [r.pk for r in rows if r.pk not in found and r.state != w.State.ASSIGNED]
    if own:
        kind = ContentType.objects.get_for_model(TrainingRecord)
        for signature in Signature.objects.filter(
            object_type=kind, object_id__in=own, meaning=Meaning.READ_AND_UNDERSTOOD
        ).only("pk", "object_id", "signed_at"):
            found[int(signature.object_id)] = (signature.pk, signature.signed_at)
    return found


SHOWN = ("person", "person__department", "revision_signature")


def _readings(rows: list[TrainingRecord]) -> list[Reading]:
    signed = _signatures(rows)
    return [
        Reading(
            record_id=r.pk,
            record_number=r.number,
            document_id=r.document_id or 0,
            document_number=r.document_number,
            revision_id=r.revision_id or 0,
            revision_label=r.revision_label,
            title=r.title,
            person_id=r.person_id,
            person_name=r.person.printed_name,
            department=r.person.department.name if r.person.department else "",
            state=STATE_WORDS.get(w.State(r.state), str(r.state)),
            due_on=r.due_on,
            acknowledged_at=signed[r.pk][1] if r.pk in signed else None,
            signature_id=signed[r.pk][0] if r.pk in signed else None,
            url=services.record_url(r),
        )
        for r in rows
    ]


def readings(*, revision_id: int) -> list[Reading]:
    found = (
        TrainingRecord.objects.filter(revision_id=revision_id)
        .select_related(*SHOWN)
        .order_by("state", "person__last_name", "person__first_name", "pk")
    )
    return _readings(list(found))


def _summary(found: QuerySet[TrainingRecord]) -> ReadingSummary:
    today = timezone.localdate()
    asked = found.exclude(state=w.State.CANCELLED)
    counted = asked.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_on__lt=today)),
    )
    total, pending = int(counted["total"]), int(counted["pending"])
    return ReadingSummary(
        total=total, done=total - pending, pending=pending, overdue=int(counted["overdue"])
    )


def summary(*, revision_id: int) -> ReadingSummary:
    return _summary(TrainingRecord.objects.filter(revision_id=revision_id))


def completion(*, revision_ids: Any) -> ReadingSummary:
    return _summary(TrainingRecord.objects.filter(revision_id__in=revision_ids))


def pending_for(person: User) -> list[Reading]:
    found = (
        TrainingRecord.objects.filter(
            person=person, state__in=OPEN_STATES, revision_id__isnull=False
        )
        .select_related(*SHOWN)
        .order_by("due_on", "pk")
    )
    return _readings(list(found))


def done_for(person: User, *, limit: int = 50, revision_id: int | None = None) -> list[Reading]:
    found = (
        TrainingRecord.objects.filter(
            person=person,
            state__in=(w.State.COMPLETED, w.State.EXPIRED),
            revision_id__isnull=False,
        )
        .filter(**({"revision_id": revision_id} if revision_id is not None else {}))
        .select_related(*SHOWN)
        .order_by("-completed_on", "-pk")
    )
    return _readings(list(found[:limit]))


def acknowledge(*, revision_id: int, actor: User, signature: SignatureToken) -> Reading:
    """The reader signs read and understood for the revision they were asked to read."""
    mine = (
        TrainingRecord.objects.filter(person=actor, revision_id=revision_id).order_by("-pk").first()
    )
    if mine is None:
        raise NotFound("You were not asked to read this revision.")
    if mine.state not in OPEN_STATES:
        raise Conflict(
            f"Your reading of {mine.document_number} rev {mine.revision_label} is "
            f"{mine.get_state_display().lower()}."
        )
    if not documents.revision_in_force(revision_id):
        raise Conflict(f"{mine.document_number} rev {mine.revision_label} is no longer in force.")
    services.complete_training(mine, actor=actor, signature=signature)
    return _readings(list(TrainingRecord.objects.filter(pk=mine.pk).select_related(*SHOWN)))[0]


class Register:
    """What `Module(reading_register=…)` declares: the functions above, as one object."""

    def ask(
        self,
        *,
        document_id: int,
        revision_id: int,
        people: Iterable[User],
        due_on: date,
        actor: User,
    ) -> int:
        return len(
            ask(
                document_id=document_id,
                revision_id=revision_id,
                people=people,
                due_on=due_on,
                actor=actor,
            )
        )

    def withdraw(self, *, revision_id: int, actor: User, reason: str) -> int:
        return len(withdraw(revision_id=revision_id, actor=actor, reason=reason))

    def readings(self, *, revision_id: int) -> list[Reading]:
        return readings(revision_id=revision_id)

    def summary(self, *, revision_id: int) -> ReadingSummary:
        return summary(revision_id=revision_id)

    def completion(self, *, revision_ids: Any) -> ReadingSummary:
        return completion(revision_ids=revision_ids)

    def pending_for(self, person: User) -> list[Reading]:
        return pending_for(person)

    def done_for(
        self, person: User, *, limit: int = 50, revision_id: int | None = None
    ) -> list[Reading]:
        return done_for(person, limit=limit, revision_id=revision_id)

    def acknowledge(self, *, revision_id: int, actor: User, signature: SignatureToken) -> Reading:
        return acknowledge(revision_id=revision_id, actor=actor, signature=signature)


REGISTER = Register()


# --- Taking over the documents module's acknowledgements ----------------------------------


ADOPTED_STATES = {
    "pending": w.State.ASSIGNED,
    "acknowledged": w.State.COMPLETED,
    "withdrawn": w.State.CANCELLED,
}


@audit.service
def adopt_acknowledgements(*, actor: User, reason: str = "") -> list[TrainingRecord]:
    """Every read-and-understood the documents module kept before training records did
    becomes a training record: same person, revision, dates and state, the signature given
    on the revision kept with it. Idempotent (each acknowledgement is taken over once); a
    request still open for a revision no longer in force is taken over as cancelled."""
    taken = TrainingRecord.objects.filter(acknowledgement_id__isnull=False).values(
        "acknowledgement_id"
    )
    left = documents.earlier_acknowledgements(excluding=taken)
    if not left:
        return []
    people = User.objects.in_bulk({old.person_id for old in left})
    record_type = records.type_of(TrainingRecord)
    pattern = numbering.pattern_for(record_type.key, record_type.number_pattern)
    adopted = []
    for old in left:
        person = people[old.person_id]
        state = ADOPTED_STATES.get(old.state, w.State.CANCELLED)
        if state == w.State.ASSIGNED and (
            not old.revision_in_force
            or TrainingRecord.objects.filter(
                person=person, document_id=old.document_id, state__in=OPEN_STATES
            ).exists()
        ):
            # Not in force any more, or already asked again by another route.
            state = w.State.CANCELLED
        done = state == w.State.COMPLETED
        record = TrainingRecord(
            number=numbering.next_number(
                record_type.key, prefix=record_type.prefix, pattern=pattern
            ),
            title=f"{old.document_number} rev {old.revision_label} {old.revision_title}"[:200],
            person=person,
            document_id=old.document_id,
            document_number=old.document_number,
            revision_id=old.revision_id,
            revision_label=old.revision_label,
            assigned_on=timezone.localtime(old.assigned_at).date(),
            due_on=old.due_on,
            completed_on=(
                timezone.localtime(old.acknowledged_at).date()
                if done and old.acknowledged_at
                else None
            ),
            method=Method.READING if done else "",
            state=state,
            site_id=person.site_id,
            department_id=person.department_id,
            owner=actor,
            created_by=actor,
            updated_by=actor,
            acknowledgement_id=old.id,
            revision_signature_id=old.signature_id,
        )
        record.save()
        events.publish(events.RecordCreated(record_type.key, record.pk, actor.pk))
        adopted.append(record)
    return adopted


def adopt_after_migrate(**kwargs: Any) -> None:
    """After each migrate: take over what the documents module still holds (nothing, once
    done). Skipped while the training tables are not there yet."""
    from django.db import connection

    tables = connection.introspection.table_names()
    if "training_trainingrecord" not in tables or "documents_acknowledgement" not in tables:
        return
    adopt_acknowledgements(
        actor=system_user(), reason="Read and understood is kept as training records"
    )
