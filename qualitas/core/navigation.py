"""The core's own entries in the navigation, the global search and the home page."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from qualitas.core import permissions, queries, records
from qualitas.core.models import User
from qualitas.core.registry import HomePanel, MenuGroup, MenuItem, SearchSource, registry


def _search_people(user: User, text: str) -> QuerySet[Any]:
    if not permissions.has_perm(user, permissions.VIEW_DIRECTORY):
        return queries.people().none()
    return queries.search_people(text, viewer=user)


def _describe_person(person: User) -> tuple[str, str, str]:
    subtitle = " · ".join(p for p in [person.job_title, str(person.department or "")] if p)
    return person.printed_name, subtitle, reverse("core:user_detail", args=[person.pk])


def _notifications_panel(request: HttpRequest) -> str:
    unread = request.user.notifications.filter(read_at__isnull=True)[:10]  # type: ignore[union-attr]
    return render_to_string("core/panels/_notifications.html", {"unread": unread}, request=request)


def _my_actions_panel(request: HttpRequest) -> str:
    from django.utils import timezone

    from qualitas.core import actions

    user = request.user
    mine = list(actions.my_open_actions(user)[:15])  # type: ignore[arg-type]
    rows = []
    for action in mine:
        record = actions.record_of(action)
        rows.append(
            {"action": action, "record": record, "resource": records.type_of(record).resource}
        )
    context = {"rows": rows, "today": timezone.localdate()}
    return render_to_string("core/panels/_my_actions.html", context, request=request)


def _awaiting_signature_panel(request: HttpRequest) -> str:
    """Records waiting for a signature this user may give now."""
    from qualitas.core import workflow

    user = cast(User, request.user)
    waiting = []
    for record_type in records.RECORD_TYPES.values():
        signing = [t for t in record_type.workflow.transitions if t.signature]
        states = {s for t in signing for s in t.sources}
        if not states:
            continue
        candidates = records.visible_to(user, record_type).filter(state__in=states)[:50]
        for record in candidates:
            for transition in signing:
                if record.state in transition.sources and not workflow.evaluate(
                    record, transition, user
                ):
                    waiting.append(
                        {
                            "record": record,
                            "transition": transition,
                            "resource": record_type.resource,
                        }
                    )
                    break
    return render_to_string(
        "core/panels/_awaiting_signature.html", {"rows": waiting[:15]}, request=request
    )


def register() -> None:
    registry.menu.append(
        MenuGroup(
            "Organisation",
            (
                MenuItem("People", "core:user_list", "people", permissions.VIEW_DIRECTORY),
                MenuItem(
                    "Departments", "core:department_list", "diagram-3", permissions.VIEW_DIRECTORY
                ),
                MenuItem("Sites", "core:site_list", "buildings", permissions.VIEW_DIRECTORY),
                MenuItem("Roles", "core:role_list", "shield-lock", permissions.VIEW_DIRECTORY),
                MenuItem(
                    "Audit trail", "core:audit_trail", "clock-history", permissions.VIEW_AUDIT_TRAIL
                ),
            ),
            order=900,
        )
    )
    registry.search.append(SearchSource("People", _search_people, _describe_person))
    registry.home_panels.append(HomePanel("my-actions", _my_actions_panel, order=5))
    registry.home_panels.append(HomePanel("awaiting-signature", _awaiting_signature_panel, order=6))
    registry.home_panels.append(HomePanel("notifications", _notifications_panel, order=10))
