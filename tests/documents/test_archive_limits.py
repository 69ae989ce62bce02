"""Zip bombs and pathological files (issue 10, finding 5): refused before anything unpacks them,
or, when they get past the archive checks, only the text worker suffers.

The bombs are built here, the way the review built its 185 KB .docx with a 150 MB
document.xml: a real Word file or workbook whose main part is replaced by 150 MB of zeros.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile
import zlib

import pytest
from django.core.files.storage import default_storage
from docx import Document as WordDocument
from openpyxl import Workbook

from qualitas.core import archives
from qualitas.core.errors import InvalidInput
from qualitas.core.models import Attachment, AuditEvent
from qualitas.documents import content, services
from qualitas.documents.models import Document, SearchEntry
from qualitas.studies import parsing

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def word_file(text: str = "Segregate nonconforming parts in the red bay.") -> bytes:
    document = WordDocument()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def workbook_file() -> bytes:
    book = Workbook()
    book.active.append(["lot", "diameter"])
    book.active.append(["A1", 10.02])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def replaced(archive: bytes, part: str, *, zeros: int = 0, extra: int = 0) -> bytes:
    """``archive`` with ``part`` replaced by ``zeros`` bytes of zeros (written in chunks, never
    held whole) and ``extra`` small members added."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info.filename, source.read(info))
        with target.open(part, "w", force_zip64=True) as stream:
            chunk = b"\0" * MB
            for _ in range(zeros // MB):
                stream.write(chunk)
        for number in range(extra):
            target.writestr(f"word/media/part{number}.xml", b"<x/>")
    return out.getvalue()


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    return replaced(word_file(), "word/document.xml", zeros=150 * MB)


@pytest.fixture(scope="module")
def xlsx_bomb() -> bytes:
    return replaced(workbook_file(), "xl/worksheets/sheet1.xml", zeros=150 * MB)


def forged(archive: bytes, part: str, declared: int) -> bytes:
    """``archive`` whose headers say ``part`` unpacks to ``declared`` bytes (it unpacks to more)."""
    data = bytearray(archive)
    name = part.encode()
    # (signature, offset of the uncompressed size, of the name's length, of the name)
    for signature, size_at, length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),  # local file header
        (b"PK\x01\x02", 24, 28, 46),  # central directory entry
    ):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_length = struct.unpack_from("<H", data, start + length_at)[0]
            if bytes(data[start + name_at : start + name_at + name_length]) == name:
                struct.pack_into("<I", data, start + size_at, declared)
            start += 4
    return bytes(data)


