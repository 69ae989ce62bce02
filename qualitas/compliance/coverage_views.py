"""Scopes, coverage and a requirement's evidence (/compliance/scopes/…, /compliance/
requirements/<pk>/): where each framework applies, how far each requirement is met there and
by what, with the forms that hand their input to the services. Coverage shows where an
organisation is weak (an ISO 27001 gap list is sensitive): it needs compliance.view_coverage
at the scope's site."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from qualitas.compliance import coverage as cov, queries, services, soa as soas
from qualitas.compliance.forms import (
    ApplicabilityForm,
    EvidenceForm,
    RemoveEvidenceForm,
    ScopeForm,
)
from qualitas.compliance.lists import ScopeTable
from qualitas.compliance.models import Applicability, Evidence, Requirement, Scope
from qualitas.core import exports, pdf, permissions
from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView, ServiceFormView


def visible_scopes(user: Any) -> QuerySet[Scope]:
    """Scopes at the sites where the user may see coverage (the whole organisation's only
    by those who may see it everywhere)."""
    found = Scope.objects.select_related("framework", "site")
    sites = permissions.sites_with_perm(user, services.VIEW_COVERAGE)
    if sites is None:
        return found
    return found.filter(site_id__in=sites)


def _scope(request: HttpRequest, pk: int) -> Scope:
    user = signed_in_user(request)
    scope: Scope = get_or_404(Scope.objects.select_related("framework", "site"), pk=pk)
    if scope.site is None:
        permissions.require_everywhere(user, services.VIEW_COVERAGE)
    else:
        permissions.require(user, services.VIEW_COVERAGE, site=scope.site)
    return scope


class ScopeListView(ObjectListView):
    permission = services.VIEW_COVERAGE
    table_class = ScopeTable
    title = "Scopes and certificates"
    export_name = "compliance-scopes"
    create_url_name = "compliance:scope_create"
    create_permission = services.MANAGE

    def get_queryset(self) -> QuerySet[Scope]:
        return visible_scopes(signed_in_user(self.request))


class ScopeCreateView(ServiceFormView):
    form_class = ScopeForm
    title = "Put a framework in scope"
    permission = services.MANAGE
    success_message = "Scope added."

    def perform(self, form: Any) -> Scope:
        data = dict(form.cleaned_data)
        return services.create_scope(
            actor=signed_in_user(self.request),
            framework=data.pop("framework"),
            site=data.pop("site"),
            **data,
        )

    def success_url(self, obj: Any) -> str:
        return reverse("compliance:coverage", args=[obj.pk])

    def cancel_url(self) -> str | None:
        return reverse("compliance:scopes")


HEADER = [
    "Reference",
    "Title",
    "Auditable",
    "Coverage",
    "Why",
    "Applicable",
    "Justification",
    "Implementation",
    "Owner",
    "Evidence",
]


def export_rows(result: cov.Coverage) -> list[list[object]]:
    rows: list[list[object]] = [list(HEADER)]
    for row in result.rows:
        said = row.applicability
        rows.append(
            [
                row.requirement.ref_id,
                row.requirement.title,
                "yes" if row.requirement.auditable else "no",
                row.label,
                row.reason,
                "no" if said is not None and not said.applicable else "yes",
                said.justification if said else "",
                said.get_implementation_display() if said else "",
                said.owner.printed_name if said and said.owner else "",
                "; ".join(f"{e.reference or e.label} ({e.why})" for e in row.evidence),
            ]
        )
    return rows


@login_required
def coverage_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A scope's coverage: the counts, the map of every requirement by clause, the gaps;
    ?export=csv|xlsx every requirement, ?export=pdf the report."""
    user = signed_in_user(request)
    scope = _scope(request, pk)
    result = cov.coverage(scope)
    wanted = request.GET.get("export", "")
    name = f"coverage-{scope.framework.key}-{scope.site.code if scope.site else 'all'}"
    if wanted == "csv":
        return exports.csv_response(name, export_rows(result))
    if wanted == "xlsx":
        return exports.xlsx_response(name, export_rows(result), title="Coverage")
    context = {
        "title": f"Coverage: {scope}",
        "scope": scope,
        "result": result,
        "blocks": _blocks(result),
        "gaps": result.gaps(),
        "labels": cov.LABELS,
        "may_manage": services.may_manage(user, scope.site),
        # An ISO 27001 scope's Statement of Applicability: the approved one and any draft.
        "soa": soas.current_for(scope) if scope.framework.key == soas.FRAMEWORK_KEY else None,
    }
    if wanted == "pdf":
        document = pdf.pdf("compliance/coverage_pdf.html", context, printed_by=user.printed_name)
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    if wanted:
        raise InvalidInput.for_field("export", "Ask for csv, xlsx or pdf.")
    return render(request, "compliance/coverage.html", context)


