"""Personal access token format, generation and lookup.

A token reads `qlt_<prefix>_<secret>`. Only the SHA-256 of the whole token is stored: the
secret has 256 bits of entropy, so a slow password hash would add cost and no safety.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import OperationalError, transaction
from django.utils import timezone

from qualitas.core.models import ApiToken

TOKEN_PREFIX = "qlt_"  # noqa: S105 - a marker that helps secret scanners, not a secret


def generate() -> tuple[str, str, str]:
    """Return (plain token, prefix, hash) for a new token."""
    prefix = secrets.token_hex(4)
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return plain, prefix, digest(plain)


def digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


class TokenRefused(Exception):
    """A bearer token that cannot be used, and why: "token revoked", "token expired",
    "token invalid". Only a holder of the real token learns it was revoked or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def authenticate(plain: str) -> ApiToken | None:
    """The active token matching `plain`, with its user, or None; records last use."""
    try:
        return check(plain)
    except TokenRefused:
        return None


def check(plain: str) -> ApiToken:
    """The active token matching `plain`, with its user; records last use.

    Raises TokenRefused saying why it cannot be used.
    """
    if not plain.startswith(TOKEN_PREFIX):
        raise TokenRefused("token invalid")
    prefix = plain[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token: ApiToken | None = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest(plain)):
        raise TokenRefused("token invalid")
    # A deactivated person's tokens are revoked with the account.
    if token.revoked_at is not None or not token.user.is_active:
        raise TokenRefused("token revoked")
    if not token.is_active:
        raise TokenRefused("token expired")
    now = timezone.now()
    # Write last use at most once a minute: tokens on busy CI pipelines would otherwise
    # turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        try:
            with transaction.atomic():
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        except OperationalError:
            # Last use is bookkeeping: a database busy with parallel writers (SQLite's table
            # lock when a burst of calls arrives together) must not refuse the call; the
            # next call records it.
            return token
        token.last_used_at = now
    return token
