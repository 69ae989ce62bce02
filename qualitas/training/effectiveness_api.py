"""Effectiveness follow-ups of training records, beside the generic record endpoints:
GET /api/v1/training-records/effectiveness (the follow-ups you are asked to rate),
GET and POST /api/v1/training-records/{id}/effectiveness (read one, rate it).

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from qualitas.core import permissions
from qualitas.core.errors import NotFound
from qualitas.core.pagination import PageNumber
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.training import effectiveness, workflows as w
from qualitas.training.models import EffectivenessReview

router = Router(tags=["training"])


class EffectivenessOut(Schema):
    id: int
    record: int = Field(..., alias="record_id", description="Id of the training record")
    record_number: str = Field(..., alias="record.number")
    trainee: int = Field(..., alias="record.person_id")
    trainee_name: str = Field(..., alias="record.person.printed_name")
    completed_on: date | None = Field(None, alias="record.completed_on")
    due_on: date = Field(..., description="When the follow-up is due")
    rater: int | None = Field(
        None, alias="rater_id", description="The supervisor asked; null: a coordinator"
    )
    rating: int | None = Field(None, description="1 not effective … 5 fully effective")
    comment: str
    rated_by: int | None = Field(None, alias="rated_by_id")
    rated_on: date | None = None


class RatingIn(Schema):
    rating: int = Field(..., description="1 not effective … 5 fully effective")
    comment: str = Field(..., max_length=4000, description="What was observed")
    rated_on: date | None = Field(None, description="Default: today; never in the future")


def _review_of(request: HttpRequest, record_id: int) -> EffectivenessReview:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    review = effectiveness.reviews().filter(record_id=record_id).first()
    if review is None or not effectiveness.may_see(actor, review):
        raise NotFound("This training record has no effectiveness follow-up you may see.")
    return review


@router.get(
    "/effectiveness",
    response={200: list[EffectivenessOut], **ERRORS},
    summary="Effectiveness follow-ups you are asked to rate, soonest due first",
)
@paginate(PageNumber)
def to_rate(request: HttpRequest) -> Any:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    return effectiveness.to_rate(actor)


@router.get(
    "/{record_id}/effectiveness",
    response={200: EffectivenessOut, **ERRORS},
    summary="The effectiveness follow-up of a training record",
)
def get_effectiveness(request: HttpRequest, record_id: int) -> Any:
    return _review_of(request, record_id)


@router.post(
    "/{record_id}/effectiveness",
    response={200: EffectivenessOut, **ERRORS},
    summary="Rate the effectiveness of the training (the trainee's supervisor)",
)
def rate(request: HttpRequest, record_id: int, payload: RatingIn) -> Any:
    review = _review_of(request, record_id)
    effectiveness.rate(
        review,
        actor=actor_of(request),
        rating=payload.rating,
        comment=payload.comment,
        rated_on=payload.rated_on,
    )
    return effectiveness.reviews().get(pk=review.pk)
