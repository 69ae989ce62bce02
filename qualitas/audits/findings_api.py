"""Finding endpoints on an audit: record one (a major or minor nonconformity raises its
nonconformance and CAPA with it) and list them. Mounted at /api/v1/audits; a finding's own
detail, edit and steps (verify, close, cancel) are the generic /api/v1/audit-findings.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qualitas.audits import findings, services
from qualitas.audits.models import Audit, Finding, Grade
from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["Audits"])


class FindingIn(Schema):
    grade: Grade = Field(..., description="major_nc, minor_nc, observation or ofi")
    statement: str = Field(
        ..., max_length=20000, description="What does not meet which requirement"
    )
    title: str = Field("", max_length=200, description="Default: grade, clause and statement")
    requirement_id: int | None = Field(None, description="Id of the requirement not met")
    checklist_item: int | None = Field(None, description="Id of the checklist question it answers")
    objective_evidence: str = Field("", max_length=20000)
    owner: int | None = Field(
        None, description="Default: the auditee contact, else the audit's owner"
    )


class FindingOut(Schema):
    id: int
    number: str
    title: str
    state: str
    version: int
    audit_id: int
    grade: str
    requirement_id: int | None
    requirement: str | None = Field(
        ..., description="framework key and clause, e.g. iso-9001-2015 8.5.1"
    )
    checklist_item_id: int | None
    statement: str
    objective_evidence: str
    response: str
    owner_id: int
    due_on: date | None
    nonconformance_id: int | None
    nonconformance_number: str
    capa_id: int | None
    capa_number: str
    verified_at: datetime | None


def _audit(request: HttpRequest, audit_id: int) -> Audit:
    found: Audit = records.get_visible(actor_of(request), services.record_type(), audit_id)
    return found


def _out(finding: Finding) -> dict[str, Any]:
    requirement = finding.requirement
    return {
        **{
            name: getattr(finding, name)
            for name in FindingOut.model_fields
            if hasattr(finding, name)
        },
        "requirement": f"{requirement.framework.key} {requirement.ref_id}" if requirement else None,
    }


@router.post(
    "/{audit_id}/findings",
    response={201: FindingOut, **ERRORS},
    summary="Record a finding of the audit in fieldwork (an NC finding raises its NC and CAPA)",
)
def record_finding(request: HttpRequest, audit_id: int, payload: FindingIn) -> Any:
    audit_ = _audit(request, audit_id)
    owner = None
    if payload.owner is not None:
        owner = User.objects.filter(pk=payload.owner, is_active=True).first()
        if owner is None:
            raise InvalidInput.for_field("owner", f"No active person with id {payload.owner}.")
    finding = findings.record_finding(
        audit_,
        actor=actor_of(request),
        grade=payload.grade.value if isinstance(payload.grade, Grade) else str(payload.grade),
        statement=payload.statement,
        title=payload.title,
        requirement_id=payload.requirement_id,
        checklist_item=payload.checklist_item,
        objective_evidence=payload.objective_evidence,
        owner=owner,
    )
    found = Finding.objects.select_related("requirement__framework").get(pk=finding.pk)
    return Status(201, _out(found))


@router.get(
    "/{audit_id}/findings",
    response={200: list[FindingOut], **ERRORS},
    summary="The audit's findings, in the order recorded",
)
def list_findings(request: HttpRequest, audit_id: int) -> Any:
    audit_ = _audit(request, audit_id)
    visible = records.visible_to(actor_of(request), findings.record_type())
    rows = visible.filter(audit=audit_).select_related("requirement__framework").order_by("id")
    return [_out(f) for f in rows]
