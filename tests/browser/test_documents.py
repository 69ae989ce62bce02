"""A controlled document from first draft to a compared second revision, in the browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.core import audit
from qualitas.documents.models import Document
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_write_review_approve_read_revise_and_compare(
    page: Any, live_server: Any, tmp_path: Any
) -> None:
    assembly = DepartmentFactory(code="ASM", name="Assembly")
    author = with_role(
        UserFactory(username="ana", first_name="Ana", last_name="Author"), "contributor"
    )
    with_role(UserFactory(username="rita", first_name="Rita", last_name="Reviewer"), "contributor")
    with_role(UserFactory(username="abe", first_name="Abe", last_name="Approver"), "approver")
    reader = with_role(
        UserFactory(username="olga", first_name="Olga", last_name="Operator"), "viewer"
    )
    with audit.context(actor=author):
        reader.department = assembly
        reader.save()
    base = live_server.url

    # The author writes the document and uploads a work sheet.
    _sign_in(page, base, "ana")
    page.goto(f"{base}/documents/new/")
    page.select_option("#id_document_type", label="Procedure")
    page.fill("#id_title", "Torque setting of M8 fasteners")
    page.fill("#id_content_text", "# Purpose\n\nSet the torque wrench to 20 Nm.\n\nCheck daily.")
    # Who must read it is chosen as it is written (issue 13, defect 3).
    page.check("#id_training_impact")
    page.select_option("#id_training_departments", label="Assembly")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("revision-state")).to_have_text("Draft")
    document = Document.objects.get(title="Torque setting of M8 fasteners")
    sheet = tmp_path / "torque-sheet.md"
    sheet.write_text("# Torque record\n\n| Date | Wrench | Nm |\n|---|---|---|\n")
    page.set_input_files("#id_file", str(sheet))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("files")).to_contain_text("torque-sheet.md")
    page.get_by_test_id("choose-signoffs").click()
    page.select_option("#id_reviewers", label="Rita Reviewer")
    page.select_option("#id_approver_1", label="Abe Approver")
    page.locator("main button[type=submit]").click()
    page.get_by_test_id("transitions").get_by_role("link", name="Send for review").click()
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("record-state")).to_have_text("In review")

    # The reviewer accepts.
    _sign_in(page, base, "rita")
    page.goto(f"{base}/documents/{document.pk}/")
    page.get_by_test_id("review-form").get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("signoffs")).to_contain_text("Accepted")

    # The approver signs with the password: the revision is effective at once.
    _sign_in(page, base, "abe")
    page.goto(f"{base}/documents/{document.pk}/")
    form = page.get_by_test_id("approve-form")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign: approved").click()
    expect(page.get_by_test_id("revision-state")).to_have_text("Effective")
    expect(page.get_by_test_id("signoffs")).to_contain_text("Signed by Abe Approver")

    # A reader in Assembly is asked to read it, and signs "read and understood".
    _sign_in(page, base, "olga")
    expect(page.get_by_test_id("panel-reading")).to_contain_text(document.number)
    page.get_by_test_id("panel-reading").get_by_role(
        "link", name=f"{document.number} rev A"
    ).click()
    expect(page.get_by_test_id("document-content")).to_contain_text("20 Nm")
    page.get_by_test_id("acknowledge").get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("acknowledge").get_by_role("button").click()
    expect(page.locator(".alert-success")).to_contain_text("read and understood")

    # The author starts revision B, changes it, and compares it with A.
    _sign_in(page, base, "ana")
    page.goto(f"{base}/documents/{document.pk}/")
    page.get_by_test_id("new-revision").click()
    page.fill("#id_content_text", "# Purpose\n\nSet the torque wrench to 22 Nm.\n\nCheck daily.")
    page.fill("#id_change_summary", "Torque raised to 22 Nm after the joint study")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("not-effective-banner")).to_contain_text("revision B")
    page.get_by_role("link", name="Compare").click()
    diff = page.get_by_test_id("diff")
    expect(diff.locator("del")).to_contain_text("20")
    expect(diff.locator("ins")).to_contain_text("22")
    assert page.console_errors == []
