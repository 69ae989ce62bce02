"""The requirement page's correspondences made by the organisation: add one (framework-key:
ref_id of another framework's requirement, equivalent or related) and remove one it made."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.compliance import mappings
from qualitas.compliance.models import Requirement
from qualitas.core.errors import QualitasError
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user


@login_required
@require_POST
def add(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    requirement = get_or_404(Requirement.objects.select_related("framework"), pk=pk)
    here = reverse("compliance:requirement", args=[requirement.pk])
    try:
        made = mappings.add_mapping(
            actor=user,
            source=f"{requirement.framework.key}:{requirement.ref_id}",
            target=request.POST.get("target", ""),
            relation=request.POST.get("relation", "related"),
        )
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{made} recorded as corresponding.")
    return HttpResponseRedirect(here)


@login_required
@require_POST
def remove(request: HttpRequest, pk: int, mapping_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    requirement = get_or_404(Requirement.objects.all(), pk=pk)
    try:
        mapping = mappings.get_mapping(mapping_pk)
        mappings.remove_mapping(mapping, actor=user)
    except QualitasError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{mapping} removed.")
    return HttpResponseRedirect(reverse("compliance:requirement", args=[requirement.pk]))
