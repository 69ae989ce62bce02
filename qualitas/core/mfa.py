"""Multi-factor authentication: TOTP authenticator apps and single-use recovery codes.

A person enrols an authenticator app (a django-otp `TOTPDevice`), which stays inactive until
they confirm it with a current code; confirming also issues ten recovery codes (a
`StaticDevice`), shown once. From then on signing in needs a code after the password, and so
does every electronic signature (Part 11 §11.200: two distinct components). Roles can require
MFA (`Role.requires_mfa`); a holder without a device is sent to enrol before anything else.

Every enrolment, confirmation, use of a recovery code, failure and removal is in the audit
trail, recorded on the person.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from qualitas.core import audit, permissions
from qualitas.core.errors import InvalidInput, PermissionDenied

if TYPE_CHECKING:
    from django_otp.models import Device

    from qualitas.core.models import Role, User

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


# --- Queries -----------------------------------------------------------------------------------


def confirmed_device(user: User) -> TOTPDevice | None:
    """The person's active authenticator, if they have one."""
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def has_confirmed_device(user: User) -> bool:
    """Has this person an active second factor, an authenticator app or a passkey (so
    sign-in needs it)?"""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    from django_otp_webauthn.models import WebAuthnCredential

    from qualitas.core.models import User as UserModel

    # One query: the middleware asks on every request of every signed-in person.
    app = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    key = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    return bool(
        UserModel.objects.filter(pk=user.pk).filter(Q(Exists(app)) | Q(Exists(key))).exists()
    )


def has_passkey(user: User) -> bool:
    """A security key or passkey enrolled (a second factor as good as an authenticator)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return bool(WebAuthnCredential.objects.filter(user=user, confirmed=True).exists())


def pending_device(user: User) -> TOTPDevice | None:
    """An authenticator being enrolled, not yet confirmed."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def required_for(user: User) -> bool:
    """Does one of this person's roles require MFA?"""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    from qualitas.core import sso

    if sso.signs_with_fresh_login(user):
        return False  # OpenID Connect users: their identity provider does the MFA
    return user.role_assignments.filter(role__requires_mfa=True).exists()


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def users_lacking_mfa(permission_code: str) -> QuerySet[User]:
    """Active people who hold `permission_code` (at any site) but have no active
    authenticator app nor passkey: the compliance check "every approver has MFA" wants this
    empty."""
    from qualitas.core.models import RolePermission, User

    if permission_code not in permissions.PERMISSIONS:
        raise ValueError(f"unknown permission {permission_code!r}")
    grants = RolePermission.objects.filter(
        Q(permission=permission_code) | Q(permission=permissions.ALL)
    ).values("role_id")
    holders = Q(role_assignments__role_id__in=grants) | Q(is_superuser=True)
    with_device = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    with_passkey = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        User.objects.filter(holders, is_active=True)
        .exclude(Exists(with_device))
        .exclude(Exists(with_passkey))
        .distinct()
        .order_by("username")
    )


# --- Verification ------------------------------------------------------------------------------


def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def verify_totp(user: User, code: str | None) -> bool:
    """Is `code` a current, not yet used code of the person's authenticator? django-otp
    refuses a code at or before the last accepted time step (no replay) and throttles
    repeated failures."""
    code = _clean(code)
    return code.isdigit() and _verify_with(TOTPDevice, user, code)


def _use_recovery_code(user: User, code: str) -> bool:
    return _verify_with(StaticDevice, user, code)


def _verify_with(model: type[Device], user: User, code: str) -> bool:
    """Check a code against the person's device of this kind, its row locked so two
    requests cannot both spend the same code or time step."""
    with transaction.atomic():
        device = (
            model.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("id")
            .first()
        )
        return device is not None and bool(device.verify_token(code))


def verify(user: User, code: str | None, *, purpose: str) -> Device | None:
    """Check a sign-in (or management) code: an authenticator code or a recovery code, which
    is then used up. Returns the device that accepted it; records recovery use and failures."""
    cleaned = _clean(code)
    if not cleaned:
        return None
    if cleaned.isdigit() and verify_totp(user, cleaned):
        return confirmed_device(user)
    if not cleaned.isdigit() and _use_recovery_code(user, cleaned):
        left = recovery_codes_left(user)
        with audit.context(actor=user), transaction.atomic():
            audit.record(user, "mfa_recovery_code_used", {"purpose": purpose, "left": left})
        return StaticDevice.objects.filter(user=user, confirmed=True).first()
    with audit.context(actor=user), transaction.atomic():
        audit.record(user, "mfa_code_refused", {"purpose": purpose})
    return None


def throttled_for(user: User) -> int:
    """Seconds until the authenticator accepts another attempt (django-otp's back-off)."""
    device = confirmed_device(user)
    if device is None:
        return 0
    allowed, info = device.verify_is_allowed()
    if allowed or not info:
        return 0
    from django.utils import timezone

    until = info.get("locked_until")
    return max(1, int((until - timezone.now()).total_seconds())) if until else 0


