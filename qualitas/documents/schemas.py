"""The documents API's request and response shapes, and the conversions both its routers
share (`api` for documents, `api_revisions` for revisions).

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema

from qualitas.core import attachments, records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.core.schemas import actor_of
from qualitas.core.training_requests import Reading
from qualitas.documents import copies, queries, services
from qualitas.documents.models import (
    Document,
    DocumentRevision,
    DocumentType,
)

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
    default_training_roles: list[int]
    default_training_departments: list[int]


class DocumentTypePatch(Schema):
    reason: str = ""
    name: str | None = None
    number_pattern: str | None = None
    revision_scheme: str | None = None
    review_interval_months: int | None = None
    approval_order: str | None = None
    default_reviewers: list[int] | None = None
    default_approvers: list[int] | None = None
    default_training_roles: list[int] | None = None
    default_training_departments: list[int] | None = None


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
    # Who must read it (ids); when training_impact is true and both are empty, the type's
    # default readers, and without those the request is refused.
    training_roles: list[int] = []
    training_departments: list[int] = []


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
    training_record: str
    revision: int
    revision_number: str
    person: int
    person_name: str
    state: str
    due_on: date | None
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


def revision_summary(revision: DocumentRevision | None) -> dict[str, Any] | None:
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


def document_out(document: Document, user: User) -> dict[str, Any]:
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
        "current_revision": revision_summary(document.current_revision),
        "next_review_on": document.next_review_on,
        "withdrawn_reason": document.withdrawn_reason,
        "version": document.version,
        "revisions": [revision_summary(r) for r in visible],
    }


def document_row(document: Document) -> dict[str, Any]:
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


def revision_out(revision: DocumentRevision) -> dict[str, Any]:
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


def acknowledgements_out(rows: list[Reading]) -> list[dict[str, Any]]:
    """Readings as the documents API has always shown them; `id` is the training record
    that keeps the reading (`training_record` its number)."""
    numbers = dict(
        DocumentRevision.objects.filter(pk__in={r.revision_id for r in rows}).values_list(
            "pk", "number"
        )
    )
    today = timezone.localdate()
    return [
        {
            "id": row.record_id,
            "training_record": row.record_number,
            "revision": row.revision_id,
            "revision_number": numbers.get(row.revision_id, ""),
            "person": row.person_id,
            "person_name": row.person_name,
            "state": row.state,
            "due_on": row.due_on,
            "overdue": row.state == "pending" and row.due_on is not None and row.due_on < today,
            "acknowledged_at": row.acknowledged_at,
            "signature": row.signature_id,
        }
        for row in rows
    ]


def document_of(request: HttpRequest, document_id: int) -> Document:
    return queries.get_document(actor_of(request), document_id)


def revision_of(request: HttpRequest, revision_id: int) -> DocumentRevision:
    found: DocumentRevision = records.get_visible(
        actor_of(request), services.record_type(), revision_id
    )
    return found


def by_ids(model: Any, ids: list[int] | None, field: str) -> list[Any] | None:
    if ids is None:
        return None
    found = list(model.objects.filter(pk__in=ids))
    missing = sorted(set(ids) - {obj.pk for obj in found})
    if missing:
        raise InvalidInput.for_field(field, f"Unknown id(s): {', '.join(map(str, missing))}.")
    by_pk = {obj.pk: obj for obj in found}
    return [by_pk[pk] for pk in ids]


def refuse_nulls(data: dict[str, Any], *names: str) -> None:
    """A PATCH sends only what changes; an explicit null for a field that needs a value is
    refused, naming the field."""
    for name in names:
        if name in data and data[name] is None:
            raise InvalidInput.for_field(name, "This field cannot be empty.")


def one_of(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput.for_field(field, f"Unknown id {pk}.")
    return found


# --- Document types -------------------------------------------------------------------------


def type_out(document_type: DocumentType) -> dict[str, Any]:
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
        "default_training_roles": [r.pk for r in document_type.default_training_roles.all()],
        "default_training_departments": [
            d.pk for d in document_type.default_training_departments.all()
        ],
    }
