"""A record in the browser: raise it, submit it, sign it with a password, read its history."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.core.models import Signature, User
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _sign_out(page: Any) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()


@pytest.fixture
def cast(db: None) -> dict[str, User]:
    return {
        "raiser": with_role(
            UserFactory(username="jamal", first_name="Jamal", last_name="Okafor"), "contributor"
        ),
        "approver": with_role(
            UserFactory(username="ana", first_name="Ana", last_name="Costa"), "approver"
        ),
    }


def test_raise_submit_and_sign(page: Any, live_server: Any, cast: dict[str, User]) -> None:
    base = live_server.url
    _sign_in(page, base, "jamal")
    page.get_by_role("button", name="Quality records").or_(
        page.get_by_text("Quality records", exact=True)
    ).first.click()
    page.get_by_role("link", name="Deviations").click()
    page.get_by_role("link", name="New").click()
    page.fill("#id_title", "Use spare torque wrench TW-07")
    page.fill("#id_description", "TW-03 is out for calibration")
    page.fill("#id_impact", "None: same accuracy class")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("record-state")).to_have_text("Draft")
    number = page.locator("h1 .text-body-secondary").inner_text()

    page.get_by_test_id("transitions").get_by_role("link", name="Submit").click()
    page.fill("#id_comment", "Please approve before the night shift")
    page.locator("main button[type=submit]").click()
    expect(page.get_by_test_id("record-state")).to_have_text("Submitted")
    record_url = page.url
    _sign_out(page)

    _sign_in(page, base, "ana")
    page.get_by_test_id("panel-awaiting-signature").get_by_role("link", name="Approve").click()
    expect(page.locator("main")).to_contain_text("electronic signature")
    page.fill("#id_password", "not-my-password")
    page.locator("main button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Wrong password")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_comment", "Acceptable")
    page.locator("main button[type=submit]").click()

    expect(page.get_by_test_id("record-state")).to_have_text("Approved")
    assert page.url == record_url
    expect(page.get_by_test_id("signatures")).to_contain_text("Signed by Ana Costa on")
    expect(page.get_by_test_id("signatures")).to_contain_text("— Approved")
    expect(page.get_by_test_id("signatures")).to_contain_text("valid")
    page.get_by_test_id("history-tab").click()
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Signature refused")
    expect(history).to_contain_text("Please approve before the night shift")
    assert Signature.objects.get().printed_name == "Ana Costa"
    assert number.startswith("DEV-")
    # The wrong password re-renders the form with 422, which Chromium logs; nothing else may fail.
    assert [e for e in page.console_errors if "status of 422" not in e] == []
