"""Compliance pages (/compliance/…): the frameworks, one framework's requirements as the tree
the standard numbers (with guidance and correspondences), every requirement as a list with
CSV/XLSX export, and the import of an organisation's own framework file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from qualitas.compliance import queries, services
from qualitas.compliance.lists import (
    FrameworkFilterSet,
    FrameworkTable,
    RequirementFilterSet,
    RequirementTable,
)
from qualitas.compliance.models import Framework, Requirement
from qualitas.core import permissions
from qualitas.core.errors import InvalidInput
from qualitas.core.forms import put_errors, style_fields
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView

# The largest framework file taken from a form (the loader refuses larger ones too).
MAX_UPLOAD = 2 * 1024 * 1024


class FrameworkListView(ObjectListView):
    permission = services.VIEW
    table_class = FrameworkTable
    filterset_class = FrameworkFilterSet
    title = "Frameworks"
    export_name = "frameworks"
    create_url_name = "compliance:import"
    create_permission = services.MANAGE

    def get_queryset(self) -> QuerySet[Framework]:
        return Framework.objects.annotate(
            in_force=Count("requirements", filter=Q(requirements__retired=False))
        )


class RequirementListView(ObjectListView):
    permission = services.VIEW
    table_class = RequirementTable
    filterset_class = RequirementFilterSet
    title = "Requirements"
    export_name = "requirements"

    def get_queryset(self) -> QuerySet[Requirement]:
        return Requirement.objects.select_related("framework")


@login_required
def framework_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, services.VIEW)
    framework = get_or_404(Framework.objects.select_related("loaded_by"), key=key)
    show_retired = request.GET.get("retired") == "1"
    rows = queries.tree(framework, retired=show_retired)
    mapped = queries.mappings_by_requirement(framework)
    for row in rows:
        row.mapped = mapped.get(row.pk, [])  # type: ignore[attr-defined]
    context = {
        "title": framework.name,
        "framework": framework,
        "rows": rows,
        "counts": queries.counts(framework),
        "show_retired": show_retired,
        "requirements_url": f"{reverse('compliance:requirements')}?framework={framework.pk}",
    }
    return render(request, "compliance/framework_detail.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Framework file (YAML)",
        help_text="In the format of the frameworks shipped with Qualitas (see the user guide). "
        "Loading a newer version of your framework keeps what points at its requirements.",
    )


@login_required
def import_framework(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, services.MANAGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_UPLOAD:
                    raise InvalidInput.for_field("file", "The file is larger than 2 MB.")
                loaded = services.import_framework(upload.read(), actor=user, filename=upload.name)
            except InvalidInput as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _summary(loaded))
                return HttpResponseRedirect(
                    reverse("compliance:framework", args=[loaded.framework.key])
                )
    style_fields(form)
    context: dict[str, Any] = {"title": "Import a framework", "form": form}
    return render(request, "compliance/import.html", context, status=status)


def _summary(loaded: services.Loaded) -> str:
    name = loaded.framework.name
    if loaded.unchanged:
        return f"{name}: this file is already loaded; nothing changed."
    return (
        f"{name} {loaded.framework.version} loaded: {len(loaded.created)} requirements added, "
        f"{len(loaded.changed)} changed, {len(loaded.retired)} retired."
    )
