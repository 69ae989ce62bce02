"""Training past its due date: the trainee is reminded once a week until it is signed (the
`training-overdue` job). A reading is sent to the revision's page, where it is read."""

from __future__ import annotations

from django.utils import timezone

from qualitas.core import notifications
from qualitas.training.models import OPEN_STATES, TrainingRecord
from qualitas.training.services import reading_url, record_url


def remind_overdue() -> str:
    today = timezone.localdate()
    week = today.isocalendar()
    overdue = (
        TrainingRecord.objects.filter(state__in=OPEN_STATES, due_on__lt=today)
        .select_related("person")
        .order_by("pk")
    )
    sent = 0
    for record in overdue.iterator(chunk_size=500):
        if not record.person.is_active:
            continue
        if not notifications.once(f"training-overdue:{record.pk}:{week[0]}-{week[1]}"):
            continue
        reading = record.document_id is not None and record.revision_id is not None
        notifications.notify(
            record.person,
            title=(f"Please read {record.title}" if reading else f"Overdue: {record.title}")[:200],
            body=f"Due {record.due_on:%Y-%m-%d}.",
            url=reading_url(record.document_id, record.revision_id)
            if reading
            else record_url(record),
            email=True,
        )
        sent += 1
    return f"{sent} overdue training reminders sent"
