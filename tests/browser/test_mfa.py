"""An approver, whose role requires MFA, enrols an authenticator at first sign-in (QR code
served under our CSP), keeps the recovery codes, then signs in again with a code."""

from __future__ import annotations

import time
from base64 import b32decode
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from qualitas.core.models import User
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _step() -> int:
    return int(time.time() // 30)


def _code(secret: str, step: int) -> str:
    """The TOTP code of a 30-second time step."""
    key = secret.replace(" ", "")
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    totp.time = step * 30 + 1
    return f"{totp.token():06d}"


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "abe")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


@pytest.fixture
def abe(db: None) -> User:
    return with_role(
        UserFactory(username="abe", first_name="Abe", last_name="Approver"), "approver"
    )


def test_enrol_at_first_sign_in_then_sign_in_with_a_code(
    page: Any, live_server: Any, abe: User, settings: Any
) -> None:
    settings.MFA_ENFORCE_ROLES = True
    base = live_server.url

    _sign_in(page, base)
    page.wait_for_url(f"{base}/me/mfa/")
    page.get_by_role("button", name="Set up an authenticator app").click()
    qr = page.locator("img[src='/me/mfa/qr.svg']")
    expect(qr).to_be_visible()
    # Loaded from our own origin under the CSP, and drawn (an SVG with a size).
    page.wait_for_function(
        "() => { const i = document.querySelector(\"img[src='/me/mfa/qr.svg']\");"
        " return i.complete && i.naturalWidth > 0; }",
        timeout=5000,
    )
    secret = page.get_by_test_id("mfa-secret").inner_text()
    enrolled_at = _step()
    page.fill("#id_otp_code", _code(secret, enrolled_at))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_test_id("mfa-status")).to_contain_text("Active")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, base)
    page.wait_for_url(f"{base}/login/mfa/**")
    # A later step than the enrolment's (a code is never accepted twice), and one the device
    # accepts whether or not activation crossed a step boundary (django-otp then records a
    # drift of one step): the current step once it has moved on, else the next one.
    page.fill("#id_otp_code", _code(secret, max(_step(), enrolled_at + 1)))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").inner_text() == "My work"
    assert page.console_errors == []  # e.g. no CSP violation for the QR code
