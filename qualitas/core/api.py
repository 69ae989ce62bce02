"""Core API: the signed-in user, people, departments, sites, roles and tokens.

No `from __future__ import annotations` here: django-ninja reads the annotations at runtime.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from qualitas.core import (
    actions,
    attachments,
    mfa,
    permissions,
    queries,
    recordapi,
    records,
    services,
    usersessions,
)
from qualitas.core.errors import InvalidInput, NotFound, PermissionDenied
from qualitas.core.models import ApiToken, Department, Role, RoleAssignment, Site, User
from qualitas.core.pagination import Mapped, PageNumber
from qualitas.core.schemas import (
    ERRORS,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    MeOut,
    MfaResetIn,
    PermissionOut,
    RoleAssignmentOut,
    RoleGrantIn,
    RoleOut,
    RolePatchIn,
    SessionOut,
    SiteIn,
    SiteOut,
    SitePatch,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
    actor_of,
)

router = Router()


def _may_see_directory(request: HttpRequest) -> User:
    actor = actor_of(request)
    permissions.require(actor, permissions.VIEW_DIRECTORY)
    return actor


def _resolve(model: type[Any], pk: int | None, field: str) -> Any:
    """Turn an id from the request into an object, or a 422 naming the field."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput.for_field(field, f"No {model._meta.verbose_name} with id {pk}.")
    return found


def _with_refs(data: dict[str, Any]) -> dict[str, Any]:
    refs = {"site": Site, "department": Department, "head": User}
    return {k: _resolve(refs[k], v, k) if k in refs else v for k, v in data.items()}


# --- Me ---------------------------------------------------------------------------------------


@router.get("/me", response={200: MeOut, **ERRORS}, tags=["me"], summary="The signed-in user")
def me(request: HttpRequest) -> dict[str, Any]:
    actor = actor_of(request)
    return {
        **UserOut.from_orm(actor, context={"request": request}).dict(),
        "roles": list(queries.role_assignments_of(actor)),
        "permissions": sorted(permissions.permissions_of(actor)),
    }


# --- People -----------------------------------------------------------------------------------


class UserFilters(Schema):
    q: str | None = None
    department: int | None = None
    site: int | None = None
    role: str | None = None
    is_active: bool | None = None


@router.get("/users", response={200: list[UserOut], **ERRORS}, tags=["users"])
@paginate(PageNumber)
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> Any:
    _may_see_directory(request)
    actor = actor_of(request)
    users = queries.search_people(filters.q, viewer=actor) if filters.q else queries.people()
    if filters.department is not None:
        users = users.filter(department_id=filters.department)
    if filters.site is not None:
        users = users.filter(site_id=filters.site)
    if filters.role:
        users = users.filter(role_assignments__role__code=filters.role).distinct()
    if filters.is_active is not None:
        users = users.filter(is_active=filters.is_active)
    return users


@router.post("/users", response={201: UserOut, **ERRORS}, tags=["users"])
def create_user(request: HttpRequest, payload: UserIn) -> Status[Any]:
    data = _with_refs(payload.dict())
    data["email"] = data["email"] or ""
    return Status(201, services.create_user(actor=actor_of(request), **data))


@router.get("/users/{user_id}", response={200: UserOut, **ERRORS}, tags=["users"])
def get_user(request: HttpRequest, user_id: int) -> User:
    _may_see_directory(request)
    return queries.get_or_404(queries.people(), pk=user_id)  # type: ignore[no-any-return]


@router.patch("/users/{user_id}", response={200: UserOut, **ERRORS}, tags=["users"])
def update_user(request: HttpRequest, user_id: int, payload: UserPatch) -> User:
    user = queries.get_or_404(queries.people(), pk=user_id)
    changes = _with_refs(payload.dict(exclude_unset=True))
    if "email" in changes:
        changes["email"] = changes["email"] or ""
    reason = changes.pop("reason", "")
    return services.update_user(user, actor=actor_of(request), reason=reason, **changes)


@router.post("/users/{user_id}/deactivate", response={200: UserOut, **ERRORS}, tags=["users"])
def deactivate_user(request: HttpRequest, user_id: int) -> User:
    user = queries.get_or_404(queries.people(), pk=user_id)
    return services.deactivate_user(user, actor=actor_of(request))


@router.post("/users/{user_id}/reactivate", response={200: UserOut, **ERRORS}, tags=["users"])
def reactivate_user(request: HttpRequest, user_id: int) -> User:
    user = queries.get_or_404(queries.people(), pk=user_id)
    return services.reactivate_user(user, actor=actor_of(request))


