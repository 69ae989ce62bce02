"""Parts, their revisions and characteristics: /api/v1/parts and /api/v1/characteristics.

Master data, not records: everyone holding inspection.view reads them, holders of
inspection.manage_parts write them (through qualitas.inspection.parts). Parts are taken out
of use (PATCH is_active=false), never deleted.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qualitas.core import permissions
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.core.pagination import PageNumber
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.inspection import parts, workflows as w
from qualitas.inspection.models import PartRevision

parts_router = Router(tags=["parts"])
characteristics_router = Router(tags=["characteristics"])


def _may_see(request: HttpRequest) -> User:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    return actor


# ----------------------------------------------------------------------------- parts


class PartOut(Schema):
    id: int
    number: str = Field(..., description="The part number, unique")
    name: str
    customer: str = Field(..., description="The customer, free text for now")
    description: str
    is_active: bool = Field(..., description="False: taken out of use (parts are not deleted)")
    current_revision: str | None = Field(
        None, description="The revision new inspection plans are written for"
    )
    created_at: datetime
    updated_at: datetime


class PartIn(Schema):
    number: str = Field(..., min_length=1, max_length=60, description="Unique part number")
    name: str = Field(..., min_length=1, max_length=200)
    customer: str = Field("", max_length=200)
    description: str = ""


class PartPatch(Schema):
    number: str | None = Field(None, min_length=1, max_length=60)
    name: str | None = Field(None, min_length=1, max_length=200)
    customer: str | None = Field(None, max_length=200)
    description: str | None = None
    is_active: bool | None = Field(None, description="false takes the part out of use")


class PartFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Part number, name or customer")
    active: bool | None = Field(None, description="Only parts in use (true) or out of use")


def _part(part_id: int) -> Any:
    return get_or_404(parts.parts_listed(), pk=part_id)


@parts_router.get("", response={200: list[PartOut], **ERRORS}, summary="List parts")
@paginate(PageNumber)
def list_parts(request: HttpRequest, filters: Query[PartFilters]) -> Any:
    _may_see(request)
    found = parts.search_parts(parts.parts_listed(), filters.q or "")
    if filters.active is not None:
        found = found.filter(is_active=filters.active)
    return found


@parts_router.post("", response={201: PartOut, **ERRORS}, summary="Create a part")
def create_part(request: HttpRequest, payload: PartIn) -> Any:
    created = parts.create_part(actor=actor_of(request), **payload.dict())
    return Status(201, _part(created.pk))


@parts_router.get("/{part_id}", response={200: PartOut, **ERRORS}, summary="One part")
def get_part(request: HttpRequest, part_id: int) -> Any:
    _may_see(request)
    return _part(part_id)


@parts_router.patch(
    "/{part_id}",
    response={200: PartOut, **ERRORS},
    summary="Change a part, or take it out of use (is_active=false)",
)
def change_part(request: HttpRequest, part_id: int, payload: PartPatch) -> Any:
    _may_see(request)
    part = _part(part_id)
    parts.change_part(part, actor=actor_of(request), **payload.dict(exclude_unset=True))
    return _part(part_id)


class RevisionOut(Schema):
    id: int
    part: int = Field(..., alias="part_id")
    revision: str = Field(..., description="The revision's letter or number, unique per part")
    description: str
    drawing: int | None = Field(None, alias="drawing_id", description="Drawing document id")
    is_current: bool = Field(..., description="The revision new plans are written for")
    released_on: date | None


class RevisionIn(Schema):
    revision: str = Field(..., min_length=1, max_length=20)
    description: str = Field("", max_length=200)
    drawing: int | None = Field(None, description="Id of the controlled drawing document")
    is_current: bool = Field(
        default=True, description="true (default): replaces the current revision"
    )
    released_on: date | None = None


class RevisionPatch(Schema):
    revision: str | None = Field(None, min_length=1, max_length=20)
    description: str | None = Field(None, max_length=200)
    drawing: int | None = Field(None, description="Id of the controlled drawing document")
    is_current: bool | None = Field(None, description="true makes it the current revision")
    released_on: date | None = None


@parts_router.get(
    "/{part_id}/revisions", response={200: list[RevisionOut], **ERRORS}, summary="Revisions"
)
def list_revisions(request: HttpRequest, part_id: int) -> Any:
    _may_see(request)
    part = _part(part_id)
    return list(part.revisions.order_by("pk"))


@parts_router.post(
    "/{part_id}/revisions", response={201: RevisionOut, **ERRORS}, summary="Add a revision"
)
def add_revision(request: HttpRequest, part_id: int, payload: RevisionIn) -> Any:
    _may_see(request)
    part = _part(part_id)
    return Status(201, parts.add_revision(part, actor=actor_of(request), **payload.dict()))


@parts_router.patch(
    "/{part_id}/revisions/{part_revision_id}",
    response={200: RevisionOut, **ERRORS},
    summary="Change a revision, or make it the current one",
)
def change_revision(
    request: HttpRequest, part_id: int, part_revision_id: int, payload: RevisionPatch
) -> Any:
    _may_see(request)
    revision = get_or_404(PartRevision.objects.filter(part_id=part_id), pk=part_revision_id)
    return parts.change_revision(
        revision, actor=actor_of(request), **payload.dict(exclude_unset=True)
    )


# ----------------------------------------------------------------------------- characteristics


class CharacteristicOut(Schema):
    id: int
    part: int = Field(..., alias="revision.part_id")
    part_number: str = Field(..., alias="revision.part.number")
    revision: int = Field(..., alias="revision_id", description="The part revision's id")
    revision_label: str = Field(..., alias="revision.revision")
    number: str = Field(..., description="The balloon number on the drawing")
    name: str
    kind: str = Field(..., description="variable, attribute or defects")
    char_class: str = Field(..., description="critical, major or minor")
    special_mark: str = Field(..., description="A special characteristic's mark, e.g. SC, CC")
    nominal: float | None
    lsl: float | None = Field(None, description="Lower specification limit")
    usl: float | None = Field(None, description="Upper specification limit")
    unit: str
    decimals: int = Field(..., description="Decimals a measurement may carry (0-6)")
    gauge_type: str
    method: int | None = Field(None, alias="method_id", description="Method document id")
    is_active: bool


class CharacteristicIn(Schema):
    revision: int = Field(..., description="Id of the part revision it belongs to")
    number: str = Field(..., min_length=1, max_length=20, description="Balloon number")
    name: str = Field(..., min_length=1, max_length=120)
    kind: str = Field(
        ...,
        description="variable (measured: nominal, limits, unit, decimals), attribute "
        "(pass/fail) or defects (a count); the last two carry no limits",
    )
    char_class: str = Field("major", description="critical, major or minor")
    special_mark: str = Field("", max_length=10)
    nominal: float | None = None
    lsl: float | None = Field(None, description="Lower specification limit (variable)")
    usl: float | None = Field(None, description="Upper specification limit (variable)")
    unit: str = Field("", max_length=20)
    decimals: int = Field(3, description="0 to 6")
    gauge_type: str = Field("", max_length=80)
    method: int | None = Field(None, description="Id of the inspection method document")


class CharacteristicPatch(Schema):
    number: str | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: str | None = Field(None, description="Fixed while an approved plan checks it")
    char_class: str | None = None
    special_mark: str | None = Field(None, max_length=10)
    nominal: float | None = Field(None, description="Fixed while an approved plan checks it")
    lsl: float | None = Field(None, description="Fixed while an approved plan checks it")
    usl: float | None = Field(None, description="Fixed while an approved plan checks it")
    unit: str | None = Field(None, max_length=20, description="Fixed under an approved plan")
    decimals: int | None = None
    gauge_type: str | None = Field(None, max_length=80)
    method: int | None = None
    is_active: bool | None = Field(None, description="false takes it out of use")


class CharacteristicFilters(Schema):
    part: int | None = Field(None, description="Part id")
    revision: int | None = Field(None, description="Part revision id")
    kind: str | None = Field(None, description="variable, attribute or defects")
    active: bool | None = None


def _characteristic(characteristic_id: int) -> Any:
    return get_or_404(parts.characteristics_listed(), pk=characteristic_id)


@characteristics_router.get(
    "", response={200: list[CharacteristicOut], **ERRORS}, summary="List characteristics"
)
@paginate(PageNumber)
def list_characteristics(request: HttpRequest, filters: Query[CharacteristicFilters]) -> Any:
    _may_see(request)
    found = parts.characteristics_listed()
    if filters.part is not None:
        found = found.filter(revision__part_id=filters.part)
    if filters.revision is not None:
        found = found.filter(revision_id=filters.revision)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.active is not None:
        found = found.filter(is_active=filters.active)
    return found


@characteristics_router.post(
    "", response={201: CharacteristicOut, **ERRORS}, summary="Add a characteristic"
)
def add_characteristic(request: HttpRequest, payload: CharacteristicIn) -> Any:
    data = payload.dict()
    revision = PartRevision.objects.filter(pk=data.pop("revision")).first()
    if revision is None:
        permissions.require(actor_of(request), w.MANAGE_PARTS)  # 403 before telling what exists
        raise InvalidInput.for_field("revision", f"No part revision {payload.revision}.")
    created = parts.add_characteristic(revision, actor=actor_of(request), **data)
    return Status(201, _characteristic(created.pk))


@characteristics_router.get(
    "/{characteristic_id}",
    response={200: CharacteristicOut, **ERRORS},
    summary="One characteristic",
)
def get_characteristic(request: HttpRequest, characteristic_id: int) -> Any:
    _may_see(request)
    return _characteristic(characteristic_id)


@characteristics_router.patch(
    "/{characteristic_id}",
    response={200: CharacteristicOut, **ERRORS},
    summary="Change a characteristic (its specification only while no approved plan checks it)",
)
def change_characteristic(
    request: HttpRequest, characteristic_id: int, payload: CharacteristicPatch
) -> Any:
    _may_see(request)
    found = _characteristic(characteristic_id)
    parts.change_characteristic(found, actor=actor_of(request), **payload.dict(exclude_unset=True))
    return _characteristic(characteristic_id)
