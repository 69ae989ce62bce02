"""Password reset by e-mail: single-use short-lived links, rate limits, the same answer for
known and unknown addresses, mail off the request, the same rules and history, audited."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client, override_settings
from django.utils import timezone

from qualitas.core import audit, services
from qualitas.core.models import ApiToken, AuditEvent, User
from qualitas.core.views import passwords
from tests.conftest import ApiClient
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW = "Velvet-Orchard-41"


@pytest.fixture(autouse=True)
def fresh_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def send_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliver in the request thread, so mail.outbox is filled when the response returns."""
    monkeypatch.setattr(passwords, "deliver", lambda message: message.send())


@pytest.fixture
def helen() -> User:
    return UserFactory(username="hmarsh", email="helen.marsh@example.test")


def _ask(email: str, client: Client | None = None, **extra: Any) -> Any:
    return (client or Client()).post("/password/reset/", {"email": email}, **extra)


def _link() -> str:
    found = re.search(r"http://localhost:8000(/password/reset/\S+/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def _reset(link: str, password: str = NEW, **fields: str) -> tuple[Client, Any]:
    client = Client()
    form = client.get(link)  # Django swaps the token for a session marker: no token in Referer
    assert form.status_code == 302
    response = client.post(
        form["Location"], {"new_password1": password, "new_password2": password, **fields}
    )
    return client, response


def test_the_sign_in_page_links_to_the_reset() -> None:
    response = Client().get("/login/")

    assert b'href="/password/reset/"' in response.content
    assert b"Forgot your password?" in response.content


def test_a_known_address_gets_a_link_and_can_set_a_new_password(
    helen: User, send_at_once: None
) -> None:
    answer = _ask("Helen.Marsh@example.test")

    assert answer.status_code == 302 and answer["Location"] == "/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["helen.marsh@example.test"]
    assert "30 minutes" in mail.outbox[0].body
    _client, done = _reset(_link())
    assert done.status_code == 302 and done["Location"] == "/password/reset/complete/"
    helen.refresh_from_db()
    assert helen.check_password(NEW)
    event = AuditEvent.objects.filter(object_type__model="user", object_id=helen.pk).latest("id")
    assert event.reason == "Password reset through an e-mailed link"
    assert event.actor == helen
    assert event.changes["password"] == {"old": None, "new": "(changed)"}
    assert NEW not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_known_and_unknown_addresses_get_the_same_answer(helen: User, send_at_once: None) -> None:
    known = _ask("helen.marsh@example.test")
    unknown = _ask("nobody@example.test")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1
    page = Client().get("/password/reset/sent/")
    assert b"If the address belongs to an account" in page.content


def test_the_unknown_path_does_the_same_work(helen: User, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    original = passwords.EmailResetForm.message_for

    def counting(self: Any, user: User, email: str) -> Any:
        made.append(email)
        return original(self, user, email)

    monkeypatch.setattr(passwords.EmailResetForm, "message_for", counting)
    monkeypatch.setattr(passwords, "deliver", lambda message: None)

    _ask("helen.marsh@example.test")
    _ask("nobody@example.test")

    assert made == ["helen.marsh@example.test", "nobody@example.test"]


class _HeldBackend(BaseEmailBackend):
    """Holds every message until the test releases it, as a slow mail server would."""

    release = threading.Event()
    sent: list[Any] = []

    def send_messages(self, email_messages: Any) -> int:
        self.release.wait(timeout=10)
        self.sent.extend(email_messages)
        return len(email_messages)


@override_settings(EMAIL_BACKEND="tests.core.test_password_reset._HeldBackend")
def test_the_mail_is_sent_off_the_request_so_timing_does_not_tell(helen: User) -> None:
    _HeldBackend.release.clear()
    _HeldBackend.sent.clear()

    answer = _ask("helen.marsh@example.test")  # returns although the mail server hangs

    assert answer.status_code == 302
    assert _HeldBackend.sent == []
    _HeldBackend.release.set()
    for thread in threading.enumerate():
        if thread.name == "password-reset-mail":
            thread.join(timeout=10)
    assert [m.to for m in _HeldBackend.sent] == [["helen.marsh@example.test"]]


def test_inactive_and_system_accounts_never_get_mail(
    admin: User, helen: User, send_at_once: None
) -> None:
    services.deactivate_user(helen, actor=admin)
    system = services.system_user()
    sso_only = UserFactory(username="sso", email="sso@example.test")
    with audit.context(actor=None, actor_name="test fixture"):
        system.email = "system@example.test"
        system.save()
        sso_only.set_unusable_password()
        sso_only.save()

    for email in ("helen.marsh@example.test", "system@example.test", "sso@example.test"):
        assert _ask(email).status_code == 302

    assert mail.outbox == []


def test_the_link_works_once(helen: User, send_at_once: None) -> None:
    _ask("helen.marsh@example.test")
    link = _link()
    _reset(link)

    again = Client().get(link, follow=True)

    assert b"This link cannot be used" in again.content
    helen.refresh_from_db()
    assert helen.check_password(NEW)


def test_the_link_expires_after_thirty_minutes(helen: User, send_at_once: None) -> None:
    _ask("helen.marsh@example.test")
    link = _link()

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        late = Client().get(link, follow=True)

    assert b"This link cannot be used" in late.content


@override_settings(PASSWORD_RESET_TIMEOUT=5 * 60)
def test_the_lifetime_comes_from_the_settings(helen: User, send_at_once: None) -> None:
    _ask("helen.marsh@example.test")

    assert "5 minutes" in mail.outbox[0].body
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert b"cannot be used" in Client().get(_link(), follow=True).content


def test_the_new_password_meets_the_rules_and_the_history(helen: User, send_at_once: None) -> None:
    _ask("helen.marsh@example.test")
    link = _link()

    _client, weak = _reset(link, "qwertyuiopas")
    _client, reused = _reset(link, PASSWORD)

    assert weak.status_code == 422 and b"too easy to guess" in weak.content
    assert reused.status_code == 422 and b"not among your last 5 passwords" in reused.content
    helen.refresh_from_db()
    assert helen.check_password(PASSWORD)


def test_a_reset_ends_every_session_and_revokes_tokens_when_ticked(
    helen: User, send_at_once: None
) -> None:
    signed_in = Client()
    signed_in.post("/login/", {"username": "hmarsh", "password": PASSWORD})
    assert signed_in.get("/me/").status_code == 200
    _token, plain = services.create_token(actor=helen, name="ci")
    _ask("helen.marsh@example.test")

    _reset(_link(), revoke_tokens="on")

    assert signed_in.get("/me/").status_code == 302
    assert ApiClient(plain).get("/tokens").json()["detail"] == "token revoked"
    assert ApiToken.objects.get(name="ci").revoked_by == helen


@override_settings(PASSWORD_RESET_PER_ADDRESS=2)
def test_requests_per_address_are_limited_without_changing_the_answer(
    helen: User, send_at_once: None
) -> None:
    answers = [
        _ask("helen.marsh@example.test", REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(4)
    ]

    assert answers == [302, 302, 302, 302]
    assert len(mail.outbox) == 2


@override_settings(PASSWORD_RESET_PER_CLIENT=3)
def test_requests_per_client_address_are_limited(helen: User, send_at_once: None) -> None:
    for n in range(3):
        assert _ask(f"someone{n}@example.test").status_code == 302

    refused = _ask("helen.marsh@example.test")
    other_client = _ask("helen.marsh@example.test", REMOTE_ADDR="10.9.9.9")

    assert refused.status_code == 429
    assert b"Too many password reset requests" in refused.content
    assert other_client.status_code == 302
    assert len(mail.outbox) == 1


def test_a_malformed_address_is_a_field_error(send_at_once: None) -> None:
    response = _ask("not-an-address")

    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content
    assert mail.outbox == []
