"""Certificates that lapse: reminders 30 and 7 days before a course's validity ends, then
the record expires and, while the curriculum still asks for it, the course is assigned
again (the `training-expiry` job)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qualitas.core import audit, notifications, workflow
from qualitas.core.models import User
from qualitas.core.services import system_user
from qualitas.training import workflows as w
from qualitas.training.models import TrainingRecord
from qualitas.training.services import assign_missing, record_url

REMIND_DAYS_BEFORE = (30, 7)


@audit.service
def expire_training(record: TrainingRecord, *, actor: User) -> TrainingRecord:
    """A certificate lapsed: the record is expired and, while the curriculum still asks for
    it, a new one is assigned."""
    expired: TrainingRecord = workflow.fire(
        record, "expire", actor=actor, comment="Certificate lapsed", by_service=True
    )
    notifications.notify(
        expired.person,
        title=f"Training expired: {expired.title}"[:200],
        body=f"Lapsed on {expired.expires_on:%Y-%m-%d}.",
        url=record_url(expired),
        email=True,
    )
    if expired.requirement is not None and expired.requirement.active:
        assign_missing(actor=actor, people=[expired.person], requirements=[expired.requirement])
    return expired


def remind_and_expire() -> str:
    """The periodic job: reminders 30 and 7 days before a certificate lapses (each sent
    once), then the lapsed ones expire and are assigned again. Idempotent."""
    today = timezone.localdate()
    soon = (
        TrainingRecord.objects.filter(
            state=w.State.COMPLETED,
            expires_on__gt=today,
            expires_on__lte=today + timedelta(days=max(REMIND_DAYS_BEFORE)),
        )
        .select_related("person")
        .order_by("pk")
    )
    sent = 0
    actor = system_user()
    with audit.context(actor=actor, reason="Training certificates nearing expiry"):
        for record in soon:
            left = (record.expires_on - today).days
            days = min(d for d in REMIND_DAYS_BEFORE if left <= d)
            if notifications.once(f"training-expiry:{record.pk}:{days}"):
                notifications.notify(
                    record.person,
                    title=f"Training expires in {left} days: {record.title}"[:200],
                    body=f"Valid until {record.expires_on:%Y-%m-%d}; book the refresher.",
                    url=record_url(record),
                    email=True,
                )
                sent += 1
    lapsed = TrainingRecord.objects.filter(state=w.State.COMPLETED, expires_on__lte=today)
    count = 0
    for record in lapsed.order_by("pk"):
        expire_training(record, actor=actor)
        count += 1
    return f"{sent} expiry reminders, {count} certificates expired"
