"""Who sees which documents and revisions, and the read helpers the pages and API share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qualitas.core import permissions
from qualitas.core.errors import NotFound
from qualitas.documents import workflows
from qualitas.documents.models import (
    Document,
    DocumentRevision,
    DocumentStatus,
    SignOff,
    SignOffOutcome,
)
from qualitas.documents.workflows import State

if TYPE_CHECKING:
    from qualitas.core.models import User


def document_url(document: Document, revision: DocumentRevision | None = None) -> str:
    suffix = f"?revision={revision.pk}" if revision is not None else ""
    return f"/documents/{document.pk}/{suffix}"


def documents_at_sites(user: User, code: str) -> QuerySet[Document]:
    """Documents applying where the user holds `code` (company-wide ones apply everywhere)."""
    sites = permissions.sites_with_perm(user, code)
    if sites is None:
        return Document.objects.all()
    if not sites:
        return Document.objects.none()
    return Document.objects.filter(Q(sites__isnull=True) | Q(sites__in=sites)).distinct()


def visible_revisions(user: User, revisions: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """Effective revisions for readers; history for those who may read it; drafts only for
    their author, their reviewers and approvers, the document's owner and document control."""
    found = revisions if revisions is not None else DocumentRevision.objects.all()
    if not user.is_authenticated or not user.is_active:
        return found.none()
    controlled = documents_at_sites(user, workflows.CONTROL).values("pk")
    readable = documents_at_sites(user, workflows.VIEW).values("pk")
    history = documents_at_sites(user, workflows.HISTORY).values("pk")
    involved = SignOff.objects.filter(person=user).values("revision_id")
    return found.filter(
        Q(document_id__in=controlled)
        | Q(document_id__in=readable, state=State.EFFECTIVE)
        | Q(document_id__in=history, state__in=(State.SUPERSEDED, State.OBSOLETE))
        | Q(owner=user)
        | Q(created_by=user)
        | Q(document__owner=user)
        | Q(pk__in=involved)
    )


def visible_documents(user: User) -> QuerySet[Document]:
    """Documents with at least one revision the user may see."""
    return Document.objects.filter(pk__in=visible_revisions(user).values("document_id"))


def get_document(user: User, pk: int) -> Document:
    """The document, if the user may see at least one of its revisions."""
    found = visible_documents(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No document with id {pk}.")
    return found


def current_signoffs(revision: DocumentRevision) -> list[SignOff]:
    """This round's reviews and approvals (voided ones belong to earlier rounds); reviews
    come first, since approval starts when they are done."""
    return workflows.this_rounds_signoffs(revision)


def reviewers_of(revision: Any) -> list[int]:
    return [s.person_id for s in current_signoffs(revision) if s.kind == "review"]


def approvers_of(revision: Any) -> list[int]:
    return [s.person_id for s in current_signoffs(revision) if s.kind == "approval"]


def effective_revision(document: Document) -> DocumentRevision | None:
    return document.revisions.filter(state=State.EFFECTIVE).first()


def revision_in_progress(document: Document) -> DocumentRevision | None:
    return document.revisions.filter(state__in=workflows.IN_PROGRESS).first()


def overdue_reviews(user: User, *, today: date | None = None) -> QuerySet[Document]:
    today = today or timezone.localdate()
    return (
        visible_documents(user)
        .filter(status="effective", next_review_on__lt=today)
        .select_related("owner", "document_type", "current_revision")
        .order_by("next_review_on")
    )


def reading_completion(user: User) -> float | None:
    """Of the readings asked for the effective revisions the person may see, the share done
    (per cent); None when nobody has been asked to read anything yet."""
    from qualitas.core.training_requests import reading_register

    register = reading_register()
    if register is None:
        return None
    effective = visible_revisions(user).filter(state="effective").values("pk")
    counted = register.completion(revision_ids=effective)
    if not counted.total:
        return None
    return 100.0 * counted.done / counted.total


def waiting_for(user: User) -> QuerySet[SignOff]:
    """Reviews and approvals of revisions in review that wait for this person."""
    return (
        SignOff.objects.filter(
            person=user,
            revision__state=State.IN_REVIEW,
            outcome__in=(SignOffOutcome.PENDING, SignOffOutcome.COMMENTED),
        )
        .select_related("revision", "revision__document")
        .order_by("revision__updated_at")
    )


@dataclass(frozen=True)
class ControlledDocument:
    """What other modules may know of a controlled document (training cites it by number):
    its identity and the revision now in force, if any."""

    id: int
    number: str
    title: str
    effective_revision_id: int | None
    effective_label: str | None


def controlled_documents(
    *, numbers: Iterable[str] | None = None, ids: Iterable[int] | None = None
) -> dict[str, ControlledDocument]:
    """The documents with these numbers or ids (every one when neither is given), by
    number, in one query."""
    # Only what is returned: a revision's row holds its whole text and the text extracted
    # from its files.
    found = (
        Document.objects.select_related("current_revision")
        .only("pk", "number", "title", "status", "current_revision__label")
        .order_by("number")
    )
    if numbers is not None:
        found = found.filter(number__in=list(numbers))
    if ids is not None:
        found = found.filter(pk__in=list(ids))
    result = {}
    for document in found:
        effective = document.status == DocumentStatus.EFFECTIVE and document.current_revision
        result[document.number] = ControlledDocument(
            document.pk,
            document.number,
            document.title,
            document.current_revision_id if effective else None,
            document.current_revision.label if effective and document.current_revision else None,
        )
    return result


def revision_in_force(revision_id: int) -> bool:
    """Whether this revision is the effective one of its document."""
    return DocumentRevision.objects.filter(pk=revision_id, state=State.EFFECTIVE).exists()


@dataclass(frozen=True)
class EarlierAcknowledgement:
    """A read-and-understood as this module kept it before readings were training records."""

    id: int
    person_id: int
    document_id: int
    document_number: str
    revision_id: int
    revision_label: str
    revision_title: str
    revision_in_force: bool
    state: str  # pending, acknowledged, withdrawn
    assigned_at: Any
    due_on: date
    acknowledged_at: Any
    signature_id: int | None


def earlier_acknowledgements(*, excluding: Any = ()) -> list[EarlierAcknowledgement]:
    """Every acknowledgement not among `excluding` (ids, or a query of them), oldest first."""
    from qualitas.documents.models import Acknowledgement

    found = (
        Acknowledgement.objects.exclude(pk__in=excluding)
        .select_related("revision", "revision__document")
        .order_by("pk")
    )
    return [
        EarlierAcknowledgement(
            id=a.pk,
            person_id=a.person_id,
            document_id=a.revision.document_id,
            document_number=a.revision.document.number,
            revision_id=a.revision_id,
            revision_label=a.revision.label,
            revision_title=a.revision.title,
            revision_in_force=a.revision.state == State.EFFECTIVE,
            state=a.state,
            assigned_at=a.assigned_at,
            due_on=a.due_on,
            acknowledged_at=a.acknowledged_at,
            signature_id=a.signature_id,
        )
        for a in found
    ]
