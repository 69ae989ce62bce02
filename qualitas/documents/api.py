"""Controlled documents over the API. Mounted at /api/v1/documents.

A revision is a record with its one tree at /api/v1/document-revisions/: the module's own
endpoints there (files as controlled copies, sign-offs, review, approval, reading) are
`api_revisions`, beside the generic ones (history, signatures, links, actions,
transitions). The shapes are in `schemas`.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from qualitas.core import permissions, recordapi, signatures
from qualitas.core.errors import InvalidInput, NotFound
from qualitas.core.models import Department, Role, Site, User
from qualitas.core.pagination import Mapped, PageNumber
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.documents import (
    compare,
    indexing,
    policy,
    queries,
    reading,
    reviews,
    schemas as s,
    search,
    services,
    workflows as w,
)
from qualitas.documents.models import Document, DocumentType

router = Router(tags=["documents"])


@router.get("/types", response={200: list[s.DocumentTypeOut], **ERRORS}, summary="Document types")
def list_types(request: HttpRequest) -> Any:
    permissions.require(actor_of(request), w.VIEW)
    types = DocumentType.objects.prefetch_related(
        "default_reviewers",
        "default_approvers",
        "default_training_roles",
        "default_training_departments",
    )
    return [s.type_out(t) for t in types]


@router.patch(
    "/types/{type_id}",
    response={200: s.DocumentTypeOut, **ERRORS},
    summary="Change a document type (numbering, scheme, review interval, approval, defaults)",
)
def update_type(request: HttpRequest, type_id: int, payload: s.DocumentTypePatch) -> Any:
    document_type = DocumentType.objects.filter(pk=type_id).first()
    if document_type is None:
        raise NotFound(f"No document type with id {type_id}.")
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    reviewers = s.by_ids(User, data.pop("default_reviewers", None), "default_reviewers")
    approvers = s.by_ids(User, data.pop("default_approvers", None), "default_approvers")
    roles = s.by_ids(Role, data.pop("default_training_roles", None), "default_training_roles")
    departments = s.by_ids(
        Department, data.pop("default_training_departments", None), "default_training_departments"
    )
    s.refuse_nulls(data, *data)
    updated = services.update_document_type(
        document_type,
        actor=actor_of(request),
        reason=reason,
        default_reviewers=reviewers,
        default_approvers=approvers,
        default_training_roles=roles,
        default_training_departments=departments,
        **data,
    )
    return s.type_out(updated)


@router.get("", response={200: list[s.DocumentRow], **ERRORS}, summary="The document register")
@paginate(PageNumber)
def list_documents(request: HttpRequest, filters: Query[s.RegisterFilters]) -> Any:
    permissions.require(actor_of(request), w.VIEW)
    found = queries.visible_documents(actor_of(request)).select_related(
        "document_type", "current_revision"
    )
    if filters.q:
        from django.db.models import Q

        found = found.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    if filters.document_type:
        found = found.filter(document_type__code=filters.document_type)
    if filters.status:
        found = found.filter(status=filters.status)
    return Mapped(found.order_by("number"), s.document_row)


@router.post(
    "", response={201: s.DocumentOut, **ERRORS}, summary="Register a document (first draft)"
)
def create_document(request: HttpRequest, payload: s.DocumentIn) -> Any:
    actor = actor_of(request)
    document_type = DocumentType.objects.filter(code=payload.document_type).first()
    if document_type is None:
        codes = ", ".join(DocumentType.objects.values_list("code", flat=True))
        raise InvalidInput.for_field("document_type", f"Choose one of: {codes}.")
    document = services.create_document(
        actor=actor,
        document_type=document_type,
        title=payload.title,
        owner=s.one_of(User, payload.owner, "owner"),
        department=s.one_of(Department, payload.department, "department"),
        sites=s.by_ids(Site, payload.sites, "sites") or [],
        clause_references=payload.clause_references,
        review_interval_months=payload.review_interval_months,
        confidentiality=payload.confidentiality,
        content_text=payload.content_text,
        change_reason=payload.change_reason,
        effective_on=payload.effective_on,
        training_impact=payload.training_impact,
        training_roles=s.by_ids(Role, payload.training_roles, "training_roles") or [],
        training_departments=s.by_ids(
            Department, payload.training_departments, "training_departments"
        )
        or [],
    )
    return Status(201, s.document_out(document, actor))


@router.get("/search", response={200: s.SearchOut, **ERRORS}, summary="Full-text search")
def search_documents(request: HttpRequest, q: str, page: int = 1) -> Any:
    permissions.require(actor_of(request), w.VIEW)
    if page < 1:
        raise InvalidInput.for_field("page", "Pages count from 1.")
    found = search.search_revisions(actor_of(request), q, limit=20, offset=(page - 1) * 20)
    return {"total": found.total, "results": found.hits}


@router.get(
    "/acknowledgements/mine",
    response={200: list[s.AcknowledgementOut], **ERRORS},
    summary="Revisions I must read and acknowledge",
)
def my_acknowledgements(request: HttpRequest) -> Any:
    return s.acknowledgements_out(reading.pending_for(actor_of(request)))


@router.get("/{document_id}", response={200: s.DocumentOut, **ERRORS})
def get_document(request: HttpRequest, document_id: int) -> Any:
    return s.document_out(s.document_of(request, document_id), actor_of(request))


@router.get(
    "/{document_id}/history",
    response={200: list[recordapi.HistoryOut], **ERRORS},
    summary="The audit trail of the document's register entry (each revision has its own)",
)
def document_history(request: HttpRequest, document_id: int) -> Any:
    document = s.document_of(request, document_id)
    return [recordapi.history_row(e) for e in recordapi.history_of(document)]


@router.patch(
    "/{document_id}",
    response={200: s.DocumentOut, **ERRORS},
    summary="Change a document's details (send the version you edited)",
)
def update_document(request: HttpRequest, document_id: int, payload: s.DocumentPatch) -> Any:
    data = payload.dict(exclude_unset=True)
    plain = ("clause_references", "review_interval_months", "confidentiality", "next_review_on")
    s.refuse_nulls(data, *plain)
    changes: dict[str, Any] = {name: data[name] for name in plain if name in data}
    if "owner" in data:
        changes["owner"] = s.one_of(User, data["owner"], "owner")
        if changes["owner"] is None:
            raise InvalidInput.for_field("owner", "A document always has an owner.")
    if "department" in data:
        changes["department"] = s.one_of(Department, data["department"], "department")
    updated = services.update_document(
        s.document_of(request, document_id),
        actor=actor_of(request),
        expected_version=payload.version,
        reason=payload.reason,
        sites=s.by_ids(Site, data.get("sites"), "sites"),
        related=s.by_ids(Document, data.get("related"), "related"),
        **changes,
    )
    return s.document_out(updated, actor_of(request))


@router.post(
    "/{document_id}/revisions",
    response={201: s.RevisionOut, **ERRORS},
    summary="Start the next revision as a draft",
)
def new_revision(request: HttpRequest, document_id: int, payload: s.NewRevisionIn) -> Any:
    revision = services.new_revision(
        s.document_of(request, document_id),
        actor=actor_of(request),
        major=payload.major,
        change_reason=payload.change_reason,
    )
    return Status(201, s.revision_out(revision))


@router.post(
    "/{document_id}/withdraw",
    response={200: s.DocumentOut, **ERRORS},
    summary="Withdraw the document (obsolete), with the reason",
)
def withdraw(request: HttpRequest, document_id: int, payload: s.WithdrawIn) -> Any:
    document = services.withdraw_document(
        s.document_of(request, document_id), actor=actor_of(request), reason=payload.reason
    )
    return s.document_out(document, actor_of(request))


@router.post(
    "/{document_id}/periodic-review",
    response={201: s.PeriodicReviewOut, **ERRORS},
    summary="Record the periodic review (no_change is signed with the password)",
)
def periodic_review(request: HttpRequest, document_id: int, payload: s.PeriodicReviewIn) -> Any:
    actor = actor_of(request)
    document = s.document_of(request, document_id)
    token = None
    if payload.outcome == "no_change":
        policy.require_control(actor, document)  # before asking for the password
        token = signatures.authenticate_from(request, actor, payload, subject=document)
    done = reviews.record_periodic_review(
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
    response={200: s.ComparisonOut, **ERRORS},
    summary="Compare the text of two revisions (from → to)",
)
def compare_revisions(
    request: HttpRequest, document_id: int, from_revision: int, to_revision: int
) -> Any:
    document = s.document_of(request, document_id)
    visible = queries.visible_revisions(actor_of(request), document.revisions.all())
    old = visible.filter(pk=from_revision).first()
    new = visible.filter(pk=to_revision).first()
    if old is None or new is None:
        missing = "from_revision" if old is None else "to_revision"
        raise NotFound(f"No revision {missing} of {document.number} that you may see.")
    result = compare.compare(indexing.revision_text(old), indexing.revision_text(new))
    return {
        "old_revision": old.pk,
        "new_revision": new.pk,
        "identical": result.identical,
        "added": result.added,
        "removed": result.removed,
        "changed": result.changed,
        "rows": result.rows,
    }
