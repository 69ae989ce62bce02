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
    # Included templates (tables, panels) render with a new context and run this again;
    # keep one answer per request so the page's query count stays fixed.
    cached: dict[str, Any] | None = getattr(request, "_qualitas_shell", None)
    if cached is not None:
        return cached
    menu = []
    for group in sorted(registry.menu, key=lambda g: g.order):
        items = [
            i
            for i in group.items
            if i.permission is None or permissions.has_perm(user, i.permission)
        ]
        if items:
            menu.append({"label": group.label, "items": items})
    cached = {
        "nav_menu": menu,
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
    }
    request._qualitas_shell = cached  # type: ignore[attr-defined]
    return cached


def _may_open(user: Any, item: Any) -> bool:
    if item.permission is None:
        return True
    if item.any_site:
        return permissions.sites_with_perm(user, item.permission) != set()
    return permissions.has_perm(user, item.permission)
