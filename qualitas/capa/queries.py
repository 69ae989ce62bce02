"""CAPA metrics for the quality manager and management review."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from qualitas.capa.models import Capa
from qualitas.capa.workflows import OPEN_STATES, State
from qualitas.core import records
from qualitas.core.models import AuditEvent, RecordLink, User

AGE_BUCKETS = (
    (0, 30, "0-30 days"),
    (31, 60, "31-60 days"),
    (61, 90, "61-90 days"),
    (91, None, "over 90 days"),
)


@dataclass(frozen=True)
class CapaMetrics:
    open_total: int
    open_by_age: list[tuple[str, int]]
    closed_total: int
    on_time_closure_rate: float | None
    mean_cycle_days: float | None
    effectiveness_pass_rate: float | None
    recurrences: list[str]


def metrics(user: User) -> CapaMetrics:
    """Open CAPAs by age, on-time closure, cycle time, first-time effectiveness, recurrence."""
    visible = records.visible_to(user, records.RECORD_TYPES["capa"])
    now = timezone.now()
    open_capas = list(visible.filter(state__in=OPEN_STATES))
    by_age = []
    for low, high, label in AGE_BUCKETS:
        n = sum(
            1
            for c in open_capas
            if (now - c.created_at).days >= low
            and (high is None or (now - c.created_at).days <= high)
        )
        by_age.append((label, n))
    closed = list(visible.filter(state=State.CLOSED))
    # A closed CAPA is locked, so its last change is its closure.
    with_due = [c for c in closed if c.due_on]
    on_time = sum(1 for c in with_due if c.updated_at.date() <= c.due_on)
    cycle = [(c.updated_at - c.created_at).total_seconds() / 86400 for c in closed]
    capa_type = ContentType.objects.get_for_model(Capa)
    failed_ids = set(
        AuditEvent.objects.filter(
            object_type=capa_type, action="transition", changes__transition="not_effective"
        ).values_list("object_id", flat=True)
    )
    # Decided checks: every closed CAPA, plus open ones whose check already failed once.
    reopened = visible.filter(pk__in=failed_ids).exclude(state=State.CLOSED).count()
    decided = len(closed) + reopened
    passed_first_time = sum(1 for c in closed if c.pk not in failed_ids)
    return CapaMetrics(
        open_total=len(open_capas),
        open_by_age=by_age,
        closed_total=len(closed),
        on_time_closure_rate=round(100 * on_time / len(with_due), 1) if with_due else None,
        mean_cycle_days=round(sum(cycle) / len(cycle), 1) if cycle else None,
        effectiveness_pass_rate=round(100 * passed_first_time / decided, 1) if decided else None,
        recurrences=_recurrences(closed),
    )


def _recurrences(closed: list[Capa]) -> list[str]:
    """Closed CAPAs whose problem came back: a new NC with the same defect on the same part,
    detected after the CAPA was closed (read through the links, not by importing NCs)."""
    found = []
    capa_type = ContentType.objects.get_for_model(Capa)
    for capa in closed:
        sources = RecordLink.objects.filter(
            target_type=capa_type, target_id=capa.pk, kind="escalated_to", removed_at__isnull=True
        )
        for link in sources:
            model = link.source_type.model_class()
            source = model.objects.filter(pk=link.source_id).first() if model else None
            code = getattr(source, "defect_code_id", None)
            part = getattr(source, "part_number", "")
            if source is None or code is None or not part:
                continue
            later = model.objects.filter(
                defect_code_id=code, part_number=part, detected_on__gt=capa.updated_at.date()
            ).exclude(state="cancelled")
            if later.exists():
                again = later.count()
                found.append(f"{capa.number}: {source.defect_code} on {part} again ({again} since)")
                break
    return found
