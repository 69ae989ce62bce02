"""An approved revision comes into force: it becomes effective (at once or on its date,
from `qualitas tick`) and the one before is superseded; `RevisionBecameEffective` tells
whoever asks its readers to read it."""

from __future__ import annotations

import calendar
from datetime import date

from django.utils import timezone

from qualitas.core import audit, events, notifications, records, workflow as core_workflow
from qualitas.core.errors import Conflict
from qualitas.core.models import User
from qualitas.documents import queries
from qualitas.documents.events import RevisionBecameEffective
from qualitas.documents.models import DocumentRevision, DocumentStatus
from qualitas.documents.workflows import State


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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
    # Its readers are asked to read it (in the transaction: a revision never stands in
    # force without its read-and-understood requests).
    events.publish(
        RevisionBecameEffective(
            effective.pk,
            document.pk,
            effective.number,
            previous.pk if previous is not None else None,
            actor.pk,
        )
    )
    notifications.notify(
        document.owner,
        title=f"{effective.number} is effective",
        body=f"{document.title}: effective from {effective.effective_on:%Y-%m-%d}.",
        url=queries.document_url(document),
    )
    return effective


def make_due_revisions_effective(*, actor: User) -> list[DocumentRevision]:
    """Approved revisions whose effective date has come (run by `qualitas tick`)."""
    due = DocumentRevision.objects.filter(
        state=State.APPROVED, effective_on__lte=timezone.localdate()
    ).order_by("effective_on", "id")
    return [make_effective(revision, actor=actor) for revision in due]
