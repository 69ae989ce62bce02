"""A characteristic's control chart: GET /api/v1/characteristics/{id}/chart and
POST /api/v1/characteristics/{id}/baseline (freeze or recalculate the limits, with a reason).

Mounted at "/characteristics" beside parts_api's router of the same prefix.
No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from qualitas.core import permissions
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.inspection import live, parts, workflows as w

router = Router(tags=["characteristics"])


class ChartFilters(Schema):
    window: int | None = Field(
        None, ge=2, le=100_000, description="Only the last N points (and capability over them)"
    )


class BaselineIn(Schema):
    reason: str = Field("", max_length=300, description="Why the limits are frozen (required)")
    points: int | None = Field(
        None, ge=2, description="Freeze from the first N subgroups (all so far when omitted)"
    )


class BaselineOut(Schema):
    id: int | None = Field(None, description="None while a worker freezes a long history")
    queued: bool = False
    chart_type: str | None = None
    subgroup_size: int | None = None
    mean: float | None = None
    sigma: float | None = None
    limits: dict[str, Any] | None = None
    points: int | None = None
    reason: str


@router.get(
    "/{characteristic_id}/chart",
    response={200: dict[str, Any], **ERRORS},
    summary="The characteristic's control chart, alarms and capability",
)
def get_chart(request: HttpRequest, characteristic_id: int, filters: Query[ChartFilters]) -> Any:
    permissions.require(actor_of(request), w.VIEW)
    characteristic = get_or_404(parts.characteristics_listed(), pk=characteristic_id)
    return live.chart_data(characteristic, window=filters.window)


@router.post(
    "/{characteristic_id}/baseline",
    response={201: BaselineOut, 202: BaselineOut, **ERRORS},
    summary="Freeze (or recalculate) the control limits, with the reason",
)
def freeze(request: HttpRequest, characteristic_id: int, payload: BaselineIn) -> Any:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    characteristic = get_or_404(parts.characteristics_listed(), pk=characteristic_id)
    baseline = live.request_freeze(
        characteristic, actor=actor, reason=payload.reason, points=payload.points
    )
    if baseline is None:
        return Status(202, BaselineOut(id=None, queued=True, reason=payload.reason))
    return Status(
        201,
        BaselineOut(
            id=baseline.pk,
            chart_type=baseline.chart_type,
            subgroup_size=baseline.subgroup_size,
            mean=baseline.mean,
            sigma=baseline.sigma,
            limits=baseline.limits,
            points=baseline.points,
            reason=baseline.reason,
        ),
    )
