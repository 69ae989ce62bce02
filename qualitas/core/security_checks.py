"""The core's own compliance checks (declared in core/module.py): the audit trail verifies,
everyone who approves or signs has a second factor, no dormant account stays open.

Each reads only the core's tables, in one or two queries (the audit trail's walk streams in
chunks from the last signed checkpoint)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from qualitas.core import auditverify, checkpoints, permissions
from qualitas.core.compliance_checks import Check, CheckContext, Outcome, capped

# Who signs approvals: the roles whose holders must prove who they are with two factors.
SIGNING_ROLES = (permissions.APPROVER, permissions.QUALITY_MANAGER)


def audit_trail_verifies(context: CheckContext) -> Outcome:
    """Walk the hash chain from the last signed checkpoint (the checkpoint vouches for what
    came before it, and was itself written only over a verified chain)."""
    try:
        result = auditverify.verify(since_checkpoint=True)
    except checkpoints.CheckpointForged as exc:
        return Outcome.failed(
            "The latest audit checkpoint is not genuine.",
            [str(exc)],
            {"intact": False},
        )
    measured: dict[str, Any] = {
        "intact": result.intact,
        "events_checked": result.events_checked,
        "last_event_id": result.last_event_id,
    }
    if result.intact:
        return Outcome.ok(
            f"The audit trail verifies: {result.events_checked} events checked "
            f"({result.checkpoint}).",
            measured=measured,
        )
    measured["first_broken_id"] = result.first_broken_id
    return Outcome.failed(
        f"The audit trail is broken at event #{result.first_broken_id}.",
        [result.problem or f"event #{result.first_broken_id} does not verify"],
        measured,
    )


def signers_have_mfa(context: CheckContext) -> Outcome:
    """Active holders of the approver or quality-manager role without an authenticator app
    or passkey. People who sign in through OpenID Connect are left out: their identity
    provider does the second factor (as mfa.required_for decides)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    from qualitas.core.models import ExternalIdentity, User
    from qualitas.core.models.sso import IdentityProvider

    holders = Q(role_assignments__role__code__in=SIGNING_ROLES)
    if context.site is not None:
        holders &= Q(role_assignments__site__isnull=True) | Q(role_assignments__site=context.site)
    app = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    key = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    federated = ExternalIdentity.objects.filter(user=OuterRef("pk"), provider=IdentityProvider.OIDC)
    lacking = list(
        User.objects.filter(holders, is_active=True)
        .exclude(Exists(app))
        .exclude(Exists(key))
        .exclude(Exists(federated))
        .distinct()
        .order_by("username")
        .values_list("username", "first_name", "last_name")
    )
    if not lacking:
        return Outcome.ok("Everyone who approves or signs has a second factor.")
    return Outcome.failed(
        f"{len(lacking)} approver(s) or quality manager(s) have no second factor.",
        capped([f"{username} ({first} {last})".strip() for username, first, last in lacking]),
        {"without_mfa": len(lacking)},
    )


def dormant_accounts_closed(context: CheckContext) -> Outcome:
    """Active accounts unused for QUALITAS_DORMANT_ACCOUNT_DAYS (never used: counted from
    when they were made). The `dormant-accounts` job closes them; this shows it does."""
    from qualitas.core.models import User
    from qualitas.core.services import SYSTEM_USERNAME

    days = settings.DORMANT_ACCOUNT_DAYS
    if not days:
        return Outcome.failed(
            "No limit is set for unused accounts (QUALITAS_DORMANT_ACCOUNT_DAYS is 0).",
            ["Set QUALITAS_DORMANT_ACCOUNT_DAYS so that unused access is removed."],
            {"limit_days": 0},
        )
    cutoff = context.now - timedelta(days=days)
    dormant = list(
        User.objects.filter(is_active=True)
        .exclude(username=SYSTEM_USERNAME)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
        .order_by("username")
        .values_list("username", "last_login")
    )
    measured = {"limit_days": days, "dormant": len(dormant)}
    if not dormant:
        return Outcome.ok(f"No active account has gone unused for {days} days.", measured)
    return Outcome.failed(
        f"{len(dormant)} active account(s) unused for more than {days} days.",
        capped(
            [
                f"{username}: last signed in {last:%Y-%m-%d}" if last else f"{username}: never"
                for username, last in dormant
            ]
        ),
        measured,
    )


CHECKS = (
    Check(
        "audit-trail-verifies",
        "The audit trail verifies",
        "The audit trail's hash chain is unbroken from the last signed checkpoint on: no "
        "event was altered, removed or moved.",
        audit_trail_verifies,
        requirements=("21-cfr-11:11.10(e)", "iso-27001-2022:A.8.15"),
        raises_as="it_incident",
        severity="critical",
    ),
    Check(
        "signers-have-mfa",
        "Every approver has multi-factor authentication",
        "Everyone holding the approver or quality-manager role has an authenticator app or a "
        "passkey, so a signature needs two distinct components.",
        signers_have_mfa,
        requirements=("iso-27001-2022:A.8.5", "21-cfr-11:11.300"),
        raises_as="it_incident",
        severity="major",
        site_scoped=True,
    ),
    Check(
        "dormant-accounts-closed",
        "Dormant accounts are disabled",
        "No active account has gone unused for longer than QUALITAS_DORMANT_ACCOUNT_DAYS.",
        dormant_accounts_closed,
        requirements=("iso-27001-2022:A.5.18",),
        raises_as="it_incident",
    ),
)
