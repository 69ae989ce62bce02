"""Nonconformance pages: disposition, costs, escalation, Pareto and trends, defect codes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.core import exports, links, records
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied, QualitasError
from qualitas.core.forms import StyledForm, put_errors, style_fields
from qualitas.core.models import User
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url
from qualitas.nonconformance import policy, queries, services
from qualitas.nonconformance.models import (
    SEVERITY_DEFINITIONS,
    CostCategory,
    CostLine,
    Decision,
    DefectCategory,
    DefectCode,
    Nonconformance,
    Severity,
)
from qualitas.nonconformance.workflows import State


def _nc(request: HttpRequest, pk: int) -> Nonconformance:
    found: Nonconformance = records.get_visible(signed_in_user(request), services.record_type(), pk)
    return found


class CostForm(StyledForm):
    category = forms.ChoiceField(choices=CostCategory.choices)
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = forms.CharField(max_length=3, required=False)
    incurred_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    note = forms.CharField(max_length=200, required=False)


class ContainmentForm(forms.Form):
    """The containment fields alone, where containment is recorded (ISO 9001 8.7.1). A plain
    form: the service validates the whole record and names the field it refuses."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields.update(
            forms.fields_for_model(
                Nonconformance,
                fields=services.CONTAINMENT_FIELDS,
                widgets={
                    "containment_action": forms.Textarea(attrs={"rows": 3}),
                    "contained_on": date,
                    "containment_verified_on": date,
                },
            )
        )
        people = User.objects.filter(is_active=True).exclude(username="system")
        for name in ("contained_by", "containment_verified_by"):
            self.fields[name].queryset = people  # type: ignore[attr-defined]
        style_fields(self)


@login_required
def containment(request: HttpRequest, pk: int) -> HttpResponse:
    """Record how the nonconforming output is contained and whether that was verified."""
    nc = _nc(request, pk)
    actor = signed_in_user(request)
    # Nobody is shown a form they could never submit (a closed NC, a reader).
    if nc.state in services.record_type().workflow.locked_states:
        raise records.RecordLocked(
            f"{nc.number} is {nc.get_state_display()} and can no longer be changed."
        )
    if not records.may_edit(actor, nc):
        records.require_for(actor, services.record_type().permissions.edit, nc)
    initial = model_to_dict(nc, fields=services.CONTAINMENT_FIELDS)
    form = ContainmentForm(request.POST or None, initial={**initial, "version": nc.version})
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.CONTAINMENT_FIELDS}
        try:
            services.record_containment(
                nc, actor=actor, expected_version=form.cleaned_data["version"], **data
            )
        except (InvalidInput, PermissionDenied, Conflict) as exc:
            nc.refresh_from_db()
            put_errors(form, exc)
        else:
            messages.success(request, f"{nc.number}: containment recorded.")
            return redirect(detail_url(nc))
    context = {
        "form": form,
        "title": f"Containment of {nc.number}",
        "cancel_url": detail_url(nc),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "core/object_form.html", context, status=status)


def nonconformance_panel(nc: Nonconformance, request: HttpRequest) -> str:
    actor = signed_in_user(request)
    lines = list(nc.disposition_lines.all())
    costs = list(nc.cost_lines.all())
    signed: dict[str, Any] = {
        s.transition: s for s in nc.signatures.all() if s.transition.startswith("approve_")
    }
    context = {
        "nc": nc,
        "lines": lines,
        "concession": any(line.decision in Decision.concessions() for line in lines),
        "quality_approval": signed.get("approve_quality"),
        "engineering_approval": signed.get("approve_engineering"),
        # The disposition is decided during material review (the service says so otherwise).
        "may_dispose": nc.state == State.REVIEW and policy.may_decide_disposition(actor, nc),
        "costs": costs,
        "totals": services.totals_of(costs),
        "may_cost": policy.may_record_costs(actor, nc),
        "cost_form": CostForm(initial={"currency": settings.QUALITAS_CURRENCY}),
        "escalation": services.escalation_suggestion(nc),
        "may_contain": nc.state not in services.record_type().workflow.locked_states
        and records.may_edit(actor, nc),
        "capas": [v for v in links.links_of(nc, viewer=actor) if v.link.kind == "escalated_to"],
        "may_escalate": policy.may_escalate(actor, nc),
        "severity_definition": SEVERITY_DEFINITIONS.get(Severity(nc.severity), "")
        if nc.severity
        else "",
    }
    return render_to_string("nonconformance/_panel.html", context, request=request)


