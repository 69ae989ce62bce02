"""Inspection pages: the plan's items (and its revision), the lot's verdict, checks and
measurement entry grid, and where the switching rules stand per characteristic."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.core import permissions, records
from qualitas.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from qualitas.core.forms import put_errors
from qualitas.core.models import User
from qualitas.core.validation import fits_database_integer
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url
from qualitas.inspection import ingest, services, workflows as w
from qualitas.inspection.forms import EntryGrid, PlanItemForm
from qualitas.inspection.models import (
    InspectionLot,
    InspectionPlan,
    PlanItem,
    SwitchingState,
    Verdict,
)

# The switching page lists at most this many characteristic/supplier pairs at once.
SWITCHING_ROWS = 200


def _plan(request: HttpRequest, pk: int) -> InspectionPlan:
    found: InspectionPlan = records.get_visible(signed_in_user(request), services.plan_type(), pk)
    return found


def _lot(request: HttpRequest, pk: int) -> InspectionLot:
    found: InspectionLot = records.get_visible(signed_in_user(request), services.lot_type(), pk)
    return found


# ----------------------------------------------------------------------------- plans


def _may_change_items(user: User, plan: InspectionPlan) -> bool:
    return plan.state == w.PlanState.DRAFT and records.may_edit(user, plan)


def plan_panel(plan: InspectionPlan, request: HttpRequest) -> str:
    """The plan's items on its record page; the item form while it is a draft, the
    revise button once approved."""
    actor = signed_in_user(request)
    items = list(
        PlanItem.objects.filter(plan=plan)
        .select_related("characteristic")
        .order_by("characteristic__number")
    )
    may_change = _may_change_items(actor, plan)
    context = {
        "plan": plan,
        "items": items,
        "may_change": may_change,
        "form": PlanItemForm(plan=plan) if may_change else None,
        "may_revise": plan.state == w.PlanState.APPROVED
        and records.has_perm_for(actor, w.PLAN, plan),
    }
    return render_to_string("inspection/_plan_panel.html", context, request=request)


@login_required
def plan_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a characteristic to a draft plan or change its sampling (GET ?characteristic=
    opens the form filled with the item's current sampling)."""
    plan = _plan(request, pk)
    actor = signed_in_user(request)
    if plan.state != w.PlanState.DRAFT:
        raise Conflict(f"{plan.number} is {plan.get_state_display()}: revise it to change items.")
    if not records.may_edit(actor, plan):
        raise PermissionDenied(f"You may not change {plan.number}.")
    initial: dict[str, Any] = {}
    chosen = request.GET.get("characteristic", "")
    if request.method != "POST" and chosen.isdigit() and fits_database_integer(int(chosen)):
        item = PlanItem.objects.filter(plan=plan, characteristic_id=int(chosen)).first()
        if item is not None:
            initial = {
                "characteristic": item.characteristic_id,
                "sampling": item.sampling,
                "sample_size": item.sample_size,
                "acceptance_number": item.acceptance_number,
                "inspection_level": item.inspection_level,
                "aql": item.aql,
                "skip_every": item.skip_every,
                "reaction": item.reaction,
            }
    form = PlanItemForm(request.POST or None, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.set_item(plan, actor=actor, **form.service_arguments())
        except (InvalidInput, Conflict) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, f"{plan.number}: {item.characteristic} sampling saved.")
            return redirect(detail_url(plan))
    context = {
        "form": form,
        "title": f"Characteristic of {plan.number} rev {plan.plan_revision}",
        "cancel_url": detail_url(plan),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "core/object_form.html", context, status=status)


