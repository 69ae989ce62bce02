"""Controlled copies: what leaves the system carries its status on every page.

A PDF made by the app (from Markdown written in it, or from an uploaded PDF with a footer
stamped on each page) says which revision it is, since when it is effective, who printed
it and when, and that a printed copy is uncontrolled. Other formats (DOCX, XLSX, images)
cannot be stamped; they are served as uploaded, and the page says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from qualitas.core import attachments
from qualitas.documents import content
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


def content_pdf(revision: DocumentRevision, reader: User) -> bytes:
    """The revision's Markdown content as a controlled-copy PDF."""
    return content.controlled_copy_pdf(
        footer=footer(revision, reader),
        markdown_text=revision.content_text,
        title=f"{revision.number} {revision.title}",
    )


def file_pdf(revision: DocumentRevision, attached: Attachment, reader: User) -> bytes:
    """An uploaded PDF or Markdown file as a controlled-copy PDF."""
    data = attachments.read_verified(attached)
    if attached.media_type == "application/pdf":
        return content.controlled_copy_pdf(footer=footer(revision, reader), source_pdf=data)
    return content.controlled_copy_pdf(
        footer=footer(revision, reader),
        markdown_text=data.decode("utf-8", "replace"),
        title=f"{revision.number} {revision.title}",
    )
