"""Measurements through the API: a batch in (all or nothing, idempotent by its key), the
lot's measurements out, page by page. Mounted at /api/v1/measurements.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qualitas.core import records
from qualitas.core.pagination import Mapped, PageNumber
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.inspection import ingest, services
from qualitas.inspection.models import Measurement

router = Router(tags=["measurements"])


def _lot(request: HttpRequest, lot_id: int) -> Any:
    return records.get_visible(actor_of(request), services.lot_type(), lot_id)


class MeasurementIn(Schema):
    characteristic: str = Field(
        ..., max_length=20, description="The characteristic's number (its drawing balloon)"
    )
    sample_no: int = Field(..., description="The sample item, from 1 to the check's sample size")
    value: float | None = Field(
        None, description="Variable characteristics: the measured value, to its decimals"
    )
    conforming: bool | None = Field(None, description="Attribute characteristics: pass or fail")
    defects: int | None = Field(None, description="Defect-count characteristics: the count")
    measured_at: datetime | None = Field(None, description="When measured; default: now")
    gauge: str | None = Field(
        None,
        max_length=40,
        description="The gauge's identifier; an overdue, out-of-service or retired gauge "
        "refuses the batch (409)",
    )


class BatchIn(Schema):
    lot: int = Field(..., description="The inspection lot's id")
    key: str = Field(
        ...,
        min_length=1,
        max_length=ingest.KEY_LENGTH,
        description="Your idempotency key for this batch: sending the same key and "
        "measurements again answers 200 with the batch already recorded; the same key with "
        "other measurements is a 409",
    )
    source: str = Field("", max_length=100, description="Where the values come from (a gauge)")
    measurements: list[MeasurementIn] = Field(..., min_length=1)


class BatchOut(Schema):
    id: int
    lot: int
    key: str
    count: int
    sha256: str
    source: str
    created_at: datetime
    created: bool = Field(..., description="False: the batch was recorded by an earlier call")


class MeasurementOut(Schema):
    id: int
    characteristic: str
    sample_no: int
    value: float | None
    conforming: bool
    defects: int | None
    measured_at: datetime
    batch: int


class MeasurementFilters(Schema):
    lot: int = Field(..., description="The inspection lot's id")
    characteristic: str | None = Field(None, description="Only this characteristic's number")


@router.post(
    "",
    response={200: BatchOut, 201: BatchOut, **ERRORS},
    summary="Record a batch of measurements for an open lot",
    description="Every row is checked before anything is saved; a 422 lists the refused "
    "rows (`measurements.<index>`, from 0) with what is wrong. 201: recorded; 200: this key "
    "and these measurements were recorded before (nothing added).",
)
def post_measurements(request: HttpRequest, payload: BatchIn) -> Any:
    lot = _lot(request, payload.lot)
    rows = [
        ingest.Row(
            characteristic=m.characteristic,
            sample_no=m.sample_no,
            value=m.value,
            conforming=m.conforming,
            defects=m.defects,
            measured_at=m.measured_at,
            gauge=m.gauge,
        )
        for m in payload.measurements
    ]
    recorded = ingest.record_batch(
        lot, actor=actor_of(request), rows=rows, key=payload.key, source=payload.source or "api"
    )
    batch = recorded.batch
    body = {
        "id": batch.pk,
        "lot": batch.lot_id,
        "key": batch.key,
        "count": batch.count,
        "sha256": batch.sha256,
        "source": batch.source,
        "created_at": batch.created_at,
        "created": recorded.created,
    }
    return Status(201 if recorded.created else 200, body)


@router.get(
    "",
    response={200: list[MeasurementOut], **ERRORS},
    summary="A lot's measurements, by characteristic and sample",
)
@paginate(PageNumber)
def list_measurements(request: HttpRequest, filters: Query[MeasurementFilters]) -> Any:
    lot = _lot(request, filters.lot)
    rows = Measurement.objects.filter(lot=lot)
    if filters.characteristic:
        rows = rows.filter(characteristic__number=filters.characteristic.strip())
    # The order of the (lot, characteristic, sample) unique index: no sort.
    values = rows.order_by("characteristic_id", "sample_no").values(
        "id",
        "characteristic__number",
        "sample_no",
        "value",
        "conforming",
        "defects",
        "measured_at",
        "batch_id",
    )
    return Mapped(
        values,
        lambda m: {
            "id": m["id"],
            "characteristic": m["characteristic__number"],
            "sample_no": m["sample_no"],
            "value": m["value"],
            "conforming": m["conforming"],
            "defects": m["defects"],
            "measured_at": m["measured_at"],
            "batch": m["batch_id"],
        },
    )
