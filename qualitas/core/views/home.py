"""The "My work" home page, the global search and the notification bell."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from qualitas.core import services
from qualitas.core.models import Notification
from qualitas.core.registry import registry
from qualitas.core.views import signed_in_user

SEARCH_LIMIT = 10


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My work: each installed module contributes a panel of what waits for me."""
    panels = []
    for panel in sorted(registry.home_panels, key=lambda p: p.order):
        html = panel.render(request)
        if html:
            panels.append(mark_safe(html))
    return render(request, "core/home.html", {"panels": panels, "title": "My work"})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search every registered source, each restricted to what the user may see."""
    text = request.GET.get("q", "").strip()
    user = signed_in_user(request)
    groups = []
    if len(text) >= 2:
        for source in registry.search:
            found = source.search(user, text)
            hits = [source.describe(obj) for obj in found[:SEARCH_LIMIT]]
            if hits:
                groups.append(
                    {"label": source.label, "hits": hits, "more": found.count() > SEARCH_LIMIT}
                )
    context = {"q": text, "groups": groups, "title": "Search", "too_short": 0 < len(text) < 2}
    return render(request, "core/search.html", context)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The bell's dropdown (an HTMX fragment) or the full list."""
    mine = Notification.objects.filter(recipient=signed_in_user(request))
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "core/partials/_notifications.html", {"notifications": mine[:8]})
    return render(
        request, "core/notifications.html", {"notifications": mine[:200], "title": "Notifications"}
    )


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.mark_notifications_read(actor=signed_in_user(request))
    return redirect("core:notifications")
