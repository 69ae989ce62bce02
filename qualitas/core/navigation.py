"""The core's own entries in the navigation, the global search and the home page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from qualitas.core import permissions, queries
from qualitas.core.models import User
from qualitas.core.registry import HomePanel, MenuGroup, MenuItem, SearchSource, registry


def _search_people(user: User, text: str) -> QuerySet[Any]:
    if not permissions.has_perm(user, permissions.VIEW_DIRECTORY):
        return queries.people().none()
    return queries.search_people(text)


def _describe_person(person: User) -> tuple[str, str, str]:
    subtitle = " · ".join(p for p in [person.job_title, str(person.department or "")] if p)
    return person.printed_name, subtitle, reverse("core:user_detail", args=[person.pk])


def _notifications_panel(request: HttpRequest) -> str:
    unread = request.user.notifications.filter(read_at__isnull=True)[:10]  # type: ignore[union-attr]
    return render_to_string("core/panels/_notifications.html", {"unread": unread}, request=request)


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
            ),
            order=900,
        )
    )
    registry.search.append(SearchSource("People", _search_people, _describe_person))
    registry.home_panels.append(HomePanel("notifications", _notifications_panel, order=10))