class DispositionLineForm(forms.Form):
    decision = forms.ChoiceField(choices=[("", "—"), *Decision.choices], required=False)
    quantity = forms.DecimalField(
        max_digits=12, decimal_places=3, required=False, min_value=Decimal("0.001")
    )
    instructions = forms.CharField(max_length=500, required=False)


DispositionFormSet = forms.formset_factory(DispositionLineForm, extra=0, max_num=10)


@login_required
def disposition(request: HttpRequest, pk: int) -> HttpResponse:
    """Split the nonconforming quantity over decisions (material review)."""
    nc = _nc(request, pk)
    actor = signed_in_user(request)
    policy.require_decide_disposition(actor, nc)
    existing = [
        {"decision": line.decision, "quantity": line.quantity, "instructions": line.instructions}
        for line in nc.disposition_lines.all()
    ]
    initial = existing + [{}] * (5 - len(existing))
    formset = DispositionFormSet(
        request.POST or None, initial=initial if request.method != "POST" else None
    )
    error = ""
    if request.method == "POST" and formset.is_valid():
        lines = [
            services.DispositionInput(f["decision"], f["quantity"], f.get("instructions", ""))
            for f in formset.cleaned_data
            if f.get("decision") or f.get("quantity")
        ]
        try:
            services.set_disposition(
                nc, actor=actor, lines=lines, expected_version=int(request.POST.get("version", 0))
            )
        except QualitasError as exc:
            error = exc.detail
        else:
            messages.success(request, f"{nc.number}: disposition recorded.")
            return redirect(detail_url(nc))
    for form in formset:
        style_fields(form, small=True)
    context = {"title": f"Disposition of {nc.number}", "nc": nc, "formset": formset, "error": error}
    return render(request, "nonconformance/disposition.html", context, status=422 if error else 200)


@require_POST
@login_required
def add_cost(request: HttpRequest, pk: int) -> HttpResponse:
    nc = _nc(request, pk)
    form = CostForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The cost was not added: check the category and the amount.")
    else:
        try:
            services.add_cost(nc, actor=signed_in_user(request), **form.cleaned_data)
        except QualitasError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.detail)
    return redirect(detail_url(nc))


def escalation_panel(request: HttpRequest) -> str:
    """For those who decide on CAPAs: nonconformances the rules say should escalate."""
    user = signed_in_user(request)
    if not policy.may_see_escalation_candidates(user):
        return ""
    open_states = [
        State.OPEN,
        State.CONTAINMENT,
        State.REVIEW,
        State.DISPOSITION,
        State.VERIFICATION,
    ]
    # Only what is still to act on: live NCs not yet escalated to a CAPA.
    waiting = Q(state__in=open_states, escalated=False)
    visible = records.visible_to(user, services.record_type()).annotate(
        escalated=queries.escalated()
    )
    critical = list(
        visible.filter(waiting, severity=Severity.CRITICAL).order_by("-detected_on")[:10]
    )
    since = timezone.localdate() - timedelta(days=settings.QUALITAS_ESCALATION_DAYS)
    repeats = (
        visible.exclude(state=State.CANCELLED)
        .filter(detected_on__gt=since, defect_code__isnull=False)
        .exclude(part_number="")
        .values("defect_code__code", "defect_code__name", "part_number")
        .annotate(n=Count("id"), waiting=Count("id", filter=waiting))
        .filter(n__gte=settings.QUALITAS_ESCALATION_REPEATS, waiting__gt=0)
        .order_by("-n")[:10]
    )
    context = {
        "critical": critical,
        "repeats": list(repeats),
        "days": settings.QUALITAS_ESCALATION_DAYS,
    }
    return render_to_string("nonconformance/_escalation_panel.html", context, request=request)


class AnalysisForm(StyledForm):
    by = forms.ChoiceField(
        choices=list(queries.DIMENSIONS.items()), initial="defect_code", label="Pareto by"
    )
    since = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), required=False, label="From"
    )
    until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), required=False, label="To"
    )


