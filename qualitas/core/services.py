"""Every write to the organisation, roles, tokens and notifications.

Each service takes the acting user, checks the policy, validates, and changes state in
one transaction. Views, the API and the CLI call these and nothing else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qualitas.core import audit, permissions, tokens
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import (
    ApiToken,
    Department,
    Notification,
    Role,
    RoleAssignment,
    Site,
    User,
)
from qualitas.core.validation import clean_or_raise

SYSTEM_USERNAME = "system"


def system_user() -> User:
    """The named actor for work no person started: migrations, demo loading, the CLI.

    It cannot sign in (no usable password, inactive) and holds no roles.
    """
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    user = User(
        username=SYSTEM_USERNAME, first_name="Qualitas", last_name="System", is_active=False
    )
    user.set_unusable_password()
    ambient = audit.current()
    with audit.context(
        actor=ambient.actor if ambient else None,
        actor_name=(ambient.actor_name if ambient else "Qualitas setup"),
    ):
        user.save()
    return user


def _require(actor: User, code: str, *, site: Site | None = None) -> None:
    if actor.username == SYSTEM_USERNAME and not actor.is_active:
        return
    permissions.require(actor, code, site=site)


def _apply(instance: Any, changes: dict[str, Any], allowed: set[str]) -> list[str]:
    """Set the allowed fields that really change; refuse unknown ones by name."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput([FieldError(name, "This field cannot be changed.") for name in unknown])
    changed = []
    for name, value in changes.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


# --- Sites and departments --------------------------------------------------------------------


@audit.service
def create_site(
    *, actor: User, code: str, name: str, address: str = "", description: str = ""
) -> Site:
    """Add a site to the scope of the quality system."""
    _require(actor, permissions.MANAGE_STRUCTURE)
    site = Site(code=code, name=name, address=address, description=description)
    clean_or_raise(site)
    site.save()
    return site


SITE_FIELDS = {"code", "name", "address", "description", "is_active"}


@audit.service
def update_site(site: Site, *, actor: User, **changes: Any) -> Site:
    """Change a site's details, or take it out of use (is_active=False)."""
    _require(actor, permissions.MANAGE_STRUCTURE)
    if _apply(site, changes, SITE_FIELDS):
        clean_or_raise(site)
        site.save()
    return site


@audit.service
def create_department(
    *,
    actor: User,
    code: str,
    name: str,
    site: Site | None = None,
    head: User | None = None,
) -> Department:
    """Add a department (a unit that owns processes and records)."""
    _require(actor, permissions.MANAGE_STRUCTURE)
    department = Department(code=code, name=name, site=site, head=head)
    clean_or_raise(department)
    department.save()
    return department


DEPARTMENT_FIELDS = {"code", "name", "site", "head", "is_active"}


@audit.service
def update_department(department: Department, *, actor: User, **changes: Any) -> Department:
    """Change a department's details, or take it out of use."""
    _require(actor, permissions.MANAGE_STRUCTURE)
    if _apply(department, changes, DEPARTMENT_FIELDS):
        clean_or_raise(department)
        department.save()
    return department


# --- People ---------------------------------------------------------------------------------


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput.for_field("password", " ".join(exc.messages)) from None


@audit.service
def create_user(
    *,
    actor: User,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
    department: Department | None = None,
    site: Site | None = None,
) -> User:
    """Open an account. Usernames are never reused, so a taken one is refused (409)."""
    _require(actor, permissions.MANAGE_USERS)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            f"The username '{username}' is or was in use; usernames are never reused.",
            errors=[FieldError("username", "Already taken.")],
        )
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        job_title=job_title,
        department=department,
        site=site,
    )
    clean_or_raise(user, exclude=["password"])
    if password:
        _validate_password(password, user)
        user.set_password(password)
        # Someone else chose it: the owner replaces it at first sign-in (Part 11 §11.200(a)(3)).
        user.must_change_password = True
    else:
        user.set_unusable_password()
    user.save()
    return user


USER_FIELDS = {"first_name", "last_name", "email", "job_title", "department", "site"}


@audit.service
def update_user(user: User, *, actor: User, **changes: Any) -> User:
    """Change a person's profile (name, e-mail, job title, department, site)."""
    if actor.pk != user.pk or set(changes) & {"department", "site"}:
        # People may correct their own name and e-mail; their place in the organisation
        # is the administrator's to change.
        _require(actor, permissions.MANAGE_USERS)
    if _apply(user, changes, USER_FIELDS):
        clean_or_raise(user, exclude=["password"])
        user.save()
    return user


