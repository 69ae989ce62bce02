"""Every write to controlled documents: the document, its revisions, reviews, approvals,
effectiveness, periodic review and read-and-understood.

Views, the API, the CLI importer and the periodic job call these and nothing else.
"""

from __future__ import annotations

import calendar
import string
from collections.abc import Iterable
from datetime import date, timedelta
from typing import IO, Any

from django.db.models import Max, Q
from django.utils import timezone

from qualitas.core import attachments, audit, notifications, numbering, permissions, records
from qualitas.core import workflow as core_workflow
from qualitas.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from qualitas.core.models import Department, Meaning, Role, RoleAssignment, Site, User
from qualitas.core.signatures import SignatureToken, sign
from qualitas.core.validation import clean_or_raise
from qualitas.documents import queries, workflows
from qualitas.documents.models import (
    Acknowledgement,
    AcknowledgementState,
    ApprovalOrder,
    Document,
    DocumentRevision,
    DocumentStatus,
    DocumentType,
    PeriodicReview,
    ReviewComment,
    ReviewOutcome,
    RevisionScheme,
    SearchEntry,
    SignOff,
    SignOffKind,
    SignOffOutcome,
)
from qualitas.documents.workflows import State

# What the document page and the API may change on a document (its identity, not content).
DOCUMENT_FIELDS = (
    "owner",
    "department",
    "clause_references",
    "review_interval_months",
    "confidentiality",
    # Rescheduling a periodic review (a date carried over from a paper register) needs a reason.
    "next_review_on",
)
# Days a person has to read and acknowledge a revision that concerns them.
ACKNOWLEDGE_WITHIN_DAYS = 14


def record_type() -> records.RecordType:
    return records.RECORD_TYPES["docrevision"]


def document_url(document: Document, revision: DocumentRevision | None = None) -> str:
    suffix = f"?revision={revision.pk}" if revision is not None else ""
    return f"/documents/{document.pk}/{suffix}"


# --- Revision labels ---------------------------------------------------------------------------


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


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Documents ---------------------------------------------------------------------------------


def _require_author(actor: User) -> None:
    if not permissions.has_perm(actor, workflows.AUTHOR) and not permissions.has_perm(
        actor, workflows.CONTROL
    ):
        permissions.require(actor, workflows.AUTHOR)


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
) -> Document:
    """Register a new controlled document with its first draft revision."""
    _require_author(actor)
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
    index(first)
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
        queries.require_control(actor, current)
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


# --- Revisions ---------------------------------------------------------------------------------


