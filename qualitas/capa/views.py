"""The CAPA panel (team, 5 Whys, Ishikawa diagram, effectiveness) and its small forms."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.capa import diagram, policy, services
from qualitas.capa.models import Capa, CauseCategory, EffectivenessResult
from qualitas.core import records
from qualitas.core.errors import Conflict, InvalidInput, NotFound, QualitasError
from qualitas.core.forms import StyledForm, put_errors
from qualitas.core.models import User
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url


class TeamForm(StyledForm):
    member = forms.ModelChoiceField(User.objects.filter(is_active=True).exclude(username="system"))
    role = forms.CharField(max_length=80, required=False)


class WhyForm(StyledForm):
    why = forms.CharField(max_length=300)
    because = forms.CharField(max_length=300)


class CauseForm(StyledForm):
    category = forms.ChoiceField(choices=CauseCategory.choices)
    text = forms.CharField(max_length=200, label="Possible cause")


class EffectivenessForm(StyledForm):
    """The effectiveness check (8D D7) alone: the result, what shows it and the day; the
    person recording it is the one who checked."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        choices=[
            (EffectivenessResult.PASSED, "Effective: the problem has not come back"),
            (EffectivenessResult.FAILED, "Not effective: back to root cause"),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    evidence = forms.CharField(
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What shows it: the data, the period looked at, audits, records.",
    )
    checked_on = forms.DateField(
        label="Checked on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


@login_required
def effectiveness(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the effectiveness check at its own step, not through the edit form: the plan
    approval stays valid, and closing signs the check."""
    capa = _capa(request, pk)
    actor = signed_in_user(request)
    # Nobody is shown a form they could never submit.
    policy.require_record_effectiveness(actor, capa)
    initial = {
        "version": capa.version,
        "result": capa.effectiveness_result
        if capa.effectiveness_result != EffectivenessResult.PENDING
        else None,
        "evidence": capa.effectiveness_evidence,
        "checked_on": capa.effectiveness_checked_on or timezone.localdate(),
    }
    form = EffectivenessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_effectiveness(
                capa,
                actor=actor,
                result=data["result"],
                evidence=data["evidence"],
                checked_on=data["checked_on"],
                expected_version=data["version"],
            )
        except (InvalidInput, Conflict) as exc:
            put_errors(form, exc)
        else:
            messages.success(request, f"{capa.number}: effectiveness check recorded.")
            return redirect(detail_url(capa))
    context = {
        "form": form,
        "title": f"Effectiveness check of {capa.number}",
        "submit_label": "Record the check",
        "cancel_url": detail_url(capa),
        "capa": capa,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "capa/effectiveness.html", context, status=status)


def capa_panel(capa: Capa, request: HttpRequest) -> str:
    actor = signed_in_user(request)
    causes = list(capa.causes.all())
    context = {
        "capa": capa,
        "team": list(capa.team.select_related("member", "member__department")),
        "whys": list(capa.whys.all()),
        "fishbone": diagram.fishbone_svg(capa.title, causes),
        "may_work_on": policy.may_work_on(actor, capa),
        "may_record_effectiveness": policy.may_record_effectiveness(actor, capa),
        "team_form": TeamForm(),
        "why_form": WhyForm(),
        "cause_form": CauseForm(),
    }
    return render_to_string("capa/_panel.html", context, request=request)


def _capa(request: HttpRequest, pk: int) -> Capa:
    found: Capa = records.get_visible(signed_in_user(request), services.record_type(), pk)
    return found


def _done(request: HttpRequest, capa: Capa, form: forms.Form, call: object) -> HttpResponse:
    if not form.is_valid():
        messages.error(request, "Please fill in every field.")
    else:
        try:
            call(**form.cleaned_data)  # type: ignore[operator]
        except QualitasError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.detail)
    return redirect(detail_url(capa))


@require_POST
@login_required
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    capa = _capa(request, pk)
    return _done(
        request,
        capa,
        TeamForm(request.POST),
        lambda **d: services.add_team_member(capa, actor=signed_in_user(request), **d),
    )


@require_POST
@login_required
def add_why(request: HttpRequest, pk: int) -> HttpResponse:
    capa = _capa(request, pk)
    return _done(
        request,
        capa,
        WhyForm(request.POST),
        lambda **d: services.add_why(capa, actor=signed_in_user(request), **d),
    )


@require_POST
@login_required
def add_cause(request: HttpRequest, pk: int) -> HttpResponse:
    capa = _capa(request, pk)
    return _done(
        request,
        capa,
        CauseForm(request.POST),
        lambda **d: services.add_cause(capa, actor=signed_in_user(request), **d),
    )


@require_POST
@login_required
def mark_root_cause(request: HttpRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    capa = _capa(request, pk)
    items = {"why": capa.whys, "cause": capa.causes}.get(kind)
    item = items.filter(pk=item_pk).first() if items is not None else None
    if item is None:
        raise NotFound("No such why or cause on this CAPA.")
    try:
        services.mark_root_cause(
            item, actor=signed_in_user(request), verified=not item.is_root_cause
        )
    except QualitasError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
    return redirect(detail_url(capa))


@login_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    from qualitas.capa import queries

    user = signed_in_user(request)
    policy.require_see_metrics(user)
    context = {
        "title": "CAPA metrics",
        "m": queries.metrics(user),
        "root_causes": services.root_cause_statistics(user),
    }
    return render(request, "capa/metrics.html", context)
