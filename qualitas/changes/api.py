"""Change request endpoints beyond the generic record API: the impact assessment, the
board's votes, starting a revision for the change, raising one from a nonconformance or a
CAPA. Mounted at /api/v1/change-requests.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qualitas.changes import queries, readiness, services
from qualitas.changes.models import ChangeType, Urgency
from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["change requests"])


def _cr(request: HttpRequest, cr_id: int) -> Any:
    return records.get_visible(actor_of(request), services.record_type(), cr_id)


class AnswerIO(Schema):
    item: str = Field(
        ...,
        description="documents, training, risk, validation, notify, "
        "suppliers, stock, it_systems or cost (the change type's checklist)",
    )
    answer: str = Field(..., description="yes, no or n_a")
    comment: str = Field("", max_length=4000, description="Required with a yes")
    documents: list[int] = Field(
        default_factory=list, description="documents item, yes: ids of register documents"
    )
    audiences: list[str] = Field(
        default_factory=list, description="training item, yes: roles or departments to train"
    )


class ImpactIn(Schema):
    version: int = Field(..., description="The change request's version you edited")
    answers: list[AnswerIO]


class ImpactItemOut(AnswerIO):
    question: str
    answered: bool


class ImpactOut(Schema):
    change_request: int
    version: int
    items: list[ImpactItemOut]
    missing: list[str] = Field(..., description="Checklist items not answered yet")


def _impact(cr: Any, viewer: User) -> dict[str, Any]:
    cr.refresh_from_db()
    return {
        "change_request": cr.pk,
        "version": cr.version,
        "items": [
            {
                "item": row.item,
                "question": row.question,
                "answered": bool(row.answer),
                "answer": row.answer,
                "comment": row.comment,
                "documents": [d["pk"] for d in row.documents],
                "audiences": row.audiences,
            }
            for row in queries.impact_rows(cr, viewer)
        ],
        "missing": readiness.missing_items(cr),
    }


@router.get("/{cr_id}/impact", response={200: ImpactOut, **ERRORS}, summary="The impact assessment")
def get_impact(request: HttpRequest, cr_id: int) -> Any:
    return _impact(_cr(request, cr_id), actor_of(request))


@router.put(
    "/{cr_id}/impact",
    response={200: ImpactOut, **ERRORS},
    summary="Answer items of the impact assessment (all or nothing; others stay as they are)",
)
def put_impact(request: HttpRequest, cr_id: int, payload: ImpactIn) -> Any:
    answers = [
        services.ImpactInput(a.item, a.answer, a.comment, a.documents, a.audiences)
        for a in payload.answers
    ]
    changed = services.set_impact(
        _cr(request, cr_id),
        actor=actor_of(request),
        answers=answers,
        expected_version=payload.version,
    )
    return _impact(changed, actor_of(request))


class VoteOut(Schema):
    signer: str
    signer_id: int
    vote: str = Field(..., description="approved or rejected")
    signed_at: datetime
    comment: str


class BoardOut(Schema):
    rule: str = Field(..., description="The board's roles and minimum approvals for the type")
    outstanding: str | None = Field(..., description="What the rule still needs, if anything")
    approved_at: datetime | None
    approval_due_on: date | None = Field(..., description="Emergency changes: approve by")
    votes: list[VoteOut]


@router.get(
    "/{cr_id}/board-votes",
    response={200: BoardOut, **ERRORS},
    summary="The change board's rule and signed votes (vote through the transitions)",
)
def board_votes(request: HttpRequest, cr_id: int) -> Any:
    cr = _cr(request, cr_id)
    return {
        "rule": queries.board_rule(cr),
        "outstanding": readiness.board_outstanding(cr) if cr.approved_at is None else None,
        "approved_at": cr.approved_at,
        "approval_due_on": cr.approval_due_on,
        "votes": queries.vote_rows(cr),
    }


class StartRevisionIn(Schema):
    document: int = Field(..., description="Id of a document the impact assessment names")


class RevisionOut(Schema):
    revision_id: int
    number: str
    state: str


@router.post(
    "/{cr_id}/start-revision",
    response={201: RevisionOut, **ERRORS},
    summary="Start the next draft revision of a named document, linked `implements` here",
)
def start_revision(request: HttpRequest, cr_id: int, payload: StartRevisionIn) -> Any:
    revision = services.start_revision(
        _cr(request, cr_id), actor=actor_of(request), document_id=payload.document
    )
    return Status(
        201, {"revision_id": revision.pk, "number": revision.number, "state": revision.state}
    )


class RaiseFromIn(Schema):
    raised_from: str = Field(
        ..., description="Number of a nonconformance or CAPA, e.g. NC-2026-0004"
    )
    title: str = Field(..., max_length=200)
    change_type: ChangeType
    reason_for_change: str = Field("", max_length=20000)
    urgency: Urgency = Urgency.STANDARD


class RaisedOut(Schema):
    id: int
    number: str
    raised_from: str


@router.post(
    "/raise-from",
    response={201: RaisedOut, **ERRORS},
    summary="Raise a change request from a nonconformance or a CAPA (linked `raised_from`)",
)
def raise_from(request: HttpRequest, payload: RaiseFromIn) -> Any:
    source = records.find_by_number(actor_of(request), payload.raised_from.strip())
    if source is None:
        raise InvalidInput.for_field(
            "raised_from", f"No nonconformance or CAPA numbered '{payload.raised_from}'."
        )
    fields = payload.dict(exclude={"raised_from"})
    cr = services.raise_from(source, actor=actor_of(request), **fields)
    return Status(201, {"id": cr.pk, "number": cr.number, "raised_from": source.number})
