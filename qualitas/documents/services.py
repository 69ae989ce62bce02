"""Every write to a controlled document and its revisions: registering the document,
changing its details, starting and editing revisions, the workflow steps done by hand
(with what each entails), withdrawal, and document types.

The rest of document control has its own service module: `signoffs` (reviewers, approvers
and their signatures), `effective` (coming into force, superseding), `reading` (read and
understood), `reviews` (periodic review) and `indexing` (the search text). Views, the API,
the CLI importer and the periodic jobs call these and nothing else.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable
from datetime import date
from typing import IO, Any

from django.utils import timezone

from qualitas.core import (
    attachments,
    audit,
    numbering,
    permissions,
    records,
    workflow as core_workflow,
)
from qualitas.core.errors import Conflict, FieldError, InvalidInput, NotFound
from qualitas.core.models import Department, Role, Site, User
from qualitas.core.validation import clean_or_raise
from qualitas.documents import indexing, policy, queries, reading, signoffs, workflows
from qualitas.documents.effective import add_months
from qualitas.documents.models import (
    Document,
    DocumentRevision,
    DocumentStatus,
    DocumentType,
    ReviewOutcome,
    RevisionScheme,
)
from qualitas.documents.workflows import State

DOCUMENT_FIELDS = (
    "owner",
    "department",
    "clause_references",
    "review_interval_months",
    "confidentiality",
    # Rescheduling a periodic review (a date carried over from a paper register) needs a reason.
    "next_review_on",
)


NO_AUDIENCE = (
    "People must read it: choose the roles or departments who must read and acknowledge it."
)


def record_type() -> records.RecordType:
    return records.RECORD_TYPES["docrevision"]


# --- Revision labels -------------------------------------------------------------------------


def first_label(scheme: str) -> str:
    return "A" if scheme == RevisionScheme.LETTERS else "1.0"


def next_label(scheme: str, previous: str, *, major: bool = False) -> str:
    """A → B … Z → AA; 1.0 → 1.1 (minor) or 2.0 (major)."""
    if scheme == RevisionScheme.NUMBERS:
        whole, _, part = previous.partition(".")
        if not whole.isdigit() or not (part or "0").isdigit():
            raise InvalidInput.for_field("label", f"'{previous}' is not a numbered revision.")
        return f"{int(whole) + 1}.0" if major else f"{whole}.{int(part or 0) + 1}"
    letters = string.ascii_uppercase
    if not previous or any(c not in letters for c in previous):
        raise InvalidInput.for_field("label", f"'{previous}' is not a lettered revision.")
    digits = [letters.index(c) for c in previous]
    position = len(digits) - 1
    while position >= 0:
        if digits[position] < 25:
            digits[position] += 1
            return "".join(letters[d] for d in digits)
        digits[position] = 0
        position -= 1
    return "A" + "".join(letters[d] for d in digits)


# --- Documents -------------------------------------------------------------------------------


@audit.service
def create_document(
    *,
    actor: User,
    document_type: DocumentType,
    title: str,
    owner: User | None = None,
    department: Department | None = None,
    sites: Iterable[Site] = (),
    clause_references: str = "",
    review_interval_months: int | None = None,
    confidentiality: str = "internal",
    content_text: str = "",
    change_reason: str = "",
    effective_on: date | None = None,
    training_impact: bool = False,
    training_roles: Iterable[Role] = (),
    training_departments: Iterable[Department] = (),
) -> Document:
    """Register a new controlled document with its first draft revision, and who must read
    it when "people must read it" is ticked (refused without anyone to ask)."""
    policy.require_author(actor)
    roles, departments = list(training_roles), list(training_departments)
    if training_impact and not roles and not departments:
        roles = list(document_type.default_training_roles.all())
        departments = list(document_type.default_training_departments.filter(is_active=True))
        if not roles and not departments:
            # Otherwise revision A comes into force and nobody is asked to read it.
            raise InvalidInput.for_field("training_roles", NO_AUDIENCE)
    document = Document(
        title=title.strip(),
        document_type=document_type,
        owner=owner or actor,
        department=department,
        clause_references=clause_references,
        review_interval_months=review_interval_months or document_type.review_interval_months,
        confidentiality=confidentiality,
        created_by=actor,
        updated_by=actor,
        number="pending",
    )
    clean_or_raise(document, exclude=["number"])
    pattern = numbering.pattern_for(f"document:{document_type.code}", document_type.number_pattern)
    document.number = numbering.next_number(
        "document", prefix=document_type.prefix, pattern=pattern
    )
    document.save()
    audit.set_many(document, "sites", sites)
    first = _start_revision(
        document,
        actor=actor,
        label=first_label(document_type.revision_scheme),
        sequence=1,
        title=document.title,
        content_text=content_text,
        change_reason=change_reason or "First issue",
        effective_on=effective_on,
        training_impact=training_impact,
    )
    audit.set_many(first, "training_roles", roles)
    audit.set_many(first, "training_departments", departments)
    indexing.index(first)
    return document


@audit.service
def update_document(
    document: Document,
    *,
    actor: User,
    expected_version: int | None,
    reason: str = "",
    sites: Iterable[Site] | None = None,
    related: Iterable[Document] | None = None,
    **changes: Any,
) -> Document:
    """Change a document's identity data (owner, where it applies, review interval …)."""
    # Control first, then the version: the 409 names who changed it.
    with records.locked(document) as current:
        policy.require_control(actor, current)
        records.check_version(current, expected_version)
        if current.status == DocumentStatus.OBSOLETE:
            raise records.RecordLocked(
                f"{current.number} is obsolete and can no longer be changed."
            )
        unknown = sorted(set(changes) - set(DOCUMENT_FIELDS))
        if unknown:
            raise InvalidInput(
                [FieldError(name, "This field cannot be changed.") for name in unknown]
            )
        if "next_review_on" in changes:
            if current.status != DocumentStatus.EFFECTIVE:
                raise InvalidInput.for_field(
                    "next_review_on", "Only an effective document has a periodic review."
                )
            if not reason.strip():
                raise InvalidInput.for_field("reason", "Say why the review date changes.")
        for name, value in changes.items():
            setattr(current, name, value)
        recompute = "review_interval_months" in changes and "next_review_on" not in changes
        if recompute and current.status == DocumentStatus.EFFECTIVE:
            current.next_review_on = add_months(
                _last_reviewed(current), current.review_interval_months
            )
        clean_or_raise(current)
        records.touch(current, actor)
    if sites is not None:
        audit.set_many(current, "sites", sites)
    if related is not None:
        audit.set_many(current, "related", [d for d in related if d.pk != current.pk])
    return current


