"""Controlled copies: what leaves the system carries its status on every page.

A PDF made by the app (from Markdown written in it, or from an uploaded PDF with a footer
stamped on each page) says which revision it is, since when it is effective, who printed
it and when, and that a printed copy is uncontrolled. Other formats (DOCX, XLSX, images)
cannot be stamped; they are served as uploaded, and the page says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.utils import timezone

from qualitas.core import attachments, recordapi
from qualitas.core.errors import NotFound, PermissionDenied
from qualitas.documents import content, policy, queries
from qualitas.documents.workflows import State

if TYPE_CHECKING:
    from qualitas.core.models import Attachment, User
    from qualitas.documents.models import DocumentRevision

STAMPABLE = {"application/pdf", "text/markdown"}


def footer(revision: DocumentRevision, reader: User, at: datetime | None = None) -> str:
    printed = (at or timezone.now()).astimezone(UTC)
    when = f"printed {printed:%Y-%m-%d %H:%M} UTC by {reader.printed_name}"
    if revision.state == State.EFFECTIVE:
        since = f"effective {revision.effective_on:%Y-%m-%d}" if revision.effective_on else ""
        return f"Controlled copy — {revision.number}, {since} — {when}; uncontrolled when printed"
    status = revision.get_state_display().upper()
    return f"{status}: not for use — {revision.number} — {when}"


def approval_lines(revision: DocumentRevision) -> list[content.ApprovalLine]:
    """The approval block of the printed revision: this round's approvers in order, with
    the meaning and time of each signature (in UTC and in the company's time zone)."""
    zone = timezone.get_current_timezone_name()
    lines = []
    for step in queries.current_signoffs(revision):
        if step.kind != "approval":
            continue
        signed = step.signature
        if signed is None or step.outcome != "signed":
            lines.append(content.ApprovalLine(approver=step.person.printed_name))
            continue
        local = timezone.localtime(signed.signed_at)
        lines.append(
            content.ApprovalLine(
                approver=signed.printed_name,
                meaning=signed.get_meaning_display(),
                signed_utc=f"{signed.signed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
                signed_local=f"{local:%Y-%m-%d %H:%M:%S} {zone}",
            )
        )
    return lines


def _content_pdf(revision: DocumentRevision, reader: User) -> bytes:
    """The revision's Markdown content as a controlled-copy PDF."""
    return content.controlled_copy_pdf(
        footer=footer(revision, reader),
        markdown_text=revision.content_text,
        title=f"{revision.number} {revision.title}",
        approvals=approval_lines(revision),
    )


def _file_pdf(revision: DocumentRevision, attached: Attachment, reader: User) -> bytes:
    """An uploaded PDF or Markdown file as a controlled-copy PDF."""
    data = attachments.read_verified(attached)
    if attached.media_type == "application/pdf":
        return content.controlled_copy_pdf(
            footer=footer(revision, reader), source_pdf=data, approvals=approval_lines(revision)
        )
    return content.controlled_copy_pdf(
        footer=footer(revision, reader),
        markdown_text=data.decode("utf-8", "replace"),
        title=f"{revision.number} {revision.title}",
        approvals=approval_lines(revision),
    )


# --- What the pages and the API send -----------------------------------------------------------


def _pdf_response(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _stem(revision: DocumentRevision) -> str:
    return revision.number.replace(" ", "-")


def content_response(revision: DocumentRevision, reader: User) -> HttpResponse:
    """The written content as a controlled-copy PDF download."""
    if not revision.content_text.strip():
        raise NotFound(f"{revision.number} has no written content; download its files.")
    return _pdf_response(_content_pdf(revision, reader), f"{_stem(revision)}.pdf")


def file_response(
    revision: DocumentRevision, attachment_id: int, reader: User, *, original: bool = False
) -> HttpResponse:
    """One of the revision's files, as `serve_attachment` sends it."""
    attached = attachments.attachments_of(revision).filter(pk=attachment_id).first()
    if attached is None:
        raise NotFound("No such file on this revision.")
    return serve_attachment(revision, attached, reader, original=original)


def serve_attachment(
    revision: DocumentRevision, attached: Attachment, reader: User, *, original: bool = False
) -> HttpResponse:
    """PDF and Markdown as stamped controlled copies, other formats as uploaded; the
    unstamped original of a PDF or Markdown file only for document control. This is the
    revision record type's `serve_file`, so the generic record page and API send the same."""
    if attached.media_type in STAMPABLE:
        if not original:
            stem = attached.original_name.rsplit(".", 1)[0]
            data = _file_pdf(revision, attached, reader)
            return _pdf_response(data, f"{_stem(revision)}-{stem}.pdf")
        if not policy.may_download_original(reader, revision.document):
            raise PermissionDenied("Only document control downloads originals without the footer.")
    return recordapi.file_response(attached)
