"""Reviewers and approvers of a revision: choosing them, the review round opened and voided
with the workflow, each review, and the approvers' signatures (the last one approves)."""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone

from qualitas.core import audit, notifications, records, workflow as core_workflow
from qualitas.core.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from qualitas.core.models import Meaning, User
from qualitas.core.signatures import SignatureToken, sign
from qualitas.documents import effective, indexing, policy, queries
from qualitas.documents.models import (
    ApprovalOrder,
    DocumentRevision,
    ReviewComment,
    SignOff,
    SignOffKind,
    SignOffOutcome,
)
from qualitas.documents.workflows import State


def default_signoffs(revision: DocumentRevision, *, previous: DocumentRevision | None) -> None:
    """A new draft starts with the previous revision's reviewers and approvers, or (for the
    first, or when the previous had none) its type's defaults; never with its author, nor
    anyone who has since left or may no longer approve."""
    doc_type = revision.document.document_type
    author = revision.owner_id
    reviewers: list[User] = list(doc_type.default_reviewers.filter(is_active=True))
    approvers: list[User] = list(doc_type.default_approvers.filter(is_active=True))
    if previous is not None:
        steps = queries.current_signoffs(previous)
        if steps:
            reviewers = [s.person for s in steps if s.kind == SignOffKind.REVIEW]
            approvers = [s.person for s in steps if s.kind == SignOffKind.APPROVAL]
    reviewers = [u for u in reviewers if u.is_active and u.pk != author]
    approvers = [
        u
        for u in approvers
        if u.is_active and u.pk != author and policy.may_approve(u, revision.document)
    ]
    create_signoffs(revision, reviewers, approvers, round_=1)


def create_signoffs(
    revision: DocumentRevision, reviewers: list[User], approvers: list[User], *, round_: int
) -> None:
    for kind, people in ((SignOffKind.REVIEW, reviewers), (SignOffKind.APPROVAL, approvers)):
        for position, person in enumerate(people, start=1):
            SignOff.objects.create(
                revision=revision, kind=kind, person=person, position=position, round=round_
            )


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
            elif not policy.may_approve(person, revision.document):
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
        create_signoffs(revision, reviewers, approvers, round_=round_)
        return queries.current_signoffs(revision)


def _current_round(revision: DocumentRevision) -> int:
    return int(revision.signoffs.aggregate(n=Max("round"))["n"] or 1)


def open_signoffs(revision: DocumentRevision, *, actor: User) -> None:
    """Sent for review: freeze the search text and tell whoever acts first."""
    indexing.index(revision)
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
        url=queries.document_url(revision.document, revision),
        email=True,
    )


def _asked_done(people: list[User], revision: DocumentRevision, *whats: str) -> None:
    """Those asked to review or approve have done it, or are no longer asked to: the request
    leaves their unread notifications (a stale "Please approve" on a draft misleads)."""
    notifications.mark_done(
        people,
        url=queries.document_url(revision.document, revision),
        titles=[f"Please {what} {revision.number}" for what in whats],
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
    # Nobody reviews or approves a draft: the next round asks them again when it is sent.
    _asked_done([s.person for s in steps], revision, "review", "approve")
    create_signoffs(
        revision,
        [s.person for s in steps if s.kind == SignOffKind.REVIEW],
        [s.person for s in steps if s.kind == SignOffKind.APPROVAL],
        round_=next_round,
    )


def withdraw_requests(revision: DocumentRevision) -> None:
    """A withdrawn revision is reviewed and approved by nobody: the requests are done."""
    steps = queries.current_signoffs(revision)
    _asked_done([s.person for s in steps], revision, "review", "approve")


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
                url=queries.document_url(revision.document, revision),
                email=True,
            )
            return step
        _asked_done([actor], revision, "review")
        if all(s.outcome == SignOffOutcome.ACCEPTED for s in steps if s.kind == "review"):
            # The reviews are done: approval can start now, not before.
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
    if not policy.may_approve(actor, revision.document):
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
        _asked_done([actor], revision, "approve")
        steps = queries.current_signoffs(revision)
        if any(s.outcome != SignOffOutcome.SIGNED for s in steps if s.kind == "approval"):
            # In parallel every approver was asked when approval started; in sequence the
            # next one in line is asked now, once.
            if revision.document.document_type.approval_order == ApprovalOrder.SEQUENTIAL:
                for person in _approvers_due(revision, steps):
                    _ask(person, revision, "approve")
            return revision
        approved: DocumentRevision = core_workflow.fire(
            revision, "approve", actor=actor, comment=comment, by_service=True
        )
        today = timezone.localdate()
        if approved.effective_on is None or approved.effective_on <= today:
            return effective.make_effective(approved, actor=actor)
        return approved
