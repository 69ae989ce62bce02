"""CAPA metrics for the quality manager and management review.

Every figure is counted by the database over the CAPAs the person may see, so the number of
queries does not grow with the number of CAPAs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from qualitas.capa.models import Capa, EffectivenessResult
from qualitas.capa.workflows import OPEN_STATES, State
from qualitas.core import records
from qualitas.core.models import AuditEvent, RecordLink, User

AGE_BUCKETS = (
    (0, 30, "0-30 days"),
    (31, 60, "31-60 days"),
    (61, 90, "61-90 days"),
    (91, None, "over 90 days"),
)

# The 8D disciplines each step of the workflow stands for, in the workflow's order.
STEPS = (
    (State.INITIATED, "D0-D2 Problem described"),
    (State.INVESTIGATION, "D3 Containment"),
    (State.ROOT_CAUSE, "D4 Root cause"),
    (State.ACTION_PLAN, "D5 Action plan"),
    (State.IMPLEMENTATION, "D6 Implementation"),
    (State.EFFECTIVENESS, "D7 Effectiveness check"),
)


@dataclass(frozen=True)
class StepDays:
    """How long CAPAs stay in one 8D step: the mean over every pass through it that ended
    in the next step (a CAPA sent back to root cause passes through it again)."""

    step: str
    label: str
    mean_days: float | None
    passes: int


@dataclass(frozen=True)
class CapaMetrics:
    open_total: int
    open_by_age: list[tuple[str, int]]
    closed_total: int
    # Closed on or before the due date, out of the closed CAPAs that had one (%).
    on_time_closure_rate: float | None
    mean_cycle_days: float | None
    # Closed without a failed effectiveness check, out of the CAPAs whose check was decided.
    effectiveness_pass_rate: float | None
    recurrences: list[str]
    # Effectiveness checks found effective, out of every check recorded (%).
    effectiveness_rate: float | None = None
    effectiveness_checked: int = 0
    on_time_closed: int = 0
    days_per_step: tuple[StepDays, ...] = ()


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _days(duration: timedelta | None) -> float | None:
    return round(duration.total_seconds() / 86400, 1) if duration is not None else None


def _transitions() -> QuerySet[AuditEvent]:
    capa_type = ContentType.objects.get_for_model(Capa)
    return AuditEvent.objects.filter(object_type=capa_type, action="transition")


def metrics(user: User) -> CapaMetrics:
    """Open CAPAs by age, on-time closure, cycle time, days per 8D step, effectiveness (first
    time and overall), recurrence."""
    visible = records.visible_to(user, records.RECORD_TYPES["capa"]).select_related(None)
    now = timezone.now()
    by_age = visible.aggregate(
        **{
            f"age{i}": Count(
                "id",
                filter=Q(
                    state__in=OPEN_STATES,
                    created_at__lte=now - timedelta(days=low),
                    **({"created_at__gt": now - timedelta(days=high + 1)} if high else {}),
                ),
            )
            for i, (low, high, _label) in enumerate(AGE_BUCKETS)
        },
        open_total=Count("id", filter=Q(state__in=OPEN_STATES)),
        checking_passed=Count(
            "id",
            filter=Q(state=State.EFFECTIVENESS, effectiveness_result=EffectivenessResult.PASSED),
        ),
        checking_failed=Count(
            "id",
            filter=Q(state=State.EFFECTIVENESS, effectiveness_result=EffectivenessResult.FAILED),
        ),
    )
    transitions = _transitions()
    failed_checks = transitions.filter(changes__transition="not_effective")
    # The closing transition dates the closure (the audit trail cannot be changed afterwards).
    closed_at = Subquery(
        transitions.filter(object_id=OuterRef("pk"), changes__transition="close")
        .order_by("-id")
        .values("occurred_at")[:1]
    )
    closed = (
        visible.filter(state=State.CLOSED)
        .annotate(closed_at=closed_at)
        .annotate(closed_on=TruncDate("closed_at"))
    )
    ever_failed = Q(pk__in=failed_checks.values("object_id"))
    done = closed.aggregate(
        closed_total=Count("id"),
        with_due=Count("id", filter=Q(due_on__isnull=False)),
        on_time=Count("id", filter=Q(due_on__isnull=False, closed_on__lte=F("due_on"))),
        passed_first_time=Count("id", filter=~ever_failed),
        mean_cycle=Avg(
            ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
        ),
    )
    # Decided checks: every closed CAPA, plus open ones whose check already failed once.
    reopened = visible.filter(ever_failed).exclude(state=State.CLOSED).count()
    failed_total = failed_checks.filter(object_id__in=visible.values("pk")).count()
    effective = done["closed_total"] + by_age["checking_passed"]
    checked = effective + failed_total + by_age["checking_failed"]
    decided = done["closed_total"] + reopened
    return CapaMetrics(
        open_total=by_age["open_total"],
        open_by_age=[(label, by_age[f"age{i}"]) for i, (_l, _h, label) in enumerate(AGE_BUCKETS)],
        closed_total=done["closed_total"],
        on_time_closure_rate=_percent(done["on_time"], done["with_due"]),
        on_time_closed=done["on_time"],
        mean_cycle_days=_days(done["mean_cycle"]),
        effectiveness_pass_rate=_percent(done["passed_first_time"], decided),
        effectiveness_rate=_percent(effective, checked),
        effectiveness_checked=checked,
        days_per_step=days_per_step(visible),
        recurrences=_recurrences(closed),
    )


def days_per_step(visible: QuerySet[Any]) -> tuple[StepDays, ...]:
    """Mean days in each 8D step, from the audit trail: a step lasts from the event that
    entered it (the CAPA's creation or the previous transition) to the transition that left
    it for another step. Leaving by cancellation ends no step, so it is not counted."""
    transitions = _transitions()
    entered = Subquery(
        AuditEvent.objects.filter(
            object_type_id=OuterRef("object_type_id"),
            object_id=OuterRef("object_id"),
            action__in=("create", "transition"),
            id__lt=OuterRef("id"),
        )
        .order_by("-id")
        .values("occurred_at")[:1]
    )
    rows = (
        transitions.filter(object_id__in=visible.values("pk"))
        .exclude(changes__transition="cancel")
        .annotate(entered=entered)
        .values(step=KT("changes__state__old"))
        .annotate(
            passes=Count("id"),
            mean=Avg(
                ExpressionWrapper(F("occurred_at") - F("entered"), output_field=DurationField())
            ),
        )
        .order_by()
    )
    found = {row["step"]: row for row in rows}
    return tuple(
        StepDays(
            str(state),
            label,
            _days(found[state]["mean"]) if state in found else None,
            found[state]["passes"] if state in found else 0,
        )
        for state, label in STEPS
    )


def _recurrences(closed: QuerySet[Any]) -> list[str]:
    """Closed CAPAs whose problem came back: a new NC with the same defect on the same part,
    detected after the CAPA was closed (read through the links, not by importing NCs). A few
    queries per kind of source record, whatever the number of CAPAs."""
    closures = {row["pk"]: row for row in closed.values("pk", "number", "closed_on")}
    if not closures:
        return []
    capa_type = ContentType.objects.get_for_model(Capa)
    sources: dict[int, list[tuple[int, int]]] = {}  # CAPA -> its sources, first linked first
    for capa_id, type_id, source_id in (
        RecordLink.objects.filter(
            target_type=capa_type,
            target_id__in=list(closures),
            kind="escalated_to",
            removed_at__isnull=True,
        )
        .order_by("id")
        .values_list("target_id", "source_type_id", "source_id")
    ):
        sources.setdefault(capa_id, []).append((type_id, source_id))
    found_sources: dict[tuple[int, int], Any] = {}
    detected: dict[tuple[int, int, str], list[date]] = {}  # (type, defect, part) -> dates
    for type_id in {t for links in sources.values() for t, _ in links}:
        model: Any = ContentType.objects.get_for_id(type_id).model_class()
        names = {f.name for f in model._meta.get_fields()} if model else set()
        if model is None or not {"defect_code", "part_number", "detected_on"} <= names:
            continue
        ids = [s for links in sources.values() for t, s in links if t == type_id]
        for linked in model._default_manager.select_related("defect_code").filter(pk__in=ids):
            if linked.defect_code_id is not None and linked.part_number:
                found_sources[(type_id, linked.pk)] = linked
        pairs = {
            (s.defect_code_id, s.part_number) for (t, _), s in found_sources.items() if t == type_id
        }
        since = [row["closed_on"] for row in closures.values() if row["closed_on"] is not None]
        if not pairs or not since:
            continue
        for code, part, on in (
            model._default_manager.filter(
                defect_code_id__in={c for c, _ in pairs},
                part_number__in={p for _, p in pairs},
                detected_on__gt=min(since),
            )
            .exclude(state="cancelled")
            .values_list("defect_code_id", "part_number", "detected_on")
        ):
            detected.setdefault((type_id, code, part), []).append(on)
    found = []
    for capa_id, row in closures.items():
        for type_id, source_id in sources.get(capa_id, []):
            source = found_sources.get((type_id, source_id))
            if source is None or row["closed_on"] is None:
                continue
            dates = detected.get((type_id, source.defect_code_id, source.part_number), [])
            again = sum(1 for on in dates if on > row["closed_on"])
            if again:
                found.append(
                    f"{row['number']}: {source.defect_code} on {source.part_number} again "
                    f"({again} since)"
                )
                break
    return found
