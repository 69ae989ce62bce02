"""Controlled documents over the API. Mounted at /api/v1/documents.

Revisions are also records: their history, signatures, links, actions and the workflow
steps done by hand (submit, return_to_draft, withdraw) are at /api/v1/document-revisions/.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from qualitas.core import attachments, permissions, recordapi, records, signatures
from qualitas.core.errors import InvalidInput, NotFound
from qualitas.core.models import Department, Role, Site, User
from qualitas.core.pagination import Mapped, PageNumber
from qualitas.core.schemas import ErrorOut
from qualitas.documents import compare, copies, queries, search, services
from qualitas.documents import workflows as w
from qualitas.documents.models import (
    Acknowledgement,
    Document,
    DocumentRevision,
    DocumentType,
)

router = Router(tags=["documents"])
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- Schemas -----------------------------------------------------------------------------------


class DocumentTypeOut(Schema):
    id: int
    code: str
    name: str
    prefix: str
    number_pattern: str
    revision_scheme: str
    review_interval_months: int
    approval_order: str
    default_reviewers: list[int]
    default_approvers: list[int]


class DocumentTypePatch(Schema):
    reason: str = ""
    name: str | None = None
    number_pattern: str | None = None
    revision_scheme: str | None = None
    review_interval_months: int | None = None
    approval_order: str | None = None
    default_reviewers: list[int] | None = None
    default_approvers: list[int] | None = None


class RevisionSummary(Schema):
    id: int
    number: str
    label: str
    title: str
    state: str
    effective_on: date | None
    superseded_on: date | None


class DocumentOut(Schema):
    id: int
    number: str
    title: str
    document_type: str
    status: str
    owner: int
    department: int | None
    sites: list[int]
    clause_references: str
    review_interval_months: int
    confidentiality: str
    related: list[int]
    current_revision: RevisionSummary | None
    next_review_on: date | None
    withdrawn_reason: str
    version: int
    revisions: list[RevisionSummary]


class DocumentRow(Schema):
    id: int
    number: str
    title: str
    document_type: str
    status: str
    owner: int
    current_revision: str | None
    effective_on: date | None
    next_review_on: date | None


class DocumentIn(Schema):
    document_type: str
    title: str
    owner: int | None = None
    department: int | None = None
    sites: list[int] = []
    clause_references: str = ""
    review_interval_months: int | None = None
    confidentiality: str = "internal"
    content_text: str = ""
    change_reason: str = ""
    effective_on: date | None = None
    training_impact: bool = False


class DocumentPatch(Schema):
    version: int
    reason: str = ""
    owner: int | None = None
    department: int | None = None
    sites: list[int] | None = None
    related: list[int] | None = None
    clause_references: str | None = None
    review_interval_months: int | None = None
    confidentiality: str | None = None
    next_review_on: date | None = None


class SignOffOut(Schema):
    id: int
    kind: str
    person: int
    person_name: str
    position: int
    round: int
    outcome: str
    comment: str
    decided_at: datetime | None
    signature: int | None


class RevisionOut(Schema):
    id: int
    document: int
    number: str
    label: str
    title: str
    state: str
    owner: int
    content_text: str
    change_summary: str
    change_reason: str
    training_impact: bool
    training_roles: list[int]
    training_departments: list[int]
    effective_on: date | None
    superseded_on: date | None
    withdrawn_on: date | None
    version: int
    files: list[dict[str, Any]]
    signoffs: list[SignOffOut]


class RevisionPatch(Schema):
    version: int
    reason: str = ""
    title: str | None = None
    content_text: str | None = None
    change_summary: str | None = None
    change_reason: str | None = None
    training_impact: bool | None = None
    effective_on: date | None = None
    training_roles: list[int] | None = None
    training_departments: list[int] | None = None


class NewRevisionIn(Schema):
    major: bool = False
    change_reason: str = ""


class SignOffsIn(Schema):
    reviewers: list[int] = []
    approvers: list[int]


class ReviewIn(Schema):
    accept: bool
    comment: str = ""


class SignIn(Schema):
    password: str
    otp_code: str | None = Field(
        None, description="A current authenticator code; required when you have MFA"
    )
    comment: str = ""


class WithdrawIn(Schema):
    reason: str


class PeriodicReviewIn(Schema):
    outcome: str
    comment: str = ""
    password: str | None = None
    otp_code: str | None = Field(
        None, description="A current authenticator code, to sign no_change when you have MFA"
    )


class PeriodicReviewOut(Schema):
    id: int
    outcome: str
    comment: str
    reviewed_at: datetime
    next_review_on: date | None
    new_revision: int | None
    signature: int | None


class AcknowledgementOut(Schema):
    id: int
    revision: int
    revision_number: str
    person: int
    person_name: str
    state: str
    due_on: date
    overdue: bool
    acknowledged_at: datetime | None
    signature: int | None


class DiffRowOut(Schema):
    kind: str
    old_number: int | None
    new_number: int | None
    old_html: str
    new_html: str


class ComparisonOut(Schema):
    old_revision: int
    new_revision: int
    identical: bool
    added: int
    removed: int
    changed: int
    rows: list[DiffRowOut]


class HitOut(Schema):
    revision_id: int
    document_id: int
    number: str
    title: str
    state: str
    rank: float
    snippet: str


class SearchOut(Schema):
    total: int
    results: list[HitOut]


class RegisterFilters(Schema):
    q: str | None = None
    document_type: str | None = None
    status: str | None = None


# --- Conversions -------------------------------------------------------------------------------


def _summary(revision: DocumentRevision | None) -> dict[str, Any] | None:
    if revision is None:
        return None
    return {
        "id": revision.pk,
        "number": revision.number,
        "label": revision.label,
        "title": revision.title,
        "state": revision.state,
        "effective_on": revision.effective_on,
        "superseded_on": revision.superseded_on,
    }


def _document_out(document: Document, user: User) -> dict[str, Any]:
    visible = queries.visible_revisions(user, document.revisions.all()).order_by("-sequence")
    return {
        "id": document.pk,
        "number": document.number,
        "title": document.title,
        "document_type": document.document_type.code,
        "status": document.status,
        "owner": document.owner_id,
        "department": document.department_id,
        "sites": sorted(document.sites.values_list("pk", flat=True)),
        "clause_references": document.clause_references,
        "review_interval_months": document.review_interval_months,
        "confidentiality": document.confidentiality,
        "related": sorted(document.related.values_list("pk", flat=True)),
        "current_revision": _summary(document.current_revision),
        "next_review_on": document.next_review_on,
        "withdrawn_reason": document.withdrawn_reason,
        "version": document.version,
        "revisions": [_summary(r) for r in visible],
    }


def _row(document: Document) -> dict[str, Any]:
    current = document.current_revision
    return {
        "id": document.pk,
        "number": document.number,
        "title": document.title,
        "document_type": document.document_type.code,
        "status": document.status,
        "owner": document.owner_id,
        "current_revision": current.label if current else None,
        "effective_on": current.effective_on if current else None,
        "next_review_on": document.next_review_on,
    }


def _revision_out(revision: DocumentRevision) -> dict[str, Any]:
    return {
        "id": revision.pk,
        "document": revision.document_id,
        "number": revision.number,
        "label": revision.label,
        "title": revision.title,
        "state": revision.state,
        "owner": revision.owner_id,
        "content_text": revision.content_text,
        "change_summary": revision.change_summary,
        "change_reason": revision.change_reason,
        "training_impact": revision.training_impact,
        "training_roles": sorted(revision.training_roles.values_list("pk", flat=True)),
        "training_departments": sorted(revision.training_departments.values_list("pk", flat=True)),
        "effective_on": revision.effective_on,
        "superseded_on": revision.superseded_on,
        "withdrawn_on": revision.withdrawn_on,
        "version": revision.version,
        "files": [
            {
                "id": f.pk,
                "name": f.original_name,
                "media_type": f.media_type,
                "size": f.size,
                "sha256": f.sha256,
                "controlled_copy": f.media_type in copies.STAMPABLE,
            }
            for f in attachments.attachments_of(revision)
        ],
        "signoffs": [
            {
                "id": s.pk,
                "kind": s.kind,
                "person": s.person_id,
                "person_name": s.person.printed_name,
                "position": s.position,
                "round": s.round,
                "outcome": s.outcome,
                "comment": s.comment,
                "decided_at": s.decided_at,
                "signature": s.signature_id,
            }
            for s in queries.current_signoffs(revision)
        ],
    }


def _acknowledgement_out(row: Acknowledgement) -> dict[str, Any]:
    return {
        "id": row.pk,
        "revision": row.revision_id,
        "revision_number": row.revision.number,
        "person": row.person_id,
        "person_name": row.person.printed_name,
        "state": row.state,
        "due_on": row.due_on,
        "overdue": row.state == "pending" and row.due_on < timezone.localdate(),
        "acknowledged_at": row.acknowledged_at,
        "signature": row.signature_id,
    }


def _document(request: HttpRequest, document_id: int) -> Document:
    return queries.get_document(_actor(request), document_id)


def _revision(request: HttpRequest, revision_id: int) -> DocumentRevision:
    found: DocumentRevision = records.get_visible(
        _actor(request), services.record_type(), revision_id
    )
    return found


def _by_ids(model: Any, ids: list[int] | None, field: str) -> list[Any] | None:
    if ids is None:
        return None
    found = list(model.objects.filter(pk__in=ids))
    missing = sorted(set(ids) - {obj.pk for obj in found})
    if missing:
        raise InvalidInput.for_field(field, f"Unknown id(s): {', '.join(map(str, missing))}.")
    by_pk = {obj.pk: obj for obj in found}
    return [by_pk[pk] for pk in ids]


def _refuse_nulls(data: dict[str, Any], *names: str) -> None:
    """A PATCH sends only what changes; an explicit null for a field that needs a value is
    refused, naming the field."""
    for name in names:
        if name in data and data[name] is None:
            raise InvalidInput.for_field(name, "This field cannot be empty.")


def _one(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput.for_field(field, f"Unknown id {pk}.")
    return found


# --- Documents ---------------------------------------------------------------------------------


def _type_out(document_type: DocumentType) -> dict[str, Any]:
    return {
        "id": document_type.pk,
        "code": document_type.code,
        "name": document_type.name,
        "prefix": document_type.prefix,
        "number_pattern": document_type.number_pattern,
        "revision_scheme": document_type.revision_scheme,
        "review_interval_months": document_type.review_interval_months,
        "approval_order": document_type.approval_order,
        "default_reviewers": [u.pk for u in document_type.default_reviewers.all()],
        "default_approvers": [u.pk for u in document_type.default_approvers.all()],
    }


@router.get("/types", response={200: list[DocumentTypeOut], **ERRORS}, summary="Document types")
def list_types(request: HttpRequest) -> Any:
    permissions.require(_actor(request), w.VIEW)
    types = DocumentType.objects.prefetch_related("default_reviewers", "default_approvers")
    return [_type_out(t) for t in types]


@router.patch(
    "/types/{type_id}",
    response={200: DocumentTypeOut, **ERRORS},
    summary="Change a document type (numbering, scheme, review interval, approval, defaults)",
)
def update_type(request: HttpRequest, type_id: int, payload: DocumentTypePatch) -> Any:
    document_type = DocumentType.objects.filter(pk=type_id).first()
    if document_type is None:
        raise NotFound(f"No document type with id {type_id}.")
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    reviewers = _by_ids(User, data.pop("default_reviewers", None), "default_reviewers")
    approvers = _by_ids(User, data.pop("default_approvers", None), "default_approvers")
    _refuse_nulls(data, *data)
    updated = services.update_document_type(
        document_type,
        actor=_actor(request),
        reason=reason,
        default_reviewers=reviewers,
        default_approvers=approvers,
        **data,
    )
    return _type_out(updated)


@router.get("", response={200: list[DocumentRow], **ERRORS}, summary="The document register")
@paginate(PageNumber)
def list_documents(request: HttpRequest, filters: Query[RegisterFilters]) -> Any:
    permissions.require(_actor(request), w.VIEW)
    found = queries.visible_documents(_actor(request)).select_related(
        "document_type", "current_revision"
    )
    if filters.q:
        from django.db.models import Q

        found = found.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    if filters.document_type:
        found = found.filter(document_type__code=filters.document_type)
    if filters.status:
        found = found.filter(status=filters.status)
    return Mapped(found.order_by("number"), _row)


@router.post("", response={201: DocumentOut, **ERRORS}, summary="Register a document (first draft)")
def create_document(request: HttpRequest, payload: DocumentIn) -> Any:
    actor = _actor(request)
    document_type = DocumentType.objects.filter(code=payload.document_type).first()
    if document_type is None:
        codes = ", ".join(DocumentType.objects.values_list("code", flat=True))
        raise InvalidInput.for_field("document_type", f"Choose one of: {codes}.")
    document = services.create_document(
        actor=actor,
        document_type=document_type,
        title=payload.title,
        owner=_one(User, payload.owner, "owner"),
        department=_one(Department, payload.department, "department"),
        sites=_by_ids(Site, payload.sites, "sites") or [],
        clause_references=payload.clause_references,
        review_interval_months=payload.review_interval_months,
        confidentiality=payload.confidentiality,
        content_text=payload.content_text,
        change_reason=payload.change_reason,
        effective_on=payload.effective_on,
        training_impact=payload.training_impact,
    )
    return Status(201, _document_out(document, actor))


@router.get("/search", response={200: SearchOut, **ERRORS}, summary="Full-text search")
def search_documents(request: HttpRequest, q: str, page: int = 1) -> Any:
    permissions.require(_actor(request), w.VIEW)
    if page < 1:
        raise InvalidInput.for_field("page", "Pages count from 1.")
    found = search.search_revisions(_actor(request), q, limit=20, offset=(page - 1) * 20)
    return {"total": found.total, "results": found.hits}


@router.get(
    "/acknowledgements/mine",
    response={200: list[AcknowledgementOut], **ERRORS},
    summary="Revisions I must read and acknowledge",
)
def my_acknowledgements(request: HttpRequest) -> Any:
    return [_acknowledgement_out(a) for a in queries.my_acknowledgements(_actor(request))]


@router.get("/{document_id}", response={200: DocumentOut, **ERRORS})
def get_document(request: HttpRequest, document_id: int) -> Any:
    return _document_out(_document(request, document_id), _actor(request))


@router.get(
    "/{document_id}/history",
    response={200: list[recordapi.HistoryOut], **ERRORS},
    summary="The audit trail of the document's register entry (each revision has its own)",
)
def document_history(request: HttpRequest, document_id: int) -> Any:
    document = _document(request, document_id)
    return [recordapi.history_row(e) for e in recordapi.history_of(document)]


@router.patch(
    "/{document_id}",
    response={200: DocumentOut, **ERRORS},
    summary="Change a document's details (send the version you edited)",
)
def update_document(request: HttpRequest, document_id: int, payload: DocumentPatch) -> Any:
    data = payload.dict(exclude_unset=True)
    plain = ("clause_references", "review_interval_months", "confidentiality", "next_review_on")
    _refuse_nulls(data, *plain)
    changes: dict[str, Any] = {name: data[name] for name in plain if name in data}
    if "owner" in data:
        changes["owner"] = _one(User, data["owner"], "owner")
        if changes["owner"] is None:
            raise InvalidInput.for_field("owner", "A document always has an owner.")
    if "department" in data:
        changes["department"] = _one(Department, data["department"], "department")
    updated = services.update_document(
        _document(request, document_id),
        actor=_actor(request),
        expected_version=payload.version,
        reason=payload.reason,
        sites=_by_ids(Site, data.get("sites"), "sites"),
        related=_by_ids(Document, data.get("related"), "related"),
        **changes,
    )
    return _document_out(updated, _actor(request))


@router.post(
    "/{document_id}/revisions",
    response={201: RevisionOut, **ERRORS},
    summary="Start the next revision as a draft",
)
def new_revision(request: HttpRequest, document_id: int, payload: NewRevisionIn) -> Any:
    revision = services.new_revision(
        _document(request, document_id),
        actor=_actor(request),
        major=payload.major,
        change_reason=payload.change_reason,
    )
    return Status(201, _revision_out(revision))


@router.post(
    "/{document_id}/withdraw",
    response={200: DocumentOut, **ERRORS},
    summary="Withdraw the document (obsolete), with the reason",
)
def withdraw(request: HttpRequest, document_id: int, payload: WithdrawIn) -> Any:
    document = services.withdraw_document(
        _document(request, document_id), actor=_actor(request), reason=payload.reason
    )
    return _document_out(document, _actor(request))


@router.post(
    "/{document_id}/periodic-review",
    response={201: PeriodicReviewOut, **ERRORS},
    summary="Record the periodic review (no_change is signed with the password)",
)
def periodic_review(request: HttpRequest, document_id: int, payload: PeriodicReviewIn) -> Any:
    actor = _actor(request)
    document = _document(request, document_id)
    token = None
    if payload.outcome == "no_change":
        queries.require_control(actor, document)  # before asking for the password
        token = signatures.authenticate_from(request, actor, payload, subject=document)
    done = services.record_periodic_review(
        document, actor=actor, outcome=payload.outcome, comment=payload.comment, signature=token
    )
    return Status(
        201,
        {
            "id": done.pk,
            "outcome": done.outcome,
            "comment": done.comment,
            "reviewed_at": done.reviewed_at,
            "next_review_on": done.next_review_on,
            "new_revision": done.new_revision_id,
            "signature": done.signature_id,
        },
    )


@router.get(
    "/{document_id}/compare",
    response={200: ComparisonOut, **ERRORS},
    summary="Compare the text of two revisions (from → to)",
)
def compare_revisions(
    request: HttpRequest, document_id: int, from_revision: int, to_revision: int
) -> Any:
    document = _document(request, document_id)
    visible = queries.visible_revisions(_actor(request), document.revisions.all())
    old = visible.filter(pk=from_revision).first()
    new = visible.filter(pk=to_revision).first()
    if old is None or new is None:
        missing = "from_revision" if old is None else "to_revision"
        raise NotFound(f"No revision {missing} of {document.number} that you may see.")
    result = compare.compare(services.revision_text(old), services.revision_text(new))
    return {
        "old_revision": old.pk,
        "new_revision": new.pk,
        "identical": result.identical,
        "added": result.added,
        "removed": result.removed,
        "changed": result.changed,
        "rows": result.rows,
    }


# --- Revisions ---------------------------------------------------------------------------------


@router.get("/revisions/{revision_id}", response={200: RevisionOut, **ERRORS})
def get_revision(request: HttpRequest, revision_id: int) -> Any:
    return _revision_out(_revision(request, revision_id))


@router.patch(
    "/revisions/{revision_id}",
    response={200: RevisionOut, **ERRORS},
    summary="Change a draft (send the version you edited)",
)
def update_revision(request: HttpRequest, revision_id: int, payload: RevisionPatch) -> Any:
    data = payload.dict(exclude_unset=True)
    version, reason = data.pop("version"), data.pop("reason", "")
    roles = _by_ids(Role, data.pop("training_roles", None), "training_roles")
    departments = _by_ids(
        Department, data.pop("training_departments", None), "training_departments"
    )
    _refuse_nulls(
        data, "title", "content_text", "change_summary", "change_reason", "training_impact"
    )
    updated = services.edit_revision(
        _revision(request, revision_id),
        actor=_actor(request),
        expected_version=version,
        reason=reason,
        training_roles=roles,
        training_departments=departments,
        **data,
    )
    return _revision_out(updated)


@router.post(
    "/revisions/{revision_id}/files",
    response={201: RevisionOut, **ERRORS},
    summary="Add a content file to a draft (multipart form: file, description)",
)
def add_file(
    request: HttpRequest,
    revision_id: int,
    file: File[UploadedFile],
    description: Form[str] = "",
) -> Any:
    revision = _revision(request, revision_id)
    services.add_file(
        revision,
        actor=_actor(request),
        file=file,
        name=file.name or "file",
        description=description,
    )
    return Status(201, _revision_out(revision))


@router.get(
    "/revisions/{revision_id}/files/{attachment_id}",
    response={200: None, **ERRORS},
    summary="Download a file: PDF and Markdown as a controlled copy with the footer",
)
def download_file(
    request: HttpRequest, revision_id: int, attachment_id: int, *, original: bool = False
) -> HttpResponse:
    revision = _revision(request, revision_id)
    return copies.file_response(revision, attachment_id, _actor(request), original=original)


@router.get(
    "/revisions/{revision_id}/pdf",
    response={200: None, **ERRORS},
    summary="The written content as a controlled-copy PDF",
)
def content_pdf(request: HttpRequest, revision_id: int) -> HttpResponse:
    return copies.content_response(_revision(request, revision_id), _actor(request))


@router.put(
    "/revisions/{revision_id}/signoffs",
    response={200: RevisionOut, **ERRORS},
    summary="Choose reviewers and approvers (approvers in signing order)",
)
def set_signoffs(request: HttpRequest, revision_id: int, payload: SignOffsIn) -> Any:
    revision = _revision(request, revision_id)
    reviewers = _by_ids(User, payload.reviewers, "reviewers") or []
    approvers = _by_ids(User, payload.approvers, "approvers") or []
    if not approvers:
        raise InvalidInput.for_field("approvers", "Choose at least one approver.")
    services.set_signoffs(revision, actor=_actor(request), reviewers=reviewers, approvers=approvers)
    return _revision_out(revision)


@router.post(
    "/revisions/{revision_id}/review",
    response={200: RevisionOut, **ERRORS},
    summary="Review: accept, or comment",
)
def review(request: HttpRequest, revision_id: int, payload: ReviewIn) -> Any:
    revision = _revision(request, revision_id)
    services.review(revision, actor=_actor(request), accept=payload.accept, comment=payload.comment)
    return _revision_out(revision)


@router.post(
    "/revisions/{revision_id}/approve",
    response={200: RevisionOut, **ERRORS},
    summary="Approve by electronic signature (re-enter the password)",
)
def approve(request: HttpRequest, revision_id: int, payload: SignIn) -> Any:
    actor = _actor(request)
    revision = _revision(request, revision_id)
    services.check_approval(revision, actor)  # before asking for the password
    token = signatures.authenticate_from(request, actor, payload, subject=revision)
    done = services.approve(revision, actor=actor, signature=token, comment=payload.comment)
    return _revision_out(done)


@router.get(
    "/revisions/{revision_id}/acknowledgements",
    response={200: list[AcknowledgementOut], **ERRORS},
    summary="Who has read and acknowledged the revision, and who has not",
)
def acknowledgements(request: HttpRequest, revision_id: int) -> Any:
    actor = _actor(request)
    revision = _revision(request, revision_id)
    if not queries.may_control(actor, revision.document):
        permissions.require(actor, w.HISTORY)
    rows = revision.acknowledgements.select_related("person", "revision").order_by("id")
    return [_acknowledgement_out(a) for a in rows]


@router.post(
    "/revisions/{revision_id}/acknowledge",
    response={200: AcknowledgementOut, **ERRORS},
    summary="Sign 'read and understood' (re-enter the password)",
)
def acknowledge(request: HttpRequest, revision_id: int, payload: SignIn) -> Any:
    actor = _actor(request)
    revision = _revision(request, revision_id)
    pending = Acknowledgement.objects.filter(revision=revision, person=actor).first()
    if pending is None:
        raise NotFound(f"You were not asked to acknowledge {revision.number}.")
    token = signatures.authenticate_from(request, actor, payload, subject=revision)
    done = services.acknowledge(pending, actor=actor, signature=token)
    return _acknowledgement_out(done)
