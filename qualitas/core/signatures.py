"""Electronic signatures: re-verify the signer, bind the signature to the content, verify it.

Part 11 asks that a signature (§11.50) shows the printed name, date and time and meaning;
(§11.70) cannot be copied to another record; (§11.200) is executed with both components
(ID and password) by its owner only. So:

1. `authenticate(user, password, otp=…)` re-checks the password (and, for people with an
   authenticator app, a current code; `needs_otp` says who) at the moment of signing, even
   inside a session, and returns a short-lived, single-use `SignatureToken` for that user.
   Views and the API call it through `authenticate_from(request, user, data, subject=…)`,
   the one seam.
   A wrong password or code is refused and audited; repeated failures lock signing for a while and
   notify the quality managers (§11.300(d)). Call it before opening the transaction that
   signs, so a refusal stays recorded.
2. `sign(record, signer=…, token=…)` stores signer, printed name, UTC time, meaning and the
   SHA-256 of the record's signed content (its fields, its identity, its files).
3. `is_valid(signature)` recomputes that hash: any later change to the content, by any
   means, shows the signature as invalid.

A signature covers what was signed and no more: fields a record type declares for later
steps (`RecordType.fields_signed_from`) are left out of the content of a signature made at an
earlier step, so filling in a later step never invalidates an earlier signature.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from qualitas.core import audit, events, records
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Signature

if TYPE_CHECKING:
    from django.http import HttpRequest

    from qualitas.core.models import QualityRecord, User

TOKEN_LIFETIME = timedelta(minutes=5)
_used_tokens: set[str] = set()


class SignatureRefused(PermissionDenied):
    """The signer could not be verified (wrong password, or signing locked)."""


@dataclass(frozen=True)
class SignatureToken:
    """Proof that `signer_id` re-entered their password just now; usable once."""

    signer_id: int
    verified_at: datetime
    nonce: str = field(default_factory=lambda: secrets.token_hex(16))


def _recent_failures(user: User) -> list[AuditEvent]:
    since = timezone.now() - timedelta(minutes=settings.SIGNATURE_LOCK_MINUTES)
    refusals = AuditEvent.objects.filter(
        action="signature_refused", actor=user, occurred_at__gte=since
    ).order_by("occurred_at")
    # Attempts made while already locked do not extend the lock.
    return [e for e in refusals if not e.changes.get("while_locked")]


def locked_until(user: User) -> datetime | None:
    """When signing unlocks for this user, or None if it is not locked."""
    failures = _recent_failures(user)
    if len(failures) < settings.SIGNATURE_FAILURE_LIMIT:
        return None
    return failures[-1].occurred_at + timedelta(minutes=settings.SIGNATURE_LOCK_MINUTES)


def _given(data: Any, name: str) -> str | None:
    """A field from a form's cleaned_data / request.POST (mappings) or an API payload."""
    value = data.get(name) if isinstance(data, Mapping) else getattr(data, name, None)
    return str(value) if value not in (None, "") else None


def authenticate_from(
    request: HttpRequest | None, user: User, data: Any, *, subject: Any = None
) -> SignatureToken:
    """The one seam every signing view and API endpoint uses: read the signer's components
    (`password`, and `otp_code` for people with MFA) from `data` and verify them.

    `data` is a form's cleaned_data, request.POST or an API payload. `request` is for
    ways of re-authenticating that need it (e.g. single sign-on)."""
    from qualitas.core import sso

    if sso.signs_with_fresh_login(user):
        # No password here: a fresh login at the identity provider, checked and kept as a
        # single-use proof in the session (views/sso.py), stands for it.
        return consume_fresh_login(request, user)
    return authenticate(
        user, _given(data, "password"), otp=_given(data, "otp_code"), subject=subject
    )


def needs_otp(user: User) -> bool:
    """Does signing as this user need a current authenticator-app code? Yes for anyone with an
    authenticator app, and for anyone whose role requires MFA. A passkey is not a signing
    component here (signing forms carry typed components only): a person whose role requires
    MFA and who holds only passkeys is asked to add an authenticator app; one whose role does
    not signs with the password, like anyone without MFA."""
    from qualitas.core import mfa

    if mfa.confirmed_device(user) is not None:
        return True
    return mfa.has_passkey(user) and mfa.required_for(user)


def _refuse(user: User, subject: Any, reason: str, changes: dict[str, Any]) -> tuple[int, bool]:
    """Record one failed signing attempt; returns (recent failures, now locked)."""
    failures = len(_recent_failures(user)) + 1
    locked = failures >= settings.SIGNATURE_FAILURE_LIMIT
    with audit.context(actor=user, reason=reason), transaction.atomic():
        audit.record(
            subject if subject is not None else user,
            "signature_refused",
            {"signer": user.username, **changes, "failures": failures, "locked": locked},
        )
    events.publish(events.SignatureRefused(user.pk, failures, locked))
    if locked:
        _alert_quality_managers(user, failures)
    return failures, locked


