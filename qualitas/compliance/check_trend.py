"""The checks' trend per framework: week by week, how many of the checks mapped to a
framework's requirements stood passing at the end of the week (the dashboard and
/api/v1/compliance-checks/trend). Three queries whatever the number of checks and runs."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from qualitas.compliance.check_models import CheckRun, ComplianceCheck, RunOutcome
from qualitas.compliance.models import Framework
from qualitas.core.errors import InvalidInput

MAX_WEEKS = 52


@dataclass(frozen=True)
class Point:
    week_ending: date
    passing: int
    # Checks that had a result by then (never-run checks are not counted either way).
    judged: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.passing / self.judged) if self.judged else None


@dataclass(frozen=True)
class FrameworkTrend:
    pk: int
    key: str
    name: str
    checks: int
    points: list[Point]


def _week_ends(weeks: int, now: datetime) -> list[datetime]:
    """The end of each of the last `weeks` weeks (Sunday midnight, local time), the current
    week's end being now."""
    today = timezone.localdate(now)
    sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    ends = [
        timezone.make_aware(datetime.combine(sunday - timedelta(weeks=n), time.max))
        for n in range(weeks - 1, 0, -1)
    ]
    return [*ends, now]


def trend(*, weeks: int = 12, now: datetime | None = None) -> list[FrameworkTrend]:
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput.for_field("weeks", f"Between 1 and {MAX_WEEKS} weeks.")
    now = now or timezone.now()
    ends = _week_ends(weeks, now)
    start = ends[0] - timedelta(weeks=1)
    mapped: dict[int, set[int]] = defaultdict(set)
    through = ComplianceCheck.requirements.through.objects.filter(compliancecheck__active=True)
    for check_id, framework_id in through.values_list(
        "compliancecheck_id", "requirement__framework_id"
    ).distinct():
        mapped[framework_id].add(check_id)
    check_ids = set().union(*mapped.values()) if mapped else set()
    # Each check's outcome before the window, then its runs inside it, oldest first.
    before = (
        CheckRun.objects.filter(compliance_check=OuterRef("pk"), finished_at__lt=start)
        .order_by("-finished_at", "-id")
        .values("outcome")[:1]
    )
    history: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for check_id, outcome in (
        ComplianceCheck.objects.filter(pk__in=check_ids)
        .annotate(outcome=Subquery(before))
        .values_list("pk", "outcome")
    ):
        if outcome:
            history[check_id].append((start - timedelta(microseconds=1), outcome))
    for check_id, finished, outcome in (
        CheckRun.objects.filter(
            compliance_check_id__in=check_ids, finished_at__gte=start, finished_at__lte=now
        )
        .order_by("finished_at", "id")
        .values_list("compliance_check_id", "finished_at", "outcome")
    ):
        history[check_id].append((finished, outcome))

    def state_at(check_id: int, moment: datetime) -> str | None:
        runs = history.get(check_id, [])
        at = bisect_right([finished for finished, _ in runs], moment)
        return runs[at - 1][1] if at else None

    frameworks = Framework.objects.filter(pk__in=mapped).order_by("name")
    result = []
    for framework in frameworks:
        ids = mapped[framework.pk]
        points = []
        for end in ends:
            states = [state_at(i, end) for i in ids]
            points.append(
                Point(
                    timezone.localdate(end),
                    sum(1 for s in states if s == RunOutcome.PASS),
                    sum(1 for s in states if s is not None),
                )
            )
        result.append(FrameworkTrend(framework.pk, framework.key, framework.name, len(ids), points))
    return result


def as_rows(trends: list[FrameworkTrend]) -> list[dict[str, Any]]:
    return [
        {
            "framework": t.key,
            "name": t.name,
            "checks": t.checks,
            "weeks": [
                {
                    "week_ending": p.week_ending,
                    "passing": p.passing,
                    "judged": p.judged,
                    "percent": p.percent,
                }
                for p in t.points
            ],
        }
        for t in trends
    ]
