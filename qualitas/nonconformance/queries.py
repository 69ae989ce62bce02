"""Reads for analysis: Pareto by defect, part, supplier or cost; counts by month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth

from qualitas import spc
from qualitas.core import records
from qualitas.core.models import LinkKind, RecordLink, User
from qualitas.nonconformance.models import CostLine, Nonconformance
from qualitas.nonconformance.workflows import State

DIMENSIONS = {
    "defect_code": "Defect code",
    "part": "Part",
    "supplier": "Supplier",
    "cost": "Cost by defect code",
}


@dataclass(frozen=True)
class ParetoBar:
    label: str
    weight: float
    percent: float
    cumulative_percent: float


def escalated() -> Exists:
    """Per nonconformance: is it escalated to a CAPA (a current escalation link)?"""
    return Exists(
        RecordLink.objects.filter(
            source_type=ContentType.objects.get_for_model(Nonconformance),
            source_id=OuterRef("pk"),
            kind=LinkKind.ESCALATED_TO,
            removed_at__isnull=True,
        )
    )


def in_period(user: User, since: date | None, until: date | None) -> QuerySet[Nonconformance]:
    found = records.visible_to(user, records.RECORD_TYPES["nonconformance"]).exclude(
        state=State.CANCELLED
    )
    if since:
        found = found.filter(detected_on__gte=since)
    if until:
        found = found.filter(detected_on__lte=until)
    return found


def cost_currencies(
    user: User, *, since: date | None = None, until: date | None = None
) -> list[str]:
    """The currencies of the cost lines in the period, the most used first: amounts in
    different currencies are never added up."""
    ncs = in_period(user, since, until)
    rows = (
        CostLine.objects.filter(nonconformance__in=ncs.values("pk"))
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
    )
    return [r["currency"] for r in rows]


def pareto(
    user: User,
    by: str,
    *,
    since: date | None = None,
    until: date | None = None,
    currency: str | None = None,
) -> list[ParetoBar]:
    """The vital few: categories sorted by count (or cost, in one currency: `currency`, else
    the most used), with cumulative percentages."""
    ncs = in_period(user, since, until)
    weights: dict[str, float] = {}
    if by == "cost":
        if currency is None:
            used = cost_currencies(user, since=since, until=until)
            currency = used[0] if used else ""
        rows = (
            CostLine.objects.filter(nonconformance__in=ncs.values("pk"), currency=currency)
            .values(
                code=F("nonconformance__defect_code__code"),
                name=F("nonconformance__defect_code__name"),
            )
            .annotate(total=Sum("amount"))
        )
        weights = {_label(r["code"], r["name"]): float(r["total"] or Decimal(0)) for r in rows}
    else:
        field = {
            "defect_code": "defect_code__code",
            "part": "part_number",
            "supplier": "supplier_name",
        }[by]
        if by == "defect_code":
            rows = ncs.values(code=F("defect_code__code"), name=F("defect_code__name")).annotate(
                n=Count("id")
            )
            weights = {_label(r["code"], r["name"]): float(r["n"]) for r in rows}
        else:
            rows = ncs.exclude(**{field: ""}).values(key=F(field)).annotate(n=Count("id"))
            weights = {str(r["key"]): float(r["n"]) for r in rows}
    weights = {k: v for k, v in weights.items() if v > 0}
    if not weights:
        return []
    rows_out = spc.pareto(list(weights), list(weights.values()))
    return [ParetoBar(r.category, r.weight, r.percent, r.cumulative_percent) for r in rows_out]


def _label(code: Any, name: Any) -> str:
    return f"{code} {name}" if code else "(no defect code)"


def monthly_counts(
    user: User, *, since: date | None = None, until: date | None = None
) -> list[tuple[str, int]]:
    """Nonconformances detected per month (for the trend)."""
    rows = (
        in_period(user, since, until)
        .annotate(month=TruncMonth("detected_on"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return [(row["month"].strftime("%Y-%m"), row["n"]) for row in rows]
