"""The periodic review of an effective document: "no change needed", signed, sets the next
due date; "revise" starts a new draft revision."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qualitas.core import audit, records
from qualitas.core.errors import Conflict, InvalidInput
from qualitas.core.models import Meaning, User
from qualitas.core.signatures import SignatureToken, sign
from qualitas.documents import policy, queries, services
from qualitas.documents.effective import add_months
from qualitas.documents.models import Document, DocumentStatus, PeriodicReview, ReviewOutcome


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
        policy.require_control(actor, document)
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
            review_record.new_revision = services.new_revision(
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
