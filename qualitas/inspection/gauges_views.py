"""Pages of the gauge register: the list (effective status, filters, exports), a gauge with
its calibration history, the forms that hand their input to qualitas.inspection.gauges, and
the calibration record's pages: its create and edit forms with the table of calibration
points, and its detail panel (readings, results, impact list, nonconformance)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from qualitas.core import permissions, records
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied, QualitasError
from qualitas.core.forms import put_errors
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView
from qualitas.core.views.records import detail_url
from qualitas.inspection import gauges, workflows as w
from qualitas.inspection.formviews import MasterDataForm
from qualitas.inspection.gauges_forms import (
    NEW_POINTS,
    BaseCalibrationPointFormSet,
    CalibrationPointFormSet,
    GaugeForm,
    GaugeStatusForm,
    calibration_form,
)
from qualitas.inspection.gauges_lists import GaugeFilterSet, GaugeTable, status_badge
from qualitas.inspection.models import Calibration, Gauge, Measurement

# The calibration record page's fields; the readings and the impact list are the panel's
# tables (a list is no field value for the generic page).
CALIBRATION_DISPLAY_FIELDS = (
    "gauge",
    "calibrated_on",
    "external_lab",
    "certificate_number",
    "as_found_ok",
    "as_left_ok",
    "next_due_on",
    "nonconformance_number",
    "notes",
    "owner",
    "site",
)


def _detail(pk: int) -> str:
    return reverse("inspection:gauge_detail", args=[pk])


class GaugeListView(ObjectListView):
    permission = w.VIEW
    table_class = GaugeTable
    filterset_class = GaugeFilterSet
    title = "Gauges"
    export_name = "gauges"
    create_url_name = "inspection:gauge_create"
    create_permission = w.MANAGE_GAUGES

    def get_queryset(self) -> QuerySet[Gauge]:
        return gauges.gauges_listed()


def _calibrations(user: Any, gauge: Gauge) -> list[Calibration]:
    """The gauge's calibrations the user may see, newest first (none until the record type
    is registered)."""
    if gauges.CALIBRATION_KEY not in records.RECORD_TYPES:
        return []
    visible = records.visible_to(user, gauges.calibration_type())
    return list(visible.filter(gauge=gauge).order_by("-calibrated_on", "-pk"))


@login_required
def gauge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A gauge: its data, effective status, calibration history and what it measured."""
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    gauge = get_or_404(gauges.gauges_listed(), pk=pk)
    calibrations = _calibrations(user, gauge)
    context = {
        "title": str(gauge),
        "gauge": gauge,
        "status": status_badge(gauges.gauge_status(gauge)),
        "calibrations": [(c, detail_url(c)) for c in calibrations],
        "measurements": Measurement.objects.filter(gauge=gauge).count(),
        "studies_url": reverse("inspection:gagestudy_list") + "?" + urlencode({"gauge": gauge.pk}),
        "may_manage": permissions.has_perm(user, w.MANAGE_GAUGES),
        "calibrate_url": _calibrate_url(gauge) if permissions.has_perm(user, w.CALIBRATE) else "",
    }
    return render(request, "inspection/gauges/detail.html", context)


def _calibrate_url(gauge: Gauge) -> str:
    if gauges.CALIBRATION_KEY not in records.RECORD_TYPES:
        return ""
    try:
        new = reverse("core:record_create", args=[gauges.calibration_type().resource])
    except NoReverseMatch:  # registered after the URLs were built (tests only)
        return ""
    return f"{new}?{urlencode({'gauge': gauge.pk})}"


class _GaugeForm(MasterDataForm):
    """A form of the register: only holders of manage_gauges see or post it."""

    permission = w.MANAGE_GAUGES
    list_url_name = "inspection:gauge_list"


class GaugeCreateView(_GaugeForm):
    form_class = GaugeForm
    title = "New gauge"
    success_message = "Gauge registered."

    def perform(self, form: forms.Form) -> Gauge:
        return gauges.create_gauge(actor=signed_in_user(self.request), **form.cleaned_data)

    def success_url(self, saved: Gauge) -> str:
        return _detail(saved.pk)


