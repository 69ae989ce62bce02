"""Read and understood: who must read an effective revision, and asking them. The readings
themselves are training records, kept by the training module through the core's reading
register (`qualitas.core.training_requests`); without it nobody is asked to read anything."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from qualitas.core.errors import Conflict, NotFound
from qualitas.core.models import RoleAssignment, User
from qualitas.core.services import system_user
from qualitas.core.signatures import SignatureToken
from qualitas.core.training_requests import Reading, ReadingSummary, reading_register
from qualitas.documents.events import RevisionBecameEffective
from qualitas.documents.models import DocumentRevision

# Days a person has to read and acknowledge a revision that concerns them.
ACKNOWLEDGE_WITHIN_DAYS = 14


def training_audience(revision: DocumentRevision) -> list[User]:
    """Everyone who must read this revision: holders of its roles where the document
    applies, and the members of its departments."""
    if not revision.training_impact:
        return []
    sites = list(revision.document.sites.values_list("pk", flat=True))
    roles = RoleAssignment.objects.filter(role__in=revision.training_roles.all())
    if sites:
        roles = roles.filter(Q(site__isnull=True) | Q(site__in=sites))
    people = User.objects.filter(is_active=True).filter(
        Q(pk__in=roles.values("user_id")) | Q(department__in=revision.training_departments.all())
    )
    return list(people.exclude(username="system").distinct().order_by("last_name", "first_name"))


def ask_audience(revision: DocumentRevision, *, actor: User | None = None) -> int:
    """Ask the revision's audience to read it (whoever has not been asked); how many were."""
    register = reading_register()
    if register is None or revision.state != "effective":
        return 0
    people = training_audience(revision)
    if not people:
        return 0
    return register.ask(
        document_id=revision.document_id,
        revision_id=revision.pk,
        people=people,
        due_on=timezone.localdate() + timedelta(days=ACKNOWLEDGE_WITHIN_DAYS),
        actor=actor or system_user(),
    )


def withdraw(revision: DocumentRevision, *, actor: User, reason: str) -> int:
    """Nobody need read a revision that is no longer in force (the newer one asks again)."""
    register = reading_register()
    if register is None:
        return 0
    return register.withdraw(revision_id=revision.pk, actor=actor, reason=reason)


def acknowledge(revision: DocumentRevision, *, actor: User, signature: SignatureToken) -> Reading:
    """The reader signs "read and understood" for the revision they were asked to read."""
    register = reading_register()
    if register is None:
        raise NotFound(f"You were not asked to read {revision.number}.")
    return register.acknowledge(revision_id=revision.pk, actor=actor, signature=signature)


def readings(revision: DocumentRevision) -> list[Reading]:
    register = reading_register()
    return register.readings(revision_id=revision.pk) if register is not None else []


def summary(revision: DocumentRevision) -> ReadingSummary:
    register = reading_register()
    return register.summary(revision_id=revision.pk) if register else ReadingSummary()


def pending_for(person: User) -> list[Reading]:
    register = reading_register()
    return register.pending_for(person) if register is not None else []


def done_for(person: User, *, limit: int = 50, revision_id: int | None = None) -> list[Reading]:
    register = reading_register()
    if register is None:
        return []
    return register.done_for(person, limit=limit, revision_id=revision_id)


def my_pending(revision: DocumentRevision, person: User) -> Reading | None:
    """The person's open request to read this revision, if any."""
    return next((r for r in pending_for(person) if r.revision_id == revision.pk), None)


def require_asked(revision: DocumentRevision, person: User) -> Reading:
    """The person's open request to read this revision; refused before any password is
    asked for when there is none (never asked: 404; already signed: 409)."""
    pending = my_pending(revision, person)
    if pending is not None:
        return pending
    if done_for(person, limit=1, revision_id=revision.pk):
        raise Conflict(f"You have already signed {revision.number} as read and understood.")
    raise NotFound(f"You were not asked to acknowledge {revision.number}.")


def on_revision_effective(event: RevisionBecameEffective) -> None:
    """A revision came into force: requests to read the revision it replaced are withdrawn
    and its audience is asked to read it (declared in module.py, in the transaction)."""
    revision = DocumentRevision.objects.get(pk=event.revision_id)
    if event.superseded_id is not None:
        superseded = DocumentRevision.objects.get(pk=event.superseded_id)
        withdraw(
            superseded,
            actor=system_user(),
            reason=f"{revision.number} is now in force.",
        )
    ask_audience(revision)
