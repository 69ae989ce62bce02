"""Single sign-on: OpenID Connect and LDAP / Active Directory, each on only when configured.

The identity provider (IdP) vouches for who a person is; Qualitas keeps their account in
step at every sign-in, through the ordinary services and as the system account, so the
audit trail shows each change with the IdP named in the reason:

- `sign_in(account)` finds the person by their IdP identity (`ExternalIdentity`), links an
  account an administrator prepared without a password, or creates one; copies the name and
  e-mail from the IdP; and maps the IdP's groups to role assignments (`desired_assignments`,
  one mapping for both protocols). Assignments the mapping made are granted and revoked as
  the groups change; those made by hand are never touched. A local account that has a
  password (a break-glass administrator) is never taken over by an IdP account of the same
  username.
- `OIDCBackend` is mozilla-django-oidc's backend with discovery, issuer and audience checks,
  and claims from the ID token as well as the userinfo endpoint.
- `directory.LDAPBackend` searches the directory with a service account, binds as the
  person with their password, and reads their groups (ldap3, pure Python).
- `BreakGlassBackend` replaces Django's password backend when local sign-in is turned off:
  only the named break-glass administrators may still use a local password.

Signing (Part 11 §11.200) re-authenticates: OIDC users through a fresh login at the IdP
(`prompt=login`, `max_age=0`; views/sso.py), whose checked result is a single-use proof in
the session (`record_fresh_login`; spent by `signatures.consume_fresh_login`); directory
users with their directory password, verified by the LDAP backend
(`directory.password_matches`).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from qualitas.core import audit, services
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import (
    ExternalIdentity,
    IdentityProvider,
    Role,
    Site,
    User,
)

if TYPE_CHECKING:
    from django.http import HttpRequest


logger = logging.getLogger(__name__)

ALL_SITES = "*"
REAUTH_STATES = "qualitas_sso_reauth"
FRESH_LOGIN = "qualitas_sso_fresh_login"
# How long a fresh login may wait for the signature it was made for (a SignatureToken's life).
PROOF_LIFETIME_SECONDS = 300
# Clock skew tolerated between Qualitas and the IdP when comparing auth_time.
CLOCK_SKEW_SECONDS = 10


class SignInRefused(PermissionDenied):
    """The IdP vouched for someone Qualitas will not let in (and says why in the log)."""

    def __init__(self, message: str, *, user: User | None = None) -> None:
        super().__init__(message)
        self.user = user


class ProviderUnavailable(Exception):
    """The OpenID provider's discovery document could not be read or is inconsistent."""


# --- Configuration ---------------------------------------------------------------------------


def oidc_enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def ldap_enabled() -> bool:
    return bool(getattr(settings, "LDAP_ENABLED", False))


def oidc_provider_name() -> str:
    return str(settings.OIDC_PROVIDER_NAME)


def login_options() -> dict[str, Any]:
    """What the sign-in page offers."""
    return {
        "oidc": oidc_enabled(),
        "oidc_name": oidc_provider_name() if oidc_enabled() else "",
        "ldap": ldap_enabled(),
        "ldap_name": settings.LDAP_PROVIDER_NAME if ldap_enabled() else "",
        "local": settings.SSO_LOCAL_LOGIN,
    }


_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery_cache: dict[str, tuple[float, dict[str, Any]]] = {}
DISCOVERY_TTL_SECONDS = 3600


def discovery() -> dict[str, Any]:
    """The provider's published configuration (cached for an hour, per issuer)."""
    issuer = str(settings.OIDC_ISSUER)
    cached = _discovery_cache.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"Could not read {url}: {exc}") from exc
    # OpenID Connect Discovery §4.3: the issuer in the document must be the one we asked.
    if document.get("issuer") != issuer:
        raise ProviderUnavailable(f"{url} names issuer {document.get('issuer')!r}, not {issuer!r}")
    _discovery_cache[issuer] = (time.monotonic(), document)
    return document


