"""Revisions of controlled documents over the API, under their record type's resource
/api/v1/document-revisions (declared in module.py): the revision with its files and
sign-offs (in place of the generic detail), content, files, reviewers and approvers,
review, approval by signature, read and understood.

The operation ids are those the routes had when they lived in `api`, so clients generated
from the OpenAPI document keep working.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from qualitas.core import signatures
from qualitas.core.errors import InvalidInput
from qualitas.core.models import Department, Role, User
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.documents import copies, policy, reading, schemas as s, services, signoffs

router = Router()


@router.get(
    "/{record_id}",
    response={200: s.RevisionOut, **ERRORS},
    operation_id="qualitas_documents_api_get_revision",
)
def get_revision(request: HttpRequest, record_id: int) -> Any:
    return s.revision_out(s.revision_of(request, record_id))


@router.patch(
    "/{record_id}",
    response={200: s.RevisionOut, **ERRORS},
    summary="Change a draft (send the version you edited)",
    operation_id="qualitas_documents_api_update_revision",
)
def update_revision(request: HttpRequest, record_id: int, payload: s.RevisionPatch) -> Any:
    data = payload.dict(exclude_unset=True)
    version, reason = data.pop("version"), data.pop("reason", "")
    roles = s.by_ids(Role, data.pop("training_roles", None), "training_roles")
    departments = s.by_ids(
        Department, data.pop("training_departments", None), "training_departments"
    )
    s.refuse_nulls(
        data, "title", "content_text", "change_summary", "change_reason", "training_impact"
    )
    updated = services.edit_revision(
        s.revision_of(request, record_id),
        actor=actor_of(request),
        expected_version=version,
        reason=reason,
        training_roles=roles,
        training_departments=departments,
        **data,
    )
    return s.revision_out(updated)


@router.post(
    "/{record_id}/files",
    response={201: s.RevisionOut, **ERRORS},
    summary="Add a content file to a draft (multipart form: file, description)",
    operation_id="qualitas_documents_api_add_file",
)
def add_file(
    request: HttpRequest,
    record_id: int,
    file: File[UploadedFile],
    description: Form[str] = "",
) -> Any:
    revision = s.revision_of(request, record_id)
    services.add_file(
        revision,
        actor=actor_of(request),
        file=file,
        name=file.name or "file",
        description=description,
    )
    return Status(201, s.revision_out(revision))


@router.get(
    "/{record_id}/files/{attachment_id}",
    response={200: None, **ERRORS},
    summary="Download a file: PDF and Markdown as a controlled copy with the footer",
    operation_id="qualitas_documents_api_download_file",
)
def download_file(
    request: HttpRequest, record_id: int, attachment_id: int, *, original: bool = False
) -> HttpResponse:
    revision = s.revision_of(request, record_id)
    return copies.file_response(revision, attachment_id, actor_of(request), original=original)


@router.get(
    "/{record_id}/pdf",
    response={200: None, **ERRORS},
    summary="The written content as a controlled-copy PDF",
    operation_id="qualitas_documents_api_content_pdf",
)
def content_pdf(request: HttpRequest, record_id: int) -> HttpResponse:
    return copies.content_response(s.revision_of(request, record_id), actor_of(request))


@router.put(
    "/{record_id}/signoffs",
    response={200: s.RevisionOut, **ERRORS},
    summary="Choose reviewers and approvers (approvers in signing order)",
    operation_id="qualitas_documents_api_set_signoffs",
)
def set_signoffs(request: HttpRequest, record_id: int, payload: s.SignOffsIn) -> Any:
    revision = s.revision_of(request, record_id)
    reviewers = s.by_ids(User, payload.reviewers, "reviewers") or []
    approvers = s.by_ids(User, payload.approvers, "approvers") or []
    if not approvers:
        raise InvalidInput.for_field("approvers", "Choose at least one approver.")
    signoffs.set_signoffs(
        revision, actor=actor_of(request), reviewers=reviewers, approvers=approvers
    )
    return s.revision_out(revision)


@router.post(
    "/{record_id}/review",
    response={200: s.RevisionOut, **ERRORS},
    summary="Review: accept, or comment",
    operation_id="qualitas_documents_api_review",
)
def review(request: HttpRequest, record_id: int, payload: s.ReviewIn) -> Any:
    revision = s.revision_of(request, record_id)
    signoffs.review(
        revision, actor=actor_of(request), accept=payload.accept, comment=payload.comment
    )
    return s.revision_out(revision)


@router.post(
    "/{record_id}/approve",
    response={200: s.RevisionOut, **ERRORS},
    summary="Approve by electronic signature (re-enter the password)",
    operation_id="qualitas_documents_api_approve",
)
def approve(request: HttpRequest, record_id: int, payload: s.SignIn) -> Any:
    actor = actor_of(request)
    revision = s.revision_of(request, record_id)
    signoffs.check_approval(revision, actor)  # before asking for the password
    token = signatures.authenticate_from(request, actor, payload, subject=revision)
    done = signoffs.approve(revision, actor=actor, signature=token, comment=payload.comment)
    return s.revision_out(done)


@router.get(
    "/{record_id}/acknowledgements",
    response={200: list[s.AcknowledgementOut], **ERRORS},
    summary="Who has read and acknowledged the revision, and who has not",
    operation_id="qualitas_documents_api_acknowledgements",
)
def acknowledgements(request: HttpRequest, record_id: int) -> Any:
    actor = actor_of(request)
    revision = s.revision_of(request, record_id)
    policy.require_see_who_read(actor, revision)
    return s.acknowledgements_out(reading.readings(revision))


@router.post(
    "/{record_id}/acknowledge",
    response={200: s.AcknowledgementOut, **ERRORS},
    summary="Sign 'read and understood' (re-enter the password)",
    operation_id="qualitas_documents_api_acknowledge",
)
def acknowledge(request: HttpRequest, record_id: int, payload: s.SignIn) -> Any:
    actor = actor_of(request)
    revision = s.revision_of(request, record_id)
    reading.require_asked(revision, actor)
    token = signatures.authenticate_from(request, actor, payload, subject=revision)
    done = reading.acknowledge(revision, actor=actor, signature=token)
    return s.acknowledgements_out([done])[0]
