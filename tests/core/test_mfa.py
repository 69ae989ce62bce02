"""Multi-factor authentication: enrolment, the sign-in second step, per-role enforcement,
signing with password and code (Part 11 §11.200), recovery codes and the audit trail."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from qualitas.core import mfa, records, signatures, workflow
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Role, Signature, User
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db


# --- Helpers -----------------------------------------------------------------------------------


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or `steps_ahead` time steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"


def enrolled(user: User) -> tuple[TOTPDevice, list[str]]:
    """Enrol and confirm an authenticator for `user`; its code for the confirmation is the
    current step, so later checks in a test use steps ahead (a code works once)."""
    device = mfa.start_enrolment(user, actor=user)
    codes = mfa.confirm_enrolment(user, code_for(device), actor=user)
    device.refresh_from_db()
    return device, codes


def unthrottle(device: TOTPDevice) -> None:
    """Skip django-otp's back-off (1, 2, 4 … seconds after wrong codes) between attempts."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    StaticDevice.objects.filter(user_id=device.user_id).update(throttling_failure_timestamp=None)


def verified_client(user: User, device: TOTPDevice) -> Client:
    """A session that gave both factors (the second step itself is tested below)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def actions_on(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=user.pk, action__startswith="mfa_")
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.fixture
def approver(db: None) -> User:
    return with_role(
        UserFactory(username="approver", first_name="Abe", last_name="Approver"), "approver"
    )


@pytest.fixture
def author(db: None) -> User:
    return with_role(UserFactory(username="author"), "contributor")


@pytest.fixture
def submitted(author: User) -> Any:
    """A deviation waiting for an approver's signature."""
    record = records.create(
        records.RECORD_TYPES["deviation"],
        actor=author,
        title="Use alternate torque wrench",
        description="Calibrated spare in use",
        impact="Low",
    )
    return workflow.fire(record, "submit", actor=author, comment="for review")


# --- Services ----------------------------------------------------------------------------------


def test_enrolment_is_inactive_until_confirmed_then_gives_ten_recovery_codes(
    contributor: User,
) -> None:
    device = mfa.start_enrolment(contributor, actor=contributor)
    assert not mfa.has_confirmed_device(contributor)

    with pytest.raises(InvalidInput) as wrong:
        mfa.confirm_enrolment(contributor, wrong_code(device), actor=contributor)
    assert wrong.value.errors[0].field == "otp_code"
    assert not mfa.has_confirmed_device(contributor)

    codes = mfa.confirm_enrolment(contributor, code_for(device), actor=contributor)

    assert mfa.has_confirmed_device(contributor)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert mfa.recovery_codes_left(contributor) == 10
    assert actions_on(contributor) == ["mfa_enrolment_started", "mfa_enabled"]
    # Neither the secret nor a recovery code is written to the audit trail.
    logged = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert device.key not in logged and not any(code in logged for code in codes)


def test_nobody_enrols_or_confirms_for_someone_else(admin: User, contributor: User) -> None:
    with pytest.raises(PermissionDenied):
        mfa.start_enrolment(contributor, actor=admin)
    device = mfa.start_enrolment(contributor, actor=contributor)
    with pytest.raises(PermissionDenied):
        mfa.confirm_enrolment(contributor, code_for(device), actor=admin)
    assert not mfa.has_confirmed_device(contributor)


def test_a_totp_code_works_once(contributor: User) -> None:
    device, _ = enrolled(contributor)
    later = code_for(device, 1)

    assert mfa.verify_totp(contributor, later) is True
    assert mfa.verify_totp(contributor, later) is False  # replayed: refused


def test_a_recovery_code_works_once_and_its_use_is_audited(contributor: User) -> None:
    _, codes = enrolled(contributor)

    assert mfa.verify(contributor, codes[0], purpose="sign_in") is not None
    assert mfa.verify(contributor, codes[0], purpose="sign_in") is None

    assert mfa.recovery_codes_left(contributor) == 9
    used = AuditEvent.objects.get(action="mfa_recovery_code_used")
    assert used.actor == contributor and used.changes == {"purpose": "sign_in", "left": 9}
    assert AuditEvent.objects.filter(action="mfa_code_refused", actor=contributor).count() == 1


