"""Passkeys and security keys (WebAuthn) as a second factor, beside the authenticator app.

django-otp-webauthn stores each key as a django-otp device (`WebAuthnCredential`) and its
helper runs the ceremonies with py_webauthn (challenge, origin, relying-party ID, signature
and sign counter all checked). We do not mount its views: ours audit every step, count
failures like wrong codes and never allow passwordless sign-in. A ceremony's state (its
challenge) lives in the session and is used once.

Signing (Part 11 §11.200) still asks for the password and a current authenticator-app code:
see `signatures.authenticate`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import ResidentKeyRequirement

from qualitas.core import audit, mfa
from qualitas.core.errors import InvalidInput, PermissionDenied

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase

    from qualitas.core.models import User

REGISTER_STATE = "qualitas_passkey_register"
ASSERT_STATE = "qualitas_passkey_assert"
NAME_MAX = 64
DEFAULT_NAME = "Security key"


class _Helper(WebAuthnHelper):  # type: ignore[misc]  # untyped library
    """The library's helper with settings only (no request needed) and, as we sign in with a
    password first, no demand for discoverable credentials (security keys have little room)."""

    def __init__(self) -> None:
        super().__init__(request=None)

    def get_discoverable_credentials_preference(self) -> ResidentKeyRequirement:
        return ResidentKeyRequirement.DISCOURAGED


def passkeys_of(user: User) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("id"))


def _parse(data: str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    try:
        parsed = json.loads(data or "")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ValueError("not a WebAuthn response")
    return parsed


def _require_self(user: User, actor: User) -> None:
    if actor.pk != user.pk:
        raise PermissionDenied("Only the person themselves may manage their passkeys.")


def _clean_name(name: str | None) -> str:
    cleaned = " ".join((name or "").split())
    if len(cleaned) > NAME_MAX:
        raise InvalidInput.for_field("name", f"Keep the name to {NAME_MAX} characters.")
    return cleaned


# --- Registration ------------------------------------------------------------------------------


def registration_options(user: User, session: SessionBase) -> dict[str, Any]:
    """Options for `navigator.credentials.create()`; the challenge is kept in the session."""
    options, state = _Helper().register_begin(user=user)
    session[REGISTER_STATE] = state
    return dict(options)


@audit.service
def register(
    user: User,
    *,
    actor: User,
    session: SessionBase,
    credential: str | dict[str, Any] | None,
    name: str | None,
) -> WebAuthnCredential:
    """Verify the authenticator's attestation against the challenge we issued and store the
    key under `name`."""
    _require_self(user, actor)
    state = session.pop(REGISTER_STATE, None)
    session.save()  # the challenge is spent even if what follows fails
    label = _clean_name(name) or DEFAULT_NAME
    if not state:
        raise InvalidInput.for_field("credential", "Start adding the key again: it timed out.")
    try:
        device = _Helper().register_complete(user=user, state=state, data=_parse(credential))
    except (WebAuthnException, webauthn_errors.OTPWebAuthnApiError, ValueError, KeyError) as exc:
        raise InvalidInput.for_field(
            "credential", "The key's answer could not be verified: nothing was added."
        ) from exc
    device.name = label
    device.save(update_fields=["name"])
    audit.record(user, "mfa_passkey_added", {"device": label})
    return device


@audit.service
def rename(user: User, passkey_id: int, name: str | None, *, actor: User) -> WebAuthnCredential:
    _require_self(user, actor)
    label = _clean_name(name)
    if not label:
        raise InvalidInput.for_field("name", "Give the key a name.")
    device = _own(user, passkey_id)
    old = device.name
    device.name = label
    device.save(update_fields=["name"])
    audit.record(user, "mfa_passkey_renamed", {"from": old, "to": label})
    return device


def _own(user: User, passkey_id: int) -> WebAuthnCredential:
    device = WebAuthnCredential.objects.filter(user=user, pk=passkey_id).first()
    if device is None:
        raise InvalidInput.for_field("passkey", "No such passkey.")
    return device


def remove(
    user: User,
    passkey_id: int,
    *,
    actor: User,
    session: SessionBase,
    password: str | None,
    code: str | None,
    assertion: str | None,
) -> None:
    """Remove a passkey: the password and a second factor (a code, or any of the person's
    passkeys answering a fresh challenge)."""
    _require_self(user, actor)
    device = _own(user, passkey_id)
    others = WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=device.pk)
    if mfa.required_for(user) and mfa.confirmed_device(user) is None and not others.exists():
        raise PermissionDenied(
            "One of your roles requires MFA and this is your last second factor: add another "
            "passkey or an authenticator app first."
        )
    if not password or not user.check_password(password):
        with audit.context(actor=user), transaction.atomic():
            audit.record(user, "mfa_code_refused", {"purpose": "manage", "component": "password"})
        raise InvalidInput.for_field("password", "Wrong password.")
    if assertion:
        if verify_assertion(user, session, assertion, purpose="manage") is None:
            raise InvalidInput.for_field("otp_code", "The passkey's answer was not accepted.")
    elif mfa.verify(user, code, purpose="manage") is None:
        raise InvalidInput.for_field(
            "otp_code", "Use one of your passkeys, a current authenticator code or a recovery code."
        )
    _delete(user, device, actor=actor)


@audit.service
def _delete(user: User, device: WebAuthnCredential, *, actor: User) -> None:
    name = device.name
    device.delete()
    audit.record(user, "mfa_passkey_removed", {"device": name, "by": actor.username})


# --- Authentication ----------------------------------------------------------------------------


def assertion_options(user: User, session: SessionBase) -> dict[str, Any]:
    """Options for `navigator.credentials.get()` limited to this person's keys."""
    options, state = _Helper().authenticate_begin(user=user, require_user_verification=False)
    session[ASSERT_STATE] = state
    return dict(options)


def verify_assertion(
    user: User, session: SessionBase, assertion: str | dict[str, Any] | None, *, purpose: str
) -> WebAuthnCredential | None:
    """Check a signed answer to the challenge in the session (used once): right key of this
    person, our origin and relying party, valid signature, sign counter moved on (a cloned or
    replayed answer is refused). Returns the device, or None after recording the refusal."""
    state = session.pop(ASSERT_STATE, None)
    session.save()
    device = None
    reason = "no_challenge"
    if state:
        try:
            device = _Helper().authenticate_complete(user=user, state=state, data=_parse(assertion))
        except (
            WebAuthnException,
            webauthn_errors.OTPWebAuthnApiError,
            ValueError,
            KeyError,
        ) as exc:
            reason = type(exc).__name__
        else:
            if not device.confirmed:
                device, reason = None, "disabled"
    if device is None:
        with audit.context(actor=user), transaction.atomic():
            audit.record(
                user,
                "mfa_code_refused",
                {"purpose": purpose, "component": "passkey", "reason": reason},
            )
        return None
    return device