def pdf_with_stream(payload: bytes) -> bytes:
    """A one-page PDF whose page content is ``payload``, FlateDecode-compressed."""
    stream = zlib.compress(payload, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def upload(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture
def draft(new_document):
    return new_document(content_text="").revisions.get()


def assert_nothing_saved(revision, events_before: int, data: bytes) -> None:
    assert not Attachment.objects.filter(object_id=revision.pk).exists()
    assert AuditEvent.objects.count() == events_before
    digest = hashlib.sha256(data).hexdigest()
    assert not default_storage.exists(f"attachments/{digest[:2]}/{digest}")


# --- The archive checks, by themselves ---------------------------------------------------------


def test_the_review_s_bomb_is_small_and_recognised_from_its_directory(docx_bomb):
    assert len(docx_bomb) < 400_000  # the review's was 185 KB
    assert archives.problem(docx_bomb, max_unpacked=200 * MB) == (
        "a part of it is compressed more than 100:1 (a zip bomb)"
    )
    assert archives.problem(word_file(), max_unpacked=200 * MB) is None
    assert archives.problem(workbook_file(), max_unpacked=200 * MB) is None


def test_an_archive_that_would_unpack_beyond_the_limit_is_refused_whatever_its_ratio():
    incompressible = word_file(os.urandom(600_000).hex())  # 1.2 MB of text, ratio about 2:1
    assert archives.problem(incompressible, max_unpacked=200 * MB) is None
    assert archives.problem(incompressible, max_unpacked=1 * MB) == (
        "it would unpack to more than 1 MB"
    )


def test_declared_sizes_are_not_trusted():
    text = "Torque the fasteners to 12 Nm. " * 40_000  # 1.2 MB; said to be 1,000 bytes
    honest = word_file(text)
    lying = forged(honest, "word/document.xml", declared=1000)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("word/document.xml").file_size == 1000
    assert archives.problem(lying, max_unpacked=200 * MB) == "it is a damaged archive"
    assert content.extract_text(lying, content.DOCX) == ""


def test_an_archive_of_too_many_parts_is_refused():
    many = replaced(word_file(), "word/document.xml", extra=archives.MAX_MEMBERS)
    assert archives.problem(many, max_unpacked=200 * MB) == (
        "it is an archive of more than 5,000 parts"
    )


# --- Through the service, the page and the API -------------------------------------------------


def test_a_docx_bomb_is_refused_naming_the_file_and_nothing_is_saved(author, draft, docx_bomb):
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        services.add_file(
            draft, actor=author, file=upload(docx_bomb, "bomb.docx"), name="bomb.docx"
        )
    (error,) = refused.value.errors
    assert error.field == "file"
    assert error.message == (
        "'bomb.docx' is refused: a part of it is compressed more than 100:1 (a zip bomb)."
    )
    assert_nothing_saved(draft, events, docx_bomb)


def test_an_xlsx_bomb_is_refused_and_nothing_is_saved(author, draft, xlsx_bomb):
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput, match=r"'lots\.xlsx' is refused: .* zip bomb"):
        services.add_file(
            draft, actor=author, file=upload(xlsx_bomb, "lots.xlsx"), name="lots.xlsx"
        )
    assert_nothing_saved(draft, events, xlsx_bomb)


def test_the_limit_is_the_installation_s(author, draft, settings):
    settings.MAX_UNPACKED_MB = 1
    data = word_file(os.urandom(600_000).hex())
    with pytest.raises(InvalidInput, match="would unpack to more than 1 MB"):
        services.add_file(draft, actor=author, file=upload(data, "big.docx"), name="big.docx")


def test_a_bomb_from_the_document_page_is_refused_with_its_reason(
    client_for, author, draft, procedure, docx_bomb
):
    events = AuditEvent.objects.count()
    page = client_for(author).post(
        f"/document-revisions/{draft.pk}/files/",
        {"file": upload(docx_bomb, "bomb.docx"), "description": ""},
        follow=True,
    )
    assert page.status_code == 200
    assert "&#x27;bomb.docx&#x27; is refused: a part of it is compressed" in page.content.decode()
    assert_nothing_saved(draft, events, docx_bomb)
    # Raising a new document with it: neither the document nor the file.
    response = client_for(author).post(
        "/documents/new/",
        {
            "document_type": procedure.pk,
            "title": "Bombed procedure",
            "confidentiality": "internal",
            "file": upload(docx_bomb, "bomb.docx"),
        },
    )
    assert response.status_code == 422 and b"zip bomb" in response.content
    assert not Document.objects.filter(title="Bombed procedure").exists()


def test_a_bomb_through_the_api_is_a_422_on_the_file_field(api_for, author, draft, xlsx_bomb):
    api = api_for(author)
    events = AuditEvent.objects.count()
    response = api.client.post(
        f"/api/v1/document-revisions/{draft.pk}/files",
        {"file": upload(xlsx_bomb, "lots.xlsx")},
        headers=api.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert "zip bomb" in response.json()["errors"][0]["message"]
    assert_nothing_saved(draft, events, xlsx_bomb)


def test_an_ordinary_word_file_still_gives_its_text(author, draft, client_for):
    services.add_file(draft, actor=author, file=upload(word_file(), "wi.docx"), name="wi.docx")
    entry = SearchEntry.objects.get(revision=draft)
    assert "Segregate nonconforming parts in the red bay." in entry.body
    assert entry.unread_files is None
    page = client_for(author).get(f"/documents/{draft.document_id}/").content.decode()
    assert "wi.docx" in page and 'data-testid="text-not-extracted"' not in page


def test_a_pdf_decompression_bomb_is_kept_without_text_and_the_page_says_so(
    author, draft, client_for
):
    bomb = pdf_with_stream(b"BT /F1 12 Tf (x) Tj ET\n" + b" " * (150 * MB))
    assert len(bomb) < 400_000
    added = services.add_file(draft, actor=author, file=upload(bomb, "scan.pdf"), name="scan.pdf")
    entry = SearchEntry.objects.get(revision=draft)
    assert entry.unread_files == [added.pk]
    page = client_for(author).get(f"/documents/{draft.document_id}/").content.decode()
    assert 'data-testid="text-not-extracted"' in page
    assert "search and compare do not see this file" in page


def test_a_file_that_exhausts_the_worker_is_kept_without_its_text(author, draft, settings):
    settings.TEXT_EXTRACTION_MEMORY_MB = 16  # the worker cannot even start within this
    added = services.add_file(
        draft, actor=author, file=upload(word_file("unique-word-xyz"), "wi.docx"), name="wi.docx"
    )
    assert Attachment.objects.filter(pk=added.pk).exists()
    entry = SearchEntry.objects.get(revision=draft)
    assert entry.unread_files == [added.pk] and "unique-word-xyz" not in entry.body
    # With room to work, the next index reads it (a failure is remembered per file, so it is
    # another file here).
    settings.TEXT_EXTRACTION_MEMORY_MB = 1024
    services.add_file(
        draft, actor=author, file=upload(word_file("second-word-abc"), "b.docx"), name="b.docx"
    )
    entry.refresh_from_db()
    assert "second-word-abc" in entry.body and entry.unread_files == [added.pk]


def test_the_worker_s_memory_limit_holds():
    assert content.read_text(word_file("fits"), content.DOCX) == "fits"
    assert content.read_text(word_file("does not fit"), content.DOCX, memory_mb=16) is None


def test_spc_measurements_from_an_xlsx_bomb_are_refused(xlsx_bomb):
    with pytest.raises(InvalidInput) as refused:
        parsing.parse_upload(xlsx_bomb, "lots.xlsx")
    assert refused.value.errors[0].field == "file"
    assert "zip bomb" in refused.value.errors[0].message
    table = parsing.parse_upload(workbook_file(), "lots.xlsx")
    assert table.headers == ("lot", "diameter")