class GaugeEditView(_GaugeForm):
    form_class = GaugeForm
    success_message = "Gauge saved."

    def get_object(self) -> Gauge:
        return get_or_404(Gauge.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Edit {self.object}"

    def cancel_url(self) -> str:
        return _detail(self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        gauge: Gauge = self.object  # type: ignore[assignment]
        initial = {name: getattr(gauge, name) for name in gauges.GAUGE_FIELDS}
        initial["procedure"] = gauge.procedure.number if gauge.procedure else ""
        return initial

    def perform(self, form: forms.Form) -> Gauge:
        gauge: Gauge = self.object  # type: ignore[assignment]
        return gauges.change_gauge(gauge, actor=signed_in_user(self.request), **form.cleaned_data)

    def success_url(self, saved: Gauge) -> str:
        return _detail(saved.pk)


class GaugeStatusView(_GaugeForm):
    form_class = GaugeStatusForm
    success_message = "Status changed."

    def get_object(self) -> Gauge:
        return get_or_404(Gauge.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Change the status of {self.object}"

    def cancel_url(self) -> str:
        return _detail(self.kwargs["pk"])

    def perform(self, form: forms.Form) -> Gauge:
        gauge: Gauge = self.object  # type: ignore[assignment]
        return gauges.set_gauge_status(
            gauge, actor=signed_in_user(self.request), **form.cleaned_data
        )

    def success_url(self, saved: Gauge) -> str:
        return _detail(saved.pk)


def calibration_panel(calibration: Calibration, request: HttpRequest) -> str:
    """The calibration's readings and results, the lots in doubt and their nonconformance,
    on the calibration record's page."""
    readings = [
        {
            **r,
            "found_ok": abs(r["as_found"] - r["nominal"]) <= r["tolerance"],
            "left_ok": abs(r["as_left"] - r["nominal"]) <= r["tolerance"],
        }
        for r in calibration.readings
    ]
    nc_url = ""
    if calibration.nonconformance_number:
        nc_list = reverse("core:record_list", args=["nonconformances"])
        nc_url = f"{nc_list}?{urlencode({'q': calibration.nonconformance_number})}"
    context = {
        "calibration": calibration,
        "gauge_url": _detail(calibration.gauge_id),
        "readings": readings,
        "nc_url": nc_url,
    }
    return render_to_string("inspection/gauges/_calibration_panel.html", context, request=request)


# ----------------------------------------------------------------------------- calibration forms
# Served at the record type's own paths (/calibrations/new/, /calibrations/<id>/edit/) in
# place of the generic form, whose JSON text box no technician can fill: the readings are a
# table of points. The record's fields, permissions and services stay the generic ones.

# The points' field names: readings-0-nominal … (the API's field, one row per point).
POINTS_PREFIX = "readings"


def _refused(form: forms.BaseForm, points: BaseCalibrationPointFormSet, exc: QualitasError) -> None:
    """The service's refusal on the page: about the readings above the points table, the
    rest as on any record form."""
    if isinstance(exc, InvalidInput):
        about_points = [e for e in exc.errors if e.field == POINTS_PREFIX]
        points.non_form_errors().extend(e.message for e in about_points)
        rest = [e for e in exc.errors if e.field != POINTS_PREFIX]
        if rest:
            put_errors(form, InvalidInput(rest))
    else:
        put_errors(form, exc)


def _calibration_page(
    request: HttpRequest,
    form: forms.BaseForm,
    points: BaseCalibrationPointFormSet,
    *,
    title: str,
    cancel_url: str,
) -> HttpResponse:
    # Each gauge's unit, for the table's header when another gauge is chosen.
    units = {str(pk): unit for pk, unit in Gauge.objects.values_list("pk", "unit")}
    context = {
        "form": form,
        "points": points,
        "title": title,
        "cancel_url": cancel_url,
        "gauge_units": units,
        "unit": units.get(str(form["gauge"].value()), ""),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "inspection/gauges/calibration_form.html", context, status=status)


@login_required
def calibration_create(request: HttpRequest) -> HttpResponse:
    """Record a calibration: the gauge (from its page: ?gauge=<id>), the date, who did it,
    and its points."""
    record_type = gauges.calibration_type()
    actor = signed_in_user(request)
    permissions.require(actor, record_type.permissions.create)
    posted = request.POST or None
    initial = {
        "site": actor.site,
        "gauge": request.GET.get("gauge"),
        "calibrated_on": timezone.localdate(),
    }
    form = calibration_form(editing=False)(posted, initial=initial)
    points = CalibrationPointFormSet(
        posted, prefix=POINTS_PREFIX, initial=None if posted else [{}] * NEW_POINTS
    )
    if posted is not None and all([form.is_valid(), points.is_valid()]):
        data = {k: v for k, v in form.cleaned_data.items() if k in record_type.editable_fields}
        try:
            created = records.raise_record(
                record_type, actor=actor, **data, readings=points.readings()
            )
        except (InvalidInput, PermissionDenied, Conflict) as exc:
            _refused(form, points, exc)
        else:
            messages.success(request, f"{created.number} raised.")
            return redirect(detail_url(created))
    return _calibration_page(
        request,
        form,
        points,
        title="New calibration",
        cancel_url=reverse("core:record_list", args=[record_type.resource]),
    )


@login_required
def calibration_edit(request: HttpRequest, calibration_id: int) -> HttpResponse:
    """Correct a calibration: its fields and points, as calibrations.change_calibration
    allows (the date and readings only while it is recorded and its gauge's latest)."""
    record_type = gauges.calibration_type()
    actor = signed_in_user(request)
    calibration: Calibration = records.get_visible(actor, record_type, calibration_id)
    # Nobody is shown a form they could never submit (a reader, a verified calibration).
    if calibration.state in record_type.workflow.locked_states:
        raise records.RecordLocked(
            f"{calibration.number} is {calibration.get_state_display()} and can no longer "
            "be changed."
        )
    if not records.may_edit(actor, calibration):
        records.require_for(actor, record_type.permissions.edit, calibration)
    posted = request.POST or None
    # A model form writes what it cleans onto its instance; the service compares the stored
    # calibration with the changes (a corrected date moves the due date), so the form works
    # on a copy.
    form = calibration_form(editing=True)(
        posted, instance=copy.copy(calibration), initial={"version": calibration.version}
    )
    # The stored points, and one empty row to add a point without JavaScript.
    points = CalibrationPointFormSet(
        posted, prefix=POINTS_PREFIX, initial=None if posted else [*calibration.readings, {}]
    )
    if posted is not None and all([form.is_valid(), points.is_valid()]):
        data = {k: v for k, v in form.cleaned_data.items() if k in record_type.editable_fields}
        try:
            records.change_record(
                calibration,
                actor=actor,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data.get("reason", ""),
                **data,
                readings=points.readings(),
            )
        except (InvalidInput, PermissionDenied, Conflict) as exc:
            _refused(form, points, exc)
        else:
            messages.success(request, f"{calibration.number} saved.")
            return redirect(detail_url(calibration))
    return _calibration_page(
        request,
        form,
        points,
        title=f"Edit {calibration.number}",
        cancel_url=detail_url(calibration),
    )
