"""The gauge register, /api/v1/gauges, and a calibration's out-of-tolerance impact,
/api/v1/calibrations/{id}/impact (beside the generic calibration record endpoints).

Master data, not records: everyone holding inspection.view reads gauges, holders of
inspection.manage_gauges write them (through qualitas.inspection.gauges). Gauges are taken
out of service or retired (POST /{id}/status with a reason), never deleted.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qualitas.core import permissions, records
from qualitas.core.models import User
from qualitas.core.pagination import PageNumber
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.inspection import calibrations, gauges, workflows as w
from qualitas.inspection.gauges import EffectiveStatus

gauges_router = Router(tags=["gauges"])
calibrations_router = Router(tags=["calibrations"])


def _may_see(request: HttpRequest) -> User:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    return actor


class GaugeOut(Schema):
    id: int
    identifier: str = Field(..., description="The label on the gauge, unique ignoring case")
    name: str
    gauge_type: str
    location: str
    site: int | None = Field(None, alias="site_id")
    owner: int | None = Field(None, alias="owner_id")
    range_low: float | None
    range_high: float | None
    unit: str
    resolution: float | None
    interval_days: int = Field(..., description="Calibration interval in days")
    procedure: int | None = Field(
        None, alias="procedure_id", description="Calibration procedure document id"
    )
    status: str = Field(
        ...,
        description="Effective status today: in_service, due (within "
        f"{gauges.DUE_WITHIN_DAYS} days of its next due date, or never calibrated), overdue, "
        "out_of_service, retired",
    )
    stored_status: str = Field(..., description="What the register stores (no due/overdue)")
    last_calibrated_on: date | None
    last_good_on: date | None = Field(
        None, description="Last calibration that left it within tolerance"
    )
    next_due_on: date | None

    @staticmethod
    def resolve_status(gauge: Any) -> str:
        return gauges.gauge_status(gauge)

    @staticmethod
    def resolve_stored_status(gauge: Any) -> str:
        return str(gauge.status)


class GaugeIn(Schema):
    identifier: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=120)
    gauge_type: str = Field(..., min_length=1, max_length=80)
    location: str = Field("", max_length=120)
    site: int | None = None
    owner: int | None = None
    range_low: float | None = None
    range_high: float | None = None
    unit: str = Field("", max_length=20)
    resolution: float | None = Field(None, description="Greater than zero")
    interval_days: int = Field(365, description="At least 1")
    procedure: int | None = Field(None, description="Calibration procedure document id")


class GaugePatch(Schema):
    identifier: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=120)
    gauge_type: str | None = Field(None, min_length=1, max_length=80)
    location: str | None = Field(None, max_length=120)
    site: int | None = None
    owner: int | None = None
    range_low: float | None = None
    range_high: float | None = None
    unit: str | None = Field(None, max_length=20)
    resolution: float | None = None
    interval_days: int | None = Field(None, description="Moves the next due date")
    procedure: int | None = None


class StatusIn(Schema):
    status: str = Field(..., description="in_service, out_of_service or retired")
    reason: str = Field(..., min_length=1, description="Why; kept in the audit trail")


class GaugeFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Identifier, name, type, location")
    status: EffectiveStatus | None = Field(None, description="Effective status today")


def _gauge(gauge_id: int) -> Any:
    return get_or_404(gauges.gauges_listed(), pk=gauge_id)


@gauges_router.get("", response={200: list[GaugeOut], **ERRORS}, summary="List gauges")
@paginate(PageNumber)
def list_gauges(request: HttpRequest, filters: Query[GaugeFilters]) -> Any:
    _may_see(request)
    found = gauges.search_gauges(gauges.gauges_listed(), filters.q or "")
    if filters.status is not None:
        found = gauges.with_status(found, filters.status.value)
    return found


@gauges_router.post("", response={201: GaugeOut, **ERRORS}, summary="Register a gauge")
def create_gauge(request: HttpRequest, payload: GaugeIn) -> Any:
    created = gauges.create_gauge(actor=actor_of(request), **payload.dict())
    return Status(201, _gauge(created.pk))


@gauges_router.get("/{gauge_id}", response={200: GaugeOut, **ERRORS}, summary="One gauge")
def get_gauge(request: HttpRequest, gauge_id: int) -> Any:
    _may_see(request)
    return _gauge(gauge_id)


@gauges_router.patch("/{gauge_id}", response={200: GaugeOut, **ERRORS}, summary="Change a gauge")
def change_gauge(request: HttpRequest, gauge_id: int, payload: GaugePatch) -> Any:
    _may_see(request)
    gauges.change_gauge(
        _gauge(gauge_id), actor=actor_of(request), **payload.dict(exclude_unset=True)
    )
    return _gauge(gauge_id)


@gauges_router.post(
    "/{gauge_id}/status",
    response={200: GaugeOut, **ERRORS},
    summary="Take a gauge out of service, retire it, or put it back in use",
)
def set_status(request: HttpRequest, gauge_id: int, payload: StatusIn) -> Any:
    _may_see(request)
    gauges.set_gauge_status(
        _gauge(gauge_id), actor=actor_of(request), status=payload.status, reason=payload.reason
    )
    return _gauge(gauge_id)


class ImpactLot(Schema):
    lot: int = Field(..., description="The inspection lot's id")
    number: str = Field(..., description="The inspection lot record's number (LOT-…)")
    lot_number: str = Field(..., description="The production or supplier lot number")
    part_number: str
    part_revision: str
    characteristics: list[str] = Field(..., description="Characteristics measured with it")
    count: int = Field(..., description="Values measured with the gauge in this lot")
    first_measured: str
    last_measured: str


class ImpactOut(Schema):
    calibration: str
    gauge: str
    as_found_ok: bool
    lots: list[ImpactLot] = Field(
        ..., description="Lots measured with the gauge since its last good calibration"
    )
    nonconformance: str | None = Field(None, description="The impact assessment's NC number")


@calibrations_router.get(
    "/{calibration_id}/impact",
    response={200: ImpactOut, **ERRORS},
    summary="The lots an out-of-tolerance calibration puts in doubt",
)
def calibration_impact(request: HttpRequest, calibration_id: int) -> Any:
    calibration = records.get_visible(actor_of(request), gauges.calibration_type(), calibration_id)
    return calibrations.impact(calibration)