@require_POST
@login_required
def plan_revise(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft revision of an approved plan, opened at once."""
    plan = _plan(request, pk)
    actor = signed_in_user(request)
    records.require_for(actor, w.PLAN, plan)
    new = services.revise_plan(plan, actor=actor)
    messages.success(
        request,
        f"{new.number} rev {new.plan_revision} drafted from {plan.number}: change its "
        "items, then have it approved.",
    )
    return redirect(detail_url(new))


# ----------------------------------------------------------------------------- lots


def _may_enter(user: User, lot: InspectionLot) -> bool:
    return lot.state == w.LotState.OPEN and records.has_perm_for(user, w.INSPECT, lot)


def _grid_context(lot: InspectionLot, grid: EntryGrid, *, entry: bool) -> dict[str, Any]:
    return {
        "lot": lot,
        "grid": grid,
        "entry": entry,
        "upload_url": f"/inspection/lots/{lot.pk}/upload/",
        "save_url": reverse("inspection:lot_measurements", args=[lot.pk]),
    }


def lot_panel(lot: InspectionLot, request: HttpRequest) -> str:
    """The lot's verdict, its checks (each sample and Ac/Re as fixed when the lot was
    opened) and, for its inspector while it is open, the measurement entry grid."""
    actor = signed_in_user(request)
    grid = EntryGrid.build(lot)
    nc_url = ""
    if lot.nonconformance_number:
        nc_list = reverse("core:record_list", args=["nonconformances"])
        nc_url = f"{nc_list}?{urlencode({'q': lot.nonconformance_number})}"
    context = {
        **_grid_context(lot, grid, entry=_may_enter(actor, lot)),
        "checks": grid.checks,
        "nc_url": nc_url,
        "switching_url": reverse("inspection:switching"),
        "verdict": Verdict,
        "open_checks": sum(
            1
            for c in grid.checks
            if not c.skipped and c.measured < c.sample_size and c.nonconforming < c.rejection_number
        ),
    }
    return render_to_string("inspection/_lot_panel.html", context, request=request)


@login_required
def lot_measurements(request: HttpRequest, pk: int) -> HttpResponse:
    """The entry grid on a page of its own (GET), and its save (POST): the filled cells go
    to the ingest as one batch, keyed by the form so a double submit is one batch."""
    lot = _lot(request, pk)
    actor = signed_in_user(request)
    records.require_for(actor, w.INSPECT, lot)
    if lot.state != w.LotState.OPEN:
        raise Conflict(f"{lot.number} is {lot.get_state_display()}: its measurements are closed.")
    if request.method != "POST":
        grid = EntryGrid.build(lot)
        return _entry_page(request, lot, grid, status=200)
    key = request.POST.get("key", "").strip()[:100]
    grid = EntryGrid.build(lot, data=request.POST, key=key or None)
    if not key:
        grid.show_errors([FieldError("key", "The form was incomplete: reload the page.")])
        return _entry_page(request, lot, grid, status=422)
    rows, errors = grid.typed_rows()
    if not rows and not errors:
        errors = [FieldError("grid", "Nothing to save: no cell was filled.")]
    if errors:
        grid.show_errors(errors)
        return _entry_page(request, lot, grid, status=422)
    try:
        batch = ingest.record_measurements(
            lot, actor=actor, rows=rows, key=key, source="entry grid"
        )
    except (InvalidInput, Conflict) as exc:
        grid.show_errors(exc.errors or [FieldError("grid", exc.detail)])
        if any(e.field == "key" for e in exc.errors):  # spent on another batch: a fresh one
            grid.key = EntryGrid.new_key()
        return _entry_page(request, lot, grid, status=exc.status)
    messages.success(request, f"{lot.number}: {batch.count} measurements saved.")
    return redirect(detail_url(lot))


def _entry_page(
    request: HttpRequest, lot: InspectionLot, grid: EntryGrid, *, status: int
) -> HttpResponse:
    context = {
        **_grid_context(lot, grid, entry=True),
        "title": f"Measurements of {lot.number}",
        "lot_url": detail_url(lot),
    }
    return render(request, "inspection/lot_entry.html", context, status=status)


# ----------------------------------------------------------------------------- switching


@login_required
def switching(request: HttpRequest) -> HttpResponse:
    """Where the ISO 2859-1 switching rules stand for each characteristic and supplier, and
    how they got there."""
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    states = SwitchingState.objects.select_related(
        "characteristic__revision__part"
    ).prefetch_related("events")
    characteristic = request.GET.get("characteristic", "").strip()
    if characteristic:
        if not characteristic.isdigit() or not fits_database_integer(int(characteristic)):
            raise NotFound("No such characteristic.")
        states = states.filter(characteristic_id=int(characteristic))
    supplier = request.GET.get("supplier", "").strip()
    if supplier:
        states = states.filter(supplier_name__icontains=supplier)
    ordered = states.order_by(
        "characteristic__revision__part__number",
        "characteristic__revision__revision",
        "characteristic__number",
        "supplier_name",
    )
    shown = list(ordered[: SWITCHING_ROWS + 1])
    context = {
        "title": "Switching between normal, tightened and reduced inspection",
        "states": shown[:SWITCHING_ROWS],
        "more": len(shown) > SWITCHING_ROWS,
        "limit": SWITCHING_ROWS,
        "characteristic": characteristic,
        "supplier": supplier,
    }
    return render(request, "inspection/switching.html", context)


__all__ = [
    "lot_measurements",
    "lot_panel",
    "plan_item",
    "plan_panel",
    "plan_revise",
    "switching",
]
