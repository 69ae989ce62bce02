"""Attachments: checked by content, hashed, verified on download, kept when withdrawn."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

from qualitas.core import attachments, records, workflow
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import Attachment, AuditEvent, User
from tests.core.records.conftest import token_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_a_file_is_stored_with_its_checksum_and_audited(
    raise_deviation: object, author: User
) -> None:
    record = raise_deviation()  # type: ignore[operator]

    added = attachments.add(record, actor=author, file=io.BytesIO(PDF), name="cert.pdf")

    assert (added.media_type, added.size, added.original_name) == (
        "application/pdf",
        len(PDF),
        "cert.pdf",
    )
    assert attachments.read_verified(added) == PDF
    assert AuditEvent.objects.filter(
        object_type__model="attachment", object_id=added.pk, action="create"
    ).exists()


@pytest.mark.parametrize(
    ("_case", "data", "name", "expected"),
    [
        (
            "docx",
            _docx(),
            "report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "photo.png", "image/png"),
        ("csv", b"part,qty\nA-12,3\n", "counts.csv", "text/csv"),
        ("markdown", "# Notes\nÜber".encode(), "notes.md", "text/markdown"),
    ],
)
def test_allowed_types_are_recognised_by_content(
    raise_deviation: object, author: User, _case: str, data: bytes, name: str, expected: str
) -> None:
    added = attachments.add(raise_deviation(), actor=author, file=io.BytesIO(data), name=name)  # type: ignore[operator]

    assert added.media_type == expected


@pytest.mark.parametrize(
    ("_case", "data", "name", "why"),
    [
        ("renamed executable", b"MZ\x90\x00" + b"\0" * 60, "manual.pdf", "executable"),
        ("elf binary", b"\x7fELF" + b"\0" * 60, "data.csv", "executable"),
        ("script", b"#!/bin/sh\nrm -rf /\n", "notes.txt", "script"),
        ("zip archive", b"PK\x03\x04" + b"\0" * 40, "docs.zip", "damaged archive"),
        ("binary blob", bytes(range(256)), "blob.bin", "not one of the allowed"),
    ],
)
def test_disallowed_content_is_refused_whatever_its_name(
    raise_deviation: object, author: User, _case: str, data: bytes, name: str, why: str
) -> None:
    record = raise_deviation()  # type: ignore[operator]

    with pytest.raises(InvalidInput, match=why) as refused:
        attachments.add(record, actor=author, file=io.BytesIO(data), name=name)

    assert refused.value.errors[0].field == "file"
    assert not Attachment.objects.exists()


def test_oversized_files_are_refused(raise_deviation: object, author: User) -> None:
    with (
        override_settings(MAX_ATTACHMENT_MB=1),
        pytest.raises(InvalidInput, match="larger than 1 MB"),
    ):
        attachments.add(
            raise_deviation(),
            actor=author,
            file=io.BytesIO(PDF + b"x" * 1024 * 1024),
            name="big.pdf",
        )  # type: ignore[operator]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("inv<o>ice\x00.pdf", "inv_o_ice.pdf"),
        ("   ", "file"),
        ("Prüfbericht Nr. 7.pdf", "Prüfbericht Nr. 7.pdf"),
    ],
)
def test_filenames_are_sanitised(given: str, kept: str) -> None:
    assert attachments.clean_filename(given) == kept


def test_a_file_changed_in_storage_is_not_served(raise_deviation: object, author: User) -> None:
    own_bytes = PDF + b"% only this test stores these bytes\n"
    added = attachments.add(
        raise_deviation(), actor=author, file=io.BytesIO(own_bytes), name="c.pdf"
    )  # type: ignore[operator]
    with default_storage.open(added.file.name, "wb") as stored:
        stored.write(b"%PDF-1.7 tampered")

    with pytest.raises(attachments.AttachmentCorrupted, match="no longer matches its checksum"):
        attachments.read_verified(added)


def test_withdrawing_keeps_the_file_and_records_why(raise_deviation: object, author: User) -> None:
    added = attachments.add(raise_deviation(), actor=author, file=io.BytesIO(PDF), name="cert.pdf")  # type: ignore[operator]

    attachments.remove(added, actor=author, reason="Wrong certificate")

    added.refresh_from_db()
    assert (added.removed_by, added.removal_reason) == (author, "Wrong certificate")
    assert attachments.read_verified(added) == PDF


def test_files_of_a_closed_record_cannot_be_removed(
    raise_deviation: object, author: User, approver: User
) -> None:
    record = raise_deviation(impact="Low")  # type: ignore[operator]
    added = attachments.add(record, actor=author, file=io.BytesIO(PDF), name="cert.pdf")
    record = workflow.fire(record, "submit", actor=author)
    record = workflow.fire(record, "approve", actor=approver, signature=token_for(approver))
    workflow.fire(record, "close", actor=approver, signature=token_for(approver))

    with pytest.raises(records.RecordLocked):
        attachments.remove(added, actor=author, reason="Tidy up")

    added.refresh_from_db()
    assert added.removed_at is None


def test_strangers_cannot_attach(raise_deviation: object, contributor: User) -> None:
    with pytest.raises(PermissionDenied):
        attachments.add(raise_deviation(), actor=contributor, file=io.BytesIO(PDF), name="x.pdf")  # type: ignore[operator]
