"""The approval block of a controlled copy: who approved the printed revision, what the
signature means, and when (UTC and local time)."""

from __future__ import annotations

import io
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from qualitas.core import workflow
from qualitas.core.models import Signature
from qualitas.documents import services, signoffs
from qualitas.documents.content import ApprovalLine, controlled_copy_pdf
from tests.documents.conftest import sign_token

pytestmark = pytest.mark.django_db

FOOTER = "Controlled copy — SOP-0001 rev A — printed by Zoë"


def pdf_pages(data: bytes) -> list[str]:
    return [
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    ]


@pytest.fixture
def berlin(settings):
    # Local time must differ from UTC for the test to tell them apart.
    settings.TIME_ZONE = "Europe/Berlin"
    return ZoneInfo("Europe/Berlin")


@pytest.fixture
def approved(new_document, author, approver, second_approver):
    revision = new_document(content_text="# Purpose\n\nSegregate the parts.").revisions.get()
    signoffs.set_signoffs(
        revision, actor=author, reviewers=[], approvers=[approver, second_approver]
    )
    workflow.fire(revision, "submit", actor=author)
    for person in (approver, second_approver):
        revision = signoffs.approve(revision, actor=person, signature=sign_token(person))
    return revision


def _expected(signature: Signature, zone: ZoneInfo) -> list[str]:
    utc = signature.signed_at.astimezone(UTC)
    local = signature.signed_at.astimezone(zone)
    return [
        signature.printed_name,
        "Approved",
        f"{utc:%Y-%m-%d %H:%M:%S} UTC",
        f"{local:%Y-%m-%d %H:%M:%S} Europe/Berlin",
    ]


def test_the_printed_revision_shows_who_approved_it_meaning_and_when(
    client_for, viewer, approved, berlin
):
    assert approved.state == "effective"
    response = client_for(viewer).get(f"/document-revisions/{approved.pk}/pdf/")
    assert response.status_code == 200
    first_page = pdf_pages(response.content)[0]
    assert "Approval Approved by Meaning of the signature" in first_page
    signatures = Signature.objects.filter(object_id=approved.pk, meaning="approved")
    assert signatures.count() == 2
    for signature in signatures:
        for text in _expected(signature, berlin):
            assert text in first_page, text
    # In the order the approvers were listed.
    assert first_page.index("Abe Approver") < first_page.index("Bea Second")


def test_a_stamped_pdf_gets_the_approval_block_on_a_last_page(
    client_for, viewer, new_document, author, approver, berlin
):
    from weasyprint import HTML

    revision = new_document(content_text="").revisions.get()
    source = HTML(string="<h1>Drawing 1042</h1><p>Bore 12 H7</p>").write_pdf()
    added = services.add_file(revision, actor=author, file=io.BytesIO(source), name="d.pdf")
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    signoffs.approve(revision, actor=approver, signature=sign_token(approver))
    response = client_for(viewer).get(f"/document-revisions/{revision.pk}/files/{added.pk}/")
    pages = pdf_pages(response.content)
    assert len(pages) == 2
    assert "Bore 12 H7" in pages[0] and "Page 1 of 2" in pages[0]
    signature = Signature.objects.get(object_id=revision.pk, meaning="approved")
    for text in [*_expected(signature, berlin), "Page 2 of 2", "uncontrolled when printed"]:
        assert text in pages[1], text


def test_a_draft_copy_says_its_approvers_have_not_signed(
    client_for, author, approver, new_document
):
    revision = new_document().revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[approver])
    page = pdf_pages(client_for(author).get(f"/document-revisions/{revision.pk}/pdf/").content)[0]
    assert "DRAFT: not for use" in page
    assert "Abe Approver — Not yet signed" in page


def test_the_block_escapes_what_it_prints():
    pdf = controlled_copy_pdf(
        footer=FOOTER,
        markdown_text="Body",
        title="Line cleaning",
        approvals=[ApprovalLine(approver="<b>Zoë</b> & Co", meaning="Approved")],
    )
    text = pdf_pages(pdf)[0]
    assert "<b>Zoë</b> & Co Approved Not yet signed" in text
