"""A lot's measurements from a file (CSV or XLSX, a gauge's or CMM's export): checked row by
row, recorded as one batch, the refused rows listed by their line in the file."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from qualitas.core import records
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.forms import StyledForm
from qualitas.core.views import signed_in_user
from qualitas.core.views.records import detail_url
from qualitas.inspection import ingest, measurement_files, services, workflows as w
from qualitas.inspection.models import InspectionLot
from qualitas.studies import parsing


class UploadForm(StyledForm):
    file = forms.FileField(
        help_text="CSV (comma, semicolon or tab separated) or Excel, with a header row"
    )


def _lot(request: HttpRequest, pk: int) -> InspectionLot:
    found: InspectionLot = records.get_visible(signed_in_user(request), services.lot_type(), pk)
    return found


def upload_key(lot: InspectionLot, content: bytes) -> str:
    """The same file sent twice to the same lot (a double click, a reload) is one batch."""
    return f"upload-{lot.pk}-{hashlib.sha256(content).hexdigest()}"


@login_required
def lot_upload(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    actor = signed_in_user(request)
    records.require_for(actor, w.INSPECT, lot)
    if lot.state != w.LotState.OPEN:
        raise Conflict(
            f"{lot.number} is {lot.get_state_display()}: measurements are recorded only while "
            "the lot is open."
        )
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list[FieldError] = []
    detail = ""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            try:
                rows = measurement_files.rows_from_table(parsing.parse_upload(content, upload.name))
                recorded = ingest.record_batch(
                    lot,
                    actor=actor,
                    rows=rows,
                    key=upload_key(lot, content),
                    source=f"file {upload.name}"[:100],
                )
            except (InvalidInput, Conflict) as exc:
                errors, detail, status = exc.errors, exc.detail, exc.status
            else:
                batch = recorded.batch
                if recorded.created:
                    messages.success(
                        request,
                        f"{lot.number}: {batch.count} measurements recorded from {upload.name}.",
                    )
                else:
                    messages.info(
                        request,
                        f"{lot.number}: {upload.name} was already recorded "
                        f"({batch.count} measurements, {batch.created_at:%Y-%m-%d %H:%M} UTC); "
                        "nothing was added.",
                    )
                return redirect(detail_url(lot))
    context: dict[str, Any] = {
        "title": f"Upload measurements to {lot.number}",
        "lot": lot,
        "lot_url": detail_url(lot),
        "form": form,
        "detail": detail,
        # Row errors as a list by row; the file's own problems (a missing column) above it.
        "row_errors": [e for e in errors if e.field.startswith("row ")],
        "other_errors": [e for e in errors if not e.field.startswith("row ")],
        "checks": lot.checks.select_related("characteristic"),
    }
    return render(request, "inspection/upload.html", context, status=status)