def _last_reviewed(document: Document) -> date:
    last = document.reviews.filter(outcome=ReviewOutcome.NO_CHANGE).first()
    effective = document.current_revision.effective_on if document.current_revision else None
    dates = [d for d in (last.reviewed_at.date() if last else None, effective) if d]
    return max(dates) if dates else timezone.localdate()


# --- Revisions -------------------------------------------------------------------------------


def _start_revision(
    document: Document,
    *,
    actor: User,
    label: str,
    sequence: int,
    previous: DocumentRevision | None = None,
    **fields: Any,
) -> DocumentRevision:
    revision = DocumentRevision(
        document=document,
        label=label,
        sequence=sequence,
        number=f"{document.number} rev {label}",
        state=State.DRAFT,
        owner=actor,
        created_by=actor,
        updated_by=actor,
        department=document.department,
        **fields,
    )
    clean_or_raise(revision)
    revision.save()
    signoffs.default_signoffs(revision, previous=previous)
    return revision


@audit.service
def new_revision(
    document: Document, *, actor: User, major: bool = False, change_reason: str = ""
) -> DocumentRevision:
    """Start the next revision as a draft, from the content of the latest one."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not policy.may_start_revision(actor, document):
        policy.require_author(actor)
    if document.status == DocumentStatus.OBSOLETE:
        raise Conflict(f"{document.number} is obsolete: it gets no new revisions.")
    if (busy := queries.revision_in_progress(document)) is not None:
        raise Conflict(
            f"{busy.number} is still {busy.get_state_display().lower()}: finish or withdraw it "
            "before starting another revision."
        )
    latest = document.revisions.order_by("-sequence").first()
    if latest is None:  # pragma: no cover - every document is created with a revision
        raise NotFound(f"{document.number} has no revision to start from.")
    revision = _start_revision(
        document,
        actor=actor,
        label=next_label(document.document_type.revision_scheme, latest.label, major=major),
        sequence=latest.sequence + 1,
        title=latest.title,
        content_text=latest.content_text,
        change_reason=change_reason,
        training_impact=latest.training_impact,
        previous=latest,
    )
    # Who must read it carries over too, as the starting point the author can change.
    audit.set_many(revision, "training_roles", latest.training_roles.all())
    audit.set_many(revision, "training_departments", latest.training_departments.all())
    # The files carry over as the starting point.
    for source in attachments.attachments_of(latest):
        attachments.copy(source, to=revision, actor=actor)
    indexing.index(revision)
    return revision


@audit.service
def edit_revision(
    revision: DocumentRevision,
    *,
    actor: User,
    expected_version: int | None,
    reason: str = "",
    training_roles: Iterable[Role] | None = None,
    training_departments: Iterable[Department] | None = None,
    **changes: Any,
) -> DocumentRevision:
    """Change a draft's content and details (refused once it is in review)."""
    updated: DocumentRevision = records.update(
        revision, actor=actor, expected_version=expected_version, reason=reason, **changes
    )
    audience_changed = False
    if training_roles is not None:
        audience_changed |= audit.set_many(updated, "training_roles", training_roles)
    if training_departments is not None:
        audience_changed |= audit.set_many(updated, "training_departments", training_departments)
    if audience_changed:
        # Who must read it is content too: a stale copy must not overwrite it unnoticed.
        records.touch(updated, actor)
    if updated.training_impact and not (
        updated.training_roles.exists() or updated.training_departments.exists()
    ):
        raise InvalidInput.for_field("training_roles", NO_AUDIENCE)
    if "title" in changes and updated.document.status == DocumentStatus.NEW:
        _sync_title(updated.document, updated, actor)
    indexing.index(updated)
    return updated


