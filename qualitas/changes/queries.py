"""Reads shaped for the change request's page, the API and the quality manager's home."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from qualitas.changes import checklists, readiness, services
from qualitas.changes.workflows import OPEN_STATES
from qualitas.core import actions, records
from qualitas.core.models import ActionState
from qualitas.documents import queries as document_queries

if TYPE_CHECKING:
    from qualitas.changes.models import ChangeRequest
    from qualitas.core.models import User


@dataclass(frozen=True)
class ImpactRow:
    item: str
    question: str
    hint: str
    answer: str
    answer_label: str
    comment: str
    documents: list[dict[str, Any]]
    audiences: list[str]
    courses: list[str]


def impact_rows(cr: ChangeRequest, viewer: User) -> list[ImpactRow]:
    """The checklist of the change's type, each item with its answer (or none yet); the
    documents it names as the viewer may see them."""
    answers = {a.item: a for a in cr.impact_answers.all()}
    named = [d for a in answers.values() for d in a.documents]
    documents = {d.pk: d for d in document_queries.visible_documents(viewer).filter(pk__in=named)}
    rows = []
    for item in checklists.checklist(cr.change_type):
        question, hint = checklists.ITEMS[item]
        given = answers.get(item)
        rows.append(
            ImpactRow(
                item=item,
                question=question,
                hint=hint,
                answer=given.answer if given else "",
                answer_label=given.get_answer_display() if given else "",
                comment=given.comment if given else "",
                documents=[
                    {
                        "pk": d,
                        "number": documents[d].number,
                        "title": documents[d].title,
                        "url": document_queries.document_url(documents[d]),
                    }
                    for d in (given.documents if given else [])
                    if d in documents
                ],
                audiences=list(given.audiences) if given else [],
                courses=list(given.courses) if given else [],
            )
        )
    return rows


def vote_rows(cr: ChangeRequest) -> list[dict[str, Any]]:
    """The board's signed votes, oldest first."""
    return [
        {
            "signer": s.printed_name,
            "signer_id": s.signer_id,
            "vote": "rejected" if s.transition == readiness.REJECTION else "approved",
            "signed_at": s.signed_at,
            "comment": s.comment,
            "manifestation": s.manifestation,
        }
        for s in readiness.votes(cr)
    ]


def board_rule(cr: ChangeRequest) -> str:
    board = checklists.board(cr.change_type)
    roles = " + ".join(checklists.role_name(r) for r in board.roles)
    return f"{roles}, at least {board.minimum} approval{'s' if board.minimum > 1 else ''}"


def plan_progress(cr: ChangeRequest) -> tuple[int, int]:
    """Actions done and actions planned (cancelled ones are no longer planned)."""
    counts = actions.actions_of(cr).aggregate(
        done=Count("id", filter=Q(state=ActionState.DONE)),
        planned=Count("id", filter=~Q(state=ActionState.CANCELLED)),
    )
    return counts["done"], counts["planned"]


def revisions_for(cr: ChangeRequest, viewer: User) -> list[Any]:
    """The revisions made for the change that the viewer may see."""
    linked = readiness.linked_revisions(cr)
    visible = set(
        document_queries.visible_revisions(viewer)
        .filter(pk__in=[r.pk for r in linked])
        .values_list("pk", flat=True)
    )
    return [r for r in linked if r.pk in visible]


def in_flight(user: User) -> QuerySet[Any]:
    """Open change requests the user may see, the most urgent first."""
    found: QuerySet[Any] = (
        records.visible_to(user, services.record_type())
        .filter(state__in=OPEN_STATES)
        .annotate(
            emergency=Case(
                When(urgency="emergency", then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("emergency", "due_on", "-created_at")
    )
    return found
