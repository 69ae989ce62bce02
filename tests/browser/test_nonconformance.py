"""From a defect found to a closed nonconformance, in the browser."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.core import audit
from qualitas.nonconformance.models import DefectCategory, DefectCode, Nonconformance
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _step(page: Any, name: str, password: str | None = None, comment: str = "") -> None:
    page.get_by_test_id("transitions").get_by_role("link", name=name).click()
    if comment:
        page.fill("#id_comment", comment)
    if password:
        page.fill("#id_password", password)
    page.locator("main button[type=submit]").click()


def test_raise_contain_dispose_and_close(page: Any, live_server: Any) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        category = DefectCategory.objects.create(code="dimensional", name="Dimensional")
        DefectCode.objects.create(
            category=category, code="DIM-01", name="Diameter out of tolerance"
        )
    with_role(UserFactory(username="ivy", first_name="Ivy", last_name="Inspector"), "contributor")
    with_role(
        UserFactory(username="helen", first_name="Helen", last_name="Marsh"), "quality-manager"
    )
    base = live_server.url

    _sign_in(page, base, "ivy")
    page.goto(f"{base}/nonconformances/new/")
    page.fill("#id_title", "Bore oversize, HSG-4471 lot 2611")
    page.select_option("#id_source", "in_process")
    page.fill("#id_part_number", "HSG-4471")
    page.fill("#id_quantity_affected", "50")
    page.fill("#id_quantity_nonconforming", "10")
    page.select_option("#id_defect_code", label="DIM-01 Diameter out of tolerance")
    page.select_option("#id_severity", "major")
    page.fill("#id_finding", "Ø74.041 measured; 74.035 max")
    page.fill("#id_detected_on", "2026-11-20")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("record-state")).to_have_text("Open")
    _step(page, "Start containment", comment="Lot 2611 quarantined")
    _step(page, "Send to material review")
    expect(page.get_by_test_id("record-state")).to_have_text("Material review")
    record_url = page.url
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, base, "helen")
    page.goto(record_url)
    page.get_by_test_id("edit-disposition").click()
    page.select_option("#id_form-0-decision", "rework")
    page.fill("#id_form-0-quantity", "7")
    page.select_option("#id_form-1-decision", "scrap")
    page.fill("#id_form-1-quantity", "2")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("disposition-error")).to_contain_text("add up to 9 pcs, but 10 pcs")
    page.fill("#id_form-1-quantity", "3")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("disposition")).to_contain_text("Rework")
    _step(page, "Decide disposition")
    _step(page, "Disposition carried out")
    _step(page, "Verify and close", password=PASSWORD, comment="Rework measured in tolerance")

    expect(page.get_by_test_id("record-state")).to_have_text("Closed")
    expect(page.get_by_test_id("signatures")).to_contain_text("Signed by Helen Marsh on")
    expect(page.get_by_test_id("signatures")).to_contain_text("— Verified")
    assert Nonconformance.objects.get().state == "closed"
    assert [e for e in page.console_errors if "status of 422" not in e] == []