def test_new_recovery_codes_need_password_and_code_and_replace_the_old(contributor: User) -> None:
    device, old = enrolled(contributor)

    with pytest.raises(InvalidInput) as no_password:
        mfa.regenerate_recovery_codes(
            contributor, actor=contributor, password="wrong-wrong", code=code_for(device, 1)
        )
    with pytest.raises(InvalidInput) as no_code:
        mfa.regenerate_recovery_codes(contributor, actor=contributor, password=PASSWORD, code="123")
    unthrottle(device)
    new = mfa.regenerate_recovery_codes(
        contributor, actor=contributor, password=PASSWORD, code=code_for(device, 1)
    )

    assert no_password.value.errors[0].field == "password"
    assert no_code.value.errors[0].field == "otp_code"
    assert set(new).isdisjoint(old)
    assert mfa.verify(contributor, old[1], purpose="sign_in") is None
    unthrottle(device)
    assert mfa.verify(contributor, new[0], purpose="sign_in") is not None
    assert "mfa_recovery_codes_regenerated" in actions_on(contributor)


def test_removal_needs_password_and_code_and_is_audited(contributor: User) -> None:
    _, codes = enrolled(contributor)

    with pytest.raises(InvalidInput):
        mfa.remove(contributor, actor=contributor, password=PASSWORD, code="")
    assert mfa.has_confirmed_device(contributor)

    mfa.remove(contributor, actor=contributor, password=PASSWORD, code=codes[0])

    assert not mfa.has_confirmed_device(contributor)
    assert mfa.recovery_codes_left(contributor) == 0
    assert actions_on(contributor)[-1] == "mfa_removed"


def test_a_role_that_requires_mfa_keeps_the_authenticator(approver: User) -> None:
    _, codes = enrolled(approver)

    with pytest.raises(PermissionDenied):
        mfa.remove(approver, actor=approver, password=PASSWORD, code=codes[0])

    assert mfa.has_confirmed_device(approver)
    assert mfa.recovery_codes_left(approver) == 10  # the refusal did not spend a code


def test_an_administrator_resets_a_lost_authenticator_with_a_reason(
    admin: User, quality_manager: User, contributor: User
) -> None:
    enrolled(contributor)
    with pytest.raises(PermissionDenied):
        mfa.reset_for(contributor, actor=quality_manager, reason="Lost phone")
    with pytest.raises(InvalidInput):
        mfa.reset_for(contributor, actor=admin, reason=" ")
    assert mfa.has_confirmed_device(contributor)

    mfa.reset_for(contributor, actor=admin, reason="Lost phone")

    assert not mfa.has_confirmed_device(contributor)
    removed = AuditEvent.objects.get(action="mfa_removed")
    assert removed.actor == admin and removed.reason == "Lost phone"


def test_the_reset_through_the_page_and_the_api(
    client_for: Any, api_for: Any, admin: User, viewer: User, contributor: User
) -> None:
    enrolled(contributor)
    page = client_for(admin).get(f"/people/{contributor.pk}/")
    refused = api_for(viewer).post(f"/users/{contributor.pk}/mfa/reset", {"reason": "Lost"})
    no_reason = api_for(admin).post(f"/users/{contributor.pk}/mfa/reset", {"reason": ""})
    assert b"Reset authenticator" in page.content
    assert (refused.status_code, no_reason.status_code) == (403, 422)
    assert mfa.has_confirmed_device(contributor)

    done = client_for(admin).post(
        f"/people/{contributor.pk}/mfa/reset/", {"reason": "Phone lost, identity checked"}
    )
    again = api_for(admin).post(f"/users/{contributor.pk}/mfa/reset", {"reason": "Again"})

    assert done.status_code == 302
    assert not mfa.has_confirmed_device(contributor)
    assert again.status_code == 422
    assert AuditEvent.objects.get(action="mfa_removed").reason == "Phone lost, identity checked"


