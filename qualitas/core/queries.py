"""Reads of the organisation, already shaped for the pages and the API that show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from qualitas.core import permissions
from qualitas.core.errors import NotFound
from qualitas.core.models import (
    ApiToken,
    AuditEvent,
    Department,
    Role,
    RoleAssignment,
    User,
)
from qualitas.core.services import SYSTEM_USERNAME


def people() -> QuerySet[User]:
    """Everyone who can appear in the directory (the system account never does)."""
    return User.objects.exclude(username=SYSTEM_USERNAME).select_related("department", "site")


def may_see_email(viewer: Any, person: Any) -> bool:
    """Everyone may look people up, but only administrators (and the person) see e-mails."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return bool(viewer.pk == person.pk or permissions.has_perm(viewer, permissions.MANAGE_USERS))


def search_people(text: str, *, viewer: User) -> QuerySet[User]:
    """People whose name, username or job title (and, for administrators, e-mail) match."""
    with_email = permissions.has_perm(viewer, permissions.MANAGE_USERS)
    query = people()
    for word in text.split():
        match = (
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(job_title__icontains=word)
        )
        query = query.filter(match | Q(email__icontains=word) if with_email else match)
    return query


def departments() -> QuerySet[Department]:
    return Department.objects.select_related("site", "head")


def roles_with_grants() -> QuerySet[Role]:
    return Role.objects.prefetch_related("grants")


def role_assignments_of(user: User) -> QuerySet[RoleAssignment]:
    return user.role_assignments.select_related("role", "site").order_by("role__name", "site__name")


def tokens_visible_to(actor: User) -> QuerySet[ApiToken]:
    """The actor's own tokens; every token for those who manage them all."""
    tokens = ApiToken.objects.select_related("user")
    if permissions.has_perm(actor, permissions.MANAGE_ALL_TOKENS):
        return tokens
    return tokens.filter(user=actor)


def get_or_404(queryset: QuerySet, **lookup: object):  # type: ignore[no-untyped-def,type-arg]
    """One object or NotFound naming what was looked for."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        name = queryset.model._meta.verbose_name
        raise NotFound(
            f"No {name} with {', '.join(f'{k}={v}' for k, v in lookup.items())}."
        ) from None


def audit_events(
    *,
    actor: int | None = None,
    action: str | None = None,
    record_type: str | None = None,
    record_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
) -> QuerySet[AuditEvent]:
    """The audit trail, filtered; newest first."""
    events = AuditEvent.objects.select_related("object_type").order_by("-id")
    if actor is not None:
        events = events.filter(actor_id=actor)
    if action:
        events = events.filter(action=action)
    if record_type:
        events = events.filter(object_type__model=record_type.lower())
    if record_id is not None:
        events = events.filter(object_id=record_id)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    if q:
        events = events.filter(
            Q(object_repr__icontains=q) | Q(reason__icontains=q) | Q(actor_name__icontains=q)
        )
    return events
