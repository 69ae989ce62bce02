"""Frameworks and their requirements: /api/v1/frameworks (read by everyone holding
compliance.view; a framework file imported by holders of compliance.manage).

Requirements are addressed by the ids the standards write (`ref_id`: 8.5.6, A.5.15,
PR.AA-01), which may hold dots and brackets, so one requirement is read with
`?ref_id=` rather than a path segment.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from qualitas.compliance import services
from qualitas.compliance.models import Framework, Requirement, RequirementMapping
from qualitas.core import permissions
from qualitas.core.errors import InvalidInput, NotFound
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
