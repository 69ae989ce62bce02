"""Periodic jobs: effective dates reached, periodic reviews coming due, unread revisions."""

from __future__ import annotations

from django.utils import timezone

from qualitas.core import notifications, services as core_services
from qualitas.core.models import User
from qualitas.core.workflow import holders_of
from qualitas.documents import effective, queries, reading, reviews, workflows
from qualitas.documents.models import DocumentRevision
from qualitas.documents.workflows import State

# Days before the periodic review is due that the owner hears about it.
REVIEW_NOTICE_DAYS = 30


def make_revisions_effective() -> str:
    done = effective.make_due_revisions_effective(actor=core_services.system_user())
    return f"{len(done)} revisions made effective"


def remind_periodic_reviews() -> str:
    today = timezone.localdate()
    sent = 0
    for document in reviews.reviews_due_soon(REVIEW_NOTICE_DAYS):
        if document.next_review_on is None:
            continue
        overdue = document.next_review_on < today
        # One notice when it comes due, then one a week while it is overdue.
        key = f"document:{document.pk}:review:{document.next_review_on}:" + (
            f"overdue:{today.isocalendar()[1]}" if overdue else "soon"
        )
        if not notifications.once(key):
            continue
        word = "overdue since" if overdue else "due on"
        people = {document.owner}
        if overdue:
            people |= set(
                User.objects.filter(pk__in=holders_of(workflows.CONTROL, site=None), is_active=True)
            )
        for person in people:
            notifications.notify(
                person,
                title=f"Periodic review of {document.number} {word} {document.next_review_on}",
                body=document.title,
                url=queries.document_url(document),
                email=True,
            )
        sent += 1
    return f"{sent} review reminders sent"


def assign_new_readers() -> str:
    concerned = DocumentRevision.objects.filter(state=State.EFFECTIVE, training_impact=True)
    asked = sum(reading.ask_audience(revision) for revision in concerned.select_related("document"))
    return f"{asked} newly asked to read"
