"""Who may do what in document control, beyond the revision workflow's own steps: one
named rule per decision. The services enforce them (`require_…`), the pages use them to
show or hide a control, and the API lists a document's steps with the reasons one is not
open (`document_steps`). The rule book reads top to bottom."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qualitas.core import permissions
from qualitas.core.errors import PermissionDenied
from qualitas.documents import queries, workflows as w
from qualitas.documents.models import DocumentStatus

if TYPE_CHECKING:
    from qualitas.core.models import User
    from qualitas.documents.models import Document, DocumentRevision


def may_author(user: User) -> bool:
    """Authors write new documents and drafts; document controllers may too."""
    return permissions.has_perm(user, w.AUTHOR) or permissions.has_perm(user, w.CONTROL)


def require_author(user: User) -> None:
    if not may_author(user):
        permissions.require(user, w.AUTHOR)


def may_control(user: User, document: Document) -> bool:
    """Document control over this document: its owner, or a document controller where it
    applies (company-wide documents apply everywhere)."""
    if document.owner_id == user.pk:
        return True
    return queries.documents_at_sites(user, w.CONTROL).filter(pk=document.pk).exists()


def require_control(user: User, document: Document) -> None:
    if not may_control(user, document):
        raise PermissionDenied(
            f"Only the owner of {document.number} or document control may do this."
        )


def may_approve(user: User, document: Document) -> bool:
    """Approval authority: the approve permission at every site where the document applies,
    and at every site for a company-wide one (an approver at one plant does not approve
    another plant's procedures)."""
    if not user.is_active:
        return False
    sites = permissions.sites_with_perm(user, w.APPROVE)
    if sites is None:
        return True
    applies = {site.pk for site in document.sites.all()}
    return bool(applies) and applies <= sites


def may_start_revision(user: User, document: Document) -> bool:
    """The next revision is started by document control or by an author."""
    return may_control(user, document) or may_author(user)


def may_see_who_read(user: User, revision: DocumentRevision) -> bool:
    """Who has read a revision is for its document control and for those who may read the
    history (auditors, approvers)."""
    return may_control(user, revision.document) or permissions.has_perm(user, w.HISTORY)


def require_see_who_read(user: User, revision: DocumentRevision) -> None:
    if not may_control(user, revision.document):
        permissions.require(user, w.HISTORY)


def may_download_original(user: User, document: Document) -> bool:
    """Originals without the controlled-copy footer leave only through document control."""
    return may_control(user, document)


def may_maintain_types(user: User) -> bool:
    """Document types (numbering, review interval, approval order) are document control's."""
    return permissions.has_perm(user, w.CONTROL)


@dataclass(frozen=True)
class Step:
    """Something that can happen to a document as a whole, and whether this person may now."""

    name: str
    label: str
    method_path: str
    refusals: tuple[str, ...]


def document_steps(user: User, document: Document) -> list[Step]:
    """The document's own steps (its revisions have their workflow): start the next revision,
    periodic review, withdraw — each with the reasons it is not open to this person now."""
    controls = may_control(user, document)
    obsolete = document.status == DocumentStatus.OBSOLETE
    busy = queries.revision_in_progress(document)
    effective = queries.effective_revision(document)
    base = f"/api/v1/documents/{document.pk}"
    not_control = f"Only the owner of {document.number} or document control may do this."

    def reasons(*pairs: tuple[bool, str]) -> tuple[str, ...]:
        return tuple(message for refused, message in pairs if refused)

    return [
        Step(
            "new_revision",
            "Start the next revision",
            f"POST {base}/revisions",
            reasons(
                (
                    not may_start_revision(user, document),
                    "Only authors and document control start revisions.",
                ),
                (obsolete, f"{document.number} is obsolete: it gets no new revisions."),
                (
                    busy is not None,
                    f"{busy.number if busy else ''} is still in progress: finish or withdraw it "
                    "first.",
                ),
            ),
        ),
        Step(
            "periodic_review",
            "Periodic review",
            f"POST {base}/periodic-review",
            reasons(
                (not controls, not_control),
                (effective is None, f"{document.number} has no effective revision to review."),
            ),
        ),
        Step(
            "withdraw",
            "Withdraw (make obsolete)",
            f"POST {base}/withdraw",
            reasons((not controls, not_control), (obsolete, f"{document.number} is obsolete.")),
        ),
    ]
