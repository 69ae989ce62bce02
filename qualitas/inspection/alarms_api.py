"""Control chart alarms, /api/v1/chart-alarms: the list (by state and characteristic), one
alarm, and the reaction plan's two steps, POST /{id}/acknowledge (cause and action) and
POST /{id}/close. Alarms are raised by the control chart itself (qualitas.inspection.live),
never through the API; they are seen at the sites where their lot is.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from qualitas.core import permissions
from qualitas.core.models import User
from qualitas.core.pagination import PageNumber
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS
from qualitas.inspection import alarms, workflows as w
from qualitas.inspection.alarms import TEXT_LIMIT
from qualitas.inspection.models import ChartAlarmState

router = Router(tags=["chart-alarms"])


class AlarmOut(Schema):
    id: int
    characteristic: int = Field(..., alias="characteristic_id")
    characteristic_number: str = Field(..., alias="characteristic.number")
    characteristic_name: str = Field(..., alias="characteristic.name")
    part_number: str = Field(..., alias="characteristic.revision.part.number")
    baseline: int = Field(
        ..., alias="baseline_id", description="The frozen limits the point was judged against"
    )
    lot: int = Field(..., alias="lot_id", description="The inspection lot's id")
    lot_number: str = Field(..., alias="lot.lot_number")
    batch: int | None = Field(None, alias="batch_id", description="The measurement batch")
    chart: str = Field(..., description="Chart kind: xbar, R, S, individuals or moving_range")
    rule: str = Field(..., description="Rule id, e.g. nelson1")
    description: str = Field(..., description="The rule in words")
    point: int = Field(
        ..., description="Which of the lot's points: 0 for a subgroup chart, the value for I-MR"
    )
    value: float = Field(..., description="The point's statistic")
    raised_at: datetime
    state: ChartAlarmState
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None
    cause: str = Field(..., description="Assignable cause found")
    action: str = Field(..., description="Action taken")
    closed_by: str | None = None
    closed_at: datetime | None
    close_comment: str
    nonconformance_number: str = Field(..., description="The NC the alarm raised, if any")

    @staticmethod
    def resolve_acknowledged_by(alarm: Any) -> str | None:
        return alarm.acknowledged_by.printed_name if alarm.acknowledged_by else None

    @staticmethod
    def resolve_closed_by(alarm: Any) -> str | None:
        return alarm.closed_by.printed_name if alarm.closed_by else None


class AlarmFilters(Schema):
    state: ChartAlarmState | None = None
    characteristic: int | None = Field(None, description="A characteristic's id")


class AcknowledgeIn(Schema):
    cause: str = Field(..., max_length=TEXT_LIMIT, description="Assignable cause found")
    action: str = Field(..., max_length=TEXT_LIMIT, description="Action taken")


class CloseIn(Schema):
    comment: str = Field("", max_length=TEXT_LIMIT)


def _actor(request: HttpRequest) -> User:
    actor: User = request.user  # type: ignore[assignment]
    permissions.require(actor, w.VIEW)
    return actor


def _alarm(actor: User, alarm_id: int) -> Any:
    return get_or_404(alarms.alarms_listed(actor), pk=alarm_id)


@router.get("", response={200: list[AlarmOut], **ERRORS}, summary="List control chart alarms")
@paginate(PageNumber)
def list_alarms(request: HttpRequest, filters: Query[AlarmFilters]) -> Any:
    found = alarms.alarms_listed(_actor(request))
    if filters.state is not None:
        found = found.filter(state=filters.state)
    if filters.characteristic is not None:
        found = found.filter(characteristic_id=filters.characteristic)
    return found


@router.get("/{alarm_id}", response={200: AlarmOut, **ERRORS}, summary="One alarm")
def get_alarm(request: HttpRequest, alarm_id: int) -> Any:
    return _alarm(_actor(request), alarm_id)


@router.post(
    "/{alarm_id}/acknowledge",
    response={200: AlarmOut, **ERRORS},
    summary="Acknowledge an open alarm with the cause found and the action taken",
)
def acknowledge(request: HttpRequest, alarm_id: int, payload: AcknowledgeIn) -> Any:
    actor = _actor(request)
    alarms.acknowledge(
        _alarm(actor, alarm_id), actor=actor, cause=payload.cause, action=payload.action
    )
    return _alarm(actor, alarm_id)


@router.post(
    "/{alarm_id}/close",
    response={200: AlarmOut, **ERRORS},
    summary="Close an acknowledged alarm",
)
def close(request: HttpRequest, alarm_id: int, payload: CloseIn) -> Any:
    actor = _actor(request)
    alarms.close(_alarm(actor, alarm_id), actor=actor, comment=payload.comment)
    return _alarm(actor, alarm_id)