@router.post(
    "/users/{user_id}/mfa/reset",
    response={200: UserOut, **ERRORS},
    tags=["users"],
    summary="Remove a person's authenticator (lost phone), with a reason",
)
def reset_user_mfa(request: HttpRequest, user_id: int, payload: MfaResetIn) -> User:
    user = queries.get_or_404(queries.people(), pk=user_id)
    mfa.reset_for(user, actor=actor_of(request), reason=payload.reason)
    return user  # type: ignore[no-any-return]


@router.get(
    "/users/{user_id}/roles", response={200: list[RoleAssignmentOut], **ERRORS}, tags=["roles"]
)
def list_user_roles(request: HttpRequest, user_id: int) -> Any:
    _may_see_directory(request)
    user = queries.get_or_404(queries.people(), pk=user_id)
    return list(queries.role_assignments_of(user))


@router.post("/users/{user_id}/roles", response={201: RoleAssignmentOut, **ERRORS}, tags=["roles"])
def grant_role(request: HttpRequest, user_id: int, payload: RoleGrantIn) -> Status[Any]:
    user = queries.get_or_404(queries.people(), pk=user_id)
    role = Role.objects.filter(code=payload.role).first()
    if role is None:
        raise InvalidInput.for_field("role", f"No role with code '{payload.role}'.")
    site = _resolve(Site, payload.site, "site")
    return Status(201, services.grant_role(user, actor=actor_of(request), role=role, site=site))


@router.delete(
    "/users/{user_id}/roles/{assignment_id}", response={204: None, **ERRORS}, tags=["roles"]
)
def revoke_role(request: HttpRequest, user_id: int, assignment_id: int) -> Status[Any]:
    assignment = queries.get_or_404(
        RoleAssignment.objects.select_related("user", "role"), pk=assignment_id, user_id=user_id
    )
    services.revoke_role(assignment, actor=actor_of(request))
    return Status(204, None)


# --- Sites and departments -------------------------------------------------------------------


class SiteFilters(Schema):
    is_active: bool | None = None


@router.get("/sites", response={200: list[SiteOut], **ERRORS}, tags=["sites"])
@paginate(PageNumber)
def list_sites(request: HttpRequest, filters: Query[SiteFilters]) -> Any:
    _may_see_directory(request)
    sites = Site.objects.all()
    return sites if filters.is_active is None else sites.filter(is_active=filters.is_active)


@router.post("/sites", response={201: SiteOut, **ERRORS}, tags=["sites"])
def create_site(request: HttpRequest, payload: SiteIn) -> Status[Any]:
    return Status(201, services.create_site(actor=actor_of(request), **payload.dict()))


@router.get("/sites/{site_id}", response={200: SiteOut, **ERRORS}, tags=["sites"])
def get_site(request: HttpRequest, site_id: int) -> Site:
    _may_see_directory(request)
    return queries.get_or_404(Site.objects.all(), pk=site_id)  # type: ignore[no-any-return]


@router.patch("/sites/{site_id}", response={200: SiteOut, **ERRORS}, tags=["sites"])
def update_site(request: HttpRequest, site_id: int, payload: SitePatch) -> Site:
    site = queries.get_or_404(Site.objects.all(), pk=site_id)
    return services.update_site(site, actor=actor_of(request), **payload.dict(exclude_unset=True))


class DepartmentFilters(Schema):
    site: int | None = None
    is_active: bool | None = None


@router.get("/departments", response={200: list[DepartmentOut], **ERRORS}, tags=["departments"])
@paginate(PageNumber)
def list_departments(request: HttpRequest, filters: Query[DepartmentFilters]) -> Any:
    _may_see_directory(request)
    found = queries.departments()
    if filters.site is not None:
        found = found.filter(site_id=filters.site)
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    return found


@router.post("/departments", response={201: DepartmentOut, **ERRORS}, tags=["departments"])
def create_department(request: HttpRequest, payload: DepartmentIn) -> Status[Any]:
    data = _with_refs(payload.dict())
    return Status(201, services.create_department(actor=actor_of(request), **data))


@router.get(
    "/departments/{department_id}", response={200: DepartmentOut, **ERRORS}, tags=["departments"]
)
def get_department(request: HttpRequest, department_id: int) -> Department:
    _may_see_directory(request)
    return queries.get_or_404(queries.departments(), pk=department_id)  # type: ignore[no-any-return]


