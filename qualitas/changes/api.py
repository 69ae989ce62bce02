"""Change request endpoints beyond the generic record API: the impact assessment, the
board's votes, starting a revision for the change, raising one from a nonconformance or a
CAPA, the CAPA actions it implements, and the training its impact calls for. Mounted at
/api/v1/change-requests.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qualitas.changes import implemented_actions, queries, readiness, services, training_impact
from qualitas.changes.models import ChangeType, Urgency
from qualitas.core import records, training_requests
from qualitas.core.errors import InvalidInput, NotFound
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
    courses: list[str] = Field(
        default_factory=list,
        description="training item, yes: codes of the courses they take (asked when "
        "implementation starts)",
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
                "courses": row.courses,
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
        services.ImpactInput(a.item, a.answer, a.comment, a.documents, a.audiences, a.courses)
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


class ImplementedActionOut(Schema):
    id: int = Field(..., description="The link's id (withdraw it by this id)")
    action_id: int
    action_title: str
    action_state: str = Field(..., description="open, done or cancelled")
    action_due_on: date
    record: str = Field(..., description="Number of the CAPA the action belongs to")
    record_id: int


class ImplementActionIn(Schema):
    action: int = Field(..., description="Id of an open action of a CAPA")


class WithdrawIn(Schema):
    reason: str = Field(..., max_length=300)


def _implemented_row(row: Any) -> dict[str, Any]:
    record = row.record  # read with the row by implemented_actions.implementing
    return {
        "id": row.pk,
        "action_id": row.action_id,
        "action_title": row.action.title,
        "action_state": row.action.state,
        "action_due_on": row.action.due_on,
        "record": record.number,
        "record_id": record.pk,
    }


@router.get(
    "/{cr_id}/implemented-actions",
    response={200: list[ImplementedActionOut], **ERRORS},
    summary="The CAPA actions this change implements (done when it is closed)",
)
def implemented(request: HttpRequest, cr_id: int) -> Any:
    return [_implemented_row(r) for r in implemented_actions.implementing(_cr(request, cr_id))]


@router.post(
    "/{cr_id}/implemented-actions",
    response={201: ImplementedActionOut, **ERRORS},
    summary="Say this change implements an open action of a CAPA (linked `implements`)",
)
def implement_action(request: HttpRequest, cr_id: int, payload: ImplementActionIn) -> Any:
    cr = _cr(request, cr_id)
    row = implemented_actions.implement_action(
        cr, actor=actor_of(request), action_id=payload.action
    )
    found = next(r for r in implemented_actions.implementing(cr) if r.pk == row.pk)
    return Status(201, _implemented_row(found))


@router.post(
    "/{cr_id}/implemented-actions/{link_id}/withdraw",
    response={200: ImplementedActionOut, **ERRORS},
    summary="Withdraw a link made in error, with the reason (kept in the history)",
)
def withdraw_implementation(
    request: HttpRequest, cr_id: int, link_id: int, payload: WithdrawIn
) -> Any:
    cr = _cr(request, cr_id)
    rows = {r.pk: r for r in implemented_actions.implementing(cr)}
    row = rows.get(link_id)
    if row is None:
        raise NotFound(f"{cr.number} has no action link {link_id}.")
    implemented_actions.withdraw_implementation(row, actor=actor_of(request), reason=payload.reason)
    return _implemented_row(row)


class ReadingOut(Schema):
    person: str
    person_id: int
    document_number: str = Field(..., description="The document read, or 'course CODE'")
    training_record: str = Field(..., description="Number of the training record (TR-…)")
    training_record_id: int | None
    state: str = Field(..., description="The training record's state (completed when read)")


class TrainingOut(Schema):
    available: bool = Field(..., description="Whether an installed module assigns training")
    audiences: list[str] = Field(..., description="What the impact's training answer names")
    courses: list[str] = Field(..., description="The courses they take for the change")
    unmatched: list[str] = Field(..., description="Audiences that name nobody at the site")
    done: int
    total: int = Field(..., description="Readings the change calls for, asked or not")
    not_assigned: int
    readings: list[ReadingOut] = Field(
        ..., description="Readings asked, those whose training records you may see"
    )
    assigned: int = Field(0, description="Readings this call assigned")


def _training(cr: Any, viewer: User, assigned: int = 0) -> dict[str, Any]:
    asked, missing = training_impact.readings(cr)
    done, total = training_impact.progress_of(asked, missing)
    _people, unmatched = training_impact.people_named(cr)
    return {
        "available": training_requests.available(),
        "audiences": training_impact.audiences(cr),
        "courses": training_impact.courses(cr),
        "unmatched": unmatched,
        "done": done,
        "total": total,
        "not_assigned": len(missing),
        "readings": [
            {
                "person": r.person.printed_name,
                "person_id": r.person.pk,
                "document_number": r.document_number,
                "training_record": r.training_record_number,
                "training_record_id": r.training_record_id,
                "state": r.state,
            }
            for r in training_impact.visible_readings(viewer, asked)
        ],
        "assigned": assigned,
    }


@router.get(
    "/{cr_id}/training",
    response={200: TrainingOut, **ERRORS},
    summary="The training the impact assessment calls for, and its progress",
)
def training(request: HttpRequest, cr_id: int) -> Any:
    return _training(_cr(request, cr_id), actor_of(request))


@router.post(
    "/{cr_id}/training/assign",
    response={200: TrainingOut, **ERRORS},
    summary="Assign the readings not asked yet (idempotent; while the change is implemented)",
)
def assign_training(request: HttpRequest, cr_id: int) -> Any:
    cr = _cr(request, cr_id)
    asked = training_impact.assign(cr, actor=actor_of(request))
    return _training(cr, actor_of(request), assigned=len(asked))
