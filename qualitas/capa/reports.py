"""The CAPA's printed documents: the 8D report (declared in module.py, linked from the page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from qualitas.capa import eight_d
from qualitas.core import pdf, records
from qualitas.core.views import signed_in_user


@login_required
def capa_8d(request: HttpRequest, pk: int) -> HttpResponse:
    """The CAPA as an 8D report (D0-D8), with its Ishikawa diagram."""
    actor = signed_in_user(request)
    capa = records.get_visible(actor, records.RECORD_TYPES["capa"], pk)
    report = eight_d.build(capa, viewer=actor)
    context = {"r": report, "fishbone": report.fishbone_svg}
    document = pdf.pdf("capa/eight_d.html", context, printed_by=actor.printed_name)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{capa.number}-8D.pdf"'
    return response
