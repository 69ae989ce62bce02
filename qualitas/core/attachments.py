"""Attachments: files on records, checked by content, hashed, served only to those who may see.

- The type is decided by the file's bytes, not its name: a renamed executable is refused.
- The SHA-256 is stored at upload and checked on every download.
- Files are stored under their hash, never under the uploaded name.
- Removing is a recorded withdrawal (the file stays), and impossible on a locked record.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils import timezone

from qualitas.core import actions, archives, audit, records
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import ActionItem, Attachment

if TYPE_CHECKING:
    from qualitas.core.models import User

OFFICE_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
TEXT_TYPES = {".csv": "text/csv", ".md": "text/markdown", ".markdown": "text/markdown"}
# What people may upload, as decided by content; anything else is refused with its reason.
ALLOWED = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "text/markdown",
    *(media for media, _ in OFFICE_TYPES.values()),
}


class AttachmentCorrupted(Conflict):
    """The stored file no longer matches the checksum taken at upload."""


@dataclass(frozen=True)
class Sniffed:
    media_type: str | None
    reason: str = ""


def sniff(data: bytes, name: str) -> Sniffed:
    """The media type the bytes really are (or why the file is refused)."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg")
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image/gif")
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed("image/webp")
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return Sniffed(None, "it is an executable program")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if head.startswith(b"#!"):
        return Sniffed(None, "it is a script")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Sniffed(None, "its type is not one of the allowed document types")
    if "\x00" in text:
        return Sniffed(None, "its type is not one of the allowed document types")
    return Sniffed(TEXT_TYPES.get(PurePosixPath(name.lower()).suffix, "text/plain"))


def _sniff_zip(data: bytes) -> Sniffed:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return Sniffed(None, "it is a damaged archive")
    if "[Content_Types].xml" in names:
        for folder, (media_type, _) in OFFICE_TYPES.items():
            if any(n.startswith(folder) for n in names):
                # Kept, and later parsed for its text: refuse it now if it is a zip bomb.
                bomb = archives.problem(data, max_unpacked=archives.max_unpacked())
                return Sniffed(None, bomb) if bomb else Sniffed(media_type)
    return Sniffed(None, "archives other than Office documents are not accepted")


_UNSAFE = re.compile(r"[^\w.\- ()+,]+", re.UNICODE)


def clean_filename(name: str) -> str:
    """A name safe to show and to offer in Content-Disposition (no paths, no control chars)."""
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _UNSAFE.sub("_", name).strip(" ._")
    if not name:
        return "file"
    stem, dot, suffix = name.rpartition(".")
    if dot and len(suffix) <= 10:
        return f"{stem[: 150 - len(suffix) - 1]}.{suffix}"
    return name[:150]


def _subject_record(subject: Any) -> Any:
    return actions.record_of(subject) if isinstance(subject, ActionItem) else subject


def _may_change(actor: User, subject: Any) -> bool:
    if isinstance(subject, ActionItem):
        return actions.may_complete(actor, subject)
    return records.may_edit(actor, subject)


def _refuse_if_locked(subject: Any, doing: str) -> None:
    record = _subject_record(subject)
    workflow = records.type_of(record).workflow
    if record.state in workflow.locked_states:
        raise records.RecordLocked(
            f"{record.number} is {record.get_state_display()}: "
            f"attachments can no longer be {doing}."
        )


def attachments_of(subject: Any, *, include_removed: bool = False) -> QuerySet[Attachment]:
    found = Attachment.objects.filter(
        object_type=ContentType.objects.get_for_model(type(subject)), object_id=subject.pk
    ).select_related("uploaded_by", "removed_by")
    return found if include_removed else found.filter(removed_at__isnull=True)


@audit.service
def add(
    subject: Any, *, actor: User, file: IO[bytes], name: str, description: str = ""
) -> Attachment:
    """Attach a file to a record (or to an action item, as evidence)."""
    _refuse_if_locked(subject, "added")
    if not _may_change(actor, subject):
        raise PermissionDenied("You may not add files here.")
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    data = file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput.for_field(
            "file", f"The file is larger than {settings.MAX_ATTACHMENT_MB} MB."
        )
    if not data:
        raise InvalidInput.for_field("file", "The file is empty.")
    safe_name = clean_filename(name)
    sniffed = sniff(data, safe_name)
    if sniffed.media_type not in ALLOWED:
        raise InvalidInput.for_field("file", f"'{safe_name}' is refused: {sniffed.reason}.")
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        object_type=ContentType.objects.get_for_model(type(subject)),
        object_id=subject.pk,
        original_name=safe_name,
        media_type=sniffed.media_type or "",
        size=len(data),
        sha256=digest,
        description=description,
        uploaded_by=actor,
    )
    path = f"attachments/{digest[:2]}/{digest}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    attachment.file.name = path
    attachment.save()
    return attachment


@audit.service
def copy(attachment: Attachment, *, to: Any, actor: User) -> Attachment:
    """Carry a file over to another record (a new revision starts from the last one's files):
    a new attachment on `to`, sharing the stored bytes, which are kept by their hash."""
    _refuse_if_locked(to, "added")
    if not _may_change(actor, to):
        raise PermissionDenied("You may not add files here.")
    copied = Attachment(
        object_type=ContentType.objects.get_for_model(type(to)),
        object_id=to.pk,
        original_name=attachment.original_name,
        media_type=attachment.media_type,
        size=attachment.size,
        sha256=attachment.sha256,
        description=attachment.description,
        uploaded_by=actor,
    )
    copied.file.name = attachment.file.name
    copied.save()
    return copied


@audit.service
def remove(attachment: Attachment, *, actor: User, reason: str) -> Attachment:
    """Withdraw a file from a record (it stays stored, and the withdrawal is recorded)."""
    subject = attachment.object_type.get_object_for_this_type(pk=attachment.object_id)
    _refuse_if_locked(subject, "removed")
    if not _may_change(actor, subject):
        raise PermissionDenied("You may not remove files here.")
    if attachment.removed_at is not None:
        return attachment
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the file is removed.")
    attachment.removed_at = timezone.now()
    attachment.removed_by = actor
    attachment.removal_reason = reason
    attachment.save()
    return attachment


def read_verified(attachment: Attachment) -> bytes:
    """The file's bytes, after checking them against the checksum taken at upload."""
    with default_storage.open(attachment.file.name, "rb") as stored:
        data: bytes = stored.read()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise AttachmentCorrupted(
            f"'{attachment.original_name}' no longer matches its checksum: it was changed "
            "outside Qualitas. It is not served; tell the quality manager."
        )
    return data
