"""API of the audits module: checklists under /api/v1/audits/{id}/checklist (read, generate,
add a question, answer one, answer a batch a tablet kept offline, attach evidence) and the
question banks under /api/v1/question-banks (mounted in module.py).

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from qualitas.audits import checklists, question_banks, services, workflows as w
from qualitas.audits.models import (
    Audit,
    BankQuestion,
    ChecklistEvidence,
    ChecklistItem,
    QuestionBank,
)
from qualitas.core import permissions, records
from qualitas.core.errors import NotFound
from qualitas.core.pagination import PageNumber
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["Audits"])

# The question banks checklists draw on: /api/v1/question-banks.
banks_router = Router(tags=["Audits"])

ANSWER_HELP = "conforming, minor_nc, major_nc, observation, ofi or not_audited"


def _audit(request: HttpRequest, audit_id: int) -> Audit:
    found: Audit = records.get_visible(actor_of(request), services.record_type(), audit_id)
    return found


def items_of(audit_: Audit) -> QuerySet[ChecklistItem]:
    """The checklist with what each row shows, in a fixed number of queries."""
    return (
        audit_.checklist.select_related("requirement", "answered_by")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=ChecklistEvidence.objects.select_related("attachment").filter(
                    attachment__removed_at__isnull=True
                ),
            )
        )
        .order_by("order", "id")
    )


class EvidenceOut(Schema):
    attachment: int
    name: str
    media_type: str
    size: int
    url: str = Field(..., description="Download it (the checksum is verified first)")


class ItemOut(Schema):
    id: int
    order: int
    question: str
    guidance: str
    requirement: int | None
    requirement_ref: str = Field(..., description="The requirement's reference (8.5.1, A.5.15)")
    bank_question: int | None
    answer: str = Field(..., description=f"Empty until answered; {ANSWER_HELP}")
    answer_label: str
    notes: str
    answered_by: int | None
    answered_by_name: str
    answered_at: datetime | None
    revision: int = Field(..., description="Send it back with an answer: rises with each one")
    evidence: list[EvidenceOut]


class ChecklistOut(Schema):
    audit: int
    number: str
    state: str
    version: int
    may_answer: bool
    total: int
    answered: int
    counts: dict[str, int] = Field(..., description="Answered items per answer")
    items: list[ItemOut]


def item_out(item: ChecklistItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "order": item.order,
        "question": item.question,
        "guidance": item.guidance,
        "requirement": item.requirement_id,
        "requirement_ref": item.requirement.ref_id if item.requirement else "",
        "bank_question": item.bank_question_id,
        "answer": item.answer,
        "answer_label": checklists.ANSWERS.get(item.answer, ""),
        "notes": item.notes,
        "answered_by": item.answered_by_id,
        "answered_by_name": item.answered_by.printed_name if item.answered_by else "",
        "answered_at": item.answered_at,
        "revision": item.revision,
        "evidence": [
            {
                "attachment": e.attachment_id,
                "name": e.attachment.original_name,
                "media_type": e.attachment.media_type,
                "size": e.attachment.size,
                "url": f"/api/v1/{services.record_type().resource}/{item.audit_id}/attachments/"
                f"{e.attachment_id}",
            }
            for e in item.evidence.all()
        ],
    }


def checklist_out(audit_: Audit, viewer: Any) -> dict[str, Any]:
    items = [item_out(i) for i in items_of(audit_)]
    counts: dict[str, int] = {}
    for item in items:
        if item["answer"]:
            counts[item["answer"]] = counts.get(item["answer"], 0) + 1
    return {
        "audit": audit_.pk,
        "number": audit_.number,
        "state": audit_.state,
        "version": audit_.version,
        "may_answer": audit_.state in w.FIELDWORK and checklists.may_answer(viewer, audit_),
        "total": len(items),
        "answered": sum(counts.values()),
        "counts": counts,
        "items": items,
    }


@router.get(
    "/{audit_id}/checklist",
    response={200: ChecklistOut, **ERRORS},
    summary="The audit's checklist with its answers and evidence",
)
def get_checklist(request: HttpRequest, audit_id: int) -> Any:
    return checklist_out(_audit(request, audit_id), actor_of(request))


class GenerateIn(Schema):
    version: int | None = Field(None, description="The audit's version you read")
    bank_ids: list[int] = Field(
        default_factory=list, description="Question banks to add every question of"
    )


class GeneratedOut(ChecklistOut):
    added: int


@router.post(
    "/{audit_id}/checklist/generate",
    response={200: GeneratedOut, **ERRORS},
    summary="Generate the checklist from the criteria and question banks (planning only)",
    description="Adds what is missing: a question per auditable requirement of the criteria "
    "(retired ones left out), bank questions tied to the criteria, and every question of the "
    "banks named. Running it again asks nothing twice.",
)
def generate(request: HttpRequest, audit_id: int, payload: GenerateIn) -> Any:
    actor = actor_of(request)
    done = checklists.generate(
        _audit(request, audit_id),
        actor=actor,
        bank_ids=payload.bank_ids,
        expected_version=payload.version,
    )
    return {**checklist_out(done.audit, actor), "added": done.added}


class QuestionIn(Schema):
    question: str = Field(..., max_length=4000)
    guidance: str = Field("", max_length=4000)
    requirement: int | None = Field(None, description="Id of the requirement it tests")
    version: int | None = Field(None, description="The audit's version you read")


@router.post(
    "/{audit_id}/checklist/questions",
    response={201: ItemOut, **ERRORS},
    summary="Add a question of your own to the checklist (planning only)",
)
def add_question(request: HttpRequest, audit_id: int, payload: QuestionIn) -> Any:
    item = checklists.add_question(
        _audit(request, audit_id),
        actor=actor_of(request),
        question=payload.question,
        guidance=payload.guidance,
        requirement_id=payload.requirement,
        expected_version=payload.version,
    )
    return Status(201, item_out(_item(item.audit, item.pk)))


def _item(audit_: Audit, item_id: int) -> ChecklistItem:
    found = items_of(audit_).filter(pk=item_id).first()
    if found is None:
        raise NotFound(f"No question {item_id} on the checklist of {audit_.number}.")
    return found


class BatchAnswerIn(Schema):
    item: int
    answer: str = Field(..., description=ANSWER_HELP)
    notes: str = ""
    revision: int = Field(..., description="The item's revision the answer was given on")


class BatchIn(Schema):
    answers: list[BatchAnswerIn] = Field(..., max_length=1000)


class ResultOut(Schema):
    item: int
    status: str = Field(..., description="saved, or conflict: someone else answered it since")
    answer: str = Field(..., description="The answer on the server now")
    notes: str
    revision: int
    answered_by: str
    answered_at: datetime | None
    message: str


class BatchOut(Schema):
    results: list[ResultOut]
    answered: int
    total: int


@router.post(
    "/{audit_id}/checklist/answers",
    response={200: BatchOut, **ERRORS},
    summary="Answer several questions at once (what a tablet kept while offline)",
    description="Every answer is checked first: one bad answer refuses the batch (422 naming "
    "answers[i].answer or answers[i].item) and nothing is saved. Then each answer given on "
    "the item's current revision is saved; the others come back as conflicts with the answer "
    "on the server now.",
)
def answer_batch(request: HttpRequest, audit_id: int, payload: BatchIn) -> Any:
    audit_ = _audit(request, audit_id)
    results = checklists.answer_many(
        audit_,
        actor=actor_of(request),
        answers=[
            checklists.AnswerInput(a.item, a.answer, a.revision, a.notes) for a in payload.answers
        ],
    )
    left = audit_.checklist.filter(answer="").count()
    total = audit_.checklist.count()
    return {"results": results, "answered": total - left, "total": total}


class AnswerIn(Schema):
    answer: str = Field(..., description=ANSWER_HELP)
    notes: str = ""
    revision: int = Field(..., description="The item's revision you read")


@router.patch(
    "/{audit_id}/checklist/{int:item_id}",
    response={200: ItemOut, **ERRORS},
    summary="Answer one question (fieldwork only)",
    description="409 when someone answered it since the revision you read: the message "
    "names the answer there now.",
)
def answer_item(request: HttpRequest, audit_id: int, item_id: int, payload: AnswerIn) -> Any:
    audit_ = _audit(request, audit_id)
    item = checklists.answer(
        _item(audit_, item_id),
        actor=actor_of(request),
        answer=payload.answer,
        notes=payload.notes,
        expected_revision=payload.revision,
    )
    return item_out(_item(audit_, item.pk))


class EvidenceAdded(Schema):
    attachment: int
    name: str
    media_type: str
    size: int


@router.post(
    "/{audit_id}/checklist/{int:item_id}/evidence",
    response={201: EvidenceAdded, **ERRORS},
    summary="Attach evidence (a photo, a record seen) to a question: multipart file, description",
)
def add_evidence(
    request: HttpRequest,
    audit_id: int,
    item_id: int,
    file: File[UploadedFile],
    description: Form[str] = "",
) -> Any:
    audit_ = _audit(request, audit_id)
    added = checklists.attach_evidence(
        _item(audit_, item_id),
        actor=actor_of(request),
        file=file,
        name=file.name or "evidence",
        description=description,
    )
    return Status(
        201,
        {
            "attachment": added.pk,
            "name": added.original_name,
            "media_type": added.media_type,
            "size": added.size,
        },
    )


# --- Question banks ----------------------------------------------------------------------------


class BankQuestionOut(Schema):
    id: int
    order: int
    text: str
    guidance: str
    requirement: int | None = Field(..., alias="requirement_id")
    retired: bool


class BankOut(Schema):
    id: int
    name: str
    description: str
    audit_type: str
    active: bool


class BankDetailOut(BankOut):
    questions: list[BankQuestionOut]


class BankIn(Schema):
    name: str = Field(..., max_length=120)
    description: str = ""
    audit_type: str = Field("", description="internal, external, supplier, … or empty")


class BankPatch(Schema):
    name: str | None = Field(None, max_length=120)
    description: str | None = None
    audit_type: str | None = None
    active: bool | None = None


class BankQuestionIn(Schema):
    text: str = Field(..., max_length=4000)
    guidance: str = Field("", max_length=4000)
    requirement: int | None = Field(
        None, description="Id of a requirement: asked whenever it is among an audit's criteria"
    )


def _may_see_banks(request: HttpRequest) -> None:
    permissions.require(actor_of(request), w.VIEW)


def _bank(request: HttpRequest, bank_id: int) -> QuestionBank:
    _may_see_banks(request)
    found: QuestionBank | None = (
        QuestionBank.objects.filter(pk=bank_id)
        .prefetch_related(
            Prefetch("questions", queryset=BankQuestion.objects.order_by("order", "id"))
        )
        .first()
    )
    if found is None:
        raise NotFound(f"No question bank with id {bank_id}.")
    return found


@banks_router.get("", response={200: list[BankOut], **ERRORS}, summary="List question banks")
@paginate(PageNumber)
def list_banks(request: HttpRequest) -> Any:
    _may_see_banks(request)
    return QuestionBank.objects.order_by("name", "id")


@banks_router.post("", response={201: BankOut, **ERRORS}, summary="Create a question bank")
def create_bank(request: HttpRequest, payload: BankIn) -> Any:
    bank = question_banks.create_bank(
        actor=actor_of(request),
        name=payload.name,
        description=payload.description,
        audit_type=payload.audit_type,
    )
    return Status(201, bank)


@banks_router.get(
    "/{bank_id}",
    response={200: BankDetailOut, **ERRORS},
    summary="A question bank and its questions",
)
def get_bank(request: HttpRequest, bank_id: int) -> Any:
    return _bank(request, bank_id)


@banks_router.patch(
    "/{bank_id}",
    response={200: BankDetailOut, **ERRORS},
    summary="Rename or describe a bank, or take it out of use (active: false)",
)
def change_bank(request: HttpRequest, bank_id: int, payload: BankPatch) -> Any:
    question_banks.change_bank(
        _bank(request, bank_id), actor=actor_of(request), **payload.dict(exclude_unset=True)
    )
    return _bank(request, bank_id)


@banks_router.post(
    "/{bank_id}/questions",
    response={201: BankQuestionOut, **ERRORS},
    summary="Add a question to a bank",
)
def add_bank_question(request: HttpRequest, bank_id: int, payload: BankQuestionIn) -> Any:
    question = question_banks.add_bank_question(
        _bank(request, bank_id),
        actor=actor_of(request),
        text=payload.text,
        guidance=payload.guidance,
        requirement_id=payload.requirement,
    )
    return Status(201, question)


@banks_router.post(
    "/{bank_id}/questions/{question_id}/retire",
    response={200: BankQuestionOut, **ERRORS},
    summary="Retire a question: no longer asked on new checklists",
)
def retire_bank_question(request: HttpRequest, bank_id: int, question_id: int) -> Any:
    bank = _bank(request, bank_id)
    question = next((q for q in bank.questions.all() if q.pk == question_id), None)
    if question is None:
        raise NotFound(f"No question {question_id} in {bank.name}.")
    return question_banks.retire_bank_question(question, actor=actor_of(request))