@audit.service
def set_password(user: User, *, actor: User, password: str) -> User:
    """Set a new password for someone else (an administrator's reset)."""
    _require(actor, permissions.MANAGE_USERS)
    _validate_password(password, user)
    user.set_password(password)
    user.must_change_password = user.pk != actor.pk
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    return user


def _active_administrators() -> int:
    return (
        User.objects.filter(is_active=True, role_assignments__role__code=permissions.ADMINISTRATOR)
        .distinct()
        .count()
    )


@audit.service
def deactivate_user(user: User, *, actor: User, reason: str = "") -> User:
    """Close an account: the person can no longer sign in; their records and signatures stay."""
    _require(actor, permissions.MANAGE_USERS)
    if user.pk == actor.pk:
        raise InvalidInput.for_field("user", "You cannot deactivate your own account.")
    if not user.is_active:
        return user
    is_admin = user.role_assignments.filter(role__code=permissions.ADMINISTRATOR).exists()
    if is_admin and _active_administrators() <= 1:
        raise Conflict("This is the last active administrator; appoint another one first.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
    return user


@audit.service
def reactivate_user(user: User, *, actor: User) -> User:
    """Reopen a deactivated account."""
    _require(actor, permissions.MANAGE_USERS)
    if user.username == SYSTEM_USERNAME:
        raise InvalidInput.for_field("user", "The system account cannot sign in.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


# --- Roles ----------------------------------------------------------------------------------


@audit.service
def grant_role(user: User, *, actor: User, role: Role, site: Site | None = None) -> RoleAssignment:
    """Give a person a role, at one site or everywhere."""
    _require(actor, permissions.MANAGE_ROLES)
    if user.username == SYSTEM_USERNAME:
        raise InvalidInput.for_field("user", "The system account holds no roles.")
    duplicate = RoleAssignment.objects.filter(user=user, role=role, site=site).exists()
    if duplicate:
        where = site.name if site else "all sites"
        raise Conflict(f"{user} already holds {role} at {where}.")
    try:
        with transaction.atomic():
            assignment = RoleAssignment.objects.create(
                user=user, role=role, site=site, granted_by=actor
            )
    except IntegrityError:  # a concurrent grant won the race
        raise Conflict(f"{user} already holds {role}.") from None
    permissions.forget_permissions(user)
    return assignment


@audit.service
def revoke_role(assignment: RoleAssignment, *, actor: User) -> None:
    """Take a role away from a person."""
    _require(actor, permissions.MANAGE_ROLES)
    user = assignment.user
    if (
        assignment.role.code == permissions.ADMINISTRATOR
        and user.is_active
        and _active_administrators() <= 1
    ):
        raise Conflict("This is the last active administrator; appoint another one first.")
    assignment.delete()
    permissions.forget_permissions(user)


# --- API tokens -----------------------------------------------------------------------------


@audit.service
def create_token(
    *,
    actor: User,
    name: str,
    user: User | None = None,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Issue a personal access token; the plain token is returned once and never stored."""
    owner = user or actor
    if owner.pk != actor.pk:
        _require(actor, permissions.MANAGE_ALL_TOKENS)
    if not owner.is_active:
        raise InvalidInput.for_field("user", f"{owner.username} is deactivated.")
    days = settings.API_TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise InvalidInput.for_field(
            "expires_in_days", f"Must be between 1 and {settings.API_TOKEN_MAX_DAYS} days."
        )
    if not name.strip():
        raise InvalidInput.for_field("name", "Give the token a name that says what it is for.")
    plain, prefix, token_hash = tokens.generate()
    token = ApiToken(
        user=owner,
        name=name.strip(),
        prefix=prefix,
        token_hash=token_hash,
        expires_at=timezone.now() + timedelta(days=days),
    )
    clean_or_raise(token, exclude=["prefix", "token_hash"])
    token.save()
    return token, plain


@audit.service
def revoke_token(token: ApiToken, *, actor: User) -> ApiToken:
    """Revoke a token at once; requests using it get 401 from now on."""
    if token.user_id != actor.pk:
        _require(actor, permissions.MANAGE_ALL_TOKENS)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


# --- Notifications --------------------------------------------------------------------------


def mark_notifications_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them, or the given ids)."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
