"""GET /api/v1/inspection-lots/{id}/certificate: the certificate of conformance as PDF.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from qualitas.core import records
from qualitas.core.models import User
from qualitas.core.schemas import ErrorOut
from qualitas.inspection import certificate

router = Router(tags=["inspection-lots"])
PDF = {"type": "string", "format": "binary"}
ERRORS: dict[int, Any] = dict.fromkeys((401, 403, 404, 409, 422, 503), ErrorOut)


@router.get(
    "/{lot_id}/certificate",
    response={200: None, **ERRORS},
    summary="The certificate of conformance of an accepted final or outgoing lot (PDF)",
    openapi_extra={
        "responses": {
            200: {
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
            }
        }
    },
)
def lot_certificate(request: HttpRequest, lot_id: int) -> Any:
    actor: User = request.user  # type: ignore[assignment]
    lot = records.get_visible(actor, records.RECORD_TYPES["inspectionlot"], lot_id)
    return certificate.pdf_response(lot, viewer=actor)
