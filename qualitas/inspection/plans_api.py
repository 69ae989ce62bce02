"""Endpoints beyond the generic record ones for plans and lots: a plan's items (set while it
is a draft) and its next revision; a lot's checks and verdict; the switching states, with the
responsible authority's consent to reduced inspection and the restoring of discontinued
inspection.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from qualitas.core import permissions, records
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.inspection import services, workflows as w
from qualitas.inspection.models import Characteristic, SwitchingState

plans = Router(tags=["inspection-plans"])
lots = Router(tags=["inspection-lots"])
switching = Router(tags=["switching-states"])


class ItemIn(Schema):
    sampling: Literal["100", "fixed", "aql", "skip_lot"] = Field(
        "aql", description="100 (every item), fixed n/Ac, aql (ISO 2859-1 single), skip_lot"
    )
    sample_size: int | None = Field(None, ge=1, description="Fixed sampling: n")
    acceptance_number: int = Field(0, ge=0, description="Fixed sampling: Ac")
    inspection_level: str = Field("II", description="I, II, III or S-1 … S-4")
    aql: float | None = Field(None, gt=0, description="Percent nonconforming, from the tables")
    skip_every: int | None = Field(None, ge=2, description="Skip-lot: inspect 1 lot in this many")
    reaction: str = Field("", max_length=300, description="What to do when it fails")


class ItemOut(ItemIn):
    characteristic: int
    number: str
    name: str


def _item(item: Any) -> dict[str, Any]:
    return {
        "characteristic": item.characteristic_id,
        "number": item.characteristic.number,
        "name": item.characteristic.name,
        "sampling": item.sampling,
        "sample_size": item.sample_size,
        "acceptance_number": item.acceptance_number,
        "inspection_level": item.inspection_level,
        "aql": item.aql,
        "skip_every": item.skip_every,
        "reaction": item.reaction,
    }


@plans.get("/{plan_id}/items", response={200: list[ItemOut], **ERRORS}, summary="A plan's items")
def plan_items(request: HttpRequest, plan_id: int) -> Any:
    plan = records.get_visible(actor_of(request), services.plan_type(), plan_id)
    return [_item(i) for i in plan.items.select_related("characteristic")]


@plans.put(
    "/{plan_id}/items/{characteristic_id}",
    response={200: ItemOut, **ERRORS},
    summary="Add a characteristic to a draft plan, or change its sampling",
)
def put_item(request: HttpRequest, plan_id: int, characteristic_id: int, payload: ItemIn) -> Any:
    plan = records.get_visible(actor_of(request), services.plan_type(), plan_id)
    characteristic = get_object_or_404(Characteristic, pk=characteristic_id)
    item = services.set_item(
        plan, actor=actor_of(request), characteristic=characteristic, **payload.dict()
    )
    return _item(item)


class RecordRef(Schema):
    id: int
    number: str
    state: str


@plans.post(
    "/{plan_id}/revise",
    response={201: RecordRef, **ERRORS},
    summary="A new draft revision of an approved plan (approving it supersedes this one)",
)
def revise(request: HttpRequest, plan_id: int) -> Any:
    plan = records.get_visible(actor_of(request), services.plan_type(), plan_id)
    new = services.revise_plan(plan, actor=actor_of(request))
    return Status(201, {"id": new.pk, "number": new.number, "state": new.state})


class CheckOut(Schema):
    characteristic: str
    name: str
    sampling: str
    inspection: str
    code_letter: str
    sample_size: int
    acceptance_number: int
    rejection_number: int
    measured: int
    nonconforming: int
    skipped: bool
    result: str


class LotSummaryOut(Schema):
    verdict: str
    reason: str
    nonconformance: str | None
    checks: list[CheckOut]


@lots.get(
    "/{lot_id}/checks",
    response={200: LotSummaryOut, **ERRORS},
    summary="A lot's checks: sample, Ac/Re, counts, results, and its verdict",
)
def lot_checks(request: HttpRequest, lot_id: int) -> Any:
    lot = records.get_visible(actor_of(request), services.lot_type(), lot_id)
    return services.lot_summary(lot)


class SwitchingOut(Schema):
    id: int
    characteristic: int
    supplier_name: str
    state: str
    since: Any
    reason: str
    reduced_allowed: bool
    lots_since: int


def _switching(state: SwitchingState) -> dict[str, Any]:
    return {
        "id": state.pk,
        "characteristic": state.characteristic_id,
        "supplier_name": state.supplier_name,
        "state": state.state,
        "since": state.since,
        "reason": state.reason,
        "reduced_allowed": state.reduced_allowed,
        "lots_since": len(state.history),
    }


class SwitchingFilter(Schema):
    characteristic: int | None = None
    supplier: str | None = None
    state: str | None = None


@switching.get("", response={200: list[SwitchingOut], **ERRORS}, summary="Switching states")
def switching_states(request: HttpRequest, filters: Query[SwitchingFilter]) -> Any:
    permissions.require(actor_of(request), w.VIEW)
    rows = SwitchingState.objects.order_by("characteristic_id", "supplier_name")
    if filters.characteristic is not None:
        rows = rows.filter(characteristic_id=filters.characteristic)
    if filters.supplier is not None:
        rows = rows.filter(supplier_name=filters.supplier)
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    return [_switching(s) for s in rows[:500]]


class ConsentIn(Schema):
    reduced_allowed: bool
    reason: str = Field(..., description="Why: steady production, the evidence")


@switching.post(
    "/{state_id}/consent",
    response={200: SwitchingOut, **ERRORS},
    summary="The responsible authority allows (or withdraws) reduced inspection",
)
def consent(request: HttpRequest, state_id: int, payload: ConsentIn) -> Any:
    state = get_object_or_404(SwitchingState, pk=state_id)
    changed = services.consent_to_reduced(
        state, actor=actor_of(request), allowed=payload.reduced_allowed, reason=payload.reason
    )
    return _switching(changed)


class RestoreIn(Schema):
    reason: str = Field(..., description="What the supplier did to improve quality")


@switching.post(
    "/{state_id}/restore",
    response={200: SwitchingOut, **ERRORS},
    summary="Resume discontinued inspection, on tightened inspection (ISO 2859-1 9.4)",
)
def restore(request: HttpRequest, state_id: int, payload: RestoreIn) -> Any:
    state = get_object_or_404(SwitchingState, pk=state_id)
    return _switching(
        services.restore_inspection(state, actor=actor_of(request), reason=payload.reason)
    )
