"""Report downloads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from qualitas.core import records
from qualitas.core.views import signed_in_user
from qualitas.reports import render
from qualitas.reports.builders import eight_d


@login_required
def capa_8d(request: HttpRequest, pk: int) -> HttpResponse:
    """The CAPA as an 8D report (D0-D8), with its Ishikawa diagram."""
    actor = signed_in_user(request)
    capa = records.get_visible(actor, records.RECORD_TYPES["capa"], pk)
    report = eight_d.build(capa, viewer=actor)
    context = {"r": report, "fishbone": report.fishbone_svg}
    pdf = render.pdf("reports/eight_d.html", context, printed_by=actor.printed_name)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{capa.number}-8D.pdf"'
    return response
