"""Frameworks and their requirements: /api/v1/frameworks (read by everyone holding
compliance.view; a framework file imported by holders of compliance.manage).

Requirements are addressed by the ids the standards write (`ref_id`: 8.5.6, A.5.15,
PR.AA-01), which may hold dots and brackets, so one requirement is read with
`?ref_id=` rather than a path segment.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from qualitas.compliance import coverage as cov, mappings, services
from qualitas.compliance.models import Evidence, Framework, Requirement, RequirementMapping, Scope
from qualitas.core import permissions
from qualitas.core.errors import InvalidInput, NotFound
from qualitas.core.models import Site, User
from qualitas.core.pagination import Mapped, PageNumber
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["compliance"])


def _may_see(request: HttpRequest) -> None:
    permissions.require(actor_of(request), services.VIEW)


class FrameworkOut(Schema):
    key: str = Field(..., description="e.g. iso-9001-2015, iso-27001-2022, nist-csf-2.0")
    name: str
    title: str
    version: str
    publisher: str
    kind: str = Field(..., description="standard, regulation, framework, customer or internal")
    shipped: bool = Field(..., description="Shipped with Qualitas (else the organisation's own)")
    requirements: int = Field(
        ..., alias="in_force", description="Requirements in force (retired ones left out)"
    )
    loaded_at: datetime
    file_sha256: str = Field(..., description="SHA-256 of the file last loaded")


class MappingOut(Schema):
    framework: str = Field(..., description="The other framework's key")
    ref_id: str
    title: str
    relation: str = Field(..., description="equivalent or related")


class RequirementOut(Schema):
    ref_id: str = Field(..., description="As the framework numbers it: 8.5.6, A.5.15, PR.AA-01")
    title: str
    guidance: str = Field(..., description="Our own words on what an auditor looks for")
    auditable: bool = Field(..., description="False: a heading that groups others")
    parent: str | None = Field(None, description="ref_id of the requirement it sits under")
    depth: int
    retired: bool = Field(..., description="Left out of a newer version of the framework")


class RequirementDetailOut(RequirementOut):
    framework: str
    mappings: list[MappingOut]


class RequirementFilters(Schema):
    q: str | None = Field(None, max_length=200, description="ref_id, title or guidance contains")
    auditable: bool | None = None
    retired: bool | None = Field(
        default=False, description="Retired requirements (default: left out)"
    )


class ImportOut(Schema):
    framework: FrameworkOut
    unchanged: bool = Field(..., description="The same file was already loaded")
    created: list[str]
    changed: list[str]
    retired: list[str]


def _frameworks() -> QuerySet[Framework]:
    return Framework.objects.annotate(
        in_force=Count("requirements", filter=Q(requirements__retired=False))
    ).order_by("name")


def _framework(key: str) -> Framework:
    found = _frameworks().filter(key=key).first()
    if found is None:
        raise NotFound(f"There is no framework '{key}'.")
    return found


def _requirement_out(requirement: Requirement, parents: dict[int, str]) -> dict[str, Any]:
    return {
        "ref_id": requirement.ref_id,
        "title": requirement.title,
        "guidance": requirement.guidance,
        "auditable": requirement.auditable,
        "parent": parents.get(requirement.parent_id or 0),
        "depth": requirement.depth,
        "retired": requirement.retired,
    }


@router.get("", response={200: list[FrameworkOut], **ERRORS}, summary="List frameworks")
@paginate(PageNumber)
def list_frameworks(request: HttpRequest) -> Any:
    _may_see(request)
    return _frameworks()


@router.post(
    "/import",
    response={201: ImportOut, 200: ImportOut, **ERRORS},
    summary="Import a framework file (YAML), or a newer version of one",
    description="The organisation's own framework in the shipped files' format. A malformed "
    "file is refused (422) naming the line and field; a framework shipped with Qualitas "
    "cannot be replaced. The same file twice changes nothing (200, unchanged).",
)
def import_framework(request: HttpRequest, file: File[UploadedFile]) -> Any:
    if file.size and file.size > 2 * 1024 * 1024:
        raise InvalidInput.for_field("file", "The file is larger than 2 MB.")
    loaded = services.import_framework(
        file.read(), actor=actor_of(request), filename=file.name or "<upload>"
    )
    out = {
        "framework": _framework(loaded.framework.key),
        "unchanged": loaded.unchanged,
        "created": loaded.created,
        "changed": loaded.changed,
        "retired": loaded.retired,
    }
    return Status(200 if loaded.unchanged else 201, out)


class CorrespondenceOut(Schema):
    id: int
    source: str = Field(..., description="framework-key:ref_id")
    target: str = Field(..., description="framework-key:ref_id")
    relation: str = Field(..., description="equivalent or related")
    shipped: bool = Field(..., description="Shipped with the frameworks (else made here)")


class CorrespondenceIn(Schema):
    source: str = Field(..., max_length=130, description="framework-key:ref_id")
    target: str = Field(..., max_length=130, description="framework-key:ref_id")
    relation: str = Field("related", max_length=12, description="equivalent or related")


class CorrespondenceFilters(Schema):
    framework: str | None = Field(None, max_length=60, description="Those touching it")
    shipped: bool | None = None


def _correspondence_out(m: RequirementMapping) -> dict[str, Any]:
    return {
        "id": m.pk,
        "source": f"{m.source.framework.key}:{m.source.ref_id}",
        "target": f"{m.target.framework.key}:{m.target.ref_id}",
        "relation": m.relation,
        "shipped": m.shipped,
    }


@router.get(
    "/mappings",
    response={200: list[CorrespondenceOut], **ERRORS},
    summary="Correspondences between frameworks' requirements",
)
@paginate(PageNumber)
def list_mappings(request: HttpRequest, filters: Query[CorrespondenceFilters]) -> Any:
    _may_see(request)
    found = mappings.listed(framework=filters.framework, shipped=filters.shipped)
    return Mapped(found, _correspondence_out)


@router.post(
    "/mappings",
    response={201: CorrespondenceOut, **ERRORS},
    summary="Say two requirements of different frameworks correspond",
    description="Made by the organisation (compliance.manage), e.g. a customer requirement "
    "onto an ISO 9001 clause. An unknown requirement, one of the same framework or a "
    "correspondence held already is refused (422) naming the field.",
)
def create_mapping(request: HttpRequest, payload: CorrespondenceIn) -> Any:
    made = mappings.add_mapping(
        actor=actor_of(request),
        source=payload.source,
        target=payload.target,
        relation=payload.relation,
    )
    return Status(201, _correspondence_out(mappings.get_mapping(made.pk)))


@router.delete(
    "/mappings/{mapping_id}",
    response={204: None, **ERRORS},
    summary="Remove a correspondence the organisation made (shipped ones: 409)",
)
def delete_mapping(request: HttpRequest, mapping_id: int) -> Any:
    mappings.remove_mapping(mappings.get_mapping(mapping_id), actor=actor_of(request))
    return Status(204, None)


@router.get("/{key}", response={200: FrameworkOut, **ERRORS}, summary="One framework")
def get_framework(request: HttpRequest, key: str) -> Any:
    _may_see(request)
    return _framework(key)


@router.get(
    "/{key}/requirements",
    response={200: list[RequirementOut], **ERRORS},
    summary="The framework's requirements, in the standard's order",
)
@paginate(PageNumber)
def list_requirements(request: HttpRequest, key: str, filters: Query[RequirementFilters]) -> Any:
    _may_see(request)
    framework = _framework(key)
    found = Requirement.objects.filter(framework=framework).order_by("order", "pk")
    if filters.q:
        text = filters.q
        found = found.filter(
            Q(ref_id__icontains=text) | Q(title__icontains=text) | Q(guidance__icontains=text)
        )
    if filters.auditable is not None:
        found = found.filter(auditable=filters.auditable)
    if filters.retired is not None:
        found = found.filter(retired=filters.retired)
    parents = dict(Requirement.objects.filter(framework=framework).values_list("pk", "ref_id"))
    # Each row names its parent by ref_id: one query for the framework's ids, one per page.
    return Mapped(found, lambda r: _requirement_out(r, parents))


@router.get(
    "/{key}/requirement",
    response={200: RequirementDetailOut, **ERRORS},
    summary="One requirement by its ref_id, with its correspondences in other frameworks",
)
def get_requirement(request: HttpRequest, key: str, ref_id: str) -> Any:
    _may_see(request)
    framework = _framework(key)
    requirement = Requirement.objects.filter(framework=framework, ref_id=ref_id).first()
    if requirement is None:
        raise InvalidInput.for_field("ref_id", f"{framework.name} has no requirement '{ref_id}'.")
    mappings = RequirementMapping.objects.filter(
        Q(source=requirement) | Q(target=requirement)
    ).select_related("source__framework", "target__framework")
    parent = requirement.parent.ref_id if requirement.parent_id else None
    out = _requirement_out(requirement, {requirement.parent_id or 0: parent} if parent else {})
    out["framework"] = framework.key
    out["mappings"] = [
        {
            "framework": other.framework.key,
            "ref_id": other.ref_id,
            "title": other.title,
            "relation": m.relation,
        }
        for m in mappings
        for other in [m.target if m.source_id == requirement.pk else m.source]
    ]
    return out


# ----------------------------------------------------------------- scopes, evidence, coverage


class ScopeOut(Schema):
    id: int
    framework: str = Field(..., alias="framework.key")
    site: int | None = Field(None, alias="site_id", description="null: the whole organisation")
    statement: str
    certified: bool
    certification_body: str
    certificate_number: str
    certified_until: date | None
    active: bool


class ScopeIn(Schema):
    site: int | None = Field(None, description="Site id; null: the whole organisation")
    statement: str = ""
    certified: bool = False
    certification_body: str = Field("", max_length=120)
    certificate_number: str = Field("", max_length=60)
    certified_until: date | None = None


class EvidenceOut(Schema):
    id: int | None = Field(None, description="null for a check (it declares its requirements)")
    kind: str = Field(..., description="document, record, justification or check")
    reference: str = Field(..., description="Document or record number, or check key")
    label: str
    current: bool = Field(..., description="Counts as evidence today")
    why: str
    url: str


class CoverageRowOut(Schema):
    ref_id: str
    title: str
    auditable: bool
    state: str = Field(..., description="covered, partly, not_covered or not_applicable")
    reason: str
    implementation: str | None
    owner: int | None
    evidence: list[EvidenceOut]


class CoverageOut(Schema):
    scope: ScopeOut
    covered_percent: float | None = Field(
        None, description="Covered share of the applicable auditable requirements"
    )
    totals: dict[str, int]
    requirements: list[CoverageRowOut]


class EvidenceIn(Schema):
    ref_id: str = Field(..., max_length=60)
    kind: str = Field(..., description="document, record or justification")
    site: int | None = Field(
        None, description="Evidence within the scope at this site; null: wherever it applies"
    )
    reference: str = Field("", max_length=80, description="Document or record number")
    note: str = Field("", max_length=5000)


class EvidenceRowOut(Schema):
    id: int
    ref_id: str = Field(..., alias="requirement.ref_id")
    kind: str
    site: int | None = Field(None, alias="scope.site_id")
    reference: str
    note: str
    added_by: int = Field(..., alias="added_by_id")
    added_at: datetime
    removed_at: datetime | None
    removal_reason: str


class EvidenceFilters(Schema):
    ref_id: str | None = Field(None, max_length=60)
    withdrawn: bool = Field(default=False, description="Withdrawn evidence too")


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=500)


class ApplicabilityIn(Schema):
    ref_id: str = Field(..., max_length=60)
    site: int | None = Field(None, description="The scope's site; null: the whole organisation")
    applicable: bool = True
    justification: str = Field("", max_length=5000)
    implementation: str = Field(
        "not_started", description="not_started, planned, partly or implemented"
    )
    owner: int | None = None


class ApplicabilityOut(Schema):
    ref_id: str = Field(..., alias="requirement.ref_id")
    site: int | None = Field(None, alias="scope.site_id")
    applicable: bool
    justification: str
    implementation: str
    owner: int | None = Field(None, alias="owner_id")


def _scope_of(request: HttpRequest, framework: Framework, site: int | None) -> Scope:
    scope: Scope | None = (
        Scope.objects.select_related("framework", "site")
        .filter(framework=framework, site_id=site)
        .first()
    )
    if scope is None:
        where = f"site {site}" if site is not None else "the whole organisation"
        raise InvalidInput.for_field("site", f"{framework.name} is not in scope for {where}.")
    actor = actor_of(request)
    if scope.site is None:
        permissions.require_everywhere(actor, services.VIEW_COVERAGE)
    else:
        permissions.require(actor, services.VIEW_COVERAGE, site=scope.site)
    return scope


def _requirement(framework: Framework, ref_id: str) -> Requirement:
    found: Requirement | None = Requirement.objects.filter(
        framework=framework, ref_id=ref_id
    ).first()
    if found is None:
        raise InvalidInput.for_field("ref_id", f"{framework.name} has no requirement '{ref_id}'.")
    return found


@router.get(
    "/{key}/scopes",
    response={200: list[ScopeOut], **ERRORS},
    summary="Where the framework applies (the sites whose coverage you may see)",
)
def list_scopes(request: HttpRequest, key: str) -> Any:
    _may_see(request)
    framework = _framework(key)
    actor = actor_of(request)
    found = Scope.objects.select_related("framework").filter(framework=framework)
    sites = permissions.sites_with_perm(actor, services.VIEW_COVERAGE)
    if sites is not None:
        found = found.filter(site_id__in=sites)
    return list(found.order_by("site__name"))


@router.post(
    "/{key}/scopes", response={201: ScopeOut, **ERRORS}, summary="Put the framework in scope"
)
def create_scope(request: HttpRequest, key: str, payload: ScopeIn) -> Any:
    framework = _framework(key)
    data = payload.dict()
    site_id = data.pop("site")
    site = None
    if site_id is not None:
        site = Site.objects.filter(pk=site_id).first()
        if site is None:
            raise InvalidInput.for_field("site", f"There is no site {site_id}.")
    scope = services.create_scope(actor=actor_of(request), framework=framework, site=site, **data)
    return Status(201, Scope.objects.select_related("framework").get(pk=scope.pk))


@router.get(
    "/{key}/coverage",
    response={200: CoverageOut, **ERRORS},
    summary="Coverage of the framework in one scope, requirement by requirement",
)
def get_coverage(request: HttpRequest, key: str, site: int | None = None) -> Any:
    _may_see(request)
    scope = _scope_of(request, _framework(key), site)
    result = cov.coverage(scope)
    return {
        "scope": scope,
        "covered_percent": result.percent,
        "totals": result.totals,
        "requirements": [
            {
                "ref_id": row.requirement.ref_id,
                "title": row.requirement.title,
                "auditable": row.requirement.auditable,
                "state": row.state,
                "reason": row.reason,
                "implementation": row.applicability.implementation if row.applicability else None,
                "owner": row.applicability.owner_id if row.applicability else None,
                "evidence": [
                    {
                        "id": e.evidence_id,
                        "kind": e.kind,
                        "reference": e.reference,
                        "label": e.label,
                        "current": e.current,
                        "why": e.why,
                        "url": e.url,
                    }
                    for e in row.evidence
                ],
            }
            for row in result.rows
        ],
    }


@router.get(
    "/{key}/evidence",
    response={200: list[EvidenceRowOut], **ERRORS},
    summary="Evidence recorded against the framework's requirements",
)
@paginate(PageNumber)
def list_evidence(request: HttpRequest, key: str, filters: Query[EvidenceFilters]) -> Any:
    _may_see(request)
    ref_id, withdrawn = filters.ref_id, filters.withdrawn
    framework = _framework(key)
    actor = actor_of(request)
    found = Evidence.objects.select_related("requirement", "scope").filter(
        requirement__framework=framework
    )
    if not withdrawn:
        found = found.filter(removed_at__isnull=True)
    if ref_id is not None:
        found = found.filter(requirement=_requirement(framework, ref_id))
    sites = permissions.sites_with_perm(actor, services.VIEW_COVERAGE)
    if sites is not None:
        found = found.filter(scope__site_id__in=sites)
    return found.order_by("requirement__order", "pk")


@router.post(
    "/{key}/evidence",
    response={201: EvidenceRowOut, **ERRORS},
    summary="Add evidence that a requirement is met",
)
def add_evidence(request: HttpRequest, key: str, payload: EvidenceIn) -> Any:
    framework = _framework(key)
    requirement = _requirement(framework, payload.ref_id)
    scope = None
    if payload.site is not None:
        scope = Scope.objects.filter(framework=framework, site_id=payload.site).first()
        if scope is None:
            raise InvalidInput.for_field(
                "site", f"{framework.name} is not in scope at site {payload.site}."
            )
    evidence = services.add_evidence(
        requirement,
        actor=actor_of(request),
        kind=payload.kind,
        scope=scope,
        reference=payload.reference,
        note=payload.note,
    )
    return Status(201, Evidence.objects.select_related("requirement", "scope").get(pk=evidence.pk))


@router.post(
    "/{key}/evidence/{evidence_id}/withdraw",
    response={200: EvidenceRowOut, **ERRORS},
    summary="Withdraw evidence (kept in the history)",
)
def withdraw_evidence(request: HttpRequest, key: str, evidence_id: int, payload: WithdrawIn) -> Any:
    framework = _framework(key)
    evidence = (
        Evidence.objects.select_related("requirement", "scope__site")
        .filter(pk=evidence_id, requirement__framework=framework)
        .first()
    )
    if evidence is None:
        raise NotFound(f"There is no evidence {evidence_id} for {framework.name}.")
    services.remove_evidence(evidence, actor=actor_of(request), reason=payload.reason)
    return evidence


@router.put(
    "/{key}/applicability",
    response={200: ApplicabilityOut, **ERRORS},
    summary="Whether a requirement applies in a scope, why, how far it is implemented, who owns it",
)
def put_applicability(request: HttpRequest, key: str, payload: ApplicabilityIn) -> Any:
    framework = _framework(key)
    requirement = _requirement(framework, payload.ref_id)
    scope = (
        Scope.objects.select_related("site")
        .filter(framework=framework, site_id=payload.site)
        .first()
    )
    if scope is None:
        raise InvalidInput.for_field("site", f"{framework.name} is not in scope there.")
    owner = None
    if payload.owner is not None:
        owner = User.objects.filter(pk=payload.owner).first()
        if owner is None:
            raise InvalidInput.for_field("owner", f"There is no user {payload.owner}.")
    return services.set_applicability(
        scope,
        requirement,
        actor=actor_of(request),
        applicable=payload.applicable,
        justification=payload.justification,
        implementation=payload.implementation,
        owner=owner,
    )
