"""Statement of Applicability pages: the snapshot as a table (/compliance/soa/<pk>/, with
?export=xlsx|pdf), preparing the next revision from a 27001 scope's coverage page and
refreshing a draft from the register. Approval and withdrawal are steps on the record's own
page (the core's signing form); this page links there."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.compliance import soa as soas
from qualitas.compliance.models import Scope
from qualitas.compliance.soa_models import StatementOfApplicability
from qualitas.compliance.soa_workflows import State, unjustified
from qualitas.core import exports, pdf, records
from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user


def _soa(request: HttpRequest, pk: int) -> StatementOfApplicability:
    record_type = records.RECORD_TYPES[soas.RECORD_TYPE_KEY]
    found: StatementOfApplicability = records.get_visible(
        signed_in_user(request),
        record_type,
        pk,
        related=("scope__framework", "scope__site", "supersedes"),
        signatures=True,
    )
    return found


def _context(soa: StatementOfApplicability, user: Any) -> dict[str, Any]:
    included, excluded = unjustified(soa.snapshot)
    rows = [
        {**row, "implementation_label": soas.IMPLEMENTATION_LABELS.get(row["implementation"], "")}
        for row in soa.snapshot
    ]
    return {
        "title": f"{soa.number} Statement of Applicability",
        "soa": soa,
        "rows": rows,
        "header": soas.header(soa),
        "applicable": sum(1 for row in soa.snapshot if row["applicable"]),
        "unjustified": included + excluded,
        "may_refresh": soa.state == State.DRAFT and records.may_edit(user, soa),
        "record_url": reverse("core:record_detail", args=(records.type_of(soa).resource, soa.pk)),
    }


@login_required
def soa_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The SoA's controls as approved (or as drafted); ?export=xlsx|pdf the auditors' sheet."""
    user = signed_in_user(request)
    soa = _soa(request, pk)
    wanted = request.GET.get("export", "")
    name = f"{soa.number}-rev{soa.revision}"
    if wanted == "xlsx":
        return exports.xlsx_response(
            name, soas.export_rows(soa), title="Statement of Applicability"
        )
    context = _context(soa, user)
    if wanted == "pdf":
        document = pdf.pdf("compliance/soa_pdf.html", context, printed_by=user.printed_name)
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(name, "pdf")}"'
        return response
    if wanted:
        raise InvalidInput.for_field("export", "Ask for xlsx or pdf.")
    return render(request, "compliance/soa.html", context)


@require_POST
@login_required
def prepare(request: HttpRequest, pk: int) -> HttpResponse:
    """Prepare the scope's next revision from the register (optionally under a change)."""
    user = signed_in_user(request)
    scope: Scope = get_or_404(Scope.objects.select_related("framework", "site"), pk=pk)
    try:
        soa = soas.prepare_soa(
            scope,
            actor=user,
            change_request_number=request.POST.get("change_request_number", "").strip(),
        )
    except QualitasError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(reverse("compliance:coverage", args=[scope.pk]))
    messages.success(request, f"{soa.number} (revision {soa.revision}) prepared as a draft.")
    return HttpResponseRedirect(reverse("compliance:soa", args=[soa.pk]))


@require_POST
@login_required
def refresh(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    soa = _soa(request, pk)
    version = request.POST.get("version", "")
    try:
        soas.refresh(soa, actor=user, expected_version=int(version) if version.isdigit() else None)
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{soa.number} refreshed from the register.")
    return HttpResponseRedirect(reverse("compliance:soa", args=[soa.pk]))


def panel(soa: StatementOfApplicability, request: HttpRequest) -> str:
    """On the record's page: what the statement says, in brief, and where to read it."""
    included, excluded = unjustified(soa.snapshot)
    return render_to_string(
        "compliance/soa_panel.html",
        {
            "soa": soa,
            "controls": len(soa.snapshot),
            "applicable": sum(1 for row in soa.snapshot if row["applicable"]),
            "unjustified": len(included) + len(excluded),
        },
        request=request,
    )
