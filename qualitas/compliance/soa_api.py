"""Statement of Applicability endpoints beyond the generic record API (list, read,
approve and withdraw through /transitions, history, signatures): prepare the next revision
from an ISO 27001 scope, refresh a draft from the register, read its controls. Mounted at
/api/v1/statements-of-applicability.
No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qualitas.compliance import soa as soas
from qualitas.compliance.models import Scope
from qualitas.core import records
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["statements of applicability"])


class PrepareIn(Schema):
    scope: int = Field(..., description="Id of an ISO/IEC 27001:2022 scope")
    change_request_number: str = Field(
        "", max_length=40, description="The change request the revision is made under (optional)"
    )


class RefreshIn(Schema):
    version: int | None = Field(None, description="The draft's version you read")


class SoaOut(Schema):
    id: int
    number: str
    revision: int
    state: str
    scope: int
    supersedes: str | None
    taken_at: datetime | None
    approved_at: datetime | None
    controls: int
    applicable: int
    unjustified: list[str] = Field(..., description="Controls without a justification")


class EvidenceOut(Schema):
    kind: str
    reference: str
    label: str
    current: bool
    why: str


class ControlOut(Schema):
    ref_id: str
    title: str
    theme: str
    applicable: bool
    justification: str
    implementation: str
    owner: str
    evidence: list[EvidenceOut]


def _out(soa: Any) -> dict[str, Any]:
    from qualitas.compliance.soa_workflows import unjustified

    included, excluded = unjustified(soa.snapshot)
    return {
        "id": soa.pk,
        "number": soa.number,
        "revision": soa.revision,
        "state": soa.state,
        "scope": soa.scope_id,
        "supersedes": soa.supersedes.number if soa.supersedes_id else None,
        "taken_at": soa.taken_at,
        "approved_at": soa.approved_at,
        "controls": len(soa.snapshot),
        "applicable": sum(1 for row in soa.snapshot if row["applicable"]),
        "unjustified": included + excluded,
    }


def _soa(request: HttpRequest, record_id: int) -> Any:
    record_type = records.RECORD_TYPES[soas.RECORD_TYPE_KEY]
    return records.get_visible(actor_of(request), record_type, record_id)


@router.post(
    "/prepare",
    response={201: SoaOut, **ERRORS},
    operation_id="soa_prepare",
    summary="Prepare a scope's next SoA revision as a draft taken from the register",
)
def prepare(request: HttpRequest, payload: PrepareIn) -> Any:
    scope = get_or_404(Scope.objects.select_related("framework", "site"), pk=payload.scope)
    soa = soas.prepare_soa(
        scope, actor=actor_of(request), change_request_number=payload.change_request_number
    )
    return Status(201, _out(soa))


@router.post(
    "/{record_id}/refresh",
    response={200: SoaOut, **ERRORS},
    operation_id="soa_refresh",
    summary="Take a draft's controls from the register again",
)
def refresh(request: HttpRequest, record_id: int, payload: RefreshIn) -> Any:
    soa = soas.refresh(
        _soa(request, record_id), actor=actor_of(request), expected_version=payload.version
    )
    return _out(soa)


@router.get(
    "/{record_id}/controls",
    response={200: list[ControlOut], **ERRORS},
    operation_id="soa_controls",
    summary="The statement's Annex A controls as taken (as approved, once approved)",
)
def controls(request: HttpRequest, record_id: int) -> Any:
    return _soa(request, record_id).snapshot
