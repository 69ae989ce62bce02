"""The search text of a revision: its Markdown and the text of its files, kept in
`SearchEntry` for full-text search and for comparing revisions."""

from __future__ import annotations

from qualitas.core import attachments
from qualitas.documents.models import DocumentRevision, SearchEntry


def index(revision: DocumentRevision) -> SearchEntry:
    """Rebuild the revision's search text from its Markdown and the text of its files.

    A file whose text cannot be read (damaged, or a crafted file the text worker gave up on)
    is kept: it is the controlled content as its author uploaded it, and refusing it would
    block the revision for a search convenience. The revision page says which files search
    and compare do not see, so document control can replace them. (Zip bombs never get here:
    the upload refuses them.)
    """
    from django.conf import settings

    from qualitas.documents import content

    parts = [revision.content_text]
    unread = []
    for attached in attachments.attachments_of(revision):
        try:
            data = attachments.read_verified(attached)
        except (attachments.AttachmentCorrupted, OSError):
            continue
        text = content.read_text(
            data,
            attached.media_type,
            seconds=settings.TEXT_EXTRACTION_SECONDS,
            memory_mb=settings.TEXT_EXTRACTION_MEMORY_MB,
            max_unpacked=settings.MAX_UNPACKED_MB * 1024 * 1024,
        )
        if text is None:
            unread.append(attached.pk)
        else:
            parts.append(text)
    entry, _ = SearchEntry.objects.update_or_create(
        revision=revision,
        defaults={
            "number": revision.number,
            "title": revision.title,
            "body": "\n\n".join(p for p in parts if p.strip()),
            "unread_files": unread or None,
        },
    )
    return entry


def unread_files(revision: DocumentRevision) -> set[int]:
    """Ids of the revision's files whose text search and compare do not have."""
    found = SearchEntry.objects.filter(revision=revision).values_list("unread_files", flat=True)
    return set(next(iter(found), None) or [])


def revision_text(revision: DocumentRevision) -> str:
    """The text compared between revisions (as indexed)."""
    entry = SearchEntry.objects.filter(revision=revision).first()
    return entry.body if entry is not None else index(revision).body
