"""Nonconformance endpoints beyond the generic record API: disposition, costs, analysis,
defect codes. Mounted at /api/v1/nc.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.nonconformance import policy, queries, services
from qualitas.nonconformance.models import CostLine, DefectCategory, DefectCode

router = Router(tags=["nonconformances"])


def _nc(request: HttpRequest, nc_id: int) -> Any:
    return records.get_visible(actor_of(request), services.record_type(), nc_id)


class DispositionLineIO(Schema):
    decision: str = Field(..., description="use_as_is, rework, repair, scrap or return_to_supplier")
    quantity: Decimal
    instructions: str = ""


class DispositionIn(Schema):
    version: int = Field(..., description="The nonconformance's version you edited")
    lines: list[DispositionLineIO]


class DispositionOut(Schema):
    nonconformance: int
    version: int
    quantity_nonconforming: Decimal
    unit: str
    lines: list[DispositionLineIO]


def _disposition(nc: Any) -> dict[str, Any]:
    return {
        "nonconformance": nc.pk,
        "version": nc.version,
        "quantity_nonconforming": nc.quantity_nonconforming,
        "unit": nc.unit,
        "lines": [
            {
                "decision": line.decision,
                "quantity": line.quantity,
                "instructions": line.instructions,
            }
            for line in nc.disposition_lines.all()
        ],
    }


@router.get(
    "/{nc_id}/disposition",
    response={200: DispositionOut, **ERRORS},
    summary="The disposition lines",
)
def get_disposition(request: HttpRequest, nc_id: int) -> Any:
    return _disposition(_nc(request, nc_id))


@router.put(
    "/{nc_id}/disposition",
    response={200: DispositionOut, **ERRORS},
    summary="Decide the disposition: lines must add up to the nonconforming quantity",
)
def put_disposition(request: HttpRequest, nc_id: int, payload: DispositionIn) -> Any:
    lines = [
        services.DispositionInput(line.decision, line.quantity, line.instructions)
        for line in payload.lines
    ]
    changed = services.set_disposition(
        _nc(request, nc_id), actor=actor_of(request), lines=lines, expected_version=payload.version
    )
    return _disposition(changed)


class CostIn(Schema):
    category: str = Field(
        ...,
        description="scrap, rework, sorting, reinspection, concession, expedited_freight, other",
    )
    amount: Decimal = Field(..., gt=0)
    currency: str = Field("", max_length=3, description="ISO 4217; default QUALITAS_CURRENCY")
    incurred_on: date | None = None
    note: str = ""


class CostOut(Schema):
    id: int
    category: str
    amount: Decimal
    currency: str
    incurred_on: date
    note: str


@router.get("/{nc_id}/cost-lines", response={200: list[CostOut], **ERRORS})
def list_costs(request: HttpRequest, nc_id: int) -> Any:
    return list(_nc(request, nc_id).cost_lines.all())


@router.post(
    "/{nc_id}/cost-lines",
    response={201: CostOut, **ERRORS},
    summary="Record a cost of poor quality",
)
def add_cost(request: HttpRequest, nc_id: int, payload: CostIn) -> Any:
    line = services.add_cost(_nc(request, nc_id), actor=actor_of(request), **payload.dict())
    return Status(201, line)


@router.delete("/{nc_id}/cost-lines/{line_id}", response={204: None, **ERRORS})
def remove_cost(request: HttpRequest, nc_id: int, line_id: int) -> Any:
    nc = _nc(request, nc_id)
    line = CostLine.objects.filter(pk=line_id, nonconformance=nc).first()
    if line is None:
        raise InvalidInput.for_field("line_id", f"No cost line {line_id} on {nc.number}.")
    services.remove_cost(line, actor=actor_of(request))
    return Status(204, None)


class AnalysisFilters(Schema):
    by: str = Field("defect_code", description="defect_code, part, supplier or cost")
    since: date | None = None
    until: date | None = None
    currency: str | None = Field(
        None,
        max_length=3,
        description="by=cost: the currency whose costs are ranked (amounts in different "
        "currencies are never added up); default the one most used in the period",
    )


class ParetoOut(Schema):
    label: str
    weight: float
    percent: float
    cumulative_percent: float


@router.get(
    "/pareto", response={200: list[ParetoOut], **ERRORS}, summary="Pareto of nonconformances"
)
def pareto(request: HttpRequest, filters: Query[AnalysisFilters]) -> Any:
    policy.require_see_analysis(actor_of(request))
    if filters.by not in queries.DIMENSIONS:
        raise InvalidInput.for_field("by", f"Choose one of {', '.join(queries.DIMENSIONS)}.")
    return queries.pareto(
        actor_of(request),
        filters.by,
        since=filters.since,
        until=filters.until,
        currency=filters.currency.upper() if filters.currency else None,
    )


class MonthOut(Schema):
    month: str
    count: int


@router.get("/trend", response={200: list[MonthOut], **ERRORS}, summary="Nonconformances per month")
def trend(request: HttpRequest, filters: Query[AnalysisFilters]) -> Any:
    policy.require_see_analysis(actor_of(request))
    rows = queries.monthly_counts(actor_of(request), since=filters.since, until=filters.until)
    return [{"month": m, "count": n} for m, n in rows]


class DefectCodeOut(Schema):
    id: int
    code: str
    name: str
    category: str = Field(..., alias="category.name")


class DefectCodeIn(Schema):
    category: str = Field(..., description="Category code, e.g. dimensional")
    code: str
    name: str


@router.get("/defect-codes", response={200: list[DefectCodeOut], **ERRORS})
def list_defect_codes(request: HttpRequest) -> Any:
    policy.require_see_defect_codes(actor_of(request))
    return list(DefectCode.objects.select_related("category").filter(is_active=True))


@router.post("/defect-codes", response={201: DefectCodeOut, **ERRORS})
def add_defect_code(request: HttpRequest, payload: DefectCodeIn) -> Any:
    category = DefectCategory.objects.filter(code=payload.category).first()
    if category is None:
        raise InvalidInput.for_field("category", f"No defect category '{payload.category}'.")
    return Status(
        201,
        services.add_defect_code(
            actor=actor_of(request), category=category, code=payload.code, name=payload.name
        ),
    )


class EscalationIn(Schema):
    capa: int | None = Field(
        None, description="An existing CAPA's id to link; omit to open a new one"
    )


class EscalationOut(Schema):
    capa_id: int
    number: str


@router.post(
    "/{nc_id}/escalate",
    response={201: EscalationOut, **ERRORS},
    summary="Escalate to a new CAPA, or link an existing one",
)
def escalate(request: HttpRequest, nc_id: int, payload: EscalationIn) -> Any:
    nc = _nc(request, nc_id)
    existing = None
    if payload.capa is not None:
        existing = records.get_visible(
            actor_of(request), records.RECORD_TYPES["capa"], payload.capa
        )
    capa = services.escalate_to_capa(nc, actor=actor_of(request), capa=existing)
    return Status(201, {"capa_id": capa.pk, "number": capa.number})
