"""Sign-in lockouts: recorded in the audit trail and reported to administrators and quality
managers, since repeated failures may be someone trying another person's account."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from qualitas.core import audit, notifications, permissions


def on_user_locked_out(sender: Any, request: Any = None, username: str = "", **_: Any) -> None:
    from qualitas.core.models import User

    account = User.objects.filter(username=username).first() if username else None
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    where = f" from {address}" if address else ""
    with audit.context(actor=None, actor_name="Qualitas sign-in lockout"), transaction.atomic():
        if account is not None:
            audit.record(
                account, "update", {"locked_out": {"old": None, "new": f"sign-in locked{where}"}}
            )
        watchers = User.objects.filter(
            is_active=True,
            role_assignments__role__code__in=[
                permissions.ADMINISTRATOR,
                permissions.QUALITY_MANAGER,
            ],
        ).distinct()
        for watcher in watchers:
            notifications.notify(
                watcher,
                title=f"Sign-in locked for '{username or 'unknown account'}'",
                body=(
                    f"Repeated wrong passwords{where}. If this was not the account's owner, "
                    "it may be an attack."
                ),
                url="/audit-trail/?action=update",
                email=True,
            )
