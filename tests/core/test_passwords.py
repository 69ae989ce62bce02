"""Password rules (finding 9): predictable patterns, breached passwords, history of the last 5;
and what a password change ends (finding 7): other sessions, and tokens when confirmed."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from qualitas.core import services
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import ApiToken, AuditEvent, PasswordHistory, User, UserSession
from qualitas.core.passwords import (
    BreachedPasswordValidator,
    PasswordHistoryValidator,
    PredictablePasswordValidator,
)
from tests.conftest import ApiClient
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FRESH = ["Velvet-Orchard-41", "Copper-Lagoon-52", "Granite-Willow-63", "Saffron-Harbor-74"]


@pytest.fixture
def dfischer() -> User:
    return UserFactory(
        username="dfischer", first_name="Daniel", last_name="Fischer", email="dfischer@example.test"
    )


def _refusal(password: str, user: User | None = None) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


# --- Finding 9: the three passwords the review got accepted ----------------------------------


@pytest.mark.parametrize(
    ("password", "named"),
    [
        ("aaaaaaaaaaaa", "repeated characters"),
        ("qwertyuiopas", "keyboard pattern"),
        ("dfischerdfischer", "your username or name"),
    ],
)
def test_the_reviews_passwords_are_refused_with_a_reason(
    dfischer: User, admin: User, password: str, named: str
) -> None:
    before = dfischer.password

    with pytest.raises(InvalidInput) as refused:
        services.set_password(dfischer, actor=admin, password=password)

    message = refused.value.errors[0].message
    assert refused.value.errors[0].field == "password"
    assert "too easy to guess" in message and named in message
    dfischer.refresh_from_db()
    assert dfischer.password == before


@pytest.mark.parametrize(
    "password",
    [
        "abcdefghijkl",  # sequence
        "987654321098",  # descending digits
        "1qaz2wsx3edc4rfv",  # keyboard columns
        "asdfghjkl;'#",  # keyboard row
        "abcabcabcabc",  # repeated block
        "danielfischer1984",  # name and year
        "DFischer-2026!",  # username with a year
    ],
)
def test_predictable_patterns_are_refused(dfischer: User, password: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PredictablePasswordValidator().validate(password, dfischer)

    assert refused.value.code == "password_predictable"


@pytest.mark.parametrize(
    "password",
    [PASSWORD, "Lantern-Meadow-17", "Blue-Tractor-88", "k8Fq2mZt9wLx", "Maple-Beacon-Quartz-71"],
)
def test_ordinary_good_passwords_pass_every_rule(password: str) -> None:
    newcomer = User(username="hmarsh", first_name="Helen", last_name="Marsh")

    assert _refusal(password, newcomer) == []


@pytest.mark.parametrize(
    "password",
    ["P@ssw0rd2024!", "Password1234", "sunshine2024", "Winter2024!!", "1qaz2wsx3edc", "drowssap"],
)
def test_breached_passwords_are_refused_with_look_alikes_and_padding(password: str) -> None:
    with pytest.raises(ValidationError) as refused:
        BreachedPasswordValidator().validate(password)

    assert "data breaches" in refused.value.messages[0]


def test_the_breached_list_is_local_and_holds_both_packages_lists() -> None:
    from qualitas.core import passwords

    words = passwords._breached_words()["passwords"]
    assert "qwertyuiop" in words  # zxcvbn's list
    assert len(words) > 40_000  # with Django's, deduplicated


def test_the_validators_are_the_configured_ones() -> None:
    names = {type(v).__name__ for v in password_validation.get_default_password_validators()}
    assert {
        "PredictablePasswordValidator",
        "BreachedPasswordValidator",
        "PasswordHistoryValidator",
        "MinimumLengthValidator",
    } <= names


def test_help_texts_are_sentences() -> None:
    for text in password_validation.password_validators_help_texts():
        assert text[0].isupper() and text.endswith(".")


# --- Finding 9: password history --------------------------------------------------------------


def test_the_current_password_cannot_be_set_again(dfischer: User, admin: User) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.set_password(dfischer, actor=admin, password=PASSWORD)

    assert "last 5 passwords" in refused.value.errors[0].message


def test_the_last_five_passwords_are_refused_and_the_sixth_is_allowed_again(
    dfischer: User, admin: User
) -> None:
    for password in FRESH:
        services.set_password(dfischer, actor=admin, password=password)
    # History now: PASSWORD, and the four FRESH ones: all five refused.
    for password in [PASSWORD, *FRESH]:
        with pytest.raises(InvalidInput):
            services.set_password(dfischer, actor=admin, password=password)

    services.set_password(dfischer, actor=admin, password="Indigo-Meadow-85")
    services.set_password(dfischer, actor=admin, password=PASSWORD)  # six back: allowed

    dfischer.refresh_from_db()
    assert dfischer.check_password(PASSWORD)


def test_history_keeps_only_hashes_and_only_five(dfischer: User, admin: User) -> None:
    for password in [*FRESH, "Indigo-Meadow-85", "Amber-Falcon-96"]:
        services.set_password(dfischer, actor=admin, password=password)

    stored = list(PasswordHistory.objects.filter(user=dfischer))
    assert len(stored) == 5
    assert all("Meadow" not in row.password_hash for row in stored)
    assert check_password("Amber-Falcon-96", stored[0].password_hash)


def test_the_history_depth_is_configurable(dfischer: User, admin: User) -> None:
    validator = PasswordHistoryValidator(count=1)
    services.set_password(dfischer, actor=admin, password=FRESH[0])

    validator.validate(PASSWORD, dfischer)  # only the current one counts
    with pytest.raises(ValidationError):
        validator.validate(FRESH[0], dfischer)


def test_a_history_refusal_on_the_change_form_is_a_clear_field_error(
    client_for: object, dfischer: User
) -> None:
    client = client_for(dfischer)  # type: ignore[operator]

    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )

    assert response.status_code == 422
    assert b"not among your last 5 passwords" in response.content
    assert "new_password2" in response.context["form"].errors


def test_the_change_form_refuses_the_reviews_passwords(client_for: object, dfischer: User) -> None:
    client = client_for(dfischer)  # type: ignore[operator]
    for password in ("aaaaaaaaaaaa", "qwertyuiopas", "dfischerdfischer"):
        response = client.post(
            "/password/",
            {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
        )
        assert b"too easy to guess" in response.content

    dfischer.refresh_from_db()
    assert dfischer.check_password(PASSWORD)


# --- Finding 7: a password change ends the other sessions, and with consent the tokens --------


def _signed_in(user: User, password: str = PASSWORD) -> Client:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    response = client.post("/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content
    return client


def test_changing_my_password_ends_my_other_sessions_and_keeps_this_one(dfischer: User) -> None:
    here, elsewhere = _signed_in(dfischer), _signed_in(dfischer)
    assert elsewhere.get("/me/").status_code == 200

    response = here.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": FRESH[0],
            "new_password2": FRESH[0],
            "revoke_tokens": "on",
        },
    )

    assert response.status_code == 302
    assert here.get("/me/").status_code == 200
    assert elsewhere.get("/me/").status_code == 302  # signed out
    event = AuditEvent.objects.filter(action="sessions_ended", object_id=dfischer.pk).get()
    assert event.changes["why"] == "Password changed"
    assert event.actor == dfischer
    assert UserSession.objects.filter(user=dfischer, ended_at__isnull=True).count() == 1


def test_the_token_checkbox_is_offered_checked(client_for: object, dfischer: User) -> None:
    response = client_for(dfischer).get("/password/")  # type: ignore[operator]

    assert response.status_code == 200
    assert b'name="revoke_tokens" id="id_revoke_tokens" checked' in response.content


def test_a_password_change_with_the_box_ticked_revokes_my_tokens(dfischer: User) -> None:
    _token, plain = services.create_token(actor=dfischer, name="ci")
    client = _signed_in(dfischer)

    client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": FRESH[0],
            "new_password2": FRESH[0],
            "revoke_tokens": "on",
        },
    )

    response = ApiClient(plain).get("/tokens")
    assert response.status_code == 401
    assert response.json()["detail"] == "token revoked"
    token = ApiToken.objects.get(name="ci")
    assert token.revoked_by == dfischer
    assert AuditEvent.objects.filter(object_type__model="apitoken", object_id=token.pk).count() == 2


def test_a_password_change_with_the_box_cleared_keeps_my_tokens(dfischer: User) -> None:
    _token, plain = services.create_token(actor=dfischer, name="ci")
    client = _signed_in(dfischer)

    client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": FRESH[0], "new_password2": FRESH[0]},
    )

    dfischer.refresh_from_db()
    assert dfischer.check_password(FRESH[0])
    assert ApiClient(plain).get("/tokens").status_code == 200


def test_an_administrators_reset_ends_every_session_and_revokes_tokens_when_asked(
    dfischer: User, admin: User
) -> None:
    session = _signed_in(dfischer)
    _token, kept = services.create_token(actor=dfischer, name="kept")

    services.set_password(dfischer, actor=admin, password=FRESH[0])
    assert session.get("/me/").status_code == 302
    assert ApiClient(kept).get("/tokens").status_code == 200

    services.set_password(dfischer, actor=admin, password=FRESH[1], revoke_tokens=True)
    assert ApiClient(kept).get("/tokens").status_code == 401
    event = AuditEvent.objects.filter(action="sessions_ended", object_id=dfischer.pk).get()
    assert event.actor == admin


def test_only_user_administrators_set_someone_elses_password(
    dfischer: User, contributor: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.set_password(dfischer, actor=contributor, password=FRESH[0])

    dfischer.refresh_from_db()
    assert dfischer.check_password(PASSWORD)


def test_deactivation_ends_every_session(dfischer: User, admin: User) -> None:
    session = _signed_in(dfischer)

    services.deactivate_user(dfischer, actor=admin)

    assert session.get("/me/").status_code == 302
    assert UserSession.objects.filter(user=dfischer, ended_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="sessions_ended", object_id=dfischer.pk).exists()


@override_settings(
    AUTH_PASSWORD_VALIDATORS=[
        {
            "NAME": "qualitas.core.passwords.PasswordHistoryValidator",
            "OPTIONS": {"count": 2},
        }
    ]
)
def test_the_history_depth_comes_from_the_settings(dfischer: User, admin: User) -> None:
    services.set_password(dfischer, actor=admin, password=FRESH[0])
    services.set_password(dfischer, actor=admin, password=FRESH[1])

    services.set_password(dfischer, actor=admin, password=PASSWORD)  # three back: allowed
    assert PasswordHistory.objects.filter(user=dfischer).count() == 2
