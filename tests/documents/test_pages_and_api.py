"""Document pages, controlled copies, the API and the importer: who sees and does what."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from qualitas.core import workflow
from qualitas.core.models import AuditEvent
from qualitas.documents import services, signoffs
from qualitas.documents.models import Document
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> list[str]:
    return [
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    ]


@pytest.fixture
def effective(new_document, release):
    document = new_document(content_text="# Purpose\n\n" + "Segregate the parts. " * 400)
    release(document.revisions.get())
    document.refresh_from_db()
    return document


@pytest.fixture
def draft_only(new_document):
    return new_document(title="Secret draft of gowning", content_text="Gown up in bay 3.")


# --- Who sees what -----------------------------------------------------------------------------


def test_readers_see_effective_documents_but_not_drafts(
    client_for, viewer, author, controller, effective, draft_only
):
    for who, sees_draft in ((viewer, False), (author, True), (controller, True)):
        page = client_for(who).get("/documents/")
        assert effective.number in page.content.decode()
        assert (draft_only.number in page.content.decode()) is sees_draft, who
        status = client_for(who).get(f"/documents/{draft_only.pk}/").status_code
        assert status == (200 if sees_draft else 404), who


def test_a_reader_sees_only_the_effective_revision(client_for, viewer, auditor, author, effective):
    draft = services.new_revision(effective, actor=author)
    reader = client_for(viewer)
    page = reader.get(f"/documents/{effective.pk}/").content.decode()
    assert "rev B" not in page and "not-effective-banner" not in page
    assert reader.get(f"/documents/{effective.pk}/?revision={draft.pk}").status_code == 404
    assert reader.get(f"/document-revisions/{draft.pk}/").status_code == 404
    # The author sees the draft, with the banner saying it is not the one to work to.
    page = client_for(author).get(f"/documents/{effective.pk}/?revision={draft.pk}")
    assert b"not-effective-banner" in page.content and b"do not work to it" in page.content


def test_history_is_for_those_who_may_read_it(
    client_for, viewer, auditor, author, effective, release
):
    first = effective.revisions.get()
    second = services.new_revision(effective, actor=author)
    services.edit_revision(
        second, actor=author, expected_version=second.version, change_summary="New step 4"
    )
    release(second)
    assert (
        client_for(auditor).get(f"/documents/{effective.pk}/?revision={first.pk}").status_code
        == 200
    )
    assert (
        client_for(viewer).get(f"/documents/{effective.pk}/?revision={first.pk}").status_code == 404
    )


def test_api_lists_and_search_respect_drafts(api_for, viewer, author, effective, draft_only):
    reader = api_for(viewer)
    numbers = [d["number"] for d in reader.get("/documents").json()["results"]]
    assert numbers == [effective.number]
    revision = draft_only.revisions.get()
    assert reader.get(f"/document-revisions/{revision.pk}").status_code == 404
    assert reader.get(f"/document-revisions/{revision.pk}").status_code == 404
    generic = reader.get("/document-revisions").json()["results"]
    assert [r["number"] for r in generic] == [f"{effective.number} rev A"]
    found = reader.get("/documents/search?q=gowning").json()
    assert found["total"] == 0
    assert api_for(author).get("/documents/search?q=gowning").json()["total"] == 1


def test_a_draft_file_cannot_be_downloaded_by_a_reader(
    client_for, api_for, viewer, author, draft_only
):
    revision = draft_only.revisions.get()
    added = services.add_file(
        revision, actor=author, file=io.BytesIO(b"# Bay 3\n\nGown up."), name="gowning.md"
    )
    url = f"/document-revisions/{revision.pk}/files/{added.pk}/"
    assert client_for(viewer).get(url).status_code == 404
    assert (
        api_for(viewer).get(f"/document-revisions/{revision.pk}/attachments/{added.pk}").status_code
        == 404
    )
    assert client_for(author).get(url).status_code == 200


# --- Controlled copies -------------------------------------------------------------------------


def test_the_pdf_carries_the_controlled_copy_footer_on_every_page(client_for, viewer, effective):
    revision = effective.current_revision
    response = client_for(viewer).get(f"/document-revisions/{revision.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content)
    assert len(pages) >= 2
    today = timezone.localdate()
    expected = f"Controlled copy — {effective.number} rev A, effective {today:%Y-%m-%d} — printed "
    for text in pages:
        assert expected in text
        assert f"by {viewer.printed_name}; uncontrolled when printed" in text


def test_an_uploaded_pdf_is_stamped_and_its_original_is_for_document_control(
    client_for, api_for, viewer, controller, author, new_document, release
):
    from weasyprint import HTML

    source = HTML(string="<h1>Drawing 1042</h1><p>Bore 12 H7</p>").write_pdf()
    document = new_document(content_text="")
    revision = document.revisions.get()
    added = services.add_file(revision, actor=author, file=io.BytesIO(source), name="dwg.pdf")
    release(revision)
    url = f"/document-revisions/{revision.pk}/files/{added.pk}/"
    pages = pdf_text(client_for(viewer).get(url).content)
    assert "Bore 12 H7" in pages[0] and "Controlled copy —" in pages[0]
    api_copy = api_for(viewer).get(f"/document-revisions/{revision.pk}/attachments/{added.pk}")
    assert "Controlled copy —" in pdf_text(api_copy.content)[0]
    assert client_for(viewer).get(url + "?original=1").status_code == 403
    original = client_for(controller).get(url + "?original=1")
    assert original.status_code == 200 and original.content == source


def test_a_draft_pdf_says_it_is_not_for_use(client_for, author, draft_only):
    revision = draft_only.revisions.get()
    pages = pdf_text(client_for(author).get(f"/document-revisions/{revision.pk}/pdf/").content)
    assert "DRAFT: not for use" in pages[0]


# --- Pages that change things ------------------------------------------------------------------


def test_raising_a_document_with_a_file_from_the_page(client_for, author, procedure):
    upload = io.BytesIO(b"# Receiving\n\nCheck the certificate of conformity.")
    upload.name = "receiving.md"
    response = client_for(author).post(
        "/documents/new/",
        {
            "document_type": procedure.pk,
            "title": "Receiving inspection",
            "confidentiality": "internal",
            "file": upload,
        },
    )
    document = Document.objects.get(title="Receiving inspection")
    assert response.status_code == 302 and response["Location"] == f"/documents/{document.pk}/"
    assert document.revisions.get().attachments.get().original_name == "receiving.md"


def test_a_viewer_cannot_raise_documents_and_bad_input_names_the_field(
    client_for, viewer, author, procedure
):
    assert client_for(viewer).get("/documents/new/").status_code == 403
    response = client_for(author).post("/documents/new/", {"document_type": procedure.pk})
    assert response.status_code == 422 and b"This field is required" in response.content
    upload = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100)
    upload.name = "procedure.pdf"
    response = client_for(author).post(
        "/documents/new/",
        {
            "document_type": procedure.pk,
            "title": "X",
            "confidentiality": "internal",
            "file": upload,
        },
    )
    assert response.status_code == 422 and b"executable" in response.content
    assert not Document.objects.exists()  # nothing partial


def test_review_and_approval_from_the_document_page(
    client_for, author, reviewer, approver, new_document
):

    document = new_document()
    revision = document.revisions.get()
    page = client_for(author).post(
        f"/document-revisions/{revision.pk}/signoffs/",
        {"reviewers": [reviewer.pk], "approver_1": approver.pk},
    )
    assert page.status_code == 302
    workflow.fire(revision, "submit", actor=author)
    # The approver cannot sign before the review is finished; the page says why.
    page = client_for(approver).get(f"/documents/{document.pk}/").content.decode()
    assert "every reviewer must accept first" in page
    client_for(reviewer).post(
        f"/document-revisions/{revision.pk}/review/", {"decision": "accept", "comment": "Fine"}
    )
    wrong = client_for(approver).post(
        f"/document-revisions/{revision.pk}/approve/", {"password": "wrong-password-1"}
    )
    assert wrong.status_code == 302
    revision.refresh_from_db()
    assert revision.state == "in_review"
    client_for(approver).post(
        f"/document-revisions/{revision.pk}/approve/", {"password": PASSWORD, "comment": "OK"}
    )
    revision.refresh_from_db()
    assert revision.state == "effective"


def test_compare_shows_what_changed(client_for, author, effective, release):
    draft = services.new_revision(effective, actor=author)
    services.edit_revision(
        draft,
        actor=author,
        expected_version=draft.version,
        content_text="# Purpose\n\nSegregate and tag the parts in red.",
        change_summary="Red tags",
    )
    page = client_for(author).get(f"/documents/{effective.pk}/compare/?to={draft.pk}")
    html = page.content.decode()
    assert page.status_code == 200 and "<ins>" in html and "<del>" in html


def test_register_exports_csv_xlsx_and_pdf(client_for, quality_manager, effective):
    client = client_for(quality_manager)
    csv = client.get("/documents/?export=csv").getvalue().decode()
    assert effective.number in csv and "Next review" in csv
    xlsx = client.get("/documents/?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    pdf = client.get("/documents/?export=pdf")
    assert effective.number in " ".join(pdf_text(pdf.content))


def test_the_register_page_query_count_does_not_grow_with_documents(
    client_for, quality_manager, new_document, release
):
    client = client_for(quality_manager)
    new_document()
    client.get("/documents/")
    with CaptureQueriesContext(connection) as few:
        client.get("/documents/")
    for n in range(8):
        release(new_document(title=f"Procedure {n}").revisions.get())
    with CaptureQueriesContext(connection) as many:
        client.get("/documents/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_overdue_periodic_reviews_show_on_the_quality_managers_home(
    client_for, quality_manager, viewer, effective
):
    services.update_document(
        effective,
        actor=quality_manager,
        expected_version=effective.version,
        reason="Carried over from the paper register",
        next_review_on=timezone.localdate() - timedelta(days=3),
    )
    assert b"overdue-review" in client_for(quality_manager).get("/").content
    assert b"overdue-review" not in client_for(viewer).get("/").content


# --- API ---------------------------------------------------------------------------------------


def test_the_api_walks_a_document_to_effective(api_for, author, approver, reviewer):
    writer = api_for(author)
    created = writer.post(
        "/documents",
        {"document_type": "work-instruction", "title": "Torque setting", "content_text": "12 Nm"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    revision_id = body["revisions"][0]["id"]
    assert body["number"] == "WI-0001"
    assert (
        writer._send(
            "put",
            f"/document-revisions/{revision_id}/signoffs",
            {"reviewers": [reviewer.pk], "approvers": [approver.pk]},
        ).status_code
        == 200
    )
    submitted = writer.post(f"/document-revisions/{revision_id}/transitions/submit", {})
    assert submitted.status_code == 200, submitted.content
    early = api_for(approver).post(
        f"/document-revisions/{revision_id}/approve", {"password": PASSWORD}
    )
    assert early.status_code == 403 and "review is not finished" in early.json()["detail"]
    api_for(reviewer).post(f"/document-revisions/{revision_id}/review", {"accept": True})
    approved = api_for(approver).post(
        f"/document-revisions/{revision_id}/approve", {"password": PASSWORD}
    )
    assert approved.status_code == 200 and approved.json()["state"] == "effective"
    by_hand = writer.post(f"/document-revisions/{revision_id}/transitions/supersede", {})
    assert by_hand.status_code == 409


def test_api_bad_input_is_a_4xx_naming_the_field(api_for, author, viewer, effective):
    writer = api_for(author)
    bad_type = writer.post("/documents", {"document_type": "novel", "title": "X"})
    assert bad_type.status_code == 422
    assert bad_type.json()["errors"][0]["field"] == "document_type"
    stale = writer.patch(f"/documents/{effective.pk}", {"version": 99, "clause_references": "x"})
    assert stale.status_code in (403, 409)
    assert (
        api_for(viewer).post("/documents", {"document_type": "procedure", "title": "X"}).status_code
        == 403
    )
    assert writer.get("/documents/search?q=%22%27%3B").status_code == 200
    assert not Document.objects.filter(title="X").exists()


def test_api_acknowledgement_and_periodic_review(
    api_for, quality_manager, viewer, new_document, author, release
):
    role = viewer.role_assignments.get().role
    document = new_document(training_impact=True, training_roles=[role])
    revision = release(document.revisions.get())
    mine = api_for(viewer).get("/documents/acknowledgements/mine").json()
    assert [a["revision"] for a in mine] == [revision.pk]
    signed = api_for(viewer).post(
        f"/document-revisions/{revision.pk}/acknowledge", {"password": PASSWORD}
    )
    assert signed.status_code == 200 and signed.json()["state"] == "acknowledged"
    listing = api_for(quality_manager).get(f"/document-revisions/{revision.pk}/acknowledgements")
    assert [a["state"] for a in listing.json()] == ["acknowledged"]
    assert (
        api_for(viewer).get(f"/document-revisions/{revision.pk}/acknowledgements").status_code
        == 403
    )
    review = api_for(quality_manager).post(
        f"/documents/{document.pk}/periodic-review",
        {"outcome": "no_change", "comment": "Fine", "password": PASSWORD},
    )
    assert review.status_code == 201 and review.json()["signature"] is not None


def test_the_openapi_document_lists_the_document_endpoints(client_for, viewer):
    spec = json.loads(client_for(viewer).get("/api/v1/openapi.json").content)
    paths = spec["paths"]
    assert "/api/v1/document-revisions/{record_id}/approve" in paths
    assert "post" not in paths.get("/api/v1/document-revisions", {})  # raised via documents only


# --- Import from the command line --------------------------------------------------------------


def test_import_a_folder_with_a_dry_run_first(tmp_path, author, capsys):
    (tmp_path / "goods_receipt.md").write_text("# Goods receipt\n\nCheck the delivery note.")
    from weasyprint import HTML

    (tmp_path / "Final-inspection.pdf").write_bytes(
        HTML(string="<p>Final inspection</p>").write_pdf()
    )
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    call_command(
        "documents",
        "import",
        str(tmp_path),
        "--type",
        "procedure",
        "--author",
        "author",
        "--dry-run",
    )
    assert not Document.objects.exists()
    assert "would be imported" in capsys.readouterr().err
    call_command("documents", "import", str(tmp_path), "--type", "procedure", "--author", "author")
    out = capsys.readouterr().out
    assert "SOP-0001" in out and "SOP-0002" in out
    titles = sorted(Document.objects.values_list("title", flat=True))
    assert titles == ["Final inspection", "Goods receipt"]
    receipt = Document.objects.get(title="Goods receipt").revisions.get()
    assert receipt.state == "draft" and receipt.content_text.startswith("# Goods receipt")


def test_import_is_all_or_nothing(tmp_path, author, viewer, capsys):
    (tmp_path / "a.md").write_text("fine")
    (tmp_path / "b.pdf").write_bytes(b"\x7fELF" + b"\x00" * 50)
    with pytest.raises(CommandError, match="1 of 2 files refused: nothing imported"):
        call_command(
            "documents", "import", str(tmp_path), "--type", "procedure", "--author", "author"
        )
    assert "REFUSED" in capsys.readouterr().out
    assert not Document.objects.exists()
    with pytest.raises(CommandError, match="--type"):
        call_command("documents", "import", str(tmp_path), "--type", "novel", "--author", "author")
    with pytest.raises(CommandError, match="may not write documents"):
        call_command(
            "documents", "import", str(tmp_path), "--type", "procedure", "--author", "viewer"
        )
    with pytest.raises(CommandError, match="not a folder"):
        call_command(
            "documents",
            "import",
            str(tmp_path / "nope"),
            "--type",
            "procedure",
            "--author",
            "author",
        )


def test_an_approval_blocked_by_the_review_is_not_yet_on_the_approvers_home(
    client_for, author, reviewer, approver, new_document
):

    revision = new_document().revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[reviewer], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    assert revision.number not in client_for(approver).get("/").content.decode()
    assert revision.number in client_for(reviewer).get("/").content.decode()
    signoffs.review(revision, actor=reviewer, accept=True)
    assert revision.number in client_for(approver).get("/").content.decode()


# --- Document types ----------------------------------------------------------------------------


def test_document_control_tunes_a_type_and_new_revisions_use_its_defaults(
    client_for, api_for, controller, author, approver, reviewer, viewer, procedure
):
    assert client_for(viewer).get(f"/documents/types/{procedure.pk}/edit/").status_code == 403
    response = client_for(controller).post(
        f"/documents/types/{procedure.pk}/edit/",
        {
            "name": "Procedure",
            "number_pattern": "{prefix}-{year}-{seq:03}",
            "revision_scheme": "letters",
            "review_interval_months": 12,
            "approval_order": "sequential",
            "default_reviewers": [reviewer.pk],
            "default_approvers": [approver.pk],
            "reason": "QM-0001 section 4 changed",
        },
    )
    assert response.status_code == 302
    procedure.refresh_from_db()
    document = services.create_document(
        actor=author, document_type=procedure, title="Goods receipt", content_text="x"
    )
    year = timezone.localdate().year
    assert document.number == f"SOP-{year}-001" and document.review_interval_months == 12
    steps = [(s.kind, s.person) for s in document.revisions.get().signoffs.all()]
    assert sorted(steps, key=lambda s: s[0]) == [("approval", approver), ("review", reviewer)]
    bad = api_for(controller).patch(
        f"/documents/types/{procedure.pk}", {"number_pattern": "SOP-{month}"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "number_pattern"
    not_approver = api_for(controller).patch(
        f"/documents/types/{procedure.pk}", {"default_approvers": [viewer.pk]}
    )
    assert not_approver.status_code == 422
    assert (
        api_for(viewer).patch(f"/documents/types/{procedure.pk}", {"name": "X"}).status_code == 403
    )
    events = AuditEvent.objects.filter(object_type__model="documenttype", object_id=procedure.pk)
    assert any("default_approvers" in e.changes for e in events)


def test_a_documents_register_entry_has_its_history_in_the_api(
    api_for, viewer, author, controller, effective, draft_only
):
    """Issue 11: GET /documents/{id}/history was a 404 although a document's changes are
    audited. It answers like every record's history, to those who may see the document."""
    services.update_document(
        effective, actor=controller, expected_version=effective.version, review_interval_months=12
    )

    history = api_for(viewer).get(f"/documents/{effective.pk}/history")
    hidden = api_for(viewer).get(f"/documents/{draft_only.pk}/history")

    assert history.status_code == 200
    changed = [e for e in history.json() if e["action"] == "update"]
    assert changed and "review_interval_months" in changed[-1]["changes"]
    assert hidden.status_code == 404
