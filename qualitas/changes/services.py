"""Every write to change requests: raising (also from a nonconformance or a CAPA), the
impact assessment, what the board's votes and the other steps entail, and the revisions
started for the change. The CAPA actions a change implements are in `implemented_actions`,
the training its impact calls for in `training_impact`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from qualitas.changes import (
    checklists,
    implemented_actions,
    policy,
    readiness,
    training_impact,
    workflows as w,
)
from qualitas.changes.models import Answer, ChangeRequest, ImpactAnswer
from qualitas.core import audit, links, notifications, records, training_requests, workflow
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.models import LinkKind, User
from qualitas.core.validation import clean_or_raise
from qualitas.documents import queries as document_queries, services as document_services

# What may still change once the board has the change: who carries it out and by when,
# not what the board signs (these are outside the signed content).
UNSIGNED = ("owner", "due_on", "priority", "department", "approval_due_on", "approved_at")
# Records a change request may be raised from (a nonconformance's or CAPA's finding).
RAISED_FROM_TYPES = ("nonconformance", "capa")


def record_type() -> records.RecordType:
    return records.RECORD_TYPES["changerequest"]


def url_of(cr: ChangeRequest) -> str:
    return f"/{record_type().resource}/{cr.pk}/"


def raise_change_request(*, actor: User, **fields: Any) -> ChangeRequest:
    """Raise a change request: numbered CR-…, a draft whose originator is the actor."""
    cr: ChangeRequest = records.create(record_type(), actor=actor, **fields)
    return cr


def change_change_request(
    cr: ChangeRequest,
    *,
    actor: User,
    expected_version: int | None,
    reason: str = "",
    **changes: Any,
) -> ChangeRequest:
    """Change a change request's fields; from board review on, only who carries it out and
    by when: the rest is what the board signed."""
    if not policy.still_assessed(cr):
        frozen = sorted(
            name
            for name, value in changes.items()
            if name not in UNSIGNED and getattr(cr, name) != value
        )
        if frozen:
            raise InvalidInput(
                [
                    FieldError(
                        name,
                        f"{cr.number} is {cr.get_state_display()}: what the change board "
                        "signs can no longer change; withdraw it and raise a new change.",
                    )
                    for name in frozen
                ]
            )
    changed: ChangeRequest = records.update(
        cr, actor=actor, expected_version=expected_version, reason=reason, **changes
    )
    return changed


@audit.service
def raise_from(record: Any, *, actor: User, **fields: Any) -> ChangeRequest:
    """Raise a change request from a nonconformance or a CAPA (linked `raised_from` it),
    at its site unless another is given."""
    source_type = records.type_of(record)
    if source_type.key not in RAISED_FROM_TYPES:
        raise InvalidInput.for_field(
            "raised_from",
            f"A change request is raised from a nonconformance or a CAPA, not "
            f"a {source_type.label.lower()}.",
        )
    records.get_visible(actor, source_type, record.pk)
    if fields.get("site") is None and record.site_id is not None:
        fields["site"] = record.site
    cr = raise_change_request(actor=actor, **fields)
    links.add(cr, actor=actor, target=record, kind=LinkKind.RAISED_FROM)
    return cr


def prefilled_from(record: Any) -> dict[str, Any]:
    """What a change raised from a nonconformance or a CAPA starts with: its title, what it
    found or its problem statement as the reason, its part and site as the scope. Read from
    the fields every record has and those the two types are known by; a field renamed there
    leaves the form's field empty, never an error."""
    found = [
        getattr(record, name, "") or ""
        for name in ("problem_statement", "finding", "requirement", "root_cause")
    ]
    reason = "\n\n".join(text.strip() for text in found if text.strip())
    part = " ".join(
        str(getattr(record, name, "") or "") for name in ("part_number", "part_revision")
    ).strip()
    return {
        "title": f"{record.title}"[:200],
        "reason_for_change": f"{record.number}: {reason}" if reason else record.number,
        "scope_sites": record.site.code if record.site_id else "",
        "scope_departments": record.department.name if record.department_id else "",
        "scope_parts": part,
        "site": record.site if record.site_id else None,
        "department": record.department if record.department_id else None,
    }


# --- The impact assessment ----------------------------------------------------------------


@dataclass(frozen=True)
class ImpactInput:
    item: str
    answer: str
    comment: str = ""
    documents: Sequence[int] = field(default_factory=tuple)
    audiences: Sequence[str] = field(default_factory=tuple)
    courses: Sequence[str] = field(default_factory=tuple)


