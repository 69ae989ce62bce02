"""What every page's shell needs: the navigation for this user and the unread count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from qualitas.core import permissions
from qualitas.core.registry import registry


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    menu = []
    for group in sorted(registry.menu, key=lambda g: g.order):
        items = [i for i in group.items if i.permission is None or permissions.has_perm(user, i.permission)]
        if items:
            menu.append({"label": group.label, "items": items})
    return {
        "nav_menu": menu,
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
    }
