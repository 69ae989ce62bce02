"""The session management page and API: see my sessions and tokens, end them, revoke them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from qualitas.core import services
from qualitas.core.errors import Conflict, PermissionDenied
from qualitas.core.models import ApiToken, AuditEvent, User, UserSession
from tests.conftest import ApiClient
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/139.0 Safari/537.36"


@pytest.fixture
def helen() -> User:
    return UserFactory(username="hmarsh", first_name="Helen", last_name="Marsh")


def _sign_in(user: User, agent: str = FIREFOX, address: str = "10.1.2.3") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _csrf_post(client: Client, url: str) -> Any:
    """POST as the page's own JavaScript would: with the CSRF token of the session."""
    client.get("/me/sessions/")
    token = client.cookies["csrftoken"].value
    return client.post(url, "{}", content_type="application/json", headers={"X-CSRFToken": token})


def test_signing_in_records_the_session_with_its_address_and_browser(helen: User) -> None:
    _sign_in(helen, FIREFOX, "10.1.2.3")

    row = UserSession.objects.get(user=helen)
    assert row.client_address == "10.1.2.3"
    assert row.user_agent == FIREFOX
    assert row.ended_at is None


def test_the_page_lists_my_sessions_and_tokens(helen: User) -> None:
    laptop = _sign_in(helen, FIREFOX, "10.1.2.3")
    _sign_in(helen, CHROME, "192.0.2.7")
    services.create_token(actor=helen, name="nightly export")
    keys = list(UserSession.objects.values_list("session_key", flat=True))

    page = laptop.get("/me/sessions/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Firefox on Windows" in body and "Chrome on Linux" in body
    assert "10.1.2.3" in body and "192.0.2.7" in body
    assert "This session" in body and "nightly export" in body
    assert not any(key in body for key in keys)  # the session key is a secret


def test_the_profile_links_to_the_page(client_for: Any, helen: User) -> None:
    assert b'href="/me/sessions/"' in client_for(helen).get("/me/").content


def test_i_end_one_of_my_other_sessions(helen: User) -> None:
    laptop = _sign_in(helen, FIREFOX)
    phone = _sign_in(helen, CHROME)
    phone_row = UserSession.objects.get(user_agent=CHROME)

    response = laptop.post(f"/me/sessions/{phone_row.pk}/end/")

    assert response.status_code == 302
    assert phone.get("/me/").status_code == 302  # signed out
    assert laptop.get("/me/").status_code == 200
    event = AuditEvent.objects.get(action="sessions_ended")
    assert event.actor == helen and event.changes["sessions"] == [phone_row.pk]
    assert event.changes["why"] == "Ended by its owner"


def test_i_end_all_my_other_sessions(helen: User) -> None:
    here = _sign_in(helen)
    others = [_sign_in(helen, CHROME) for _ in range(2)]

    here.post("/me/sessions/end-others/")

    assert here.get("/me/").status_code == 200
    assert [c.get("/me/").status_code for c in others] == [302, 302]
    assert UserSession.objects.filter(ended_at__isnull=True).count() == 1


def test_ending_this_session_signs_me_out(helen: User) -> None:
    here = _sign_in(helen)
    row = UserSession.objects.get()

    response = here.post(f"/me/sessions/{row.pk}/end/")

    assert response["Location"] == "/login/"
    assert here.get("/me/").status_code == 302


def test_nobody_ends_someone_elses_session_from_the_page(helen: User) -> None:
    victim = _sign_in(helen)
    row = UserSession.objects.get()
    intruder = _sign_in(UserFactory(username="other"))

    response = intruder.post(f"/me/sessions/{row.pk}/end/")

    assert response.status_code == 404
    assert victim.get("/me/").status_code == 200


def test_only_a_user_administrator_ends_someone_elses_session(
    helen: User, admin: User, contributor: User
) -> None:
    victim = _sign_in(helen)
    row = UserSession.objects.get()

    with pytest.raises(PermissionDenied):
        services.end_session(row, actor=contributor)
    assert victim.get("/me/").status_code == 200

    services.end_session(row, actor=admin)
    assert victim.get("/me/").status_code == 302
    with pytest.raises(Conflict):
        services.end_session(row, actor=admin)


def test_tokens_are_revoked_from_the_page(helen: User) -> None:
    here = _sign_in(helen)
    one, plain_one = services.create_token(actor=helen, name="one")
    _two, plain_two = services.create_token(actor=helen, name="two")

    here.post(f"/me/tokens/{one.pk}/revoke/", {"back": "sessions"})
    assert ApiClient(plain_one).get("/tokens").status_code == 401
    assert ApiClient(plain_two).get("/tokens").status_code == 200

    here.post("/me/sessions/tokens/revoke-all/")
    assert ApiClient(plain_two).get("/tokens").json()["detail"] == "token revoked"
    assert set(ApiToken.objects.values_list("revoked_by", flat=True)) == {helen.pk}


def test_nobody_revokes_someone_elses_token_from_the_page(helen: User) -> None:
    token, plain = services.create_token(actor=helen, name="mine")
    intruder = _sign_in(UserFactory(username="other"))

    assert intruder.post(f"/me/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiClient(plain).get("/tokens").status_code == 200


def test_the_session_is_touched_at_most_once_a_minute(helen: User) -> None:
    client = _sign_in(helen)
    first = UserSession.objects.get().last_seen_at

    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        client.get("/me/")
    assert UserSession.objects.get().last_seen_at == first

    later = timezone.now() + timedelta(seconds=90)
    with time_machine.travel(later):
        client.get("/me/")
    assert UserSession.objects.get().last_seen_at > first


def test_a_password_change_keeps_the_same_session_row(helen: User) -> None:
    client = _sign_in(helen)
    row = UserSession.objects.get()

    client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Velvet-Orchard-41",
            "new_password2": "Velvet-Orchard-41",
        },
    )
    page = client.get("/me/sessions/")

    row.refresh_from_db()
    assert UserSession.objects.count() == 1
    assert row.session_key == client.session.session_key  # the key was cycled, the row followed
    assert b"This session" in page.content


