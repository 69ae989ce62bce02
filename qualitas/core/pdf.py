"""Print a report's data to PDF with WeasyPrint, from an HTML template."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from qualitas.core.errors import QualitasError


class PdfUnavailable(QualitasError):
    """The machine lacks the libraries WeasyPrint needs (Pango)."""

    status = 503


def pdf(template: str, context: dict[str, Any], *, printed_by: str) -> bytes:
    """The template rendered to PDF, with the print stamp every controlled output carries."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise PdfUnavailable(
            "PDF output needs the Pango library on the server (Debian: apt-get install "
            f"libpango-1.0-0 libpangoft2-1.0-0): {exc}"
        ) from None
    stamp = (
        f"Printed {timezone.now():%Y-%m-%d %H:%M} UTC by {printed_by}; uncontrolled when printed"
    )
    html = render_to_string(template, {**context, "print_stamp": stamp})
    return bytes(HTML(string=html).write_pdf())