def _start_revision(
    document: Document, *, actor: User, label: str, sequence: int, **fields: Any
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
    _default_signoffs(revision)
    return revision


def _default_signoffs(revision: DocumentRevision) -> None:
    doc_type = revision.document.document_type
    author = revision.owner_id
    reviewers = [u for u in doc_type.default_reviewers.filter(is_active=True) if u.pk != author]
    approvers = [
        u
        for u in doc_type.default_approvers.filter(is_active=True)
        if u.pk != author and queries.may_approve(u, revision.document)
    ]
    _create_signoffs(revision, reviewers, approvers, round_=1)


def _create_signoffs(
    revision: DocumentRevision, reviewers: list[User], approvers: list[User], *, round_: int
) -> None:
    for kind, people in ((SignOffKind.REVIEW, reviewers), (SignOffKind.APPROVAL, approvers)):
        for position, person in enumerate(people, start=1):
            SignOff.objects.create(
                revision=revision, kind=kind, person=person, position=position, round=round_
            )


@audit.service
def new_revision(
    document: Document, *, actor: User, major: bool = False, change_reason: str = ""
) -> DocumentRevision:
    """Start the next revision as a draft, from the content of the latest one."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not queries.may_control(actor, document):
        _require_author(actor)
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
    )
    audit.set_many(revision, "training_roles", latest.training_roles.all())
    audit.set_many(revision, "training_departments", latest.training_departments.all())
    # The files carry over as the starting point.
    for source in attachments.attachments_of(latest):
        attachments.copy(source, to=revision, actor=actor)
    index(revision)
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
    if "title" in changes and updated.document.status == DocumentStatus.NEW:
        _sync_title(updated.document, updated, actor)
    index(updated)
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
    index(revision)
    return added


def index(revision: DocumentRevision) -> SearchEntry:
    """Rebuild the revision's search text from its Markdown and the text of its files.

    A file whose text cannot be read (damaged, or a crafted file the text worker gave up on)
    is kept: it is the controlled content as its author uploaded it, and refusing it would
    block the revision for a search convenience. The revision page says which files search
    and compare do not see, so document control can replace them. (Zip bombs never get here:
    the upload refuses them.)
    """
    from django.conf import settings

    from qualitas.documents import content

    parts = [revision.content_text]
    unread = []
    for attached in attachments.attachments_of(revision):
        try:
            data = attachments.read_verified(attached)
        except (attachments.AttachmentCorrupted, OSError):
            continue
        text = content.read_text(
            data,
            attached.media_type,
            seconds=settings.TEXT_EXTRACTION_SECONDS,
            memory_mb=settings.TEXT_EXTRACTION_MEMORY_MB,
            max_unpacked=settings.MAX_UNPACKED_MB * 1024 * 1024,
        )
        if text is None:
            unread.append(attached.pk)
        else:
            parts.append(text)
    entry, _ = SearchEntry.objects.update_or_create(
        revision=revision,
        defaults={
            "number": revision.number,
            "title": revision.title,
            "body": "\n\n".join(p for p in parts if p.strip()),
            "unread_files": unread or None,
        },
    )
    return entry


def unread_files(revision: DocumentRevision) -> set[int]:
    """Ids of the revision's files whose text search and compare do not have."""
    found = SearchEntry.objects.filter(revision=revision).values_list("unread_files", flat=True)
    return set(next(iter(found), None) or [])


def revision_text(revision: DocumentRevision) -> str:
    """The text compared between revisions (as indexed)."""
    entry = SearchEntry.objects.filter(revision=revision).first()
    return entry.body if entry is not None else index(revision).body


# --- Reviewers and approvers -------------------------------------------------------------------


@audit.service
def set_signoffs(
    revision: DocumentRevision,
    *,
    actor: User,
    reviewers: list[User],
    approvers: list[User],
) -> list[SignOff]:
    """Choose the revision's reviewers and approvers (in order, for sequential approval)."""
    with records.locked(revision) as revision:
        if revision.state != State.DRAFT:
            raise Conflict(
                f"{revision.number} is {revision.get_state_display()}: reviewers and approvers are "
                "chosen while it is a draft."
            )
        if not records.may_edit(actor, revision):
            raise PermissionDenied(f"You may not change {revision.number}.")
        errors = []
        if len({u.pk for u in approvers}) != len(approvers):
            errors.append(FieldError("approvers", "Each approver can sign only once."))
        if len({u.pk for u in reviewers}) != len(reviewers):
            errors.append(FieldError("reviewers", "Each reviewer is listed only once."))
        authors = {revision.owner_id, revision.created_by_id}
        for person in approvers:
            if person.pk in authors:
                errors.append(
                    FieldError(
                        "approvers",
                        f"{person.printed_name} wrote this revision and cannot approve it.",
                    )
                )
            elif not queries.may_approve(person, revision.document):
                errors.append(
                    FieldError(
                        "approvers",
                        f"{person.printed_name} may not approve documents where "
                        f"{revision.document.number} applies.",
                    )
                )
        for person in reviewers:
            if not person.is_active:
                errors.append(FieldError("reviewers", f"{person.printed_name} is not active."))
        if errors:
            raise InvalidInput(errors)
        round_ = _current_round(revision)
        for pending in revision.signoffs.exclude(outcome=SignOffOutcome.VOIDED):
            pending.outcome = SignOffOutcome.VOIDED
            pending.voided_reason = "Replaced while drafting"
            pending.save()
        _create_signoffs(revision, reviewers, approvers, round_=round_)
        return queries.current_signoffs(revision)


def _current_round(revision: DocumentRevision) -> int:
    return int(revision.signoffs.aggregate(n=Max("round"))["n"] or 1)


def open_signoffs(revision: DocumentRevision, *, actor: User) -> None:
    """Sent for review: freeze the search text and tell whoever acts first."""
    index(revision)
    steps = queries.current_signoffs(revision)
    reviewers = [s.person for s in steps if s.kind == SignOffKind.REVIEW]
    first = reviewers or _approvers_due(revision, steps)
    for person in first:
        _ask(person, revision, "review" if reviewers else "approve")


def _approvers_due(revision: DocumentRevision, steps: list[SignOff]) -> list[User]:
    waiting = [s for s in steps if s.kind == SignOffKind.APPROVAL and s.outcome == "pending"]
    if revision.document.document_type.approval_order == ApprovalOrder.SEQUENTIAL:
        return [waiting[0].person] if waiting else []
    return [s.person for s in waiting]


def _ask(person: User, revision: DocumentRevision, what: str) -> None:
    notifications.notify(
        person,
        title=f"Please {what} {revision.number} {revision.title}",
        body=revision.change_summary or revision.change_reason,
        url=document_url(revision.document, revision),
        email=True,
    )


def void_signoffs(revision: DocumentRevision, *, reason: str) -> None:
    """Back to draft: every review and signature collected so far is voided (kept, audited),
    and the same people are lined up again for the next round."""
    steps = queries.current_signoffs(revision)
    next_round = _current_round(revision) + 1
    for step in steps:
        step.outcome = SignOffOutcome.VOIDED
        step.voided_reason = reason
        step.save()
    _create_signoffs(
        revision,
        [s.person for s in steps if s.kind == SignOffKind.REVIEW],
        [s.person for s in steps if s.kind == SignOffKind.APPROVAL],
        round_=next_round,
    )


def _my_step(revision: DocumentRevision, actor: User, kind: str) -> SignOff:
    step: SignOff | None = (
        revision.signoffs.select_for_update()
        .filter(kind=kind, person=actor)
        .exclude(outcome=SignOffOutcome.VOIDED)
        .first()
    )
    if step is None:
        who = "a reviewer" if kind == SignOffKind.REVIEW else "an approver"
        raise PermissionDenied(f"You are not {who} of {revision.number}.")
    return step


@audit.service
def review(revision: DocumentRevision, *, actor: User, accept: bool, comment: str = "") -> SignOff:
    """A reviewer comments, or accepts (with an optional comment)."""
    with records.locked(revision) as revision:
        if revision.state != State.IN_REVIEW:
            raise Conflict(f"{revision.number} is {revision.get_state_display()}, not in review.")
        step = _my_step(revision, actor, SignOffKind.REVIEW)
        if step.outcome == SignOffOutcome.ACCEPTED:
            raise Conflict("You have already accepted this revision.")
        if not accept and not comment.strip():
            raise InvalidInput.for_field("comment", "Write your comment, or accept the revision.")
        if comment.strip():
            ReviewComment.objects.create(signoff=step, text=comment.strip())
        step.outcome = SignOffOutcome.ACCEPTED if accept else SignOffOutcome.COMMENTED
        step.comment = comment.strip() or step.comment
        step.decided_at = timezone.now()
        step.save()
        steps = queries.current_signoffs(revision)
        if not accept:
            notifications.notify(
                revision.owner,
                title=f"{actor.printed_name} commented on {revision.number}",
                body=comment,
                url=document_url(revision.document, revision),
                email=True,
            )
        elif all(s.outcome == SignOffOutcome.ACCEPTED for s in steps if s.kind == "review"):
            for person in _approvers_due(revision, steps):
                _ask(person, revision, "approve")
        return step


def approval_refusals(revision: DocumentRevision, actor: User) -> list[str]:
    """Why the actor cannot sign the approval now (empty when they can)."""
    if revision.state != State.IN_REVIEW:
        return [f"{revision.number} is {revision.get_state_display()}, not in review."]
    steps = queries.current_signoffs(revision)
    mine = [s for s in steps if s.kind == SignOffKind.APPROVAL and s.person_id == actor.pk]
    if not mine:
        return [f"You are not an approver of {revision.number}."]
    reasons = []
    if not queries.may_approve(actor, revision.document):
        # Checked again at signing: the authority may have gone since the list was made.
        reasons.append(f"You may not approve documents where {revision.document.number} applies.")
    if actor.pk in (revision.owner_id, revision.created_by_id):
        reasons.append("You wrote this revision: someone else must approve it.")
    if mine[0].outcome == SignOffOutcome.SIGNED:
        reasons.append("You have already signed this revision.")
    if any(s.kind == SignOffKind.REVIEW and s.outcome != "accepted" for s in steps):
        reasons.append("The review is not finished: every reviewer must accept first.")
    if revision.document.document_type.approval_order == ApprovalOrder.SEQUENTIAL:
        earlier = [
            s
            for s in steps
            if s.kind == SignOffKind.APPROVAL
            and s.position < mine[0].position
            and s.outcome != "signed"
        ]
        if earlier:
            reasons.append(
                f"Approval is sequential: {earlier[0].person.printed_name} signs before you."
            )
    return reasons


def check_approval(revision: DocumentRevision, actor: User) -> None:
    """Raise why the actor cannot sign the approval now: called again before asking for
    the password, so nobody types it for a signature that could not be applied."""
    if revision.state != State.IN_REVIEW:
        raise Conflict(f"{revision.number} is {revision.get_state_display()}, not in review.")
    if reasons := approval_refusals(revision, actor):
        raise PermissionDenied(" ".join(reasons))


@audit.service
def approve(
    revision: DocumentRevision, *, actor: User, signature: SignatureToken, comment: str = ""
) -> DocumentRevision:
    """An approver signs (meaning "approved"); the last signature approves the revision, and
    it becomes effective at once when its effective date has come."""
    with records.locked(revision) as revision:
        check_approval(revision, actor)
        step = _my_step(revision, actor, SignOffKind.APPROVAL)
        signed = sign(
            revision,
            signer=actor,
            meaning=Meaning.APPROVED,
            token=signature,
            transition="approve",
            comment=comment,
        )
        step.outcome = SignOffOutcome.SIGNED
        step.signature = signed
        step.comment = comment
        step.decided_at = signed.signed_at
        step.save()
        steps = queries.current_signoffs(revision)
        if any(s.outcome != SignOffOutcome.SIGNED for s in steps if s.kind == "approval"):
            for person in _approvers_due(revision, steps):
                _ask(person, revision, "approve")
            return revision
        approved: DocumentRevision = core_workflow.fire(
            revision, "approve", actor=actor, comment=comment, by_service=True
        )
        today = timezone.localdate()
        if approved.effective_on is None or approved.effective_on <= today:
            return make_effective(approved, actor=actor)
        return approved


# --- Effective, superseded, obsolete -----------------------------------------------------------


@audit.service
def make_effective(revision: DocumentRevision, *, actor: User) -> DocumentRevision:
    """The approved revision becomes the one people work to; the one before is superseded.

    The document row is locked first, so two revisions of one document can never become
    effective together (and the database's partial unique index would refuse it anyway)."""
    with (
        records.locked(revision.document) as document,
        records.locked(revision) as revision,
    ):
        if revision.state != State.APPROVED:
            raise Conflict(f"{revision.number} is {revision.get_state_display()}, not approved.")
        today = timezone.localdate()
        previous = queries.effective_revision(document)
        if previous is not None:
            previous.superseded_on = today
            previous.save()
            core_workflow.fire(
                previous,
                "supersede",
                actor=actor,
                comment=f"Superseded by {revision.number}",
                by_service=True,
            )
            _withdraw_acknowledgements(previous)
        if revision.effective_on is None or revision.effective_on < today:
            revision.effective_on = today
            revision.save()
        effective: DocumentRevision = core_workflow.fire(
            revision,
            "make_effective",
            actor=actor,
            comment="Effective date reached",
            by_service=True,
        )
        document.status = DocumentStatus.EFFECTIVE
        document.current_revision = effective
        document.title = effective.title
        document.next_review_on = add_months(
            effective.effective_on or today, document.review_interval_months
        )
        records.touch(document, actor)
    assign_acknowledgements(effective)
    notifications.notify(
        document.owner,
        title=f"{effective.number} is effective",
        body=f"{document.title}: effective from {effective.effective_on:%Y-%m-%d}.",
        url=document_url(document),
    )
    return effective


def make_due_revisions_effective(*, actor: User) -> list[DocumentRevision]:
    """Approved revisions whose effective date has come (run by `qualitas tick`)."""
    due = DocumentRevision.objects.filter(
        state=State.APPROVED, effective_on__lte=timezone.localdate()
    ).order_by("effective_on", "id")
    return [make_effective(revision, actor=actor) for revision in due]


def _sync_title(document: Document, revision: DocumentRevision, actor: User) -> None:
    if document.title != revision.title:
        document.title = revision.title
        records.touch(document, actor)


def after_withdrawal(revision: DocumentRevision, *, actor: User, reason: str) -> None:
    """A withdrawn effective revision makes the document obsolete (with any revision in
    progress); a withdrawn draft leaves the effective one in force."""
    with records.locked(revision.document) as document:
        revision.withdrawn_on = timezone.localdate()
        revision.save()
        _withdraw_acknowledgements(revision)
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


# --- Read and understood -----------------------------------------------------------------------


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
                url=document_url(revision.document, revision),
                email=True,
            )
    return created


