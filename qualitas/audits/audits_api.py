"""Audit endpoints beyond the generic record API (list, read, create, update, transitions,
history, signatures): the plan (criteria, auditee departments, team with each auditor's
qualification and independence), the quality manager's signed independence exception, the
report's distribution and its PDF. Mounted at /api/v1/audits.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from qualitas.audits import readiness, report, services, workflows as w
from qualitas.audits.models import Audit, TeamRole
from qualitas.core import exports, permissions, records, signatures
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["Audits"])


def _audit(request: HttpRequest, audit_id: int) -> Audit:
    found: Audit = records.get_visible(
        actor_of(request), services.record_type(), audit_id, related=("lead_auditor", "site")
    )
    return found


class CriteriaIn(Schema):
    version: int | None = Field(None, description="The audit's version you read")
    requirement_ids: list[int] | None = Field(
        None, description="Ids of compliance requirements (replacing the audit's criteria)"
    )
    framework: str | None = Field(None, description="A framework's key, with ref_ids")
    ref_ids: list[str] | None = Field(
        None, description='Clauses or controls of that framework, e.g. ["8.5.1", "8.7"]'
    )


class MemberIn(Schema):
    person_id: int
    role: str = Field(
        TeamRole.AUDITOR.value, description="auditor, technical_expert, trainee or observer"
    )


class TeamIn(Schema):
    version: int | None = None
    members: list[MemberIn] = Field(..., description="The team besides the lead auditor")


class DepartmentsIn(Schema):
    version: int | None = None
    department_ids: list[int]


class OverrideIn(Schema):
    version: int | None = None
    justification: str = Field(..., max_length=4000)
    password: str = Field("", description="Your password: the exception is signed")
    otp_code: str | None = Field(None, description="Your authenticator code, if you use MFA")


class DistributionIn(Schema):
    version: int | None = None
    person_ids: list[int] = Field(..., description="People who receive the report")
    external: str | None = Field(
        None, max_length=4000, description="Recipients outside, one per line (unchanged if null)"
    )


class CriterionOut(Schema):
    requirement_id: int
    framework: str
    ref_id: str
    title: str


class DepartmentOut(Schema):
    id: int
    code: str
    name: str


class AuditorOut(Schema):
    person_id: int
    name: str
    role: str = Field(..., description="lead_auditor, or the member's team role")
    role_label: str
    department: str | None
    judges: bool = Field(..., description="Judges conformity (auditors and trainees)")
    qualified: bool
    own_department: bool = Field(..., description="Would audit their own department")


class OverrideOut(Schema):
    signer: str
    signed_at: datetime
    meaning: str
    justification: str


class PlanOut(Schema):
    id: int
    number: str
    version: int
    state: str
    criteria: list[CriterionOut]
    auditee_departments: list[DepartmentOut]
    team: list[AuditorOut] = Field(..., description="The lead auditor first, then the members")
    independence: str | None = Field(..., description="Why the team is not independent, if so")
    independence_override: OverrideOut | None
    distribution: list[int]
    distribution_external: str


def _plan(audit: Audit) -> dict[str, Any]:
    audit = Audit.objects.select_related("lead_auditor__department", "site").get(pk=audit.pk)
    audited = readiness.audited_departments(audit)
    roles = dict(TeamRole.choices)
    people: list[tuple[User, str, bool]] = []
    ours = readiness.led_by_us(audit.audit_type)  # else the other party's auditors
    if audit.lead_auditor is not None:
        people.append((audit.lead_auditor, "lead_auditor", ours))
    for member in audit.team.filter(removed_at__isnull=True).select_related("person__department"):
        judges = ours and member.role in readiness.AUDITING_ROLES
        people.append((member.person, member.role, judges))
    not_qualified = set(readiness.unqualified(audit.site, [p for p, _, j in people if j]))
    override = (
        report.signature_of(audit, "override_independence")
        if audit.independence_signature_id
        else None
    )
    return {
        "id": audit.pk,
        "number": audit.number,
        "version": audit.version,
        "state": audit.state,
        "criteria": [
            {
                "requirement_id": c.pk,
                "framework": group.key,
                "ref_id": c.ref_id,
                "title": c.title,
            }
            for group in report.criteria_by_framework(audit)
            for c in group.criteria
        ],
        "auditee_departments": [
            {"id": d.pk, "code": d.code, "name": d.name}
            for d in audit.auditee_departments.order_by("name")
        ],
        "team": [
            {
                "person_id": person.pk,
                "name": person.printed_name,
                "role": role,
                "role_label": roles.get(role, "Lead auditor"),
                "department": str(person.department) if person.department_id else None,
                "judges": judges,
                "qualified": not judges or person.printed_name not in not_qualified,
                "own_department": judges and person.department_id in audited,
            }
            for person, role, judges in people
        ],
        "independence": readiness.team_independent(audit),
        "independence_override": {
            "signer": override.printed_name,
            "signed_at": override.signed_at,
            "meaning": override.meaning,
            "justification": audit.independence_justification,
        }
        if override is not None
        else None,
        "distribution": sorted(audit.distribution.values_list("pk", flat=True)),
        "distribution_external": audit.distribution_external,
    }


def _people(ids: list[int], field: str) -> list[User]:
    found = {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("department")}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise InvalidInput.for_field(field, f"No such person: {', '.join(missing)}.")
    return [found[i] for i in dict.fromkeys(ids)]


@router.get(
    "/{audit_id}/plan",
    response={200: PlanOut, **ERRORS},
    operation_id="audit_plan",
    summary="The audit's criteria, auditee departments, team and distribution",
)
def get_plan(request: HttpRequest, audit_id: int) -> Any:
    return _plan(_audit(request, audit_id))


@router.put(
    "/{audit_id}/criteria",
    response={200: PlanOut, **ERRORS},
    operation_id="audit_set_criteria",
    summary="Set the criteria: requirement ids, or a framework and its clauses' ref ids",
)
def put_criteria(request: HttpRequest, audit_id: int, payload: CriteriaIn) -> Any:
    audit = _audit(request, audit_id)
    if payload.requirement_ids is not None and (payload.framework or payload.ref_ids):
        raise InvalidInput.for_field(
            "requirement_ids", "Give requirement ids, or a framework and ref ids: not both."
        )
    if payload.requirement_ids is not None:
        ids = payload.requirement_ids
    elif payload.framework is not None or payload.ref_ids is not None:
        ids = services.resolve_criteria(payload.framework or "", payload.ref_ids or [])
    else:
        raise InvalidInput.for_field(
            "requirement_ids", "Give requirement ids, or a framework and ref ids."
        )
    changed = services.set_criteria(
        audit, actor=actor_of(request), requirement_ids=ids, expected_version=payload.version
    )
    return _plan(changed)


@router.put(
    "/{audit_id}/team",
    response={200: PlanOut, **ERRORS},
    operation_id="audit_set_team",
    summary="Set the team besides the lead auditor (qualified and independent auditors only)",
)
def put_team(request: HttpRequest, audit_id: int, payload: TeamIn) -> Any:
    audit = _audit(request, audit_id)
    found = {p.pk: p for p in _people([m.person_id for m in payload.members], "members")}
    members = [services.MemberInput(found[m.person_id], m.role) for m in payload.members]
    changed = services.set_team(
        audit, actor=actor_of(request), members=members, expected_version=payload.version
    )
    return _plan(changed)


@router.put(
    "/{audit_id}/auditee-departments",
    response={200: PlanOut, **ERRORS},
    operation_id="audit_set_auditee_departments",
    summary="Set the departments audited",
)
def put_departments(request: HttpRequest, audit_id: int, payload: DepartmentsIn) -> Any:
    changed = services.set_auditee_departments(
        _audit(request, audit_id),
        actor=actor_of(request),
        department_ids=payload.department_ids,
        expected_version=payload.version,
    )
    return _plan(changed)


@router.post(
    "/{audit_id}/independence-override",
    response={200: PlanOut, **ERRORS},
    operation_id="audit_override_independence",
    summary="A quality manager signs the exception: auditors may audit their own department",
)
def override(request: HttpRequest, audit_id: int, payload: OverrideIn) -> Any:
    audit = _audit(request, audit_id)
    actor = actor_of(request)
    if not permissions.has_perm(actor, w.OVERRIDE_INDEPENDENCE, site=audit.site):
        # Refused before the password is checked: it could not help.
        raise PermissionDenied(
            "Only a quality manager may allow an auditor to audit their own department."
        )
    token = signatures.authenticate_from(request, actor, payload, subject=audit)
    changed = services.override_independence(
        audit,
        actor=actor,
        justification=payload.justification,
        token=token,
        expected_version=payload.version,
    )
    return _plan(changed)


@router.put(
    "/{audit_id}/distribution",
    response={200: PlanOut, **ERRORS},
    operation_id="audit_set_distribution",
    summary="Who receives the report: people, and recipients outside (until it is signed)",
)
def put_distribution(request: HttpRequest, audit_id: int, payload: DistributionIn) -> Any:
    audit = _audit(request, audit_id)
    changed = services.set_distribution(
        audit,
        actor=actor_of(request),
        people=_people(payload.person_ids, "person_ids"),
        external=payload.external,
        expected_version=payload.version,
    )
    return _plan(changed)


@router.get(
    "/{audit_id}/report.pdf",
    response={200: None, **ERRORS},
    operation_id="audit_report_pdf",
    summary="The audit report (ISO 19011 6.5.1) as a PDF, signed or marked as a draft",
)
def report_pdf(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = _audit(request, audit_id)
    document = report.render_pdf(audit, printed_by=actor_of(request).printed_name)
    response = HttpResponse(document, content_type="application/pdf")
    name = exports.filename(f"{audit.number}-report", "pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
