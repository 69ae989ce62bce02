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
from qualitas.core.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from qualitas.core.models import (
    ApiToken,
    Department,
    Notification,
    Role,
    RoleAssignment,
    Site,
    User,
    UserSession,
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


def _require_at(actor: User, code: str, site: Site | None) -> None:
    """`code` at this site; None (every site) needs it at every site, not just somewhere."""
    if actor.username == SYSTEM_USERNAME and not actor.is_active:
        return
    if site is not None:
        permissions.require(actor, code, site=site)
    else:
        permissions.require_everywhere(actor, code)


def require_over(actor: User, code: str, person: User) -> None:
    """Managing a person needs `code` wherever they work or hold a role: an administrator of
    one site cannot reset, rename or close the account of someone whose roles reach further,
    and so cannot take over their rights."""
    sites = {a.site for a in person.role_assignments.select_related("site")} | {person.site}
    if None in sites:
        _require_at(actor, code, None)
    for site in sites - {None}:
        _require_at(actor, code, site)


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
    _require_at(actor, permissions.MANAGE_USERS, site)
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
# Who a person is on their signatures and in the audit trail (Part 11 §11.50, §11.100).
IDENTITY_FIELDS = {"first_name", "last_name", "email"}
# What people may change about themselves.
SELF_SERVICE_FIELDS = {"job_title"}


@audit.service
def update_user(user: User, *, actor: User, reason: str = "", **changes: Any) -> User:
    """Change a person's profile (name, e-mail, job title, department, site).

    A person's legal name and e-mail identify them on every signature they make: only an
    administrator changes them, and says why. Signatures already made keep the printed name
    they were made with.
    """
    if actor.pk != user.pk or set(changes) - SELF_SERVICE_FIELDS:
        require_over(actor, permissions.MANAGE_USERS, user)
        if changes.get("site") is not None:
            _require_at(actor, permissions.MANAGE_USERS, changes["site"])
    identity_changes = {
        name for name in IDENTITY_FIELDS & set(changes) if getattr(user, name) != changes[name]
    }
    if identity_changes and not reason.strip():
        raise InvalidInput.for_field(
            "reason", "Say why the name or e-mail changes: it is who signs as this person."
        )
    with audit.context(actor=actor, reason=reason.strip()):
        if _apply(user, changes, USER_FIELDS):
            clean_or_raise(user, exclude=["password"])
            user.save()
    return user


@audit.service
def set_password(user: User, *, actor: User, password: str, revoke_tokens: bool = False) -> User:
    """Set a new password for someone else (an administrator's reset).

    The person's sessions end (whoever knew the old password is signed out); with
    `revoke_tokens` their API tokens are revoked too.
    """
    require_over(actor, permissions.MANAGE_USERS, user)
    _validate_password(password, user)
    user.set_password(password)
    user.must_change_password = user.pk != actor.pk
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    _after_password_change(user, actor=actor, revoke_tokens=revoke_tokens)
    return user


@audit.service
def change_own_password(
    *,
    actor: User,
    password: str,
    revoke_tokens: bool = True,
    current_session_key: str | None = None,
) -> User:
    """A person replaces their own password (the caller has checked the old one).

    Their other sessions end; the one they are using stays. With `revoke_tokens` (the
    form's checkbox, on by default) their API tokens are revoked too.
    """
    _validate_password(password, actor)
    with audit.context(actor=actor, reason="Password changed by its owner"):
        actor.set_password(password)
        actor.save(update_fields=["password", "password_changed_at", "must_change_password"])
        _after_password_change(
            actor, actor=actor, revoke_tokens=revoke_tokens, keep_session_key=current_session_key
        )
    return actor


@audit.service
def reset_password(user: User, *, actor: User, password: str, revoke_tokens: bool = True) -> User:
    """Set the password chosen through an e-mailed reset link (the actor is the person).

    Every session ends: whoever knew the old password is signed out.
    """
    if actor.pk != user.pk or not user.is_active or not user.has_usable_password():
        raise InvalidInput.for_field("password", "This reset link cannot be used.")
    _validate_password(password, user)
    with audit.context(actor=actor, reason="Password reset through an e-mailed link"):
        user.set_password(password)
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        _after_password_change(user, actor=actor, revoke_tokens=revoke_tokens)
    return user


def _after_password_change(
    user: User, *, actor: User, revoke_tokens: bool, keep_session_key: str | None = None
) -> None:
    _end_sessions(user, reason="Password changed", keep_session_key=keep_session_key)
    if revoke_tokens:
        _revoke_tokens(user, actor=actor)


def _end_sessions(
    user: User, *, reason: str, keep_session_key: str | None = None, only: Any = None
) -> int:
    """End the person's sessions (all, all but one, or the rows given), audited on them."""
    from qualitas.core import usersessions

    rows = (
        list(only)
        if only is not None
        else usersessions.sessions_of(user).filter(ended_at__isnull=True)
    )
    ended = [
        row
        for row in rows
        if row.session_key != keep_session_key and usersessions.end(row, reason=reason)
    ]
    if ended:
        audit.record(
            user,
            "sessions_ended",
            {"sessions": [row.pk for row in ended], "why": reason},
        )
    return len(ended)


def _revoke_tokens(user: User, *, actor: User) -> int:
    now = timezone.now()
    count = 0
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token.revoked_at = now
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        count += 1
    return count


def _active_administrators() -> int:
    return (
        User.objects.filter(is_active=True, role_assignments__role__code=permissions.ADMINISTRATOR)
        .distinct()
        .count()
    )


@audit.service
def deactivate_user(user: User, *, actor: User, reason: str = "") -> User:
    """Close an account: the person can no longer sign in; their records and signatures stay."""
    require_over(actor, permissions.MANAGE_USERS, user)
    if user.pk == actor.pk:
        raise InvalidInput.for_field("user", "You cannot deactivate your own account.")
    if not user.is_active:
        return user
    is_admin = user.role_assignments.filter(role__code=permissions.ADMINISTRATOR).exists()
    if is_admin and _active_administrators() <= 1:
        raise Conflict("This is the last active administrator; appoint another one first.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    _revoke_tokens(user, actor=actor)
    _end_sessions(user, reason="Account deactivated")
    return user


@audit.service
def reactivate_user(user: User, *, actor: User) -> User:
    """Reopen a deactivated account."""
    require_over(actor, permissions.MANAGE_USERS, user)
    if user.username == SYSTEM_USERNAME:
        raise InvalidInput.for_field("user", "The system account cannot sign in.")
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


# --- Roles ----------------------------------------------------------------------------------


@audit.service
def grant_role(user: User, *, actor: User, role: Role, site: Site | None = None) -> RoleAssignment:
    """Give a person a role, at one site or everywhere (which needs the right everywhere)."""
    _require_at(actor, permissions.MANAGE_ROLES, site)
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
    _require_at(actor, permissions.MANAGE_ROLES, assignment.site)
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
    if owner.pk != actor.pk and actor.username != SYSTEM_USERNAME:
        # A token acts as its owner: a token made by someone else would let them act, and be
        # recorded, as that person (Part 11 §11.200(a)(2)). Integrations get their own account
        # (the `qualitas token create --user` command acts as the system for its operator).
        raise PermissionDenied(
            "A token acts as its owner: only they can create it. Give the integration an "
            "account of its own."
        )
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


@audit.service
def revoke_all_tokens(user: User, *, actor: User) -> int:
    """Revoke every active token of a person (their own decision, or an administrator's)."""
    if user.pk != actor.pk:
        _require(actor, permissions.MANAGE_ALL_TOKENS)
    return _revoke_tokens(user, actor=actor)


# --- Sessions -------------------------------------------------------------------------------


@audit.service
def end_session(session: UserSession, *, actor: User) -> UserSession:
    """End one of a person's sessions (their own, or anyone's for a user administrator)."""
    if session.user_id != actor.pk:
        require_over(actor, permissions.MANAGE_USERS, session.user)
    if session.ended_at is not None:
        raise Conflict("This session has already ended.")
    who = "its owner" if session.user_id == actor.pk else actor.username
    _end_sessions(session.user, reason=f"Ended by {who}", only=[session])
    return session


@audit.service
def end_other_sessions(*, actor: User, current_session_key: str | None) -> int:
    """End all the actor's sessions but the one they are using."""
    return _end_sessions(actor, reason="Ended by its owner", keep_session_key=current_session_key)


# --- Notifications --------------------------------------------------------------------------


def mark_notifications_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (all of them, or the given ids)."""
    unread = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
