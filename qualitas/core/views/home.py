"""The "My work" home page, the global search and the notification bell."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qualitas.core import kpis, search as text_search, services
from qualitas.core.models import Notification
from qualitas.core.registry import registry
from qualitas.core.views import signed_in_user

SEARCH_LIMIT = text_search.GLOBAL_HITS


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My work: each installed module contributes a panel of what waits for me."""
    panels = []
    for panel in sorted(registry.home_panels, key=lambda p: p.order):
        html = panel.render(request)
        if html:
            panels.append(html)
    strip = kpis.shown_to(signed_in_user(request), registry.kpis)
    context = {"panels": panels, "title": "My work", "indicators": strip}
    return render(request, "core/home.html", context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search every registered source, each restricted to what the user may see."""
    text = request.GET.get("q", "").strip()
    user = signed_in_user(request)
    groups = []
    if len(text) >= 2:
        for source in registry.search:
            found = source.search(user, text)
            shown = list(found[:SEARCH_LIMIT])
            if not shown:
                continue
            # A source's list holds one more than is shown when there are more.
            more = (found.count() if isinstance(found, QuerySet) else len(found)) > SEARCH_LIMIT
            groups.append(
                {
                    "label": source.label,
                    "hits": [_hit(source.describe(o)) for o in shown],
                    "more": more,
                }
            )
    context = {"q": text, "groups": groups, "title": "Search", "too_short": 0 < len(text) < 2}
    return render(request, "core/search.html", context)


def _hit(described: tuple[str, ...]) -> dict[str, Any]:
    """A source describes a hit as (title, subtitle, url) or (title, subtitle, url, snippet);
    the snippet is HTML the source has escaped."""
    title, subtitle, url, *rest = described
    snippet = rest[0] if rest and rest[0] else ""
    return {"title": title, "subtitle": subtitle, "url": url, "snippet": snippet}


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