# --- Services ----------------------------------------------------------------------------------


def _require_self(user: User, actor: User) -> None:
    if actor.pk != user.pk:
        raise PermissionDenied("Only the person themselves may manage their authenticator.")


@audit.service
def start_enrolment(user: User, *, actor: User) -> TOTPDevice:
    """A new, inactive authenticator with a fresh secret (replacing an unfinished one)."""
    _require_self(user, actor)
    if confirmed_device(user) is not None:
        raise PermissionDenied(
            "You already have an authenticator; remove it first to enrol a new one."
        )
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    audit.record(user, "mfa_enrolment_started", {"device": AUTHENTICATOR_NAME})
    return device


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@audit.service
def confirm_enrolment(user: User, code: str | None, *, actor: User) -> list[str]:
    """Activate the pending authenticator with a current code; return the recovery codes
    (the only time they are shown)."""
    _require_self(user, actor)
    device = pending_device(user)
    if device is None:
        raise InvalidInput.for_field("otp_code", "Start the enrolment again: no pending device.")
    cleaned = _clean(code)
    if not cleaned.isdigit() or not device.verify_token(cleaned):
        raise InvalidInput.for_field(
            "otp_code", "That code does not match: check the app's clock and try the next code."
        )
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit.record(user, "mfa_enabled", {"device": AUTHENTICATOR_NAME, "recovery_codes": len(codes)})
    return codes


def _check_password_and_code(user: User, password: str | None, code: str | None) -> None:
    """Both components, for changes that weaken or replace the second factor."""
    if not password or not user.check_password(password):
        with audit.context(actor=user), transaction.atomic():
            audit.record(user, "mfa_code_refused", {"purpose": "manage", "component": "password"})
        raise InvalidInput.for_field("password", "Wrong password.")
    if verify(user, code, purpose="manage") is None:
        raise InvalidInput.for_field(
            "otp_code", "Enter a current authenticator code or an unused recovery code."
        )


def remove(user: User, *, actor: User, password: str | None, code: str | None) -> None:
    """Remove the person's authenticator and recovery codes (password and a code needed)."""
    _require_self(user, actor)
    if required_for(user) and not has_passkey(user):  # before a code is spent on it
        raise PermissionDenied(
            "One of your roles requires MFA, so your authenticator cannot be removed; "
            "an administrator can reset it if the phone is lost."
        )
    _check_password_and_code(user, password, code)  # outside the transaction: failures stay
    _remove(user, actor=actor)


@audit.service
def _remove(user: User, *, actor: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(user, "mfa_removed", {"by": actor.username})


def regenerate_recovery_codes(
    user: User, *, actor: User, password: str | None, code: str | None
) -> list[str]:
    """New recovery codes; the old ones stop working (password and a code needed)."""
    _require_self(user, actor)
    if confirmed_device(user) is None:
        raise PermissionDenied("Enrol an authenticator first.")
    _check_password_and_code(user, password, code)
    return _regenerate(user, actor=actor)


@audit.service
def _regenerate(user: User, *, actor: User) -> list[str]:
    codes = _new_recovery_codes(user)
    audit.record(user, "mfa_recovery_codes_regenerated", {"recovery_codes": len(codes)})
    return codes


@audit.service
def reset_for(user: User, *, actor: User, reason: str) -> None:
    """An administrator removes a person's authenticator (lost phone and codes); they enrol
    again at their next sign-in if a role requires it."""
    from qualitas.core.services import require_over

    require_over(actor, permissions.MANAGE_USERS, user)
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the authenticator is reset.")
    keys = WebAuthnCredential.objects.filter(user=user)
    if not TOTPDevice.objects.filter(user=user).exists() and not keys.exists():
        raise InvalidInput.for_field("user", f"{user.printed_name} has no authenticator to reset.")
    with audit.context(actor=actor, reason=reason.strip()):
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        keys.delete()  # passkeys too: the reset is for a person who lost their factors
        audit.record(user, "mfa_removed", {"by": actor.username})


@audit.service
def set_required_for_role(role: Role, *, actor: User, required: bool) -> Role:
    """Whether holders of `role` must use MFA (administrators only; the change is audited)."""
    permissions.require(actor, permissions.MANAGE_ROLES)
    if role.requires_mfa != required:
        role.requires_mfa = required
        role.save(update_fields=["requires_mfa"])
    return role


# --- Enrolment helpers for the page ------------------------------------------------------------


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32 (what apps take for manual entry), in groups of four."""
    from base64 import b32encode

    plain = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def qr_svg(device: TOTPDevice) -> bytes:
    """The otpauth:// URL as an SVG QR code, drawn on the server (the CSP allows no other
    origin and no inline data a third-party widget would need)."""
    import segno

    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True
    )
    return buffer.getvalue()


def issuer() -> str:
    return str(getattr(settings, "OTP_TOTP_ISSUER", "Qualitas"))