def test_users_lacking_mfa_lists_holders_of_the_permission_without_a_device(
    approver: User, author: User, quality_manager: User, admin: User
) -> None:
    code = "deviations.approve"  # approvers and quality managers hold it
    second = with_role(UserFactory(username="approver2"), "approver")
    gone = with_role(UserFactory(username="approver3", is_active=False), "approver")
    enrolled(second)

    lacking = set(mfa.users_lacking_mfa(code).values_list("username", flat=True))

    assert lacking == {"approver", "qm", "admin"}  # administrators carry every permission
    assert {"approver2", gone.username, author.username}.isdisjoint(lacking)
    with pytest.raises(ValueError):
        mfa.users_lacking_mfa("no.such.permission")


# --- Enrolment pages ---------------------------------------------------------------------------


def test_enrolment_through_the_pages(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)
    assert b'href="/me/mfa/"' in client.get("/me/").content
    off = client.get("/me/mfa/")
    assert off.status_code == 200 and b"Set up an authenticator app" in off.content
    assert client.get("/me/mfa/qr.svg").status_code == 404  # nothing pending yet

    client.post("/me/mfa/start/")
    page = client.get("/me/mfa/")
    qr = client.get("/me/mfa/qr.svg")
    device = TOTPDevice.objects.get(user=contributor)
    wrong = client.post("/me/mfa/confirm/", {"otp_code": "12"})
    assert wrong.status_code == 422 and not mfa.has_confirmed_device(contributor)
    unthrottle(device)
    done = client.post("/me/mfa/confirm/", {"otp_code": code_for(device)})

    assert b'src="/me/mfa/qr.svg"' in page.content
    shown = re.search(rb'data-testid="mfa-secret">([A-Z2-7 ]+)<', page.content)
    assert shown is not None and mfa.secret_text(device).encode() == shown.group(1)
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert qr["Cache-Control"] == "no-store"
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    listed = re.findall(rb"<li><code>([a-z2-7]+)</code></li>", done.content)
    assert len(listed) == 10
    # The active authenticator's secret is never shown again; the session counts as verified.
    assert client.get("/me/mfa/qr.svg").status_code == 404
    assert b"mfa-secret" not in client.get("/me/mfa/").content
    assert client.get("/").status_code == 200


def test_removal_through_the_page_needs_both_components(contributor: User) -> None:
    device, codes = enrolled(contributor)
    client = verified_client(contributor, device)

    refused = client.post("/me/mfa/remove/", {"password": "wrong", "otp_code": codes[0]})
    assert refused.status_code == 422 and mfa.has_confirmed_device(contributor)
    removed = client.post("/me/mfa/remove/", {"password": PASSWORD, "otp_code": codes[0]})

    assert removed.status_code == 302 and not mfa.has_confirmed_device(contributor)


# --- Sign-in second step -----------------------------------------------------------------------


def _sign_in(client: Client, user: User, next_url: str = "/") -> Any:
    return client.post(
        f"/login/?next={next_url}", {"username": user.username, "password": PASSWORD}
    )


def test_after_the_password_a_person_with_mfa_gives_a_code_before_anything_else(
    contributor: User,
) -> None:
    device, _ = enrolled(contributor)
    client = Client()

    _sign_in(client, contributor, "/me/")
    home = client.get("/me/")
    api = client.get("/api/v1/roles")
    step = client.get(home["Location"])
    wrong = client.post("/login/mfa/", {"otp_code": "000000", "next": "/me/"})
    unthrottle(device)
    right = client.post("/login/mfa/", {"otp_code": code_for(device, 1), "next": "/me/"})

    assert home.status_code == 302 and home["Location"].startswith("/login/mfa/?next=")
    assert api.status_code == 401
    assert step.status_code == 200 and b"Authenticator code" in step.content
    assert b"My profile" not in step.content  # no navigation before the second step
    assert wrong.status_code == 422
    assert right.status_code == 302 and right["Location"] == "/me/"
    assert client.get("/me/").status_code == 200
    assert client.get("/api/v1/roles").status_code == 200
    assert "mfa_code_refused" in actions_on(contributor)


def test_a_recovery_code_signs_in_once(contributor: User) -> None:
    _, codes = enrolled(contributor)
    first, second = Client(), Client()
    _sign_in(first, contributor)
    _sign_in(second, contributor)

    used = first.post("/login/mfa/", {"otp_code": codes[0].upper()})
    again = second.post("/login/mfa/", {"otp_code": codes[0]})

    assert used.status_code == 302 and first.get("/").status_code == 200
    assert again.status_code == 422 and second.get("/").status_code == 302
    assert "mfa_recovery_code_used" in actions_on(contributor)