def authenticate(
    user: User, password: str | None, *, otp: str | None = None, subject: Any = None
) -> SignatureToken:
    """Re-verify the signer (password, plus a current TOTP code when they have MFA: Part 11
    §11.200 two components); return a token, or record the refusal (on the record being
    signed, when given) and raise."""
    if not password:
        raise InvalidInput.for_field("password", "Re-enter your password to sign.")
    with_otp = needs_otp(user)
    if with_otp:
        from qualitas.core import mfa

        if mfa.confirmed_device(user) is None:  # passkeys only: cannot give a code
            raise InvalidInput.for_field(
                "otp_code",
                "Your role requires MFA at signing and a passkey cannot be used here: add an "
                "authenticator app under Multi-factor authentication (/me/mfa/) to sign.",
            )
    if with_otp and not otp:
        raise InvalidInput.for_field(
            "otp_code", "Enter the current code from your authenticator app to sign."
        )
    from qualitas.core.middleware import must_replace_password

    if must_replace_password(user):
        raise SignatureRefused("Your password must be changed before you can sign.")
    if (until := locked_until(user)) is not None:
        # An attempt while locked is itself worth knowing about (Part 11 §11.300(d)).
        with (
            audit.context(actor=user, reason="Signing attempted while locked"),
            transaction.atomic(),
        ):
            audit.record(
                subject if subject is not None else user,
                "signature_refused",
                {"signer": user.username, "locked": True, "while_locked": True},
            )
        raise SignatureRefused(
            f"Signing is locked after repeated wrong passwords until {until:%H:%M} UTC."
        )
    from qualitas.core import directory

    # Directory users' passwords are the directory's: checked by the LDAP backend.
    if directory.password_matches(user, password) and user.is_active:
        if not with_otp:
            return SignatureToken(user.pk, timezone.now())
        from qualitas.core import mfa

        if wait := mfa.throttled_for(user):  # django-otp's back-off after a wrong code
            raise InvalidInput.for_field(
                "otp_code", f"Too many wrong codes: wait {wait} seconds and try again."
            )
        # A used code is refused (django-otp keeps the last time step), so it cannot replay.
        if mfa.verify_totp(user, otp or ""):
            return SignatureToken(user.pk, timezone.now())
        _, locked = _refuse(
            user, subject, "Wrong authenticator code entered to sign", {"component": "otp_code"}
        )
        if locked:
            raise SignatureRefused(
                "Wrong authenticator code. Signing is now locked for "
                f"{settings.SIGNATURE_LOCK_MINUTES} minutes and the quality managers have been "
                "told."
            )
        raise InvalidInput.for_field(
            "otp_code", "Wrong or already used authenticator code: the signature was not applied."
        )
    _, locked = _refuse(user, subject, "Wrong password entered to sign", {})
    if locked:
        raise SignatureRefused(
            f"Wrong password. Signing is now locked for {settings.SIGNATURE_LOCK_MINUTES} "
            "minutes and the quality managers have been told."
        )
    raise SignatureRefused("Wrong password: the signature was not applied.")


def _alert_quality_managers(user: User, failures: int) -> None:
    from qualitas.core import notifications, permissions
    from qualitas.core.models import User as UserModel

    managers = UserModel.objects.filter(
        is_active=True, role_assignments__role__code=permissions.QUALITY_MANAGER
    ).distinct()
    for manager in managers:
        notifications.notify(
            manager,
            title=f"Signing locked for {user.printed_name}",
            body=(
                f"{failures} wrong passwords were entered to sign as {user.printed_name} "
                f"({user.username}). Signing is locked for {settings.SIGNATURE_LOCK_MINUTES} "
                "minutes. If this was not them, their account may be misused."
            ),
            url=f"/audit-trail/?actor={user.pk}",
            email=True,
        )


def check_token(token: SignatureToken | None, signer: User) -> None:
    """The token must be this signer's, fresh and unused: nobody signs for anyone else."""
    if token is None:
        raise InvalidInput.for_field("password", "This step needs your electronic signature.")
    if token.signer_id != signer.pk:
        raise SignatureRefused("A signature can only be applied by the person who signs.")
    if timezone.now() - token.verified_at > TOKEN_LIFETIME or token.nonce in _used_tokens:
        raise SignatureRefused("The signature verification expired; enter your password again.")


def later_fields(record_type: records.RecordType, transition: str) -> frozenset[str]:
    """The fields a signature made at `transition` does not cover: those the record type
    declares for steps after it (`fields_signed_from`, in the workflow's order)."""
    declared = record_type.fields_signed_from
    if not declared or not transition:
        return frozenset()
    order = [t.name for t in record_type.workflow.transitions]
    unknown = sorted(set(declared) - set(order))
    if unknown:
        raise LookupError(f"{record_type.key}.fields_signed_from names no transition {unknown}")
    if transition not in order:
        return frozenset()
    at = order.index(transition)
    return frozenset(
        name for step, names in declared.items() if order.index(step) > at for name in names
    )


