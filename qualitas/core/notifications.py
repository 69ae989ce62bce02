"""Notifications: under the bell, and by e-mail when it matters; reminders that never repeat."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from qualitas.core.models import ActionItem, ActionState, Notification, ReminderLog

if TYPE_CHECKING:
    from qualitas.core.models import User

DUE_SOON_DAYS = 3


def notify(
    recipient: User, *, title: str, body: str = "", url: str = "", email: bool = False
) -> Notification:
    """Tell one person something; e-mail goes out after the transaction commits."""
    notification = Notification.objects.create(recipient=recipient, title=title, body=body, url=url)
    if email and recipient.email:
        link = f"\n\n{settings.SITE_URL.rstrip('/')}{url}" if url else ""
        transaction.on_commit(
            lambda: send_mail(
                f"[Qualitas] {title}",
                f"{body}{link}",
                settings.DEFAULT_FROM_EMAIL,
                [recipient.email],
                fail_silently=True,
            )
        )
    return notification


def mark_done(recipients: Iterable[User], *, url: str, titles: Iterable[str] = ()) -> int:
    """The task these people were asked to do about the thing at `url` is done, or is no
    longer asked of them: their notifications about it leave the unread list. `titles`
    narrows it to notifications whose title starts with one of them (one task of several
    on the same page). Returns how many were marked."""
    people = [person.pk for person in recipients]
    if not people or not url:
        return 0
    about = Notification.objects.filter(recipient__in=people, url=url, read_at__isnull=True)
    prefixes = [title for title in titles if title]
    if prefixes:
        starts = Q()
        for prefix in prefixes:
            starts |= Q(title__startswith=prefix)
        about = about.filter(starts)
    return about.update(read_at=timezone.now())


def once(key: str) -> bool:
    """Claim a reminder key; False when it was already sent (so a rerun sends nothing)."""
    try:
        with transaction.atomic():
            ReminderLog.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def action_url(action: ActionItem) -> str:
    from qualitas.core import records

    subject = action.object_type.model_class()
    try:
        record_type = records.type_of(subject)
    except LookupError:
        return "/"
    return f"/{record_type.resource}/{action.object_id}/#actions"


def remind_actions() -> str:
    today = timezone.localdate()
    soon = today + timedelta(days=DUE_SOON_DAYS)
    week = today.isocalendar()
    sent = 0
    open_actions = ActionItem.objects.filter(
        state=ActionState.OPEN, assignee__isnull=False, assignee__is_active=True, due_on__lte=soon
    ).select_related("assignee")
    for action in open_actions:
        if action.due_on < today:
            key = f"action:{action.pk}:overdue:{week.year}-W{week.week:02d}"
            title = f"Overdue since {action.due_on:%Y-%m-%d}: {action.title}"
        else:
            key = f"action:{action.pk}:due-soon"
            title = f"Due on {action.due_on:%Y-%m-%d}: {action.title}"
        if once(key):
            notify(action.assignee, title=title, url=action_url(action), email=True)
            sent += 1
    return f"{sent} reminders sent"
