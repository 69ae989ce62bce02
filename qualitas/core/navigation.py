"""The core's own search source and home panels (declared in core/module.py)."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from qualitas.core import permissions, queries, records
from qualitas.core.models import User


def search_people(user: User, text: str) -> QuerySet[Any]:
    if not permissions.has_perm(user, permissions.VIEW_DIRECTORY):
        return queries.people().none()
    return queries.search_people(text, viewer=user)


def describe_person(person: User) -> tuple[str, str, str]:
    subtitle = " · ".join(p for p in [person.job_title, str(person.department or "")] if p)
    return person.printed_name, subtitle, reverse("core:user_detail", args=[person.pk])


def notifications_panel(request: HttpRequest) -> str:
    unread = request.user.notifications.filter(read_at__isnull=True)[:10]  # type: ignore[union-attr]
    return render_to_string("core/panels/_notifications.html", {"unread": unread}, request=request)


def my_actions_panel(request: HttpRequest) -> str:
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


def awaiting_signature_panel(request: HttpRequest) -> str:
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
