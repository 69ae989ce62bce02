"""Passkeys / security keys (WebAuthn) as a second factor, with a software authenticator made
in the test: a 'none' attestation and ES256 assertions signed by a key generated here."""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers import bytes_to_base64url

from qualitas.core import mfa, passkeys, signatures
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Role, User
from tests.core.test_mfa import code_for, enrolled
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"


class SoftKey:
    """A security key in software: one P-256 credential and its sign counter."""

    def __init__(self, rp_id: str = RP_ID) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = hashlib.sha256(str(id(self)).encode()).digest()
        self.rp_id = rp_id
        self.counter = 0

    def _cose(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, options: dict[str, Any], origin: str) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": options["challenge"],
                "origin": origin,
                "crossOrigin": False,
            }
        ).encode()

    def create(self, options: dict[str, Any], origin: str = ORIGIN) -> str:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        auth_data = (
            rp_hash
            + bytes([0x41])
            + struct.pack(">I", self.counter)
            + bytes(16)
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        cid = bytes_to_base64url(self.credential_id)
        return json.dumps(
            {
                "id": cid,
                "rawId": cid,
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(
                        self._client_data("webauthn.create", options, origin)
                    ),
                    "attestationObject": bytes_to_base64url(attestation),
                    "transports": ["usb"],
                },
            }
        )

    def get(self, options: dict[str, Any], origin: str = ORIGIN, *, count: bool = True) -> str:
        if count:
            self.counter += 1
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        auth_data = rp_hash + bytes([0x01]) + struct.pack(">I", self.counter)
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        cid = bytes_to_base64url(self.credential_id)
        return json.dumps(
            {
                "id": cid,
                "rawId": cid,
                "type": "public-key",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": bytes_to_base64url(client_data),
                    "authenticatorData": bytes_to_base64url(auth_data),
                    "signature": bytes_to_base64url(signature),
                    "userHandle": None,
                },
            }
        )


@pytest.fixture(autouse=True)
def relying_party(settings: Any) -> None:
    settings.OTP_WEBAUTHN_RP_ID = RP_ID
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


def session() -> SessionStore:
    store = SessionStore()
    store.create()
    return store


def with_passkey(user: User, name: str = "YubiKey") -> tuple[SoftKey, WebAuthnCredential]:
    key = SoftKey()
    store = session()
    options = passkeys.registration_options(user, store)
    device = passkeys.register(
        user, actor=user, session=store, credential=key.create(options), name=name
    )
    return key, device


def actions_on(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=user.pk, action__startswith="mfa_")
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- Registration ------------------------------------------------------------------------------


def test_a_key_is_registered_named_and_counts_as_mfa(quality_manager: User) -> None:
    contributor = quality_manager
    assert not mfa.has_confirmed_device(contributor)
    assert contributor in mfa.users_lacking_mfa("deviations.approve")
    _, device = with_passkey(contributor, "  Blue   key ")
    assert device.name == "Blue key" and device.confirmed and device.user == contributor
    assert mfa.has_confirmed_device(contributor)
    assert contributor not in mfa.users_lacking_mfa("deviations.approve")
    assert actions_on(contributor) == ["mfa_passkey_added"]


def test_registration_from_another_origin_is_refused(contributor: User) -> None:
    store = session()
    options = passkeys.registration_options(contributor, store)
    with pytest.raises(InvalidInput) as exc:
        passkeys.register(
            contributor,
            actor=contributor,
            session=store,
            name="x",
            credential=SoftKey().create(options, origin="https://evil.example"),
        )
    assert exc.value.errors[0].field == "credential"
    assert not WebAuthnCredential.objects.exists()


