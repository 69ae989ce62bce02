"""Courses and curricula: /api/v1/courses and /api/v1/curricula. Training records themselves
are the generic record endpoints (/api/v1/training-records).

Master data of the whole organisation: everyone holding training.view reads it, holders of
training.manage write it (through qualitas.training.services). Neither is deleted: a course
is taken out of use (PATCH active=false), a curriculum line is deactivated with a reason.
ROUTERS lists the (prefix, router) pairs the module declares.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qualitas.core import permissions
from qualitas.core.errors import Conflict, InvalidInput
from qualitas.core.models import Department, Site, User
from qualitas.core.pagination import PageNumber
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.training import services, workflows as w
from qualitas.training.models import Course, JobRole, Requirement

courses_router = Router(tags=["training"])
curricula_router = Router(tags=["training"])


def _may_see(request: HttpRequest) -> User:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    return actor


def _pick(model: type[Model], pk: int | None, field: str) -> Any:
    """The object a payload names by id, or a 422 naming the field."""
    if pk is None:
        return None
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise InvalidInput.for_field(field, f"There is no {model._meta.verbose_name} {pk}.")
    return found


# ----------------------------------------------------------------------------- courses


class CourseOut(Schema):
    id: int
    code: str = Field(..., description="Short code, unique, e.g. FA-01")
    title: str
    kind: str = Field(..., description="classroom, on_the_job, e_learning or external")
    description: str
    validity_months: int | None = Field(
        None, description="Months a completion stays valid; null: valid for good"
    )
    effectiveness_days: int | None = Field(
        None, description="Days after completion the supervisor rates its effect; null: never"
    )
    owner: int = Field(..., alias="owner_id", description="Id of the person answering for it")
    owner_name: str = Field(..., alias="owner.printed_name")
    active: bool = Field(..., description="False: out of use (courses are not deleted)")


class CourseIn(Schema):
    code: str = Field(..., min_length=1, max_length=30, description="Unique short code")
    title: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(..., description="classroom, on_the_job, e_learning or external")
    description: str = ""
    validity_months: int | None = Field(None, ge=1, le=240)
    effectiveness_days: int | None = Field(None, ge=1, le=730)
    owner: int | None = Field(None, description="Id of the person answering for it (you)")


class CoursePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: str | None = None
    description: str | None = None
    validity_months: int | None = Field(None, ge=1, le=240)
    effectiveness_days: int | None = Field(None, ge=1, le=730)
    owner: int | None = None
    active: bool | None = Field(None, description="false takes the course out of use")


class CourseFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Code or title contains")
    kind: str | None = None
    active: bool | None = None


def _courses() -> QuerySet[Course]:
    return Course.objects.select_related("owner").order_by("code")


@courses_router.get("", response={200: list[CourseOut], **ERRORS}, summary="List courses")
@paginate(PageNumber)
def list_courses(request: HttpRequest, filters: Query[CourseFilters]) -> Any:
    _may_see(request)
    found = _courses()
    if filters.q:
        found = found.filter(Q(code__icontains=filters.q) | Q(title__icontains=filters.q))
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.active is not None:
        found = found.filter(active=filters.active)
    return found


@courses_router.post("", response={201: CourseOut, **ERRORS}, summary="Create a course")
def create_course(request: HttpRequest, payload: CourseIn) -> Any:
    data = payload.dict()
    data["owner"] = _pick(User, data["owner"], "owner")
    created = services.create_course(actor=actor_of(request), **data)
    return Status(201, get_or_404(_courses(), pk=created.pk))


@courses_router.get("/{course_id}", response={200: CourseOut, **ERRORS}, summary="One course")
def get_course(request: HttpRequest, course_id: int) -> Any:
    _may_see(request)
    return get_or_404(_courses(), pk=course_id)


@courses_router.patch(
    "/{course_id}",
    response={200: CourseOut, **ERRORS},
    summary="Change a course, or take it out of use (active=false)",
)
def change_course(request: HttpRequest, course_id: int, payload: CoursePatch) -> Any:
    _may_see(request)
    course = get_or_404(_courses(), pk=course_id)
    changes = payload.dict(exclude_unset=True)
    if "owner" in changes:
        if changes["owner"] is None:
            raise InvalidInput.for_field("owner", "A course needs an owner.")
        changes["owner"] = _pick(User, changes["owner"], "owner")
    services.update_course(course, actor=actor_of(request), **changes)
    return get_or_404(_courses(), pk=course_id)


# ----------------------------------------------------------------------------- curricula


class RequirementOut(Schema):
    id: int
    audience: str = Field(..., description="Who: 'Job role …', 'Department …' or 'Site …'")
    job_role: int | None = Field(None, alias="job_role_id")
    department: int | None = Field(None, alias="department_id")
    site: int | None = Field(None, alias="site_id")
    item: str = Field(..., description="What: the document number, or the course")
    document: int | None = Field(None, alias="document_id", description="Controlled document id")
    document_number: str
    course: int | None = Field(None, alias="course_id")
    gating: bool = Field(..., description="Steps worked under it refuse the untrained")
    validity_months: int | None = Field(
        None, description="Overrides the course's validity for this audience"
    )
    due_within_days: int
    active: bool
    created_by: int = Field(..., alias="created_by_id")
    created_at: datetime


class RequirementIn(Schema):
    job_role: int | None = Field(None, description="Id of the job role (one audience only)")
    department: int | None = Field(None, description="Id of the department")
    site: int | None = Field(None, description="Id of the site")
    document_number: str = Field("", max_length=40, description="A controlled document (or)")
    course: int | None = Field(None, description="Id of the course (or a document)")
    gating: bool = False
    validity_months: int | None = Field(None, ge=1, le=240)
    due_within_days: int = Field(30, ge=0, le=365)


class RequirementFilters(Schema):
    job_role: int | None = None
    department: int | None = None
    site: int | None = None
    course: int | None = None
    document_number: str | None = Field(None, max_length=40)
    gating: bool | None = None
    active: bool | None = Field(default=True, description="Default: only lines in force")


class DeactivateIn(Schema):
    reason: str = Field(..., max_length=500, description="Why the line leaves the curriculum")


def _requirements() -> QuerySet[Requirement]:
    # The audience and item names are shown: one join each, never a query per line.
    return Requirement.objects.select_related("job_role", "department", "site", "course")


@curricula_router.get(
    "", response={200: list[RequirementOut], **ERRORS}, summary="List curriculum lines"
)
@paginate(PageNumber)
def list_requirements(request: HttpRequest, filters: Query[RequirementFilters]) -> Any:
    _may_see(request)
    found = _requirements().order_by("pk")
    for name in ("job_role", "department", "site", "course"):
        value = getattr(filters, name)
        if value is not None:
            found = found.filter(**{f"{name}_id": value})
    if filters.document_number:
        found = found.filter(document_number=filters.document_number.strip())
    if filters.gating is not None:
        found = found.filter(gating=filters.gating)
    if filters.active is not None:
        found = found.filter(active=filters.active)
    return found


@curricula_router.post(
    "", response={201: RequirementOut, **ERRORS}, summary="Add a curriculum line"
)
def add_requirement(request: HttpRequest, payload: RequirementIn) -> Any:
    if payload.course is not None and payload.document_number.strip():
        raise InvalidInput.for_field(
            "item", "Name exactly one item: a controlled document or a course."
        )
    created = services.add_requirement(
        actor=actor_of(request),
        job_role=_pick(JobRole, payload.job_role, "job_role"),
        department=_pick(Department, payload.department, "department"),
        site=_pick(Site, payload.site, "site"),
        document_number=payload.document_number,
        course=_pick(Course, payload.course, "course"),
        gating=payload.gating,
        validity_months=payload.validity_months,
        due_within_days=payload.due_within_days,
    )
    return Status(201, get_or_404(_requirements(), pk=created.pk))


@curricula_router.get(
    "/{requirement_id}", response={200: RequirementOut, **ERRORS}, summary="One curriculum line"
)
def get_requirement(request: HttpRequest, requirement_id: int) -> Any:
    _may_see(request)
    return get_or_404(_requirements(), pk=requirement_id)


@curricula_router.post(
    "/{requirement_id}/deactivate",
    response={200: RequirementOut, **ERRORS},
    summary="Take a line out of the curriculum (its open assignments are cancelled)",
)
def deactivate_requirement(request: HttpRequest, requirement_id: int, payload: DeactivateIn) -> Any:
    _may_see(request)
    requirement = get_or_404(_requirements(), pk=requirement_id)
    if not requirement.active:
        raise Conflict("This line is already out of the curriculum.")
    services.retire_requirement(requirement, actor=actor_of(request), reason=payload.reason)
    return get_or_404(_requirements(), pk=requirement_id)


ROUTERS: list[tuple[str, Any]] = [
    ("/courses", courses_router),
    ("/curricula", curricula_router),
]
