"""Personal access tokens: create, use, expire, revoke; stored hashed; printed once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from qualitas.core import services, tokens
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import ApiToken
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_a_token_authenticates_its_owner(viewer: object) -> None:
    _token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]

    response = ApiClient(plain).get("/me")

    assert response.status_code == 200
    assert response.json()["username"] == "viewer"


def test_only_a_hash_of_the_token_is_stored(viewer: object) -> None:
    token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]

    stored = ApiToken.objects.get(pk=token.pk)

    assert plain not in {stored.token_hash, stored.prefix, stored.name}
    assert stored.token_hash == tokens.digest(plain)
    assert plain.startswith(f"qlt_{stored.prefix}_")


def test_an_expired_token_is_refused(viewer: object) -> None:
    _token, plain = services.create_token(actor=viewer, name="short", expires_in_days=1)  # type: ignore[arg-type]

    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = ApiClient(plain).get("/me")

    assert response.status_code == 401
    assert response.json() == {"detail": "token expired", "errors": []}


def test_a_revoked_token_is_refused_at_once(viewer: object) -> None:
    token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]
    assert ApiClient(plain).get("/me").status_code == 200

    services.revoke_token(token, actor=viewer)  # type: ignore[arg-type]

    assert ApiClient(plain).get("/me").status_code == 401


def test_a_made_up_token_is_refused(viewer: object) -> None:
    real, _plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]
    forged = f"qlt_{real.prefix}_{'A' * 43}"

    assert ApiClient(forged).get("/me").status_code == 401
    assert ApiClient("not-a-token").get("/me").status_code == 401


def test_tokens_of_a_deactivated_user_stop_working(admin: object, viewer: object) -> None:
    _token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]

    services.deactivate_user(viewer, actor=admin)  # type: ignore[arg-type]

    assert ApiClient(plain).get("/me").status_code == 401


def test_use_is_recorded(viewer: object) -> None:
    token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]

    ApiClient(plain).get("/me")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_expiry_beyond_the_maximum_is_refused(viewer: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.create_token(actor=viewer, name="forever", expires_in_days=5000)  # type: ignore[arg-type]

    assert refused.value.errors[0].field == "expires_in_days"
    assert not ApiToken.objects.exists()


def test_nobody_revokes_someone_elses_token_without_the_permission(
    viewer: object, contributor: object
) -> None:
    token, _plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]

    with pytest.raises(PermissionDenied):
        services.revoke_token(token, actor=contributor)  # type: ignore[arg-type]

    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_administrator_may_revoke_anyones_token(admin: object, viewer: object) -> None:
    token, _plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]

    services.revoke_token(token, actor=admin)  # type: ignore[arg-type]

    token.refresh_from_db()
    assert token.revoked_by == admin


def test_the_api_creates_a_token_and_shows_it_once(
    api_for: object, client_for: object, viewer: object
) -> None:
    api = api_for(viewer)  # type: ignore[operator]
    browser = client_for(viewer)  # type: ignore[operator]
    browser.get("/me/")  # tokens are created from a signed-in session, never by a token

    created = browser.post(
        "/api/v1/tokens",
        '{"name": "CI upload", "expires_in_days": 30}',
        content_type="application/json",
        headers={"X-CSRFToken": browser.cookies["csrftoken"].value},
    )
    listed = api.get("/tokens")

    assert created.status_code == 201
    plain = created.json()["token"]
    assert ApiClient(plain).get("/me").json()["username"] == "viewer"
    assert all("token" not in row for row in listed.json()["results"])
    assert {row["name"] for row in listed.json()["results"]} == {"tests", "CI upload"}


def test_the_api_revokes_a_token(api_for: object, viewer: object) -> None:
    api = api_for(viewer)  # type: ignore[operator]
    _token, plain = services.create_token(actor=viewer, name="temp")  # type: ignore[arg-type]
    token_id = ApiToken.objects.get(name="temp").pk

    response = api.post(f"/tokens/{token_id}/revoke")

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert ApiClient(plain).get("/me").status_code == 401


def test_the_command_line_creates_a_token_printed_once(viewer: object, capsys: object) -> None:
    call_command("token", "create", "--user", "viewer", "--name", "nightly export")

    plain = capsys.readouterr().out.strip()  # type: ignore[attr-defined]
    assert ApiClient(plain).get("/me").json()["username"] == "viewer"
    call_command("token", "list", "--user", "viewer")
    listing = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "nightly export" in listing
    assert plain not in listing


def test_the_command_line_revokes_a_token(viewer: object, capsys: object) -> None:
    token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]

    call_command("token", "revoke", str(token.pk))

    assert ApiClient(plain).get("/me").status_code == 401


def test_the_command_line_names_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No user with username 'ghost'"):
        call_command("token", "create", "--user", "ghost", "--name", "x")


def test_the_profile_page_creates_a_token_and_shows_it_once(
    client_for: object, viewer: object
) -> None:
    client = client_for(viewer)  # type: ignore[operator]

    response = client.post("/me/", {"name": "my laptop", "expires_in_days": 10})

    token = ApiToken.objects.get(name="my laptop")
    assert response.status_code == 200
    assert f"qlt_{token.prefix}_".encode() in response.content
    assert response["Cache-Control"] == "no-store"
    assert b"my laptop" in client.get("/me/").content
    assert token.token_hash.encode() not in client.get("/me/").content


# --- Security review, findings 7 and 10 -----------------------------------------------------


def test_a_token_cannot_create_tokens(viewer: object) -> None:
    _token, plain = services.create_token(actor=viewer, name="stolen")  # type: ignore[arg-type]

    response = ApiClient(plain).post("/tokens", {"name": "persistence"})

    assert response.status_code == 403
    assert response.json()["detail"].startswith("An API token cannot create tokens")
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["stolen"]


def test_a_signed_in_session_still_creates_tokens(client_for: object, viewer: object) -> None:
    client = client_for(viewer)  # type: ignore[operator]
    client.get("/me/")
    csrf = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/tokens",
        '{"name": "from the browser"}',
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert response.status_code == 201
    assert ApiToken.objects.filter(name="from the browser", user=viewer).exists()


def test_a_revoked_token_gets_401_token_revoked_not_a_csrf_error(viewer: object) -> None:
    token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]
    services.revoke_token(token, actor=viewer)  # type: ignore[arg-type]
    api = ApiClient(plain)

    for response in (api.get("/tokens"), api.post("/tokens", {"name": "x"})):
        assert response.status_code == 401
        assert response.json() == {"detail": "token revoked", "errors": []}
        assert response["WWW-Authenticate"] == 'Bearer realm="qualitas"'


def test_an_expired_token_gets_401_token_expired_on_writes_too(viewer: object) -> None:
    token, plain = services.create_token(actor=viewer, name="short", expires_in_days=1)  # type: ignore[arg-type]

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = ApiClient(plain).post(f"/tokens/{token.pk}/revoke")

    assert response.status_code == 401
    assert response.json()["detail"] == "token expired"


def test_a_bad_token_is_not_rescued_by_a_session_cookie(client_for: object, viewer: object) -> None:
    token, plain = services.create_token(actor=viewer, name="script")  # type: ignore[arg-type]
    services.revoke_token(token, actor=viewer)  # type: ignore[arg-type]
    client = client_for(viewer)  # type: ignore[operator]

    response = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {plain}"})
    forged = client.get("/api/v1/tokens", headers={"Authorization": "Bearer qlt_nope_x"})

    assert (response.status_code, response.json()["detail"]) == (401, "token revoked")
    assert (forged.status_code, forged.json()["detail"]) == (401, "token invalid")


def test_a_busy_database_does_not_refuse_a_call_for_its_last_use_stamp(
    viewer: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording last use is bookkeeping: when the write meets a locked table (SQLite under a
    burst of parallel calls) the call is still let in and the stamp waits for a later call."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    _token, plain = services.create_token(actor=viewer, name="ci")

    def locked(self: QuerySet, **kwargs: object) -> int:
        raise OperationalError("database table is locked: core_apitoken")

    monkeypatch.setattr(QuerySet, "update", locked)
    found = tokens.check(plain)
    monkeypatch.undo()

    assert found.user == viewer
    assert ApiToken.objects.get(pk=found.pk).last_used_at is None
    tokens.check(plain)
    assert ApiToken.objects.get(pk=found.pk).last_used_at is not None