def test_registration_needs_the_challenge_we_issued_once(contributor: User) -> None:
    store = session()
    options = passkeys.registration_options(contributor, store)
    key = SoftKey()
    passkeys.register(
        contributor, actor=contributor, session=store, credential=key.create(options), name="a"
    )
    with pytest.raises(InvalidInput):  # the same answer again: the challenge is spent
        passkeys.register(
            contributor,
            actor=contributor,
            session=store,
            credential=SoftKey().create(options),
            name="b",
        )
    forged = dict(options, challenge=bytes_to_base64url(b"0" * 32))
    passkeys.registration_options(contributor, store)
    with pytest.raises(InvalidInput):
        passkeys.register(
            contributor,
            actor=contributor,
            session=store,
            credential=SoftKey().create(forged),
            name="c",
        )
    assert WebAuthnCredential.objects.count() == 1


def test_only_the_person_manages_their_keys(contributor: User, admin: User) -> None:
    _, device = with_passkey(contributor)
    with pytest.raises(PermissionDenied):
        passkeys.rename(contributor, device.pk, "mine now", actor=admin)
    with pytest.raises(PermissionDenied):
        passkeys.register(contributor, actor=admin, session=session(), credential="{}", name="")
    with pytest.raises(InvalidInput):
        passkeys.rename(contributor, device.pk, "x" * 65, actor=contributor)
    passkeys.rename(contributor, device.pk, "Green key", actor=contributor)
    device.refresh_from_db()
    assert device.name == "Green key"
    assert actions_on(contributor) == ["mfa_passkey_added", "mfa_passkey_renamed"]


# --- Verification ------------------------------------------------------------------------------


def test_an_assertion_verifies_once_and_a_replay_is_refused(contributor: User) -> None:
    key, device = with_passkey(contributor)
    store = session()
    options = passkeys.assertion_options(contributor, store)
    answer = key.get(options)
    assert passkeys.verify_assertion(contributor, store, answer, purpose="sign_in") == device
    # Same answer again, even with a fresh challenge re-used by an attacker: refused.
    assert passkeys.verify_assertion(contributor, store, answer, purpose="sign_in") is None
    options = passkeys.assertion_options(contributor, store)
    stale = key.get(options, count=False)  # counter did not move on: a cloned key
    assert passkeys.verify_assertion(contributor, store, stale, purpose="sign_in") is None
    assert actions_on(contributor)[-2:] == ["mfa_code_refused", "mfa_code_refused"]


def test_an_assertion_from_another_origin_or_key_is_refused(contributor: User) -> None:
    key, _ = with_passkey(contributor)
    store = session()
    options = passkeys.assertion_options(contributor, store)
    assert (
        passkeys.verify_assertion(
            contributor, store, key.get(options, origin="https://evil.example"), purpose="sign_in"
        )
        is None
    )
    other = UserFactory(username="other")
    other_key, _ = with_passkey(other)
    options = passkeys.assertion_options(contributor, store)
    assert (
        passkeys.verify_assertion(contributor, store, other_key.get(options), purpose="sign_in")
        is None
    )
    refused = AuditEvent.objects.filter(object_id=contributor.pk, action="mfa_code_refused")
    assert refused.count() == 2


# --- Sign-in second step -----------------------------------------------------------------------