@router.patch(
    "/departments/{department_id}", response={200: DepartmentOut, **ERRORS}, tags=["departments"]
)
def update_department(
    request: HttpRequest, department_id: int, payload: DepartmentPatch
) -> Department:
    department = queries.get_or_404(queries.departments(), pk=department_id)
    changes = _with_refs(payload.dict(exclude_unset=True))
    return services.update_department(department, actor=actor_of(request), **changes)


# --- Roles ------------------------------------------------------------------------------------


def _role_out(role: Role) -> dict[str, Any]:
    return {
        "id": role.pk,
        "code": role.code,
        "name": role.name,
        "description": role.description,
        "is_system": role.is_system,
        "requires_mfa": role.requires_mfa,
        "permissions": sorted(g.permission for g in role.grants.all()),
    }


@router.get("/roles", response={200: list[RoleOut], **ERRORS}, tags=["roles"])
def list_roles(request: HttpRequest) -> list[dict[str, Any]]:
    _may_see_directory(request)
    return [_role_out(role) for role in queries.roles_with_grants()]


@router.get("/roles/{code}", response={200: RoleOut, **ERRORS}, tags=["roles"])
def get_role(request: HttpRequest, code: str) -> dict[str, Any]:
    _may_see_directory(request)
    return _role_out(queries.get_or_404(queries.roles_with_grants(), code=code))


@router.patch("/roles/{code}", response={200: RoleOut, **ERRORS}, tags=["roles"])
def update_role(request: HttpRequest, code: str, payload: RolePatchIn) -> dict[str, Any]:
    """Whether the role requires MFA (administrators only)."""
    _may_see_directory(request)
    role = queries.get_or_404(queries.roles_with_grants(), code=code)
    mfa.set_required_for_role(role, actor=actor_of(request), required=payload.requires_mfa)
    return _role_out(role)


@router.get("/permissions", response={200: list[PermissionOut], **ERRORS}, tags=["roles"])
def list_permissions(request: HttpRequest) -> list[permissions.PermissionSpec]:
    _may_see_directory(request)
    return sorted(permissions.PERMISSIONS.values(), key=lambda p: p.code)


# --- Tokens -----------------------------------------------------------------------------------


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, tags=["tokens"])
@paginate(PageNumber)
def list_tokens(request: HttpRequest, user: int | None = None) -> Any:
    tokens = queries.tokens_visible_to(actor_of(request))
    return tokens if user is None else tokens.filter(user_id=user)


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, tags=["tokens"])
def create_token(request: HttpRequest, payload: TokenIn) -> Status[Any]:
    if getattr(request, "api_token", None) is not None:
        # A stolen token must not outlive its revocation by minting others.
        raise PermissionDenied(
            "An API token cannot create tokens: create one on your profile page while "
            "signed in, or with `qualitas token create`."
        )
    token, plain = services.create_token(
        actor=actor_of(request), name=payload.name, expires_in_days=payload.expires_in_days
    )
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": plain})


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, tags=["tokens"])
def revoke_token(request: HttpRequest, token_id: int) -> ApiToken:
    token = queries.get_or_404(queries.tokens_visible_to(actor_of(request)), pk=token_id)
    return services.revoke_token(token, actor=actor_of(request))


# --- My sessions ------------------------------------------------------------------------------


def _session_out(request: HttpRequest, row: Any) -> dict[str, Any]:
    # A bearer-token call has no session of its own, whatever cookie it carries.
    own = None if getattr(request, "api_token", None) else request.session.session_key
    return {
        "id": row.pk,
        "started_at": row.started_at,
        "last_seen_at": row.last_seen_at,
        "client_address": row.client_address,
        "browser": usersessions.browser_of(row.user_agent),
        "current": row.session_key == own,
    }


@router.get("/me/sessions", response={200: list[SessionOut], **ERRORS}, tags=["me"])
def my_sessions(request: HttpRequest) -> list[dict[str, Any]]:
    """The signed-in user's active browser sessions."""
    return [_session_out(request, row) for row in usersessions.active_sessions(actor_of(request))]


@router.post("/me/sessions/{session_id}/end", response={200: SessionOut, **ERRORS}, tags=["me"])
def end_my_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    """Sign one of my sessions out."""
    actor = actor_of(request)
    row = queries.get_or_404(usersessions.sessions_of(actor), pk=session_id)
    out = _session_out(request, services.end_session(row, actor=actor))
    if out["current"]:
        logout(request)  # the session making this call is gone: sign it out cleanly
    return out


# --- Actions, audit trail, record types ----------------------------------------------------


class ActionFilters(Schema):
    state: str | None = "open"
    overdue: bool | None = None


