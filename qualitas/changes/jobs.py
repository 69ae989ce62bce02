"""Periodic job: emergency changes implemented first and still waiting for the board's
approval; their board and owner are reminded the day before the deadline, the quality
managers are told once it has passed."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from qualitas.changes import readiness, services
from qualitas.changes.models import ChangeRequest, Urgency
from qualitas.changes.workflows import WORKFLOW
from qualitas.core import notifications, permissions
from qualitas.core.models import RoleAssignment, User


def remind_emergency_approvals() -> str:
    today = timezone.localdate()
    waiting = (
        ChangeRequest.objects.filter(
            urgency=Urgency.EMERGENCY,
            approved_at__isnull=True,
            approval_due_on__lte=today + timedelta(days=1),
        )
        .exclude(state__in=WORKFLOW.locked_states)
        .select_related("owner", "site")
    )
    reminded = escalated = 0
    for cr in waiting:
        due = cr.approval_due_on
        if notifications.once(f"change:{cr.pk}:approval-reminder:{due}"):
            people = User.objects.filter(
                Q(pk__in=readiness.board_members(cr)) | Q(pk=cr.owner_id), is_active=True
            )
            for person in people:
                notifications.notify(
                    person,
                    title=f"Emergency change {cr.number} needs the board's approval by {due}",
                    body=cr.title,
                    url=services.url_of(cr),
                    email=True,
                )
            reminded += 1
        if today > due and notifications.once(f"change:{cr.pk}:approval-overdue:{due}"):
            managers = RoleAssignment.objects.filter(
                Q(site__isnull=True) | Q(site_id=cr.site_id),
                role__code=permissions.QUALITY_MANAGER,
                user__is_active=True,
            ).values_list("user_id", flat=True)
            for person in User.objects.filter(pk__in=list(managers)):
                notifications.notify(
                    person,
                    title=f"Overdue: emergency change {cr.number} was not approved by {due}",
                    body=f"{cr.title}. It was implemented before approval; the change board "
                    "has not approved it in time.",
                    url=services.url_of(cr),
                    email=True,
                )
            escalated += 1
    return f"{reminded} reminders sent, {escalated} escalated"
