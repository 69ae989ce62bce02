"""Reads of the training module: who sees which records, what is due for a person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qualitas.core import permissions
from qualitas.training import workflows as w
from qualitas.training.models import OPEN_STATES, Course, TrainingRecord

if TYPE_CHECKING:
    from qualitas.core.models import User


def visible_records(user: User, found: QuerySet[Any]) -> QuerySet[Any]:
    """Everyone sees their own training; people's records are seen where the reader holds
    `training.view_records` (records of people with no site only by those holding it
    everywhere), and by the coordinator who answers for them."""
    if not user.is_authenticated or not user.is_active:
        return found.none()
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    if sites is None:
        return found
    return found.filter(Q(site_id__in=sites) | Q(person=user) | Q(owner=user))


def my_open_training(user: User) -> QuerySet[TrainingRecord]:
    """What the person must still sign, soonest due first."""
    return (
        TrainingRecord.objects.filter(person=user, state__in=OPEN_STATES)
        .select_related("course", "trainer")
        .order_by("due_on", "pk")
    )


def trained_in(course_code: str, people: Iterable[int], *, on: date | None = None) -> set[int]:
    """Of these people, those with a completed record of the course that has not expired
    (e.g. the audits module's auditor qualification). Empty when no such course exists."""
    today = on or timezone.localdate()
    return set(
        TrainingRecord.objects.filter(
            course__code=course_code,
            person_id__in=list(people),
            state=w.State.COMPLETED,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .values_list("person_id", flat=True)
    )


def course_exists(course_code: str) -> bool:
    return Course.objects.filter(code=course_code).exists()
