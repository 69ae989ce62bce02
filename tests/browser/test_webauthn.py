"""A person adds a passkey in Chromium (a virtual authenticator, as WebAuthn's own tests use)
and signs in with it as the second step: our passkeys.js, under our CSP, against the server's
checks of challenge, origin and signature."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from qualitas.core import mfa
from qualitas.core.models import User
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def erin(db: None) -> User:
    return with_role(UserFactory(username="erin", first_name="Erin", last_name="E"), "contributor")


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


def test_add_a_passkey_then_sign_in_with_it(
    page: Any, live_server: Any, erin: User, settings: Any
) -> None:
    base = live_server.url
    settings.OTP_WEBAUTHN_RP_ID = urlsplit(base).hostname
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    _sign_in(page, base)
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/me/mfa/")
    page.fill("#passkey-new-name", "Laptop")
    page.get_by_test_id("add-passkey").click()
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    assert mfa.has_confirmed_device(erin)

    page.context.clear_cookies()
    _sign_in(page, base)
    page.wait_for_url(f"{base}/login/mfa/**")
    page.get_by_test_id("use-passkey").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_test_id("user-menu")).to_contain_text("Erin")
    assert page.console_errors == []
