"""A characteristic's page: its control chart, the alarms, capability, the lots that measured
it, and (for planners) the form that freezes or recalculates the limits."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from qualitas.core import permissions
from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.inspection import alarms, live, parts, workflows as w
from qualitas.inspection.models import InspectionLot

# The page draws the last this many points; the API gives any window.
PAGE_WINDOW = 200
LOTS_SHOWN = 50


def _window(request: HttpRequest) -> int:
    asked = request.GET.get("window", "")
    if asked.isdigit() and 2 <= int(asked) <= 5000:
        return int(asked)
    return PAGE_WINDOW


@login_required
def characteristic_chart(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    characteristic = get_or_404(parts.characteristics_listed(), pk=pk)
    may_plan = permissions.has_perm(user, w.PLAN)
    errors: dict[str, str] = {}
    reason = ""
    if request.method == "POST":
        permissions.require(user, w.PLAN)
        reason = request.POST.get("reason", "").strip()
        points_text = request.POST.get("points", "").strip()
        try:
            if points_text and not points_text.isdigit():
                raise InvalidInput.for_field("points", "A whole number of subgroups.")
            baseline = live.request_freeze(
                characteristic,
                actor=user,
                reason=reason,
                points=int(points_text) if points_text else None,
            )
        except InvalidInput as exc:
            errors = {e.field or "reason": e.message for e in exc.errors} or {"reason": str(exc)}
        except QualitasError as exc:
            errors = {"reason": str(exc)}
        else:
            messages.success(
                request,
                "Limits frozen." if baseline else "Limits are being recalculated by a worker.",
            )
            return redirect(reverse("inspection:characteristic_chart", args=[pk]))
    window = _window(request)
    data = live.chart_data(characteristic, window=window)
    lots = (
        InspectionLot.objects.filter(checks__characteristic=characteristic, checks__measured__gt=0)
        .order_by("-created_at", "-pk")
        .values("pk", "number", "lot_number", "created_at", "verdict")[:LOTS_SHOWN]
    )
    context = {
        "title": f"{characteristic.revision.part.number} {characteristic}",
        "characteristic": characteristic,
        "data": data,
        "window": window,
        "lots": list(lots),
        "alarm_records": alarms.characteristic_alarms(user, characteristic),
        "may_plan": may_plan,
        "errors": errors,
        "reason": reason,
        "capability": data["capability"]
        if data["capability"] and "n" in data["capability"]
        else None,
    }
    return render(
        request,
        "inspection/characteristic.html",
        context,
        status=422 if errors else 200,
    )
