"""A change request from draft to closed, in the browser: raised, its impact assessed with a
document named, approved by the change board with a password signature (never by its
originator), a revision of the document started from the change and made effective,
implemented, verified with a signature by someone other than its owner, closed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.changes.models import ChangeRequest
from qualitas.core import permissions
from qualitas.documents import services as document_services
from qualitas.documents.models import Document, DocumentType
from tests.changes.conftest import release
from tests.factories import PASSWORD, SiteFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _step(page: Any, name: str, *, password: bool = False, comment: str = "") -> None:
    """Take a workflow step from the record's page; back on the page once it is done."""
    page.get_by_test_id("transitions").get_by_role("link", name=name).click()
    if comment:
        page.fill("#id_comment", comment)
    if password:
        page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


def test_a_document_change_from_draft_to_closed(page: Any, live_server: Any) -> None:
    plant = SiteFactory(code="SHF", name="Sheffield Works")
    jamal = with_role(
        UserFactory(username="jamal", first_name="Jamal", last_name="Okafor", site=plant),
        permissions.CONTRIBUTOR,
        site=plant,
    )
    with_role(
        UserFactory(username="helen", first_name="Helen", last_name="Marsh", site=plant),
        permissions.QUALITY_MANAGER,
    )
    abe = with_role(
        UserFactory(username="abe", first_name="Abe", last_name="Approver"), permissions.APPROVER
    )
    sop = document_services.create_document(
        actor=jamal,
        document_type=DocumentType.objects.get(code="procedure"),
        title="Calibration of measuring equipment",
        content_text="# Purpose\n\nCalibrate gauges on schedule.",
    )
    release(sop.revisions.get(), abe)
    base = live_server.url

    # Jamal raises the change and assesses its impact, naming the SOP to revise.
    _sign_in(page, base, "jamal")
    page.goto(f"{base}/change-requests/new/")
    page.fill("#id_title", "Calibration SOP: add the CMM probes")
    page.select_option("#id_change_type", "document")
    page.fill("#id_reason_for_change", "The new CMM probes are not in the calibration plan.")
    page.select_option("#id_site", label=str(plant))
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("record-state")).to_have_text("Draft")
    cr = ChangeRequest.objects.get()
    cr_url = f"{base}/change-requests/{cr.pk}/"
    _step(page, "Start impact assessment")
    expect(page.get_by_test_id("record-state")).to_have_text("Impact assessment")
    page.get_by_test_id("assess").click()
    form = page.get_by_test_id("impact-form")
    documents = form.get_by_test_id("item-documents")
    documents.get_by_label("Yes").check()
    documents.get_by_label("Comment").fill("Add the CMM probes to the calibration plan.")
    documents.locator("select").select_option(str(sop.pk))
    for item in ("training", "risk", "cost"):
        form.get_by_test_id(f"item-{item}").get_by_label("No", exact=True).check()
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("impact")).to_contain_text(sop.number)
    _step(page, "Send to the change board")
    expect(page.get_by_test_id("record-state")).to_have_text("Board review")

    # The originator may not approve their own change.
    expect(
        page.get_by_test_id("transitions").get_by_role("link", name="Approve (change board)")
    ).to_have_count(0)

    # Helen, on the board, signs the approval with her password.
    _sign_in(page, base, "helen")
    page.goto(cr_url)
    _step(page, "Approve (change board)", password=True, comment="Agreed: probes in scope")
    expect(page.get_by_test_id("record-state")).to_have_text("Approved")
    expect(page.get_by_test_id("votes")).to_contain_text("Helen Marsh")

    # Jamal starts implementation and a revision of the SOP from the change.
    _sign_in(page, base, "jamal")
    page.goto(cr_url)
    _step(page, "Start implementation")
    expect(page.get_by_test_id("record-state")).to_have_text("Implementing")
    page.get_by_test_id("start-revision").click()
    expect(page.locator(".alert-success")).to_contain_text(f"for {cr.number}")
    revision = Document.objects.get(pk=sop.pk).revisions.order_by("-sequence").first()
    assert revision is not None and revision.state == "draft"

    # The revision is approved as document control does it, and takes effect.
    release(revision, abe)
    page.goto(cr_url)
    expect(page.get_by_test_id("revisions")).to_contain_text("Effective")
    _step(page, "Implemented: verify")
    expect(page.get_by_test_id("record-state")).to_have_text("Verification")

    # Helen, not the owner, verifies with her password: the change is closed.
    _sign_in(page, base, "helen")
    page.goto(cr_url)
    _step(page, "Verified: close", password=True, comment="Lab works to the new revision")
    expect(page.get_by_test_id("record-state")).to_have_text("Closed")
    expect(page.get_by_test_id("signatures")).to_contain_text("Helen Marsh")
    expect(page.get_by_test_id("signatures")).to_contain_text("Verified")
    cr.refresh_from_db()
    assert cr.state == "closed" and cr.owner == jamal
    assert page.console_errors == []