@login_required
def analysis(request: HttpRequest) -> HttpResponse:
    """Pareto of nonconformances (by defect, part, supplier or cost) and the monthly trend."""
    user = signed_in_user(request)
    policy.require_see_analysis(user)
    today = timezone.localdate()
    form = AnalysisForm(
        request.GET or {"by": "defect_code", "since": (today - timedelta(days=365)).isoformat()}
    )
    data: dict[str, Any] = {"by": "defect_code", "since": None, "until": None}
    if form.is_valid():
        data = form.cleaned_data
    currencies = (
        queries.cost_currencies(user, since=data["since"], until=data["until"])
        if data["by"] == "cost"
        else []
    )
    asked = request.GET.get("currency", "")
    currency = asked if asked in currencies else (currencies[0] if currencies else "")
    bars = queries.pareto(
        user, data["by"], since=data["since"], until=data["until"], currency=currency or None
    )
    trend = queries.monthly_counts(user, since=data["since"], until=data["until"])
    if request.GET.get("export") in exports.FORMATS:
        rows: list[list[Any]] = [["Category", "Weight", "Percent", "Cumulative percent"]]
        rows += [
            [b.label, b.weight, round(b.percent, 2), round(b.cumulative_percent, 2)] for b in bars
        ]
        name = f"nc-pareto-{data['by']}"
        if request.GET["export"] == "csv":
            return exports.csv_response(name, rows)
        return exports.xlsx_response(name, rows, title="Pareto")
    chart = {
        "labels": [
            b.label.split(" ")[0] if data["by"] in ("defect_code", "cost") else b.label
            for b in bars
        ],
        "names": [b.label for b in bars],
        "weights": [b.weight for b in bars],
        "cumulative": [round(b.cumulative_percent, 2) for b in bars],
        "weight_label": "Cost" if data["by"] == "cost" else "Nonconformances",
        "months": [m for m, _ in trend],
        "counts": [n for _, n in trend],
    }
    context = {
        "title": "Nonconformances: Pareto and trends",
        "form": form,
        "bars": bars,
        "chart_data": chart,
        "dimension": queries.DIMENSIONS[data["by"]],
        "currency": currency,
        "other_currencies": [c for c in currencies if c != currency],
        "query": request.GET.urlencode(),
        "total": sum(b.weight for b in bars),
    }
    return render(request, "nonconformance/analysis.html", context)


class DefectCodeForm(StyledForm):
    category = forms.ModelChoiceField(DefectCategory.objects.all())
    code = forms.CharField(max_length=20)
    name = forms.CharField(max_length=120)


@login_required
def defect_codes(request: HttpRequest) -> HttpResponse:
    """The defect taxonomy; quality managers extend it."""
    user = signed_in_user(request)
    policy.require_see_defect_codes(user)
    may_manage = policy.may_manage_defect_codes(user)
    form = DefectCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        policy.require_manage_defect_codes(user)
        if form.is_valid():
            try:
                added = services.add_defect_code(actor=user, **form.cleaned_data)
            except InvalidInput as exc:
                for e in exc.errors:
                    form.add_error(e.field if e.field in form.fields else None, e.message)
                status = 422
            else:
                messages.success(request, f"Defect code {added.code} added.")
                return redirect("nonconformance:defect_codes")
        else:
            status = 422
    codes = (
        DefectCode.objects.select_related("category")
        .annotate(uses=Count("nonconformances"))
        .order_by("category__name", "code")
    )
    context = {"title": "Defect codes", "codes": codes, "form": form, "may_manage": may_manage}
    return render(request, "nonconformance/defect_codes.html", context, status=status)


@require_POST
@login_required
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a CAPA for the NC, or link the existing CAPA whose number is given."""
    nc = _nc(request, pk)
    actor = signed_in_user(request)
    number = request.POST.get("capa", "").strip()
    existing = None
    if number:
        existing = records.find_by_number(actor, number)
        if existing is None or records.type_of(existing).key != "capa":
            messages.error(request, f"No CAPA numbered {number} that you may see.")
            return redirect(detail_url(nc))
    try:
        capa = services.escalate_to_capa(nc, actor=actor, capa=existing)
    except QualitasError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
        return redirect(detail_url(nc))
    messages.success(request, f"{nc.number} escalated to {capa.number}.")
    return redirect(detail_url(capa) if existing is None else detail_url(nc))


@require_POST
@login_required
def remove_cost(request: HttpRequest, pk: int, cost_pk: int) -> HttpResponse:
    nc = _nc(request, pk)
    line = CostLine.objects.filter(pk=cost_pk, nonconformance=nc).first()
    if line is not None:
        try:
            services.remove_cost(line, actor=signed_in_user(request))
        except QualitasError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.detail)
    return redirect(detail_url(nc))
