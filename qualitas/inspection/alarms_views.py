"""Pages of the control chart alarms: the list across characteristics (filters, CSV/XLSX
export) and the forms that acknowledge an alarm with its reaction and close it, handing
their input to qualitas.inspection.alarms. The characteristic's page shows its own alarms
with the same forms."""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from qualitas.core import permissions, records
from qualitas.core.errors import InvalidInput
from qualitas.core.filters import ANY
from qualitas.core.forms import StyledForm, put_errors
from qualitas.core.models import User
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView
from qualitas.inspection import alarms, workflows as w
from qualitas.inspection.models import Characteristic, ChartAlarm, ChartAlarmState, Part
from qualitas.spc.rules import RULE_DESCRIPTIONS, describe_rule


class AlarmTable(tables.Table):
    raised_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Raised")
    part = tables.Column(accessor="characteristic__revision__part__number", verbose_name="Part")
    characteristic = tables.Column(
        accessor="characteristic__number",
        verbose_name="Characteristic",
        linkify=("inspection:characteristic_chart", {"pk": tables.A("characteristic_id")}),
    )
    characteristic_name = tables.Column(accessor="characteristic__name", verbose_name="Name")
    lot = tables.Column(
        accessor="lot__lot_number",
        verbose_name="Lot",
        linkify=lambda record: reverse(
            "core:record_detail", args=["inspection-lots", record.lot_id]
        ),
    )
    chart = tables.Column()
    rule = tables.Column()
    description = tables.Column(verbose_name="What")
    value = tables.Column()
    state = tables.Column()
    cause = tables.Column(verbose_name="Assignable cause", default="")
    action = tables.Column(verbose_name="Action taken", default="")
    nonconformance_number = tables.Column(verbose_name="NC", default="")

    class Meta:
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No alarms match these filters."

    def render_value(self, value: float) -> str:
        return f"{value:.6g}"


class CharacteristicChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Characteristic) -> str:
        # A balloon number repeats across parts: the part tells them apart.
        return f"{obj.revision.part.number} {obj.number} {obj.name}"


class CharacteristicFilter(django_filters.ModelChoiceFilter):
    field_class = CharacteristicChoiceField


class AlarmFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ChartAlarmState.choices, empty_label=ANY)
    # Only parts and characteristics that have alarms: the choices stay short.
    part = django_filters.ModelChoiceFilter(
        queryset=Part.objects.filter(revisions__characteristics__alarms__isnull=False).distinct(),
        field_name="characteristic__revision__part",
        empty_label=ANY,
    )
    characteristic = CharacteristicFilter(
        queryset=Characteristic.objects.filter(alarms__isnull=False)
        .distinct()
        .select_related("revision__part")
        .order_by("revision__part__number", "number", "pk"),
        empty_label=ANY,
    )
    rule = django_filters.ChoiceFilter(
        choices=[(rule, f"{rule}: {describe_rule(rule)}") for rule in RULE_DESCRIPTIONS],
        empty_label=ANY,
    )

    class Meta:
        model = ChartAlarm
        fields = ["state", "part", "characteristic", "rule"]


class AlarmListView(ObjectListView):
    permission = w.VIEW
    table_class = AlarmTable
    filterset_class = AlarmFilterSet
    title = "Control chart alarms"
    export_name = "chart-alarms"

    def get_queryset(self) -> QuerySet[ChartAlarm]:
        return alarms.alarms_listed(signed_in_user(self.request))


class AcknowledgeForm(StyledForm):
    # Not required here: the service names a missing cause or action, as the API does.
    cause = forms.CharField(
        label="Assignable cause found",
        required=False,
        max_length=alarms.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    action = forms.CharField(
        label="Action taken",
        required=False,
        max_length=alarms.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CloseForm(StyledForm):
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=alarms.TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _alarm_to_work(request: HttpRequest, pk: int) -> tuple[User, ChartAlarm]:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    alarm = get_or_404(alarms.alarms_listed(user), pk=pk)
    records.require_for(user, alarms.WORK, alarm.lot)
    return user, alarm


def _form_page(
    request: HttpRequest, alarm: ChartAlarm, form: forms.Form, step: str
) -> HttpResponse:
    context: dict[str, Any] = {
        "title": f"{step.capitalize()} alarm",
        "alarm": alarm,
        "form": form,
        "step": step,
        "expected_state": ChartAlarmState.OPEN
        if step == "acknowledge"
        else ChartAlarmState.ACKNOWLEDGED,
    }
    return render(
        request, "inspection/alarm_form.html", context, status=422 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def alarm_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the cause found and the action taken on an open alarm."""
    user, alarm = _alarm_to_work(request, pk)
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            alarms.acknowledge(
                alarm,
                actor=user,
                cause=form.cleaned_data["cause"],
                action=form.cleaned_data["action"],
            )
        except InvalidInput as exc:
            put_errors(form, exc)
        else:
            messages.success(request, "Alarm acknowledged.")
            return redirect(alarms.page_url(alarm))
    return _form_page(request, alarm, form, "acknowledge")


@login_required
@require_http_methods(["GET", "POST"])
def alarm_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an acknowledged alarm, with an optional comment."""
    user, alarm = _alarm_to_work(request, pk)
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        alarms.close(alarm, actor=user, comment=form.cleaned_data["comment"])
        messages.success(request, "Alarm closed.")
        return redirect(alarms.page_url(alarm))
    return _form_page(request, alarm, form, "close")