def _checked(
    cr: ChangeRequest, actor: User, answers: Sequence[ImpactInput]
) -> tuple[list[ImpactInput], list[FieldError]]:
    """The answers cleaned, and every error naming the answer and field it concerns."""
    errors: list[FieldError] = []
    cleaned: list[ImpactInput] = []
    items = checklists.checklist(cr.change_type)
    seen: set[str] = set()
    for number, given in enumerate(answers):
        at = f"answers[{number}]"
        if given.item not in items:
            known = ", ".join(items)
            errors.append(
                FieldError(
                    f"{at}.item",
                    f"'{given.item}' is not on the checklist of a "
                    f"{cr.get_change_type_display().lower()} change ({known}).",
                )
            )
            continue
        if given.item in seen:
            errors.append(FieldError(f"{at}.item", f"'{given.item}' is answered twice."))
            continue
        seen.add(given.item)
        if given.answer not in Answer.values:
            errors.append(FieldError(f"{at}.answer", "Answer yes, no or n_a."))
            continue
        yes = given.answer == Answer.YES
        documents = sorted({int(d) for d in given.documents})
        audiences = sorted({a.strip() for a in given.audiences if a.strip()})
        courses = sorted({c.strip() for c in given.courses if c.strip()})
        if courses and given.item != checklists.NAMES_AUDIENCES:
            errors.append(FieldError(f"{at}.courses", "Only the training item names courses."))
        elif courses:
            unknown_courses = training_requests.unknown_courses(courses)
            if unknown_courses:
                errors.append(
                    FieldError(
                        f"{at}.courses",
                        f"No course with the code {', '.join(unknown_courses)} is kept.",
                    )
                )
        if documents and given.item != checklists.NAMES_DOCUMENTS:
            errors.append(FieldError(f"{at}.documents", "Only the documents item names documents."))
        if audiences and given.item != checklists.NAMES_AUDIENCES:
            errors.append(FieldError(f"{at}.audiences", "Only the training item names audiences."))
        if given.item == checklists.NAMES_DOCUMENTS and yes:
            if not documents:
                errors.append(
                    FieldError(
                        f"{at}.documents", "Name the documents to revise (from the register)."
                    )
                )
            else:
                found = set(
                    document_queries.visible_documents(actor)
                    .filter(pk__in=documents)
                    .values_list("pk", flat=True)
                )
                unknown = [str(d) for d in documents if d not in found]
                if unknown:
                    errors.append(
                        FieldError(
                            f"{at}.documents",
                            f"No document with id {', '.join(unknown)} in the register.",
                        )
                    )
        if given.item == checklists.NAMES_AUDIENCES and yes and not audiences:
            errors.append(FieldError(f"{at}.audiences", "Name the roles or departments to train."))
        if yes and not given.comment.strip():
            errors.append(FieldError(f"{at}.comment", "Say what is affected and how."))
        if not yes and (documents or audiences or courses):
            errors.append(
                FieldError(f"{at}.answer", "Only a 'yes' names documents, audiences or courses.")
            )
        cleaned.append(
            ImpactInput(
                given.item, given.answer, given.comment.strip(), documents, audiences, courses
            )
        )
    return cleaned, errors


@audit.service
def set_impact(
    cr: ChangeRequest,
    *,
    actor: User,
    answers: Sequence[ImpactInput],
    expected_version: int | None,
) -> ChangeRequest:
    """Answer items of the impact assessment (those given; the others stay as they are).
    All or nothing: one wrong answer and none is saved."""
    with records.locked(cr, expected_version) as current:
        policy.require_assess(actor, current)
        if not answers:
            raise InvalidInput.for_field("answers", "Give at least one answer.")
        cleaned, errors = _checked(current, actor, answers)
        if errors:
            raise InvalidInput(errors)
        existing = {a.item: a for a in current.impact_answers.all()}
        for given in cleaned:
            row = existing.get(given.item) or ImpactAnswer(change_request=current, item=given.item)
            row.answer = given.answer
            row.comment = given.comment
            row.documents = list(given.documents)
            row.audiences = list(given.audiences)
            row.courses = list(given.courses)
            row.answered_by = actor
            clean_or_raise(row, exclude=["change_request", "answered_by"])
            row.save()
        # The answers are part of the change's content: a stale copy must not overwrite them.
        records.touch(current, actor)
        return current


