"""Sign-in, lockout, idle-session expiry, password hashing and password rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from qualitas.core import services
from qualitas.core.errors import InvalidInput
from tests.factories import PASSWORD, UserFactory
from tests.settings import PRODUCTION_PASSWORD_HASHERS

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, username: str, password: str) -> object:
    return client.post("/login/", {"username": username, "password": password})


def test_sign_in_with_the_right_password_lands_on_my_work() -> None:
    UserFactory(username="alice")
    client = Client()

    response = _sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong() -> None:
    UserFactory(username="alice")

    response = _sign_in(Client(), "alice", "not-the-password")

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_the_account_locks_after_repeated_failures_even_with_the_right_password() -> None:
    UserFactory(username="alice")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "alice", "wrong-password-attempt")

    response = _sign_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert b"Account temporarily locked" in response.content
    assert "_auth_user_id" not in client.session


def test_failures_below_the_limit_do_not_lock() -> None:
    UserFactory(username="alice")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "alice", "wrong-password-attempt")

    response = _sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302


def test_the_lock_lifts_after_the_cool_off_period() -> None:
    UserFactory(username="alice")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "alice", "wrong-password-attempt")

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        response = _sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302


def test_a_deactivated_user_cannot_sign_in() -> None:
    UserFactory(username="alice", is_active=False)

    response = _sign_in(Client(), "alice", PASSWORD)

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_pages_need_a_signed_in_user() -> None:
    response = Client().get("/people/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/people/"


def test_the_session_ends_after_the_idle_timeout() -> None:
    UserFactory(username="alice")
    client = Client()
    _sign_in(client, "alice", PASSWORD)
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)

    with time_machine.travel(timezone.now() + idle + timedelta(minutes=1)):
        response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_activity_keeps_the_session_alive() -> None:
    UserFactory(username="alice")
    client = Client()
    _sign_in(client, "alice", PASSWORD)
    step = timedelta(minutes=settings.SESSION_IDLE_MINUTES - 5)
    start = timezone.now()

    with time_machine.travel(start + step):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + 2 * step):
        response = client.get("/")

    assert response.status_code == 200


def test_sign_out_needs_a_post_and_ends_the_session() -> None:
    UserFactory(username="alice")
    client = Client()
    _sign_in(client, "alice", PASSWORD)

    assert client.get("/logout/").status_code == 405
    client.post("/logout/")

    assert client.get("/").status_code == 302


@override_settings(PASSWORD_HASHERS=PRODUCTION_PASSWORD_HASHERS)
def test_passwords_are_stored_as_argon2_hashes(system: object) -> None:
    user = services.create_user(actor=system, username="alice", password="Maple-Beacon-Quartz-71")  # type: ignore[arg-type]

    user.refresh_from_db()

    assert user.password.startswith("argon2$argon2id$")
    assert "Maple-Beacon" not in user.password


@pytest.mark.parametrize(
    ("_case", "password", "complaint"),
    [
        ("too short", "Short-pw-1", "at least 12 characters"),
        ("common", "password1234", "too common"),
        ("numeric", "839201746352", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused_by_name(
    system: object, _case: str, password: str, complaint: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.create_user(actor=system, username="alice", password=password)  # type: ignore[arg-type]

    assert refused.value.errors[0].field == "password"
    assert complaint in refused.value.errors[0].message
    assert not services.User.objects.filter(username="alice").exists()


def test_security_headers_are_set_on_pages() -> None:
    response = Client().get("/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_forms_are_protected_against_cross_site_requests() -> None:
    UserFactory(username="alice")
    client = Client(enforce_csrf_checks=True)

    response = _sign_in(client, "alice", PASSWORD)

    assert response.status_code == 403
