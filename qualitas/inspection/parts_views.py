"""Pages of the master data: the parts list (with its exports), a part with its revisions
and characteristics, and the forms that hand their input to qualitas.inspection.parts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.core import permissions
from qualitas.core.errors import QualitasError
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView
from qualitas.inspection import parts, workflows as w
from qualitas.inspection.formviews import MasterDataForm
from qualitas.inspection.models import Characteristic, Part, PartRevision
from qualitas.inspection.parts_forms import (
    CharacteristicEditForm,
    CharacteristicForm,
    PartEditForm,
    PartForm,
    RevisionForm,
)
from qualitas.inspection.parts_lists import PartFilterSet, PartTable


def _detail(part_id: int, revision: PartRevision | None = None) -> str:
    url = reverse("inspection:part_detail", args=[part_id])
    return f"{url}?revision={revision.pk}" if revision is not None else url


class PartListView(ObjectListView):
    permission = w.VIEW
    table_class = PartTable
    filterset_class = PartFilterSet
    title = "Parts"
    export_name = "parts"
    create_url_name = "inspection:part_create"
    create_permission = w.MANAGE_PARTS

    def get_queryset(self) -> QuerySet[Part]:
        return parts.parts_listed()


@login_required
def part_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A part, its revisions, and the characteristics of the current revision (or of the
    one asked for with ?revision=)."""
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    part = get_or_404(Part.objects.all(), pk=pk)
    revisions = list(part.revisions.select_related("drawing").order_by("pk"))
    shown = None
    asked = request.GET.get("revision", "")
    if asked.isdigit():
        shown = next((r for r in revisions if r.pk == int(asked)), None)
    if shown is None:
        shown = next((r for r in reversed(revisions) if r.is_current), None)
    characteristics = (
        list(shown.characteristics.order_by("number", "pk")) if shown is not None else []
    )
    context = {
        "title": str(part),
        "part": part,
        "revisions": revisions,
        "shown": shown,
        "characteristics": characteristics,
        "may_manage": permissions.has_perm(user, w.MANAGE_PARTS),
    }
    return render(request, "inspection/parts/detail.html", context)


class _PartsForm(MasterDataForm):
    """A form of the master data: only holders of manage_parts see or post it."""

    permission = w.MANAGE_PARTS
    list_url_name = "inspection:part_list"


class PartCreateView(_PartsForm):
    form_class = PartForm
    title = "New part"
    success_message = "Part created."

    def perform(self, form: forms.Form) -> Part:
        return parts.create_part(actor=signed_in_user(self.request), **form.cleaned_data)

    def success_url(self, saved: Part) -> str:
        return _detail(saved.pk)


class PartEditView(_PartsForm):
    form_class = PartEditForm
    success_message = "Part saved."

    def get_object(self) -> Part:
        return get_or_404(Part.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Edit {self.object}"

    def cancel_url(self) -> str:
        return _detail(self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        return {name: getattr(self.object, name) for name in parts.PART_FIELDS}

    def perform(self, form: forms.Form) -> Part:
        part: Part = self.object  # type: ignore[assignment]
        return parts.change_part(part, actor=signed_in_user(self.request), **form.cleaned_data)

    def success_url(self, saved: Part) -> str:
        return _detail(saved.pk)


class RevisionCreateView(_PartsForm):
    form_class = RevisionForm
    success_message = "Revision added."

    def get_object(self) -> Part:
        return get_or_404(Part.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"New revision of {self.object}"

    def cancel_url(self) -> str:
        return _detail(self.kwargs["pk"])

    def perform(self, form: forms.Form) -> PartRevision:
        part: Part = self.object  # type: ignore[assignment]
        return parts.add_revision(part, actor=signed_in_user(self.request), **form.cleaned_data)

    def success_url(self, saved: PartRevision) -> str:
        return _detail(saved.part_id, saved)


@require_POST
@login_required
def revision_make_current(request: HttpRequest, pk: int, part_revision_pk: int) -> HttpResponse:
    """Make a revision the one new plans are written for."""
    revision = get_or_404(PartRevision.objects.filter(part_id=pk), pk=part_revision_pk)
    try:
        parts.change_revision(revision, actor=signed_in_user(request), is_current=True)
    except QualitasError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Revision {revision.revision} is now current.")
    return redirect(_detail(pk, revision))


class CharacteristicCreateView(_PartsForm):
    form_class = CharacteristicForm
    success_message = "Characteristic added."

    def get_object(self) -> PartRevision:
        return get_or_404(PartRevision.objects.select_related("part"), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"New characteristic of {self.object}"

    def cancel_url(self) -> str:
        revision: PartRevision = self.object  # type: ignore[assignment]
        return _detail(revision.part_id, revision)

    def perform(self, form: forms.Form) -> Characteristic:
        revision: PartRevision = self.object  # type: ignore[assignment]
        return parts.add_characteristic(
            revision, actor=signed_in_user(self.request), **form.cleaned_data
        )

    def success_url(self, saved: Characteristic) -> str:
        return _detail(saved.revision.part_id, saved.revision)


class CharacteristicEditView(_PartsForm):
    form_class = CharacteristicEditForm
    success_message = "Characteristic saved."

    def get_object(self) -> Characteristic:
        related = Characteristic.objects.select_related("revision__part", "method")
        return get_or_404(related, pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        characteristic: Characteristic = self.object  # type: ignore[assignment]
        return f"Edit {characteristic} ({characteristic.revision})"

    def cancel_url(self) -> str:
        characteristic: Characteristic = self.object  # type: ignore[assignment]
        return _detail(characteristic.revision.part_id, characteristic.revision)

    def get_initial(self) -> dict[str, Any]:
        characteristic: Characteristic = self.object  # type: ignore[assignment]
        initial = {
            name: getattr(characteristic, name)
            for name in parts.CHARACTERISTIC_FIELDS
            if name != "method"
        }
        initial["method"] = characteristic.method.number if characteristic.method else ""
        return initial

    def perform(self, form: forms.Form) -> Characteristic:
        characteristic: Characteristic = self.object  # type: ignore[assignment]
        return parts.change_characteristic(
            characteristic, actor=signed_in_user(self.request), **form.cleaned_data
        )

    def success_url(self, saved: Characteristic) -> str:
        return _detail(saved.revision.part_id, saved.revision)
