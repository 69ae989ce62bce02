"""Finding pages beyond the generic record pages: the findings panel on an audit's page, the
panel on a finding's page (its audit, requirement, nonconformance and CAPA, and what
verification waits for), and the form that records a finding, from the audit or from one
of its checklist questions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from qualitas.audits import findings, readiness, services, workflows as w
from qualitas.audits.models import Answer, Audit, ChecklistItem, Finding, Grade
from qualitas.core import records
from qualitas.core.errors import QualitasError
from qualitas.core.forms import StyledForm, put_errors
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url

# A checklist answer that is itself a finding's grade, so the form starts from it.
GRADE_OF_ANSWER = {
    Answer.MAJOR_NC: Grade.MAJOR_NC,
    Answer.MINOR_NC: Grade.MINOR_NC,
    Answer.OBSERVATION: Grade.OBSERVATION,
    Answer.OFI: Grade.OFI,
}

NC_URL = "/nonconformances/{}/"
CAPA_URL = "/capas/{}/"


def _requirements(ids: Sequence[int | None]) -> dict[int, Any]:
    from qualitas.compliance import queries as compliance

    return compliance.requirements_by_id([i for i in ids if i is not None])


def _capa_states(ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each CAPA's state label and effectiveness result, read through its record type."""
    if not ids:
        return {}
    capa_type = records.RECORD_TYPES[readiness.CAPA]
    rows = capa_type.model.objects.filter(pk__in=ids).values("pk", "state", "effectiveness_result")
    return {
        row["pk"]: (capa_type.workflow.label_of(row["state"]), row["effectiveness_result"])
        for row in rows
    }


def _nc_states(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    nc_type = records.RECORD_TYPES["nonconformance"]
    rows = nc_type.model.objects.filter(pk__in=ids).values_list("pk", "state")
    return {pk: nc_type.workflow.label_of(state) for pk, state in rows}


def audit_panel(audit_: Audit, request: HttpRequest) -> str:
    """The audit's findings, and the way to record one during fieldwork for its auditors.
    Called as a record type's `detail_panel` is: (record, request)."""
    viewer = signed_in_user(request)
    rows = list(audit_.findings.select_related("requirement__framework").order_by("number"))
    capas = _capa_states([f.capa_id for f in rows if f.capa_id])
    context = {
        "audit": audit_,
        "rows": [
            {
                "finding": f,
                "url": findings.url_of(f),
                "nc_url": NC_URL.format(f.nonconformance_id) if f.nonconformance_id else "",
                "capa_url": CAPA_URL.format(f.capa_id) if f.capa_id else "",
                "capa_state": capas.get(f.capa_id, ("", ""))[0] if f.capa_id else "",
            }
            for f in rows
        ],
        "may_record": findings.may_record(viewer, audit_),
        "new_url": reverse("audits:finding_new", args=[audit_.pk]),
    }
    return render_to_string("audits/finding_audit_panel.html", context, request=request)


def panel(finding: Finding, request: HttpRequest) -> str:
    """On a finding's page: its audit, requirement, nonconformance and CAPA with their
    states, and what its verification or closure waits for."""
    viewer = signed_in_user(request)
    requirement = _requirements([finding.requirement_id]).get(finding.requirement_id or 0)
    capa_state, effectiveness = _capa_states([finding.capa_id] if finding.capa_id else []).get(
        finding.capa_id or 0, ("", "")
    )
    nc_state = _nc_states([finding.nonconformance_id] if finding.nonconformance_id else []).get(
        finding.nonconformance_id or 0, ""
    )
    waits_for = ""
    if finding.state == w.FindingState.ACTION:
        waits_for = readiness.corrective_action_effective(finding) or (
            f"{finding.capa_number} is closed and effective: a verifier other than the "
            "finding's owner may verify and close it (signed)."
        )
    elif finding.state == w.FindingState.OPEN:
        waits_for = "The auditee's response: the finding is closed with it."
    audit_ = finding.audit
    context = {
        "finding": finding,
        "audit": audit_,
        "audit_url": services.url_of(audit_),
        "requirement": requirement,
        "nc_url": NC_URL.format(finding.nonconformance_id) if finding.nonconformance_id else "",
        "nc_state": nc_state,
        "capa_url": CAPA_URL.format(finding.capa_id) if finding.capa_id else "",
        "capa_state": capa_state,
        "effectiveness": effectiveness,
        "waits_for": waits_for,
        "is_owner": finding.owner.pk == viewer.pk,
    }
    return render_to_string("audits/finding_panel.html", context, request=request)


class FindingForm(StyledForm):
    grade = forms.ChoiceField(choices=Grade.choices)
    requirement_id = forms.TypedChoiceField(
        label="Requirement",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="The clause or control not met (the audit's criteria).",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What does not meet which requirement.",
    )
    objective_evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What was seen, read or heard that shows it: records, samples, interviews.",
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Left empty: the grade, clause and statement."
    )
    checklist_item = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, requirements: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["requirement_id"]
        field.choices = [("", "—"), *requirements]  # type: ignore[attr-defined]


def _requirement_choices(audit_: Audit, item: ChecklistItem | None) -> list[tuple[int, str]]:
    ids = list(audit_.criterion_rows.values_list("requirement_id", flat=True))
    if item is not None and item.requirement_id and item.requirement_id not in ids:
        ids.append(item.requirement_id)
    found = _requirements(ids)
    return [
        (pk, f"{found[pk].framework.key} {found[pk].ref_id} {found[pk].title}")
        for pk in ids
        if pk in found
    ]


@login_required
def new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a finding of the audit; from a checklist question (?item=) the requirement and
    the grade start from its answer."""
    actor = signed_in_user(request)
    audit_: Audit = records.get_visible(actor, services.record_type(), pk)
    findings.require_record(actor, audit_)
    given = request.POST.get("checklist_item") or request.GET.get("item") or ""
    item = audit_.checklist.filter(pk=given).first() if given.isdigit() else None
    initial: dict[str, Any] = {}
    if item is not None:
        initial = {
            "checklist_item": item.pk,
            "requirement_id": item.requirement_id,
            "grade": GRADE_OF_ANSWER.get(item.answer, ""),
            "statement": item.notes,
        }
    form = FindingForm(
        request.POST or None, initial=initial, requirements=_requirement_choices(audit_, item)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            finding = findings.record_finding(
                audit_,
                actor=actor,
                grade=data["grade"],
                statement=data["statement"],
                title=data["title"],
                requirement_id=data["requirement_id"],
                checklist_item=item,
                objective_evidence=data["objective_evidence"],
            )
        except QualitasError as exc:
            put_errors(form, exc)
        else:
            raised = (
                f"; {finding.nonconformance_number} and {finding.capa_number} raised"
                if finding.capa_number
                else ""
            )
            messages.success(request, f"{finding.number} recorded{raised}.")
            return redirect(detail_url(finding))
    context = {
        "form": form,
        "audit": audit_,
        "item": item,
        "title": f"Record a finding of {audit_.number}",
        "cancel_url": services.url_of(audit_),
        "submit_label": "Record the finding",
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "audits/finding_form.html", context, status=status)