def test_an_idle_session_is_not_listed(helen: User) -> None:
    _sign_in(helen, CHROME)
    here_later = timezone.now() + timedelta(hours=2)

    with time_machine.travel(here_later):
        client = _sign_in(helen, FIREFOX)
        page = client.get("/me/sessions/").content.decode()

    assert "Firefox" in page and "Chrome" not in page


# --- API ---------------------------------------------------------------------------------------


def test_the_api_lists_my_sessions_without_their_keys(helen: User) -> None:
    browser = _sign_in(helen, FIREFOX, "10.1.2.3")
    _sign_in(helen, CHROME, "192.0.2.7")
    _token, plain = services.create_token(actor=helen, name="script")

    by_session = browser.get("/api/v1/me/sessions").json()
    by_token = ApiClient(plain).get("/me/sessions").json()

    assert {(s["browser"], s["client_address"]) for s in by_session} == {
        ("Firefox on Windows", "10.1.2.3"),
        ("Chrome on Linux", "192.0.2.7"),
    }
    assert [s["current"] for s in by_session if s["browser"].startswith("Firefox")] == [True]
    assert not any(s["current"] for s in by_token)  # a token call has no session of its own
    assert set(by_session[0]) == {
        "id",
        "started_at",
        "last_seen_at",
        "client_address",
        "browser",
        "current",
    }
    text = json.dumps(by_session)
    assert not any(key in text for key in UserSession.objects.values_list("session_key", flat=True))


def test_the_api_ends_one_of_my_sessions(helen: User) -> None:
    phone = _sign_in(helen, CHROME)
    row = UserSession.objects.get()
    _token, plain = services.create_token(actor=helen, name="script")
    api = ApiClient(plain)

    ended = api.post(f"/me/sessions/{row.pk}/end")
    again = api.post(f"/me/sessions/{row.pk}/end")

    assert ended.status_code == 200
    assert phone.get("/me/").status_code == 302
    assert again.status_code == 409
    assert api.get("/me/sessions").json() == []


def test_the_api_does_not_end_someone_elses_session(helen: User, api_for: Any) -> None:
    victim = _sign_in(helen)
    row = UserSession.objects.get()

    response = api_for(UserFactory(username="other")).post(f"/me/sessions/{row.pk}/end")

    assert response.status_code == 404
    assert victim.get("/me/").status_code == 200


def test_the_session_api_needs_the_csrf_token_for_writes(helen: User) -> None:
    client = _sign_in(helen)
    row = UserSession.objects.get()
    client_csrf = Client(enforce_csrf_checks=True)
    client_csrf.cookies = client.cookies

    refused = client_csrf.post(f"/api/v1/me/sessions/{row.pk}/end")
    allowed = _csrf_post(client_csrf, f"/api/v1/me/sessions/{row.pk}/end")

    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_timed_out_sessions_are_marked_ended_by_the_periodic_job(helen: User) -> None:
    from qualitas.core import jobs

    _sign_in(helen)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        result = jobs.run_all(only=["sessions-expire"])
    fresh = _sign_in(helen, CHROME)
    assert fresh.get("/me/sessions/").status_code == 200

    rows = sorted(row.end_reason for row in UserSession.objects.filter(user=helen))
    assert rows == ["", "Timed out"]
    assert result["sessions-expire"] == "1 timed-out session(s) marked ended"
    assert jobs.run_all(only=["sessions-expire"])["sessions-expire"].startswith("0 ")


def test_a_page_view_writes_the_session_at_most_once_a_minute(helen: User) -> None:
    """The idle timeout is renewed when activity touches the session (once a minute), not by
    an UPDATE of the session row on every request (issue "Platform at scale")."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _sign_in(helen)
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=5)):
        client.get("/")
    with (
        time_machine.travel(start + timedelta(seconds=20)),
        CaptureQueriesContext(connection) as quiet,
    ):
        assert client.get("/").status_code == 200
    with (
        time_machine.travel(start + timedelta(seconds=90)),
        CaptureQueriesContext(connection) as touched,
    ):
        assert client.get("/").status_code == 200

    def session_writes(queries: Any) -> list[str]:
        return [
            q["sql"]
            for q in queries.captured_queries
            if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
        ]

    assert session_writes(quiet) == []
    assert len(session_writes(touched)) == 1  # the minute's touch renews the expiry
