"""The policy: which permission each role carries, and the one check every adapter uses.

Views, the API and the CLI never test roles themselves; they call `has_perm` / `require`
(usually through a service). Permissions are plain codes declared here and by modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualitas.core.errors import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from qualitas.core.models import Site, User

ALL = "*"


@dataclass(frozen=True)
class PermissionSpec:
    """A permission code and what it allows, in words an administrator understands."""

    code: str
    description: str


@dataclass(frozen=True)
class RoleSpec:
    """A system role shipped with Qualitas."""

    code: str
    name: str
    description: str


PERMISSIONS: dict[str, PermissionSpec] = {}
SYSTEM_ROLES: dict[str, RoleSpec] = {}
# Which permissions each system role carries; modules add theirs with `grant_to_roles`.
DEFAULT_GRANTS: dict[str, set[str]] = {}


def register_permission(code: str, description: str, *, roles: Iterable[str] = ()) -> str:
    """Declare a permission and the system roles that carry it by default."""
    PERMISSIONS[code] = PermissionSpec(code, description)
    grant_to_roles(code, roles)
    return code


def grant_to_roles(code: str, roles: Iterable[str]) -> None:
    for role in roles:
        if role not in SYSTEM_ROLES:
            raise ValueError(f"unknown system role {role!r}")
        DEFAULT_GRANTS[role].add(code)


def _role(code: str, name: str, description: str) -> str:
    SYSTEM_ROLES[code] = RoleSpec(code, name, description)
    DEFAULT_GRANTS[code] = set()
    return code


QUALITY_MANAGER = _role(
    "quality-manager",
    "Quality Manager",
    "Custodian of the quality system: oversees every quality record, the audit trail and "
    "management review.",
)
DOCUMENT_CONTROLLER = _role(
    "document-controller",
    "Document Controller",
    "Maintains controlled documents: numbering, review cycles, publication and withdrawal.",
)
AUDITOR = _role(
    "auditor",
    "Auditor",
    "Plans and performs audits; reads records and the audit trail, records findings.",
)
APPROVER = _role(
    "approver",
    "Approver",
    "Reviews and approves records with an electronic signature.",
)
CONTRIBUTOR = _role(
    "contributor",
    "Contributor",
    "Raises and works on quality records: nonconformances, actions, draft documents.",
)
VIEWER = _role("viewer", "Viewer", "Reads released information; changes nothing.")
ADMINISTRATOR = _role(
    "administrator",
    "Administrator",
    "Runs the system: users, roles, sites and departments, API tokens. Carries every permission.",
)
DEFAULT_GRANTS[ADMINISTRATOR].add(ALL)
# System roles that require MFA when first created (administrators may change it later).
MFA_BY_DEFAULT = frozenset({ADMINISTRATOR, QUALITY_MANAGER, APPROVER})

EVERYONE = tuple(SYSTEM_ROLES)

# The core's own permissions; declared with their descriptions and roles in core/module.py.
VIEW_DIRECTORY = "org.view_directory"
MANAGE_STRUCTURE = "org.manage_structure"
MANAGE_USERS = "org.manage_users"
MANAGE_ROLES = "org.manage_roles"
VIEW_AUDIT_TRAIL = "audit.view_trail"
MANAGE_ALL_TOKENS = "tokens.manage_all"


def _permission_map(user: User) -> dict[int | None, set[str]]:
    """Permissions per site id (None = every site), loaded once per user object."""
    cached: dict[int | None, set[str]] | None = getattr(user, "_qualitas_permissions", None)
    if cached is not None:
        return cached
    from qualitas.core.models import RolePermission

    result: dict[int | None, set[str]] = {}
    rows = RolePermission.objects.filter(role__assignments__user=user).values_list(
        "role__assignments__site_id", "permission"
    )
    for site_id, code in rows:
        result.setdefault(site_id, set()).add(code)
    user._qualitas_permissions = result  # type: ignore[attr-defined]
    return result


def forget_permissions(user: Any) -> None:
    """Drop the cached permissions after roles change."""
    if hasattr(user, "_qualitas_permissions"):
        del user._qualitas_permissions


def has_perm(user: User | AnonymousUser | None, code: str, *, site: Site | None = None) -> bool:
    """May this user do `code`, at `site` (or anywhere, when no site is given)?"""
    if code not in PERMISSIONS:
        raise ValueError(f"unknown permission {code!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    for site_id, codes in _permission_map(user).items():
        if code not in codes and ALL not in codes:
            continue
        if site_id is None or site is None or site_id == site.pk:
            return True
    return False


def require(user: User | AnonymousUser | None, code: str, *, site: Site | None = None) -> None:
    """Raise PermissionDenied naming what is missing, unless `has_perm`."""
    if not has_perm(user, code, site=site):
        spec = PERMISSIONS[code]
        where = f" at {site.name}" if site is not None else ""
        raise PermissionDenied(f"You may not do this{where}: it needs '{spec.description}'")


def holds_everywhere(user: User | AnonymousUser | None, code: str) -> bool:
    """Does the user hold `code` at every site (not just at some)?"""
    return sites_with_perm(user, code) is None


def require_everywhere(user: User | AnonymousUser | None, code: str) -> None:
    """Raise PermissionDenied unless the user holds `code` at every site."""
    if not holds_everywhere(user, code):
        spec = PERMISSIONS[code]
        raise PermissionDenied(
            f"You may not do this for every site: it needs '{spec.description}' at all sites."
        )


def sites_with_perm(user: User | AnonymousUser | None, code: str) -> set[int] | None:
    """The site ids where the user holds `code`; None means every site; empty means nowhere."""
    if code not in PERMISSIONS:
        raise ValueError(f"unknown permission {code!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return None
    sites: set[int] = set()
    for site_id, codes in _permission_map(user).items():
        if code in codes or ALL in codes:
            if site_id is None:
                return None
            sites.add(site_id)
    return sites


def permissions_of(user: User) -> set[str]:
    """Every permission code the user holds somewhere (for /me and the UI)."""
    if user.is_superuser:
        return set(PERMISSIONS)
    held: set[str] = set()
    for codes in _permission_map(user).values():
        held |= set(PERMISSIONS) if ALL in codes else codes
    return held


def sync_system_roles() -> None:
    """Create the system roles and bring their permissions in line with the code."""
    from qualitas.core.models import Role, RolePermission

    for spec in SYSTEM_ROLES.values():
        role, _ = Role.objects.update_or_create(
            code=spec.code,
            defaults={"name": spec.name, "description": spec.description, "is_system": True},
            create_defaults={
                "name": spec.name,
                "description": spec.description,
                "is_system": True,
                "requires_mfa": spec.code in MFA_BY_DEFAULT,
            },
        )
        wanted = DEFAULT_GRANTS[spec.code]
        # One row at a time so each grant and withdrawal is in the audit trail.
        for stale in RolePermission.objects.filter(role=role).exclude(permission__in=wanted):
            stale.delete()
        existing = set(role.grants.values_list("permission", flat=True))
        for code in sorted(wanted - existing):
            RolePermission.objects.create(role=role, permission=code)


def registered() -> dict[str, tuple[str, frozenset[str]]]:
    """Every declared permission: its description and the system roles that carry it by
    default (the administrator's "every permission" counted in), for the published policy."""
    return {
        code: (
            spec.description,
            frozenset(role for role, held in DEFAULT_GRANTS.items() if code in held or ALL in held),
        )
        for code, spec in PERMISSIONS.items()
    }