def _withdraw_acknowledgements(revision: DocumentRevision) -> None:
    """Nobody need read a revision that is no longer in force (the newer one asks again)."""
    for pending in revision.acknowledgements.filter(state=AcknowledgementState.PENDING):
        pending.state = AcknowledgementState.WITHDRAWN
        pending.save()


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
    return acknowledgement


# --- Periodic review ---------------------------------------------------------------------------


@audit.service
def record_periodic_review(
    document: Document,
    *,
    actor: User,
    outcome: str,
    comment: str = "",
    signature: SignatureToken | None = None,
) -> PeriodicReview:
    """The periodic review: "no change needed" is signed and sets the next due date;
    "revise" starts a new draft revision."""
    with records.locked(document) as document:
        queries.require_control(actor, document)
        revision = queries.effective_revision(document)
        if revision is None:
            raise Conflict(f"{document.number} has no effective revision to review.")
        if outcome not in ReviewOutcome.values:
            raise InvalidInput.for_field("outcome", "Choose 'no_change' or 'revise'.")
        review_record = PeriodicReview(
            document=document, revision=revision, reviewer=actor, outcome=outcome, comment=comment
        )
        if outcome == ReviewOutcome.NO_CHANGE:
            if signature is None:
                raise InvalidInput.for_field("password", "Sign the review with your password.")
            review_record.signature = sign(
                revision,
                signer=actor,
                meaning=Meaning.REVIEWED,
                token=signature,
                transition="periodic_review",
                comment=comment,
            )
            review_record.next_review_on = add_months(
                timezone.localdate(), document.review_interval_months
            )
            document.next_review_on = review_record.next_review_on
            records.touch(document, actor)
        else:
            if not comment.strip():
                raise InvalidInput.for_field("comment", "Say what needs revising.")
            review_record.new_revision = new_revision(
                document, actor=actor, change_reason=f"Periodic review: {comment.strip()}"
            )
        review_record.save()
        return review_record


def reviews_due_soon(within_days: int) -> list[Document]:
    horizon = timezone.localdate() + timedelta(days=within_days)
    return list(
        Document.objects.filter(status=DocumentStatus.EFFECTIVE, next_review_on__lte=horizon)
        .select_related("owner")
        .order_by("next_review_on")
    )


# --- Document types ----------------------------------------------------------------------------

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
    **changes: Any,
) -> DocumentType:
    """Tune a type: numbering, revision scheme, review interval, approval order, defaults.

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
    return current