def test_the_next_address_must_be_ours(contributor: User) -> None:
    device, _ = enrolled(contributor)
    client = Client()
    _sign_in(client, contributor)
    response = client.post(
        "/login/mfa/", {"otp_code": code_for(device, 1), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_wrong_codes_lock_the_account_like_wrong_passwords(contributor: User) -> None:
    device, _ = enrolled(contributor)
    client = Client()
    _sign_in(client, contributor)

    responses = []
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        # Skip django-otp's back-off so each attempt reaches the check.
        unthrottle(device)
        responses.append(client.post("/login/mfa/", {"otp_code": "000001"}))

    assert [r.status_code for r in responses[:-1]] == [422] * (len(responses) - 1)
    assert responses[-1].status_code == 429  # django-axes' lockout page
    assert client.get("/").status_code == 302  # signed out
    assert AccessAttempt.objects.filter(username=contributor.username).exists()
    relogin = Client()
    locked = _sign_in(relogin, contributor)
    assert locked.status_code == 429 and relogin.get("/").status_code == 302


def test_django_otp_backs_off_after_a_wrong_code(contributor: User) -> None:
    device, _ = enrolled(contributor)
    client = Client()
    _sign_in(client, contributor)

    client.post("/login/mfa/", {"otp_code": "000001"})
    throttled = client.post("/login/mfa/", {"otp_code": code_for(device, 1)})

    assert throttled.status_code == 422 and b"wait" in throttled.content
    assert client.get("/").status_code == 302


def test_an_api_token_is_its_own_credential(contributor: User, api_for: Any) -> None:
    enrolled(contributor)
    assert api_for(contributor).get("/roles").status_code == 200


# --- Enforcement per role ----------------------------------------------------------------------


def test_privileged_system_roles_require_mfa_by_default() -> None:
    required = set(Role.objects.filter(requires_mfa=True).values_list("code", flat=True))
    assert required == {"administrator", "quality-manager", "approver"}


def test_a_holder_of_a_role_requiring_mfa_must_enrol_first(
    client_for: Any, approver: User, author: User, settings: Any
) -> None:
    settings.MFA_ENFORCE_ROLES = True
    client = client_for(approver)

    home = client.get("/")
    api = client.get("/api/v1/roles")
    enrol_page = client.get("/me/mfa/")

    assert home.status_code == 302 and home["Location"] == "/me/mfa/"
    assert api.status_code == 403
    assert enrol_page.status_code == 200 and b"requires multi-factor" in enrol_page.content
    assert client_for(author).get("/").status_code == 200  # contributors are not asked

    client.post("/me/mfa/start/")
    device = TOTPDevice.objects.get(user=approver)
    client.post("/me/mfa/confirm/", {"otp_code": code_for(device)})
    assert client.get("/").status_code == 200


def test_only_administrators_change_whether_a_role_requires_mfa(
    api_for: Any, admin: User, quality_manager: User, client_for: Any
) -> None:
    refused = api_for(quality_manager).patch("/roles/contributor", {"requires_mfa": True})
    page_refused = client_for(quality_manager).post(
        "/roles/contributor/mfa/", {"requires_mfa": "on"}
    )
    assert refused.status_code == 403 and page_refused.status_code == 403
    assert not Role.objects.get(code="contributor").requires_mfa

    changed = api_for(admin).patch("/roles/contributor", {"requires_mfa": True})
    bad = api_for(admin).patch("/roles/contributor", {"requires_mfa": "perhaps"})
    assert changed.status_code == 200 and changed.json()["requires_mfa"] is True
    assert bad.status_code == 422
    role = Role.objects.get(code="contributor")
    assert role.requires_mfa
    event = AuditEvent.objects.filter(object_id=role.pk, actor=admin).latest("id")
    assert event.changes["requires_mfa"] == [False, True] or "requires_mfa" in json.dumps(
        event.changes
    )

    page = client_for(admin).post("/roles/contributor/mfa/", {})
    assert page.status_code == 302 and not Role.objects.get(code="contributor").requires_mfa
    listing = client_for(admin).get("/roles/").content
    assert b'data-testid="role-mfa-approver"' in listing


# --- Signing with two components ---------------------------------------------------------------


def test_signing_asks_for_a_code_only_of_people_with_mfa(approver: User, submitted: Any) -> None:
    path = f"/deviations/{submitted.pk}/transitions/approve/"
    plain = Client()
    plain.force_login(approver)
    assert b'name="otp_code"' not in plain.get(path).content

    device, _ = enrolled(approver)
    assert b'name="otp_code"' in verified_client(approver, device).get(path).content


def test_signing_on_the_page_needs_password_and_a_current_code(
    approver: User, submitted: Any
) -> None:
    device, _ = enrolled(approver)
    client = verified_client(approver, device)
    path = f"/deviations/{submitted.pk}/transitions/approve/"
    base = {"password": PASSWORD, "version": submitted.version}

    missing = client.post(path, base)
    wrong = client.post(path, {**base, "otp_code": "000001"})
    unthrottle(device)
    signed = client.post(path, {**base, "otp_code": code_for(device, 1)})

    assert missing.status_code == 422 and "otp_code" in missing.context["form"].errors
    assert wrong.status_code == 422 and b"Wrong or already used" in wrong.content
    assert signed.status_code == 302
    assert Signature.objects.get().signer == approver
    refusal = AuditEvent.objects.get(action="signature_refused")
    assert refusal.changes["component"] == "otp_code" and refusal.object_id == submitted.pk


def test_signing_through_the_api_needs_a_code_that_was_not_used(
    approver: User, author: User, submitted: Any, api_for: Any
) -> None:
    device, _ = enrolled(approver)
    api = api_for(approver)
    path = f"/deviations/{submitted.pk}/transitions/approve"
    code = code_for(device, 1)
    assert mfa.verify_totp(approver, code)  # e.g. used to sign something else a moment ago

    missing = api.post(path, {"password": PASSWORD})
    replayed = api.post(path, {"password": PASSWORD, "otp_code": code})
    wrong_password = api.post(path, {"password": "guess-guess", "otp_code": "123456"})

    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "otp_code"
    assert replayed.status_code == 422 and replayed.json()["errors"][0]["field"] == "otp_code"
    assert wrong_password.status_code == 403
    assert Signature.objects.count() == 0
    refusals = AuditEvent.objects.filter(action="signature_refused").order_by("id")
    assert [e.changes.get("component") for e in refusals] == ["otp_code", None]


def test_signing_through_the_api_with_password_and_code(
    approver: User, submitted: Any, api_for: Any
) -> None:
    device, _ = enrolled(approver)
    path = f"/deviations/{submitted.pk}/transitions/approve"
    signed = api_for(approver).post(path, {"password": PASSWORD, "otp_code": code_for(device, 1)})
    assert signed.status_code == 200 and signed.json()["state"] == "approved"
    assert Signature.objects.get().signer == approver


def test_wrong_codes_lock_signing_like_wrong_passwords(approver: User, submitted: Any) -> None:
    device, _ = enrolled(approver)
    for _ in range(django_settings.SIGNATURE_FAILURE_LIMIT - 1):
        unthrottle(device)
        with pytest.raises(InvalidInput):
            signatures.authenticate(approver, PASSWORD, otp="000001", subject=submitted)
    unthrottle(device)
    with pytest.raises(signatures.SignatureRefused, match="locked"):
        signatures.authenticate(approver, PASSWORD, otp="000001", subject=submitted)
    with pytest.raises(signatures.SignatureRefused, match="locked"):
        signatures.authenticate(approver, PASSWORD, otp=code_for(device, 1), subject=submitted)


def test_people_without_mfa_still_sign_with_the_password(approver: User) -> None:
    token = signatures.authenticate_from(None, approver, {"password": PASSWORD}, subject=None)
    assert token.signer_id == approver.pk


def test_the_openapi_document_names_the_code_field() -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "otp_code" in schemas["TransitionIn"]["properties"]
    assert "otp_code" in schemas["SignIn"]["properties"]
    assert "requires_mfa" in schemas["RolePatchIn"]["properties"]