def oidc_setting(attr: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, with endpoints not configured taken from discovery."""
    value = getattr(settings, attr, None)
    if value in (None, "") and attr in _DISCOVERED and oidc_enabled():
        value = discovery().get(_DISCOVERED[attr])
    if value in (None, ""):
        if default:
            return default[0]
        raise ImproperlyConfigured(f"Single sign-on setting {attr} is missing.")
    return value


def desired_assignments(groups: Iterable[str]) -> set[tuple[str, str | None]]:
    """The (role code, site code or None for every site) pairs the group mapping gives.

    The one mapping both OIDC and LDAP use; group names compare without regard to case, as
    directories treat them.
    """
    held = {group.casefold() for group in groups}
    return {
        (role, None if site == ALL_SITES else site)
        for group, role, site in settings.SSO_ROLE_MAP
        if group.casefold() in held
    }


# --- Signing in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalAccount:
    """A person as the identity provider describes them."""

    provider: str  # IdentityProvider value
    provider_name: str  # what people call it: "Entra ID", "Active Directory"
    subject: str
    username: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    groups: tuple[str, ...] = ()


def _linkable(user: User) -> str | None:
    """Why an existing account may not be linked to an IdP account of the same username."""
    if user.username == services.SYSTEM_USERNAME:
        return "the system account cannot sign in"
    if user.username in settings.SSO_BREAK_GLASS_USERS:
        return "it is a break-glass account"
    if user.has_usable_password():
        return "it is a local account with a password"
    return None


@audit.service
def sign_in(account: ExternalAccount, *, actor: User, reason: str = "") -> User:
    """Bring the account the IdP vouched for up to date and return it (run as the system
    account; `reason` names the IdP)."""
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(provider=account.provider, subject=account.subject)
        .first()
    )
    if identity is None:
        user = User.objects.filter(username__iexact=account.username).first()
        if user is None:
            user = services.create_user(
                actor=actor,
                username=account.username,
                password=None,
                first_name=account.first_name,
                last_name=account.last_name,
                email=account.email,
            )
        else:
            existing = ExternalIdentity.objects.filter(user=user).first()
            why = (
                f"it signs in through {existing.get_provider_display()} as another identity"
                if existing is not None
                else _linkable(user)
            )
            if why:
                raise SignInRefused(
                    f"{account.provider_name} vouched for '{account.username}', but the "
                    f"Qualitas account of that name is not linked to it: {why}.",
                    user=user,
                )
        identity = ExternalIdentity(user=user, provider=account.provider, subject=account.subject)
    user = identity.user
    if not user.is_active:
        # Deactivation is Qualitas's decision; the IdP does not reopen an account.
        raise SignInRefused(f"'{user.username}' is deactivated in Qualitas.", user=user)
    # What the IdP does not send (no profile scope, an empty attribute) is kept, not blanked.
    given = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
    }
    services.update_user(user, actor=actor, reason=reason, **{k: v for k, v in given.items() if v})
    identity.groups = sorted(set(account.groups))
    identity.last_sign_in = timezone.now()
    identity.save()
    _sync_roles(identity, account, actor=actor)
    return user


def _sync_roles(identity: ExternalIdentity, account: ExternalAccount, *, actor: User) -> None:
    """Grant what the groups give and revoke what they no longer give, of the mapped
    assignments only."""
    user = identity.user
    wanted: dict[tuple[int, int | None], tuple[Role, Site | None]] = {}
    for role_code, site_code in sorted(desired_assignments(account.groups), key=str):
        role = Role.objects.filter(code=role_code).first()
        site = Site.objects.filter(code=site_code).first() if site_code else None
        if role is None or (site_code and site is None):
            logger.error(
                "QUALITAS_SSO_ROLE_MAP names %s@%s, which does not exist; skipped",
                role_code,
                site_code or ALL_SITES,
            )
            continue
        wanted[(role.pk, site.pk if site else None)] = (role, site)
    mapped_ids = set(identity.mapped_assignments)
    current = {(a.role_id, a.site_id): a for a in user.role_assignments.all()}
    kept: list[int] = []
    for key, assignment in current.items():
        if assignment.pk not in mapped_ids:
            continue  # made by hand: the administrator's, not the IdP's
        if key in wanted:
            kept.append(assignment.pk)
            continue
        try:
            services.revoke_role(assignment, actor=actor)
        except Conflict as exc:  # e.g. the last administrator: keep, and try next time
            logger.warning("Could not revoke %s from %s: %s", assignment, user, exc)
            kept.append(assignment.pk)
    for key, (role, site) in wanted.items():
        if key not in current:
            kept.append(services.grant_role(user, actor=actor, role=role, site=site).pk)
    if sorted(kept) != sorted(identity.mapped_assignments):
        identity.mapped_assignments = sorted(kept)
        identity.save()


def sign_in_or_refuse(account: ExternalAccount) -> User | None:
    """What the backends call: the user, or None (logged, and audited on the account the
    IdP named) when Qualitas refuses."""
    system = services.system_user()
    reason = f"Signed in through {account.provider_name}"
    try:
        return sign_in(account, actor=system, reason=reason)
    except SignInRefused as exc:
        logger.warning("Single sign-on refused: %s", exc)
        if exc.user is not None:
            with audit.context(actor=system, reason=reason), transaction.atomic():
                audit.record(
                    exc.user,
                    "sso_sign_in_refused",
                    {"provider": account.provider, "subject": account.subject, "why": str(exc)},
                )
        return None
    except (InvalidInput, Conflict) as exc:  # a username Qualitas cannot accept, a race
        logger.warning("Single sign-on refused for %r: %s", account.username, exc)
        return None


# --- OpenID Connect --------------------------------------------------------------------------


def _claim_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def account_from_claims(claims: dict[str, Any]) -> ExternalAccount:
    username = claims.get(settings.OIDC_USERNAME_CLAIM)
    if not username or not claims.get("sub"):
        raise SignInRefused(
            f"The ID token has no '{settings.OIDC_USERNAME_CLAIM}' or 'sub' claim; set "
            "QUALITAS_OIDC_USERNAME_CLAIM to a claim the provider sends."
        )
    first, last = claims.get("given_name") or "", claims.get("family_name") or ""
    if not (first or last) and claims.get("name"):
        last = claims["name"]
    return ExternalAccount(
        provider=IdentityProvider.OIDC,
        provider_name=oidc_provider_name(),
        subject=str(claims["sub"]),
        username=str(username),
        first_name=str(first)[:150],
        last_name=str(last)[:150],
        email=str(claims.get("email") or ""),
        groups=_claim_list(claims.get(settings.OIDC_GROUPS_CLAIM)),
    )


class OIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # untyped library
    """mozilla-django-oidc's authorization-code backend, bound to our accounts and roles.

    Endpoints are resolved when used, not when the backend is built: Django builds every
    backend for every sign-in, and a provider that is down must not block local sign-in.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = User

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 - the library's attribute names
        return str(oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:  # noqa: N802
        endpoint = oidc_setting("OIDC_OP_USER_ENDPOINT", None)
        return str(endpoint) if endpoint else None

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return str(oidc_setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:  # noqa: N802
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:  # noqa: N802
        return str(settings.OIDC_RP_CLIENT_SECRET)

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:  # noqa: N802
        return str(settings.OIDC_RP_SIGN_ALGO)

    @property
    def OIDC_RP_IDP_SIGN_KEY(self) -> None:  # noqa: N802 - keys come from the JWKS
        return None

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not oidc_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The library checks signature, expiry and nonce; we add issuer and audience."""
        try:
            payload: dict[str, Any] = super().verify_token(token, **kwargs)
        except jwt.InvalidTokenError as exc:  # expired, not yet valid, malformed …
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        if payload.get("iss") != settings.OIDC_ISSUER:
            raise SuspiciousOperation(f"ID token issued by {payload.get('iss')!r}")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        client = settings.OIDC_RP_CLIENT_ID
        if client not in audiences or (len(audiences) > 1 and payload.get("azp") != client):
            raise SuspiciousOperation("ID token issued for another client")
        if "exp" not in payload or "sub" not in payload:
            raise SuspiciousOperation("ID token without exp or sub")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The ID token's claims, completed by the userinfo endpoint when there is one
        (Entra ID sends groups only in the token; others only from userinfo)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):  # OIDC Core §5.3.2
                raise SuspiciousOperation("userinfo is about another subject")
            claims.update(info)
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        try:
            account = account_from_claims(claims)
        except SignInRefused as exc:
            logger.warning("Single sign-on refused: %s", exc)
            return None
        return sign_in_or_refuse(account)


# --- Local accounts --------------------------------------------------------------------------


class BreakGlassBackend(ModelBackend):
    """Django's password sign-in, limited to the break-glass accounts when single sign-on
    replaces local sign-in (QUALITAS_SSO_LOCAL_LOGIN=false)."""

    def user_can_authenticate(self, user: Any) -> bool:
        if not settings.SSO_LOCAL_LOGIN and user.username not in settings.SSO_BREAK_GLASS_USERS:
            return False
        return bool(super().user_can_authenticate(user))


# --- Signing ---------------------------------------------------------------------------------


def identity_of(user: User) -> ExternalIdentity | None:
    try:
        return user.external_identity
    except ExternalIdentity.DoesNotExist:
        return None


def signs_with_fresh_login(user: User) -> bool:
    """OIDC users have no password here: they sign by signing in again at the IdP."""
    identity = identity_of(user)
    return identity is not None and identity.provider == IdentityProvider.OIDC


def start_reauthentication(
    request: HttpRequest, *, state: str, nonce: str, verifier: str, next_url: str
) -> None:
    """Remember a fresh-login request (state, nonce, PKCE verifier) until the IdP answers."""
    pending = dict(request.session.get(REAUTH_STATES) or {})
    # A handful at most: a person confirms in one or two tabs, not fifty.
    for old in sorted(pending, key=lambda s: pending[s]["started"])[:-4]:
        del pending[old]
    pending[state] = {
        "nonce": nonce,
        "verifier": verifier,
        "user": request.user.pk,
        "next": next_url,
        "started": time.time(),
    }
    request.session[REAUTH_STATES] = pending


def take_reauthentication(request: HttpRequest, state: str) -> dict[str, Any] | None:
    """The pending fresh-login request for this state, removed (a state answers once)."""
    pending = dict(request.session.get(REAUTH_STATES) or {})
    entry: dict[str, Any] | None = pending.pop(state, None)
    if entry is not None:
        request.session[REAUTH_STATES] = pending
        request.session.save()
    return entry


def record_fresh_login(
    request: HttpRequest, user: User, claims: dict[str, Any], *, started: float
) -> None:
    """Check the verified ID token of a fresh login and keep a single-use proof of it.

    The token must be about this person (same subject), and the IdP must have
    authenticated them just now: `auth_time` after we asked and within the allowed age.
    """
    identity = identity_of(user)
    if identity is None or identity.provider != IdentityProvider.OIDC:
        raise PermissionDenied("Only single sign-on users confirm their identity this way.")
    if str(claims.get("sub")) != identity.subject:
        raise PermissionDenied(
            f"Someone else signed in at {oidc_provider_name()}: the signature was not applied."
        )
    auth_time = claims.get("auth_time")
    now = time.time()
    if (
        not isinstance(auth_time, int | float)
        or auth_time < started - CLOCK_SKEW_SECONDS
        or now - auth_time > settings.OIDC_REAUTH_MAX_AGE
    ):
        raise PermissionDenied(
            f"{oidc_provider_name()} did not ask for your password again just now, so it "
            "cannot stand for a signature. Try again; if this persists, tell your administrator."
        )
    request.session[FRESH_LOGIN] = {
        "user": user.pk,
        "auth_time": auth_time,
        "issued": now,
        "id": secrets.token_hex(16),
    }


def has_fresh_login(request: HttpRequest | None, user: User) -> bool:
    """Is a usable proof waiting (to show 'confirmed' on the signing form)?"""
    proof = request.session.get(FRESH_LOGIN) if request is not None else None
    return bool(
        proof
        and proof.get("user") == user.pk
        and time.time() - proof.get("issued", 0) <= PROOF_LIFETIME_SECONDS
    )