def _signed_in_with_password(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_second_step_offers_and_accepts_a_passkey(contributor: User) -> None:
    key, device = with_passkey(contributor)
    client = _signed_in_with_password(contributor)
    assert client.get("/").status_code == 302  # second factor still missing
    page = client.get("/login/mfa/")
    assert b"Use a security key or passkey" in page.content
    assert b"qualitas/passkeys" in page.content
    options = client.post("/login/mfa/passkey/").json()
    answer = key.get(options)
    done = client.post("/login/mfa/", {"webauthn_assertion": answer, "next": "/"})
    assert done.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/").status_code == 200


def test_a_refused_passkey_counts_like_a_wrong_code(contributor: User, settings: Any) -> None:
    key, _ = with_passkey(contributor)
    client = _signed_in_with_password(contributor)
    options = client.post("/login/mfa/passkey/").json()
    bad = client.post(
        "/login/mfa/", {"webauthn_assertion": key.get(options, origin="https://evil.example")}
    )
    assert bad.status_code == 422
    assert b"was not accepted" in bad.content
    assert DEVICE_ID_SESSION_KEY not in client.session
    from axes.models import AccessAttempt

    assert (
        AccessAttempt.objects.filter(username=contributor.username).get().failures_since_start == 1
    )


# --- Management pages --------------------------------------------------------------------------


def test_a_key_is_added_from_the_mfa_page(contributor: User) -> None:
    client = Client()
    client.force_login(contributor)
    assert b"Add a security key or passkey" in client.get("/me/mfa/").content
    options = client.post("/me/mfa/passkeys/options/").json()
    assert options["rp"]["id"] == RP_ID
    added = client.post(
        "/me/mfa/passkeys/add/", {"name": "Desk key", "credential": SoftKey().create(options)}
    )
    assert added.status_code == 302
    assert WebAuthnCredential.objects.get(user=contributor).name == "Desk key"
    assert b"Desk key" in client.get("/me/mfa/").content


def test_removal_needs_the_password_and_a_second_factor(contributor: User) -> None:
    key, device = with_passkey(contributor)
    store = session()
    with pytest.raises(InvalidInput) as exc:
        passkeys.remove(
            contributor,
            device.pk,
            actor=contributor,
            session=store,
            password="wrong",
            code=None,
            assertion=key.get(passkeys.assertion_options(contributor, store)),
        )
    assert exc.value.errors[0].field == "password"
    with pytest.raises(InvalidInput) as exc:
        passkeys.remove(
            contributor,
            device.pk,
            actor=contributor,
            session=store,
            password=PASSWORD,
            code="123456",
            assertion=None,
        )
    assert exc.value.errors[0].field == "otp_code"
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()
    options = passkeys.assertion_options(contributor, store)
    passkeys.remove(
        contributor,
        device.pk,
        actor=contributor,
        session=store,
        password=PASSWORD,
        code=None,
        assertion=key.get(options),
    )
    assert not WebAuthnCredential.objects.filter(pk=device.pk).exists()
    assert actions_on(contributor)[-1] == "mfa_passkey_removed"


def test_the_last_second_factor_of_a_required_role_stays(contributor: User) -> None:
    Role.objects.filter(assignments__user=contributor).update(requires_mfa=True)
    key, device = with_passkey(contributor)
    store = session()
    with pytest.raises(PermissionDenied):
        passkeys.remove(
            contributor,
            device.pk,
            actor=contributor,
            session=store,
            password=PASSWORD,
            code=None,
            assertion=key.get(passkeys.assertion_options(contributor, store)),
        )
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()


def test_an_administrator_reset_removes_passkeys_too(contributor: User, admin: User) -> None:
    with_passkey(contributor)
    mfa.reset_for(contributor, actor=admin, reason="Lost the key")
    assert not WebAuthnCredential.objects.filter(user=contributor).exists()
    assert not mfa.has_confirmed_device(contributor)


# --- Signing (Part 11 §11.200) -----------------------------------------------------------------


def test_a_passkey_alone_cannot_sign_where_the_role_requires_mfa(db: None) -> None:
    approver = with_role(UserFactory(username="approver"), "approver")
    Role.objects.filter(code="approver").update(requires_mfa=True)
    with_passkey(approver)
    assert signatures.needs_otp(approver)
    with pytest.raises(InvalidInput) as exc:
        signatures.authenticate(approver, PASSWORD, otp="123456")
    assert exc.value.errors[0].field == "otp_code"
    assert "authenticator app" in exc.value.errors[0].message
    # With an authenticator app added, password and a current code sign.
    device, _ = enrolled(approver)
    assert (
        signatures.authenticate(approver, PASSWORD, otp=code_for(device, 1)).signer_id
        == approver.pk
    )


def test_without_a_required_role_a_passkey_holder_signs_with_the_password(
    contributor: User,
) -> None:
    with_passkey(contributor)
    assert not signatures.needs_otp(contributor)
    assert signatures.authenticate(contributor, PASSWORD).signer_id == contributor.pk
