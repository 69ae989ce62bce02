"""A document's identity has the same sub-paths as every record (history, signatures,
attachments, links, actions, transitions), gathered over the revisions the reader may see:
an auditor asks one document for every approval it ever had. Mounted at /api/v1/documents
beside `api` (declared in module.py); `/{document_id}/history` is in `api`.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from qualitas.core import actions, attachments, recordapi
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.documents import policy, queries, schemas as s
from qualitas.documents.models import Document, DocumentRevision

router = Router()


class OfRevision(Schema):
    """Which revision a row belongs to."""

    revision: int
    revision_number: str
    revision_label: str


class DocumentSignatureOut(recordapi.SignatureOut, OfRevision):
    pass


class DocumentAttachmentOut(recordapi.AttachmentOut, OfRevision):
    pass


class DocumentLinkOut(recordapi.LinkOut, OfRevision):
    pass


class DocumentActionOut(recordapi.ActionOut, OfRevision):
    pass


class DocumentStepOut(Schema):
    name: str
    label: str
    method_path: str
    allowed: bool
    refusals: list[str]


def _revisions(request: HttpRequest, document_id: int) -> tuple[Document, list[DocumentRevision]]:
    document = s.document_of(request, document_id)
    seen = queries.visible_revisions(actor_of(request), document.revisions.all())
    return document, list(seen.order_by("sequence"))


def _of(revision: DocumentRevision) -> dict[str, Any]:
    return {
        "revision": revision.pk,
        "revision_number": revision.number,
        "revision_label": revision.label,
    }


@router.get(
    "/{document_id}/signatures",
    response={200: list[DocumentSignatureOut], **ERRORS},
    summary="Every signature on the revisions you may see (approvals, reviews, reading)",
)
def document_signatures(request: HttpRequest, document_id: int) -> Any:
    _document, revisions = _revisions(request, document_id)
    return [row | _of(r) for r in revisions for row in recordapi.signature_rows(r)]


@router.get(
    "/{document_id}/attachments",
    response={200: list[DocumentAttachmentOut], **ERRORS},
    summary="The files of the revisions you may see (download through the revision)",
)
def document_attachments(request: HttpRequest, document_id: int) -> Any:
    _document, revisions = _revisions(request, document_id)
    rows = []
    for revision in revisions:
        for found in attachments.attachments_of(revision, include_removed=True):
            row = recordapi.AttachmentOut.from_orm(found).dict()
            rows.append({**row, "uploaded_by_id": row.pop("uploaded_by"), **_of(revision)})
    return rows


@router.get(
    "/{document_id}/links",
    response={200: list[DocumentLinkOut], **ERRORS},
    summary="Records linked to the revisions you may see (change requests, CAPAs …)",
)
def document_links(request: HttpRequest, document_id: int) -> Any:
    _document, revisions = _revisions(request, document_id)
    actor = actor_of(request)
    return [row | _of(r) for r in revisions for row in recordapi.link_rows(r, actor)]


@router.get(
    "/{document_id}/actions",
    response={200: list[DocumentActionOut], **ERRORS},
    summary="Actions on the revisions you may see",
)
def document_actions(request: HttpRequest, document_id: int) -> Any:
    _document, revisions = _revisions(request, document_id)
    return [
        recordapi.action_row(a, "docrevision") | _of(r)
        for r in revisions
        for a in actions.actions_of(r)
    ]


@router.get(
    "/{document_id}/transitions",
    response={200: list[DocumentStepOut], **ERRORS},
    summary="The document's own steps (next revision, periodic review, withdraw) and why not",
)
def document_transitions(request: HttpRequest, document_id: int) -> Any:
    document = s.document_of(request, document_id)
    return [
        {
            "name": step.name,
            "label": step.label,
            "method_path": step.method_path,
            "allowed": not step.refusals,
            "refusals": list(step.refusals),
        }
        for step in policy.document_steps(actor_of(request), document)
    ]