@router.get(
    "/actions",
    response={200: list[recordapi.ActionOut], **ERRORS},
    tags=["actions"],
    summary="My actions (and my department's)",
)
@paginate(PageNumber)
def my_actions(request: HttpRequest, filters: Query[ActionFilters]) -> Any:
    from django.db.models import Q
    from django.utils import timezone

    from qualitas.core.models import ActionItem

    user = actor_of(request)
    mine = Q(assignee=user)
    if user.department_id:
        mine |= Q(assignee__isnull=True, department_id=user.department_id)
    found = ActionItem.objects.filter(mine).select_related("object_type").order_by("due_on", "id")
    if filters.state:
        found = found.filter(state=filters.state)
    if filters.overdue is not None:
        today = timezone.localdate()
        found = (
            found.filter(due_on__lt=today) if filters.overdue else found.filter(due_on__gte=today)
        )
    return Mapped(found, recordapi.action_row)


class ActionCompletionIn(Schema):
    note: str


class ActionCancelIn(Schema):
    reason: str


def _action_for(request: HttpRequest, action_id: int) -> Any:
    return actions.visible_action(actor_of(request), action_id)[0]


@router.post(
    "/actions/{action_id}/complete", response={200: recordapi.ActionOut, **ERRORS}, tags=["actions"]
)
def complete_action(request: HttpRequest, action_id: int, payload: ActionCompletionIn) -> Any:
    done = actions.complete(
        _action_for(request, action_id), actor=actor_of(request), note=payload.note
    )
    return recordapi.action_row(done)


@router.post(
    "/actions/{action_id}/cancel", response={200: recordapi.ActionOut, **ERRORS}, tags=["actions"]
)
def cancel_action(request: HttpRequest, action_id: int, payload: ActionCancelIn) -> Any:
    cancelled = actions.cancel(
        _action_for(request, action_id), actor=actor_of(request), reason=payload.reason
    )
    return recordapi.action_row(cancelled)


class AuditFilters(Schema):
    actor: int | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None


@router.get(
    "/audit-events",
    response={200: list[recordapi.HistoryOut], **ERRORS},
    tags=["audit trail"],
    summary="Search the audit trail (quality managers and auditors)",
)
@paginate(PageNumber)
def audit_events(request: HttpRequest, filters: Query[AuditFilters]) -> Any:
    permissions.require(actor_of(request), permissions.VIEW_AUDIT_TRAIL)
    return Mapped(queries.audit_events(**filters.dict()), recordapi.history_row)


class RecordTypeOut(Schema):
    key: str
    label: str
    resource: str
    prefix: str
    states: list[str]
    transitions: list[str]


@router.get("/record-types", response={200: list[RecordTypeOut], **ERRORS}, tags=["record types"])
def record_types(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "key": rt.key,
            "label": rt.label,
            "resource": rt.resource,
            "prefix": rt.prefix,
            "states": [value for value, _ in rt.workflow.states.choices],
            "transitions": [t.name for t in rt.workflow.transitions],
        }
        for rt in records.RECORD_TYPES.values()
        if permissions.has_perm(actor_of(request), rt.permissions.view)
        or permissions.sites_with_perm(actor_of(request), rt.permissions.view)
    ]


@router.get(
    "/actions/{action_id}/attachments",
    response={200: list[recordapi.AttachmentOut], **ERRORS},
    tags=["actions"],
    summary="Evidence files of an action",
)
def action_evidence(request: HttpRequest, action_id: int) -> Any:
    return list(attachments.attachments_of(_action_for(request, action_id), include_removed=True))


@router.post(
    "/actions/{action_id}/attachments",
    response={201: recordapi.AttachmentOut, **ERRORS},
    tags=["actions"],
    summary="Attach evidence to an action (multipart form: file)",
)
def add_action_evidence(request: HttpRequest, action_id: int, file: File[UploadedFile]) -> Any:
    action = _action_for(request, action_id)
    added = attachments.add(action, actor=actor_of(request), file=file, name=file.name or "file")
    return Status(201, added)


@router.get(
    "/actions/{action_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS},
    tags=["actions"],
    summary="Download an evidence file (its checksum is verified first)",
)
def download_action_evidence(request: HttpRequest, action_id: int, attachment_id: int) -> Any:
    action = _action_for(request, action_id)
    found = (
        attachments.attachments_of(action, include_removed=True).filter(pk=attachment_id).first()
    )
    if found is None:
        raise NotFound(f"No file {attachment_id} on action {action_id}.")
    return recordapi.file_response(found)
