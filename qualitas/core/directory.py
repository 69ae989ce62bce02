"""LDAP / Active Directory sign-in for single sign-on (ldap3, pure Python).

`LDAPBackend` searches the directory with a service account, binds as the person with
their password, reads their groups, and hands the result to `sso.sign_in_or_refuse`, which
keeps the account and its mapped roles in step like an OpenID Connect sign-in. Directory
users sign (Part 11 §11.200) with their directory password, checked here again at signing.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from qualitas.core.models import IdentityProvider, User
from qualitas.core.sso import (
    ExternalAccount,
    identity_of,
    ldap_enabled,
    sign_in_or_refuse,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DirectoryEntry:
    dn: str
    attributes: dict[str, Any]


def _ldap_server() -> Any:
    import ldap3

    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=settings.LDAP_CA_FILE or None,
    )
    return ldap3.Server(
        settings.LDAP_SERVER_URI,
        get_info=ldap3.NONE,
        tls=tls,
        connect_timeout=settings.LDAP_TIMEOUT,
    )


def _ldap_connection(server: Any, user: str | None, password: str | None) -> Any:
    """An open, bound connection (StartTLS first when configured), or None if the bind
    was refused."""
    import ldap3

    connection = ldap3.Connection(
        server,
        user=user,
        password=password,
        receive_timeout=settings.LDAP_TIMEOUT,
        raise_exceptions=False,
    )
    connection.open()
    if settings.LDAP_START_TLS and not connection.start_tls():
        raise ConnectionError(f"StartTLS refused by {settings.LDAP_SERVER_URI}")
    if not connection.bind():
        connection.unbind()
        return None
    return connection


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        return value.hex()  # binary ids (AD objectGUID)
    return str(value or "")


def _rdn_value(dn: str) -> str:
    """'CN=QMS Admins,OU=Groups,DC=corp' -> 'QMS Admins'."""
    first = dn.split(",", 1)[0]
    return first.split("=", 1)[1] if "=" in first else first


def directory_lookup(username: str, password: str) -> ExternalAccount | None:
    """Find the person, prove the password by binding as them, read their groups."""
    from ldap3 import SUBTREE
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

    if not username or not password:  # an empty password is an anonymous bind: never a login
        return None
    server = _ldap_server()
    attribute_names = {
        "username": settings.LDAP_USERNAME_ATTR,
        "first_name": settings.LDAP_FIRST_NAME_ATTR,
        "last_name": settings.LDAP_LAST_NAME_ATTR,
        "email": settings.LDAP_EMAIL_ATTR,
        "id": settings.LDAP_ID_ATTR,
    }
    try:
        service = _ldap_connection(
            server, settings.LDAP_BIND_DN or None, settings.LDAP_BIND_PASSWORD or None
        )
        if service is None:
            logger.error("LDAP: the service account bind was refused")
            return None
        try:
            service.search(
                settings.LDAP_USER_SEARCH_BASE,
                settings.LDAP_USER_FILTER.format(username=escape_filter_chars(username)),
                search_scope=SUBTREE,
                attributes=[*attribute_names.values(), "memberOf"],
                size_limit=2,
            )
            found = [e for e in service.response or [] if e.get("type") == "searchResEntry"]
            if len(found) != 1:
                return None  # unknown, or ambiguous: never guess which person it is
            entry = DirectoryEntry(found[0]["dn"], dict(found[0].get("attributes") or {}))
            person = _ldap_connection(server, entry.dn, password)
            if person is None:
                return None
            person.unbind()
            groups = _directory_groups(service, entry, username)
        finally:
            service.unbind()
    except (LDAPException, OSError) as exc:
        logger.error("LDAP: %s unreachable or failing: %s", settings.LDAP_SERVER_URI, exc)
        return None
    attributes = entry.attributes
    return ExternalAccount(
        provider=IdentityProvider.LDAP,
        provider_name=settings.LDAP_PROVIDER_NAME,
        subject=_first(attributes.get(attribute_names["id"])) or entry.dn,
        username=_first(attributes.get(attribute_names["username"])) or username,
        first_name=_first(attributes.get(attribute_names["first_name"]))[:150],
        last_name=_first(attributes.get(attribute_names["last_name"]))[:150],
        email=_first(attributes.get(attribute_names["email"])),
        groups=groups,
    )


def _directory_groups(connection: Any, entry: DirectoryEntry, username: str) -> tuple[str, ...]:
    """Group names from a group search when configured, else from the memberOf attribute."""
    from ldap3 import SUBTREE
    from ldap3.utils.conv import escape_filter_chars

    if not settings.LDAP_GROUP_SEARCH_BASE:
        member_of = entry.attributes.get("memberOf") or []
        return tuple(_rdn_value(str(dn)) for dn in member_of)
    connection.search(
        settings.LDAP_GROUP_SEARCH_BASE,
        settings.LDAP_GROUP_FILTER.format(
            dn=escape_filter_chars(entry.dn), username=escape_filter_chars(username)
        ),
        search_scope=SUBTREE,
        attributes=[settings.LDAP_GROUP_NAME_ATTR],
    )
    return tuple(
        _first(e["attributes"].get(settings.LDAP_GROUP_NAME_ATTR)) or _rdn_value(e["dn"])
        for e in connection.response or []
        if e.get("type") == "searchResEntry"
    )


class LDAPBackend(ModelBackend):
    """Username and password checked by the directory; the account kept in step with it."""

    def authenticate(
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not ldap_enabled() or not username or not password:
            return None
        account = directory_lookup(username, password)
        if account is None:
            return None
        user = sign_in_or_refuse(account)
        return user if user is not None and self.user_can_authenticate(user) else None


def password_matches(user: User, password: str) -> bool:
    """The signer's password: the directory's for directory users (checked by the LDAP
    backend, as at sign-in), the local one for everyone else."""
    identity = identity_of(user)
    if identity is not None and identity.provider == IdentityProvider.LDAP:
        found = LDAPBackend().authenticate(None, username=user.username, password=password)
        return found is not None and found.pk == user.pk
    return user.check_password(password)
