"""Read and understood: who must read an effective revision, asking them, and their signed
acknowledgement."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from qualitas.core import audit, notifications
from qualitas.core.errors import Conflict, PermissionDenied
from qualitas.core.models import Meaning, RoleAssignment, User
from qualitas.core.signatures import SignatureToken, sign
from qualitas.documents import queries
from qualitas.documents.events import RevisionBecameEffective
from qualitas.documents.models import Acknowledgement, AcknowledgementState, DocumentRevision
from qualitas.documents.workflows import State

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


def assign_acknowledgements(revision: DocumentRevision) -> list[Acknowledgement]:
    due = timezone.localdate() + timedelta(days=ACKNOWLEDGE_WITHIN_DAYS)
    created = []
    for person in training_audience(revision):
        acknowledgement, new = Acknowledgement.objects.get_or_create(
            revision=revision, person=person, defaults={"due_on": due}
        )
        if new:
            created.append(acknowledgement)
            notifications.notify(
                person,
                title=f"Read and acknowledge {revision.number} {revision.title}",
                body=f"Effective from {revision.effective_on:%Y-%m-%d}; please read it by "
                f"{due:%Y-%m-%d}. {revision.change_summary}".strip(),
                url=queries.document_url(revision.document, revision),
                email=True,
            )
    return created


def _reading_done(people: list[User], revision: DocumentRevision) -> None:
    """The request to read (and its reminders) leaves the reader's unread notifications."""
    notifications.mark_done(
        people,
        url=queries.document_url(revision.document, revision),
        titles=[f"{ask} {revision.number}" for ask in ("Read and acknowledge", "Please read")],
    )


def withdraw_acknowledgements(revision: DocumentRevision) -> None:
    """Nobody need read a revision that is no longer in force (the newer one asks again)."""
    released = []
    for pending in revision.acknowledgements.filter(
        state=AcknowledgementState.PENDING
    ).select_related("person"):
        pending.state = AcknowledgementState.WITHDRAWN
        pending.save()
        released.append(pending.person)
    _reading_done(released, revision)


@audit.service
def acknowledge(
    acknowledgement: Acknowledgement, *, actor: User, signature: SignatureToken
) -> Acknowledgement:
    """The reader signs "read and understood" for the effective revision."""
    acknowledgement = Acknowledgement.objects.select_for_update().get(pk=acknowledgement.pk)
    if acknowledgement.person_id != actor.pk:
        raise PermissionDenied("Only the person asked to read it can acknowledge a revision.")
    if acknowledgement.state != AcknowledgementState.PENDING:
        raise Conflict(f"This acknowledgement is {acknowledgement.get_state_display().lower()}.")
    revision = acknowledgement.revision
    if revision.state != State.EFFECTIVE:
        raise Conflict(f"{revision.number} is no longer effective.")
    signed = sign(
        revision,
        signer=actor,
        meaning=Meaning.READ_AND_UNDERSTOOD,
        token=signature,
        transition="acknowledge",
    )
    acknowledgement.state = AcknowledgementState.ACKNOWLEDGED
    acknowledgement.acknowledged_at = signed.signed_at
    acknowledgement.signature = signed
    acknowledgement.save()
    _reading_done([actor], revision)
    return acknowledgement


def on_revision_effective(event: RevisionBecameEffective) -> None:
    """A revision came into force: its audience is asked to read it, and requests to read
    the revision it replaced are withdrawn (declared in module.py, in the transaction)."""
    revision = DocumentRevision.objects.get(pk=event.revision_id)
    if event.superseded_id is not None:
        withdraw_acknowledgements(DocumentRevision.objects.get(pk=event.superseded_id))
    assign_acknowledgements(revision)