@audit.service
def add_file(
    revision: DocumentRevision, *, actor: User, file: IO[bytes], name: str, description: str = ""
) -> Any:
    """Add a content file (PDF, DOCX, XLSX, Markdown, image) to a draft; checked by content."""
    if revision.state != State.DRAFT:
        raise records.RecordLocked(
            f"{revision.number} is {revision.get_state_display()}: its content is frozen."
        )
    added = attachments.add(revision, actor=actor, file=file, name=name, description=description)
    indexing.index(revision)
    return added


def _sync_title(document: Document, revision: DocumentRevision, actor: User) -> None:
    if document.title != revision.title:
        document.title = revision.title
        records.touch(document, actor)


# --- Workflow steps done by hand ---------------------------------------------------------------


def _submitted(revision: DocumentRevision, actor: User, comment: str) -> None:
    signoffs.open_signoffs(revision, actor=actor)


def _returned(revision: DocumentRevision, actor: User, comment: str) -> None:
    signoffs.void_signoffs(revision, reason=comment)


def _withdrawn(revision: DocumentRevision, actor: User, comment: str) -> None:
    after_withdrawal(revision, actor=actor, reason=comment)


# What a step entails besides the change of state (the record type's `entails`): sent for
# review opens the sign-offs, back to draft voids them, a withdrawal makes the document
# obsolete when it was the revision in force.
ENTAILS: dict[str, Callable[[DocumentRevision, User, str], None]] = {
    "submit": _submitted,
    "return_to_draft": _returned,
    "withdraw": _withdrawn,
}