def impact_content(cr: ChangeRequest) -> list[dict[str, Any]]:
    """What the board's signatures cover beyond the fields: the assessment's answers."""
    return [
        {
            "item": a.item,
            "answer": a.answer,
            "comment": a.comment,
            "documents": a.documents,
            "audiences": a.audiences,
            # Only when named: signatures made before courses could be named stay valid.
            **({"courses": a.courses} if a.courses else {}),
        }
        for a in sorted(cr.impact_answers.all(), key=lambda a: a.item)
    ]


def board_members(cr: ChangeRequest) -> set[int]:
    """Who sits on the change's board (the record type's `board` relation)."""
    return readiness.board_members(cr)


def documents_named(cr: ChangeRequest) -> list[int]:
    """Ids of the documents the assessment says the change revises."""
    for answer in cr.impact_answers.all():
        if answer.item == checklists.NAMES_DOCUMENTS and answer.answer == Answer.YES:
            return [int(d) for d in answer.documents]
    return []


# --- The implementation plan --------------------------------------------------------------


@audit.service
def start_revision(cr: ChangeRequest, *, actor: User, document_id: int) -> Any:
    """Start the next draft revision of a document the assessment names, linked
    `implements` to the change, so the change waits for it to become effective."""
    policy.require_plan(actor, cr)
    if document_id not in documents_named(cr):
        raise InvalidInput.for_field(
            "document",
            f"Document {document_id} is not among the documents the impact assessment of "
            f"{cr.number} names.",
        )
    document = document_queries.get_document(actor, document_id)
    revision = document_services.new_revision(
        document, actor=actor, change_reason=f"{cr.number}: {cr.title}"
    )
    links.add(revision, actor=actor, target=cr, kind=LinkKind.IMPLEMENTS)
    return revision


# --- What the steps entail ----------------------------------------------------------------


def _tell(people: Sequence[User], cr: ChangeRequest, title: str, body: str, actor: User) -> None:
    for person in {p.pk: p for p in people if p.pk != actor.pk and p.is_active}.values():
        notifications.notify(person, title=title, body=body, url=url_of(cr), email=True)


def _count_vote(cr: ChangeRequest, actor: User, comment: str) -> None:
    """Each approval is counted: once the board's rule for the type is met, the change is
    approved (in board review it moves on; an emergency change already implementing just
    has its approval recorded)."""
    if cr.approved_at is not None or readiness.board_outstanding(cr) is not None:
        return
    cr.approved_at = timezone.now()
    records.touch(cr, actor)
    if cr.state == w.State.BOARD_REVIEW:
        workflow.fire(
            cr, "approve", actor=actor, comment="The change board's rule is met.", by_service=True
        )
        # The caller goes on with this copy: it must show where the change now stands.
        cr.refresh_from_db(fields=["state", "version", "updated_at"])


def _start_emergency(cr: ChangeRequest, actor: User, comment: str) -> None:
    """An emergency change implemented first must be board-approved within the set days."""
    cr.approval_due_on = timezone.localdate() + timedelta(
        days=settings.QUALITAS_EMERGENCY_APPROVAL_DAYS
    )
    records.touch(cr, actor)
    training_impact.on_implementation_started(cr, actor, comment)


def _tell_rejected(cr: ChangeRequest, actor: User, comment: str) -> None:
    _tell(
        [cr.owner, cr.created_by],
        cr,
        f"{cr.number} was rejected by the change board",
        f"{actor.printed_name}: {comment}",
        actor,
    )


def _tell_closed(cr: ChangeRequest, actor: User, comment: str) -> None:
    """Closure is announced to the originator: the change they asked for is done."""
    _tell(
        [cr.created_by],
        cr,
        f"{cr.number} is verified and closed",
        f"{actor.printed_name} verified it: {comment}",
        actor,
    )


def _rejected(cr: ChangeRequest, actor: User, comment: str) -> None:
    _tell_rejected(cr, actor, comment)
    implemented_actions.tell_not_implemented(cr, actor, comment)


def _closed(cr: ChangeRequest, actor: User, comment: str) -> None:
    _tell_closed(cr, actor, comment)
    implemented_actions.complete_on_close(cr, actor, comment)


ENTAILS: dict[str, Callable[[ChangeRequest, User, str], None]] = {
    "board_approve": _count_vote,
    "approve_retrospectively": _count_vote,
    "board_reject": _rejected,
    "implement": training_impact.on_implementation_started,
    "implement_now": _start_emergency,
    "close": _closed,
    "withdraw": implemented_actions.tell_not_implemented,
}
