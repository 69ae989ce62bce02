"""Gage R&R studies of the gauges: /api/v1/gage-studies. A study is posted with its data
(one part, operator and value per measurement) and analysed by the SPC studies' crossed Gage
R&R; the answer carries the figures and the number of the SPC study that holds the rest.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qualitas.core import permissions
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.core.pagination import PageNumber
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.inspection import gagestudies, workflows as w
from qualitas.inspection.models import Characteristic, Gauge

router = Router(tags=["gage-studies"])


def _may_see(request: HttpRequest) -> User:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    return actor


class GageStudyOut(Schema):
    id: int
    gauge: int = Field(..., alias="gauge_id")
    characteristic: int | None = Field(None, alias="characteristic_id")
    study_number: str = Field(..., description="The SPC study holding the ANOVA and charts")
    percent_grr: float = Field(..., description="Total Gage R&R, % of the study variation")
    percent_tolerance: float | None = Field(None, description="Total Gage R&R, % of tolerance")
    ndc: int = Field(..., description="Number of distinct categories")
    verdict: str = Field(..., description="acceptable, marginal or unacceptable (AIAG MSA)")
    studied_on: date
    created_at: datetime


class GageStudyIn(Schema):
    gauge: int
    characteristic: int | None = Field(None, description="The variable characteristic measured")
    title: str = Field(..., max_length=200)
    parts: list[str | float] = Field(..., description="The part of each measurement")
    operators: list[str | float] = Field(..., description="The operator of each measurement")
    values: list[float] = Field(..., description="The measurements")
    tolerance: float | None = Field(
        None, description="USL - LSL; default: the characteristic's limits"
    )
    method: Literal["anova", "average_range"] = "anova"
    studied_on: date | None = None


class GageStudyFilters(Schema):
    gauge: int | None = None
    characteristic: int | None = None


@router.get("", response={200: list[GageStudyOut], **ERRORS}, summary="List Gage R&R studies")
@paginate(PageNumber)
def list_studies(request: HttpRequest, filters: Query[GageStudyFilters]) -> Any:
    _may_see(request)
    found = gagestudies.studies_listed()
    if filters.gauge is not None:
        found = found.filter(gauge_id=filters.gauge)
    if filters.characteristic is not None:
        found = found.filter(characteristic_id=filters.characteristic)
    return found


@router.get("/{study_id}", response={200: GageStudyOut, **ERRORS}, summary="One Gage R&R study")
def get_study(request: HttpRequest, study_id: int) -> Any:
    _may_see(request)
    return get_or_404(gagestudies.studies_listed(), pk=study_id)


@router.post(
    "",
    response={201: GageStudyOut, **ERRORS},
    summary="Record a Gage R&R study of a gauge (analysed and kept as an SPC study)",
)
def create_study(request: HttpRequest, payload: GageStudyIn) -> Any:
    actor = _may_see(request)
    data = payload.dict()
    gauge = Gauge.objects.filter(pk=data.pop("gauge")).first()
    if gauge is None:
        raise InvalidInput.for_field("gauge", "There is no gauge with this id.")
    characteristic_id = data.pop("characteristic")
    characteristic = None
    if characteristic_id is not None:
        characteristic = (
            Characteristic.objects.select_related("revision__part")
            .filter(pk=characteristic_id)
            .first()
        )
        if characteristic is None:
            raise InvalidInput.for_field(
                "characteristic", "There is no characteristic with this id."
            )
    created = gagestudies.record_gage_study(
        actor=actor, gauge=gauge, characteristic=characteristic, **data
    )
    return Status(201, created)
