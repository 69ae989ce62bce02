"""API schemas of the core: In (what a client sends) and Out (what it gets)."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Field, Schema

from qualitas.core.queries import may_see_email

if TYPE_CHECKING:
    from qualitas.core.models import User


class SiteRef(Schema):
    id: int
    code: str
    name: str


class DepartmentRef(Schema):
    id: int
    code: str
    name: str


class SiteOut(Schema):
    id: int
    code: str
    name: str
    address: str
    description: str
    is_active: bool


class SiteIn(Schema):
    code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=120)
    address: str = ""
    description: str = ""


class SitePatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=120)
    address: str | None = None
    description: str | None = None
    is_active: bool | None = None


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    site: SiteRef | None
    head_id: int | None
    is_active: bool


class DepartmentIn(Schema):
    code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=120)
    site: int | None = Field(None, description="Site id; empty for a company-wide department")
    head: int | None = Field(None, description="User id of the head of department")


class DepartmentPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=120)
    site: int | None = None
    head: int | None = None
    is_active: bool | None = None


class RoleAssignmentOut(Schema):
    id: int
    role: str = Field(..., alias="role.code")
    role_name: str = Field(..., alias="role.name")
    site: SiteRef | None
    granted_at: datetime


class UserOut(Schema):
    id: int
    username: str
    printed_name: str
    first_name: str
    last_name: str
    email: str
    job_title: str
    department: DepartmentRef | None
    site: SiteRef | None
    is_active: bool
    last_login: datetime | None
    date_joined: datetime

    @staticmethod
    def resolve_email(obj: Any, context: dict[str, Any] | None) -> str:
        """Only administrators see other people's e-mail addresses (the directory is wide)."""
        request = (context or {}).get("request")
        viewer = getattr(request, "user", None)
        return obj.email if may_see_email(viewer, obj) else ""


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str | None = Field(
        None, description="Initial password; omit to create an account that cannot sign in yet"
    )
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    email: str | None = Field(None, max_length=254)
    job_title: str = Field("", max_length=120)
    department: int | None = None
    site: int | None = None


class UserPatch(Schema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=254)
    reason: str = Field(
        "",
        max_length=500,
        description="Why the name or e-mail changes; required for those (administrators only)",
    )
    job_title: str | None = Field(None, max_length=120)
    department: int | None = None
    site: int | None = None


class MfaResetIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500, description="Why, e.g. phone lost")


class MeOut(UserOut):
    roles: list[RoleAssignmentOut]
    permissions: list[str]

    @staticmethod
    def resolve_email(obj: Any, context: dict[str, Any] | None = None) -> str:
        """The signed-in person's own address."""
        return str(obj["email"])


class RoleGrantIn(Schema):
    role: str = Field(..., description="Role code, e.g. quality-manager")
    site: int | None = Field(None, description="Site id; omit for every site")


class RoleOut(Schema):
    id: int
    code: str
    name: str
    description: str
    is_system: bool
    requires_mfa: bool
    permissions: list[str]


class RolePatchIn(Schema):
    requires_mfa: bool = Field(
        ..., description="Holders must sign in and sign with an authenticator code"
    )


class PermissionOut(Schema):
    code: str
    description: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    user_id: int
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    expires_in_days: int | None = Field(None, ge=1, description="Default 90 days")


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The token itself. Shown once; store it now.")


class SessionOut(Schema):
    id: int
    started_at: datetime
    last_seen_at: datetime
    client_address: str | None
    browser: str = Field(..., description="Browser and system, from the User-Agent")
    current: bool = Field(..., description="The session making this request")


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem]


# Every API operation answers these with an ErrorOut (core/errors.py maps the exceptions).
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOut)


def actor_of(request: HttpRequest) -> "User":
    """The acting user of an API operation (ninja's authentication has already run)."""
    return request.user  # type: ignore[return-value]