# --- Obsolete --------------------------------------------------------------------------------


def after_withdrawal(revision: DocumentRevision, *, actor: User, reason: str) -> None:
    """A withdrawn effective revision makes the document obsolete (with any revision in
    progress); a withdrawn draft leaves the effective one in force."""
    with records.locked(revision.document) as document:
        revision.withdrawn_on = timezone.localdate()
        revision.save()
        reading.withdraw(revision, actor=actor, reason=f"Withdrawn: {reason}")
        signoffs.withdraw_requests(revision)
        if document.current_revision_id == revision.pk or document.status == DocumentStatus.NEW:
            for other in document.revisions.filter(state__in=workflows.IN_PROGRESS).exclude(
                pk=revision.pk
            ):
                core_workflow.fire(
                    other,
                    "withdraw",
                    actor=actor,
                    comment=f"Document withdrawn: {reason}",
                    by_service=True,
                )
            document.status = DocumentStatus.OBSOLETE
            document.withdrawn_reason = reason
            document.next_review_on = None
            records.touch(document, actor)


@audit.service
def withdraw_document(document: Document, *, actor: User, reason: str) -> Document:
    """Make a document obsolete: its effective revision (or its only draft) is withdrawn."""
    target = queries.effective_revision(document) or queries.revision_in_progress(document)
    if target is None:
        raise Conflict(f"{document.number} is already obsolete.")
    core_workflow.fire(target, "withdraw", actor=actor, comment=reason)
    document.refresh_from_db()
    return document


# --- Document types --------------------------------------------------------------------------

TYPE_FIELDS = (
    "name",
    "number_pattern",
    "revision_scheme",
    "review_interval_months",
    "approval_order",
)


@audit.service
def update_document_type(
    document_type: DocumentType,
    *,
    actor: User,
    reason: str = "",
    default_reviewers: Iterable[User] | None = None,
    default_approvers: Iterable[User] | None = None,
    default_training_roles: Iterable[Role] | None = None,
    default_training_departments: Iterable[Department] | None = None,
    **changes: Any,
) -> DocumentType:
    """Tune a type: numbering, revision scheme, review interval, approval order, defaults
    (reviewers, approvers, and who must read a new document that people must read).

    Existing documents keep their numbers and revision labels; the change applies to what
    is created from now on."""
    permissions.require(actor, workflows.CONTROL)
    current: DocumentType = DocumentType.objects.select_for_update().get(pk=document_type.pk)
    unknown = sorted(set(changes) - set(TYPE_FIELDS))
    if unknown:
        raise InvalidInput([FieldError(name, "This field cannot be changed.") for name in unknown])
    for name, value in changes.items():
        setattr(current, name, value)
    if "number_pattern" in changes:
        try:
            numbering.validate_pattern(current.number_pattern)
        except ValueError as exc:
            raise InvalidInput.for_field("number_pattern", str(exc)) from None
    clean_or_raise(current)
    current.save()
    if default_reviewers is not None:
        audit.set_many(current, "default_reviewers", default_reviewers)
    if default_approvers is not None:
        approvers = list(default_approvers)
        refused = [
            p.printed_name for p in approvers if not permissions.has_perm(p, workflows.APPROVE)
        ]
        if refused:
            raise InvalidInput.for_field(
                "default_approvers", f"{', '.join(refused)} may not approve documents."
            )
        audit.set_many(current, "default_approvers", approvers)
    if default_training_roles is not None:
        audit.set_many(current, "default_training_roles", default_training_roles)
    if default_training_departments is not None:
        audit.set_many(current, "default_training_departments", default_training_departments)
    return current