def signed_content(
    record: QualityRecord, *, transition: str = "", as_of: datetime | None = None
) -> dict[str, Any]:
    """What a signature covers: the record's identity, its content fields and its files;
    made at `transition`, not the fields of later steps; made at `as_of`, not the files
    attached after it (evidence added at a later step). A file there at signing and removed
    since still changes the content."""
    record_type = records.type_of(record)
    decision = record_type.signed_for.get(transition) if transition else None
    if decision is not None:
        return {
            "record": f"{record._meta.label_lower}:{record.pk}",
            "decision": transition,
            "content": audit._plain(decision(record)),
        }
    excluded = {
        "id",
        "state",
        "version",
        "updated_at",
        "updated_by",
        *record_type.unsigned_fields,
        *later_fields(record_type, transition),
    }
    fields = {
        f.name: audit._plain(getattr(record, f.attname))
        for f in record._meta.concrete_fields
        if f.name not in excluded
    }
    present = record.attachments.filter(removed_at__isnull=True)
    if as_of is not None:
        present = present.filter(uploaded_at__lte=as_of)
    files = sorted(present.values_list("sha256", flat=True))
    content = {
        "record": f"{record._meta.label_lower}:{record.pk}",
        "fields": fields,
        "files": files,
    }
    if record_type.signed_extra is not None:
        content["extra"] = audit._plain(record_type.signed_extra(record))
    return content


def content_hash(record: Any, *, transition: str = "", as_of: datetime | None = None) -> str:
    content = signed_content(record, transition=transition, as_of=as_of)
    body = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def sign(
    record: QualityRecord,
    *,
    signer: User,
    meaning: str,
    token: SignatureToken,
    transition: str = "",
    comment: str = "",
) -> Signature:
    """Apply `signer`'s signature to the record's current content (inside the caller's
    transaction, after the record was saved)."""
    check_token(token, signer)
    _used_tokens.add(token.nonce)
    now = timezone.now()
    signature = Signature(
        object_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        signer=signer,
        printed_name=signer.printed_name,
        signed_at=now,
        meaning=meaning,
        transition=transition,
        record_version=record.version,
        # Checked later as of this moment: files attached after it are not what was signed.
        content_hash=content_hash(record, transition=transition, as_of=now),
        comment=comment,
    )
    signature.seal = seal_of(signature)
    signature.save()
    audit.record(
        record,
        "signature",
        {"meaning": meaning, "transition": transition, "content_hash": signature.content_hash},
    )
    events.publish(
        events.RecordSigned(
            records.type_of(record).key, record.pk, signer.pk, meaning, signature.pk
        )
    )
    return signature


def seal_of(signature: Signature) -> str:
    """SHA-256 over the signature's own facts, so none can be edited unnoticed."""
    facts = {
        "record": f"{signature.object_type_id}:{signature.object_id}",
        "signer": signature.signer_id,
        "printed_name": signature.printed_name,
        "signed_at": signature.signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "meaning": signature.meaning,
        "transition": signature.transition,
        "record_version": signature.record_version,
        "content_hash": signature.content_hash,
        "comment": signature.comment,
    }
    body = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def is_valid(signature: Signature, record: Any = None) -> bool:
    """Is the signature intact, and does the record still have exactly the signed content?"""
    if signature.seal != seal_of(signature):
        return False
    subject: Any = record
    if subject is None:
        subject = cast(Any, signature.object_type.get_object_for_this_type(pk=signature.object_id))
    if signature.object_type.model_class() is not type(subject):
        return False
    if signature.object_id != subject.pk:
        return False
    signed_at = signature.signed_at
    if (
        content_hash(subject, transition=signature.transition, as_of=signed_at)
        == signature.content_hash
    ):
        return True
    # Signed before its record type declared later steps' fields, a signature covers the whole
    # content, as it did then; the whole content includes everything the step covers.
    return bool(later_fields(records.type_of(subject), signature.transition)) and (
        content_hash(subject, as_of=signed_at) == signature.content_hash
    )


def consume_fresh_login(request: HttpRequest | None, user: User) -> SignatureToken:
    """Spend a single sign-on user's fresh-login proof (views/sso.py) on one signature."""
    from qualitas.core import sso

    name = sso.oidc_provider_name()
    if request is None or getattr(request, "api_token", None) is not None:
        raise SignatureRefused(
            f"You sign in through {name}, so signing needs a fresh sign-in there: sign in "
            "the Qualitas web application. API tokens cannot sign for single sign-on users."
        )
    proof = request.session.pop(sso.FRESH_LOGIN, None)
    if proof is not None:
        request.session.save()  # spent now, before anything else can read it
    if not proof:
        raise InvalidInput.for_field("password", f"Confirm with {name} to sign.")
    if proof.get("user") != user.pk or not user.is_active:
        raise SignatureRefused("A signature can only be applied by the person who signs.")
    if time.time() - proof.get("issued", 0) > sso.PROOF_LIFETIME_SECONDS:
        raise InvalidInput.for_field(
            "password", f"Your confirmation with {name} expired: confirm again to sign."
        )
    # The proof's id becomes the token's nonce, so signatures refuses a second use of it.
    return SignatureToken(user.pk, timezone.now(), nonce=str(proof["id"]))