def _blocks(result: cov.Coverage) -> list[dict[str, Any]]:
    """The map: one block per top-level clause, one cell per auditable requirement in it,
    each block as wide as it has requirements (a treemap in rows)."""
    blocks: list[dict[str, Any]] = []
    for row in result.rows:
        if row.requirement.depth == 0:
            blocks.append({"row": row, "cells": []})
        elif blocks and row.requirement.auditable:
            blocks[-1]["cells"].append(row)
    for block in blocks:
        if not block["cells"] and block["row"].requirement.auditable:
            block["cells"] = [block["row"]]
    # Thousands of squares for a large framework: written here in one pass (a template tag
    # per square costs more than the coverage itself).
    link = reverse("compliance:requirement", args=[0]).removesuffix("0/")
    for block in blocks:
        block["html"] = format_html_join(
            "",
            '<a class="coverage-cell coverage-{}" href="{}{}/" title="{} {} — {}" '
            'aria-label="{}: {}"></a>',
            (
                (
                    cell.state,
                    link,
                    cell.requirement.pk,
                    cell.requirement.ref_id,
                    cell.requirement.title,
                    cell.label,
                    cell.requirement.ref_id,
                    cell.label,
                )
                for cell in block["cells"]
            ),
        )
    return [b for b in blocks if b["cells"]]


@login_required
def requirement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A requirement: what it asks (our guidance), its correspondences, and per scope the
    user may see its applicability and evidence, judged as coverage judges it."""
    user = signed_in_user(request)
    permissions.require(user, services.VIEW)
    requirement = get_or_404(Requirement.objects.select_related("framework", "parent"), pk=pk)
    scopes = list(visible_scopes(user).filter(framework=requirement.framework))
    said = {
        a.scope_id: a
        for a in Applicability.objects.filter(
            requirement=requirement, scope__in=scopes
        ).select_related("owner")
    }
    managed = [s for s in scopes if services.may_manage(user, s.site)]
    per_scope = []
    for scope in scopes:
        shown = cov.evidence_for(scope, requirement_ids=[requirement.pk]).get(requirement.pk, [])
        per_scope.append(
            {
                "scope": scope,
                "said": said.get(scope.pk),
                "evidence": shown,
                "may_manage": scope in managed,
                "form": _applicability_form(said.get(scope.pk)),
            }
        )
    context = {
        "title": f"{requirement.framework.name} {requirement.ref_id}",
        "requirement": requirement,
        "mapped": queries.mappings_by_requirement(requirement.framework).get(requirement.pk, []),
        "per_scope": per_scope,
        "may_see_coverage": permissions.has_perm(user, services.VIEW_COVERAGE),
        "may_map": permissions.has_perm(user, services.MANAGE),
        "evidence_form": EvidenceForm(scopes=Scope.objects.filter(pk__in=[s.pk for s in managed]))
        if managed or services.may_manage(user, None)
        else None,
        "remove_form": RemoveEvidenceForm(),
    }
    return render(request, "compliance/requirement.html", context)


def _applicability_form(said: Applicability | None) -> ApplicabilityForm:
    if said is None:
        return ApplicabilityForm(initial={"applicable": "yes", "implementation": "not_started"})
    return ApplicabilityForm(
        initial={
            "applicable": "yes" if said.applicable else "no",
            "justification": said.justification,
            "implementation": said.implementation,
            "owner": said.owner_id,
        }
    )


def _back(requirement: Requirement) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("compliance:requirement", args=[requirement.pk]))


@require_POST
@login_required
def add_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    requirement = get_or_404(Requirement.objects.select_related("framework"), pk=pk)
    form = EvidenceForm(
        request.POST, scopes=visible_scopes(user).filter(framework=requirement.framework)
    )
    if form.is_valid():
        try:
            services.add_evidence(
                requirement,
                actor=user,
                kind=form.cleaned_data["kind"],
                scope=form.cleaned_data["scope"],
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
            )
        except QualitasError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Evidence added.")
    else:
        messages.error(
            request, "; ".join(str(e) for errors in form.errors.values() for e in errors)
        )
    return _back(requirement)


@require_POST
@login_required
def remove_evidence(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    requirement = get_or_404(Requirement.objects.all(), pk=pk)
    evidence = get_or_404(
        Evidence.objects.select_related("scope__site"), pk=evidence_pk, requirement=requirement
    )
    form = RemoveEvidenceForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput.for_field("reason", "Say why the evidence is withdrawn.")
        services.remove_evidence(evidence, actor=user, reason=form.cleaned_data["reason"])
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Evidence withdrawn.")
    return _back(requirement)


@require_POST
@login_required
def set_applicability(request: HttpRequest, pk: int, scope_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    requirement = get_or_404(Requirement.objects.select_related("framework"), pk=pk)
    scope = get_or_404(Scope.objects.select_related("framework", "site"), pk=scope_pk)
    form = ApplicabilityForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput.for_field("applicable", "Say whether it applies.")
        services.set_applicability(scope, requirement, actor=user, **form.cleaned_data)
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{requirement.ref_id} in {scope}: saved.")
    return _back(requirement)
