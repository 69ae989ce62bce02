"""Pages for the organisation: people, departments, sites and roles."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from qualitas.core import forms, mfa, permissions, queries, services
from qualitas.core.errors import QualitasError
from qualitas.core.filters import DepartmentFilterSet, SiteFilterSet, UserFilterSet
from qualitas.core.models import Department, RoleAssignment, Site, User
from qualitas.core.tables import DepartmentTable, SiteTable, UserTable
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView, ServiceFormView

# --- People -----------------------------------------------------------------------------------


class UserListView(ObjectListView):
    permission = permissions.VIEW_DIRECTORY
    table_class = UserTable
    filterset_class = UserFilterSet
    title = "People"
    export_name = "people"
    create_url_name = "core:user_create"
    create_permission = permissions.MANAGE_USERS

    def get_queryset(self) -> QuerySet[User]:
        return queries.people()

    def hidden_columns(self, user: User) -> tuple[str, ...]:
        return () if permissions.has_perm(user, permissions.MANAGE_USERS) else ("email",)


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.require(signed_in_user(request), permissions.VIEW_DIRECTORY)
    person = queries.get_or_404(queries.people(), pk=pk)
    actor = signed_in_user(request)
    context = {
        "person": person,
        "assignments": queries.role_assignments_of(person),
        "grant_form": forms.RoleGrantForm(),
        "may_manage_users": permissions.has_perm(actor, permissions.MANAGE_USERS),
        "may_manage_roles": permissions.has_perm(actor, permissions.MANAGE_ROLES),
        "has_mfa": mfa.has_confirmed_device(person),
    }
    return render(request, "core/user_detail.html", context)


class UserCreateView(ServiceFormView):
    form_class = forms.UserForm
    title = "New person"
    permission = permissions.MANAGE_USERS
    success_message = "Account created."

    def perform(self, form: Any) -> User:
        data = form.cleaned_data
        return services.create_user(actor=signed_in_user(self.request), **data)

    def success_url(self, saved: User) -> str:
        return reverse("core:user_detail", args=[saved.pk])


class UserEditView(ServiceFormView):
    form_class = forms.UserEditForm
    permission = permissions.MANAGE_USERS
    success_message = "Profile saved."

    def get_object(self) -> User:
        return queries.get_or_404(queries.people(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Edit {self.object}"

    def get_initial(self) -> dict[str, Any]:
        return {name: getattr(self.object, name) for name in services.USER_FIELDS}

    def perform(self, form: Any) -> User:
        person = cast(User, self.object)
        return services.update_user(person, actor=signed_in_user(self.request), **form.cleaned_data)

    def success_url(self, saved: User) -> str:
        return reverse("core:user_detail", args=[saved.pk])


def _act(request: HttpRequest, done: str, action: Any) -> None:
    """Run one service call from a button; its refusal becomes a message on the page."""
    try:
        action()
    except QualitasError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)


@require_POST
@login_required
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.get_or_404(queries.people(), pk=pk)
    _act(
        request,
        f"{person} can no longer sign in.",
        lambda: services.deactivate_user(person, actor=signed_in_user(request)),
    )
    return redirect("core:user_detail", pk=pk)


@require_POST
@login_required
def user_mfa_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """A lost phone: an administrator removes the authenticator, with a reason."""
    person = queries.get_or_404(queries.people(), pk=pk)
    _act(
        request,
        f"{person}'s authenticator was removed; they enrol again at their next sign-in.",
        lambda: mfa.reset_for(
            person, actor=signed_in_user(request), reason=request.POST.get("reason", "")
        ),
    )
    return redirect("core:user_detail", pk=pk)


@require_POST
@login_required
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.get_or_404(queries.people(), pk=pk)
    _act(
        request,
        f"{person} can sign in again.",
        lambda: services.reactivate_user(person, actor=signed_in_user(request)),
    )
    return redirect("core:user_detail", pk=pk)


@require_POST
@login_required
def user_grant_role(request: HttpRequest, pk: int) -> HttpResponse:
    person = queries.get_or_404(queries.people(), pk=pk)
    form = forms.RoleGrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role.")
    else:
        role, site = form.cleaned_data["role"], form.cleaned_data["site"]
        _act(
            request,
            f"{role} granted.",
            lambda: services.grant_role(
                person, actor=signed_in_user(request), role=role, site=site
            ),
        )
    return redirect("core:user_detail", pk=pk)


@require_POST
@login_required
def user_revoke_role(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    assignment = queries.get_or_404(
        RoleAssignment.objects.select_related("user", "role"), pk=assignment_pk, user_id=pk
    )
    _act(
        request,
        f"{assignment.role} revoked.",
        lambda: services.revoke_role(assignment, actor=signed_in_user(request)),
    )
    return redirect("core:user_detail", pk=pk)


# --- Departments and sites --------------------------------------------------------------------


class DepartmentListView(ObjectListView):
    permission = permissions.VIEW_DIRECTORY
    table_class = DepartmentTable
    filterset_class = DepartmentFilterSet
    title = "Departments"
    export_name = "departments"
    create_url_name = "core:department_create"
    create_permission = permissions.MANAGE_STRUCTURE

    def get_queryset(self) -> QuerySet[Department]:
        return queries.departments().annotate(member_count=Count("members"))


class DepartmentFormView(ServiceFormView):
    form_class = forms.DepartmentForm
    permission = permissions.MANAGE_STRUCTURE

    def get_object(self) -> Department | None:
        if "pk" not in self.kwargs:
            return None
        return queries.get_or_404(queries.departments(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Edit {self.object}" if self.object else "New department"

    def get_initial(self) -> dict[str, Any]:
        if self.object is None:
            return {}
        return {name: getattr(self.object, name) for name in services.DEPARTMENT_FIELDS}

    def perform(self, form: Any) -> Department:
        data = form.cleaned_data
        actor = signed_in_user(self.request)
        if self.object is None:
            data.pop("is_active")
            return services.create_department(actor=actor, **data)
        return services.update_department(self.object, actor=actor, **data)  # type: ignore[arg-type]

    def success_url(self, saved: Department) -> str:
        return reverse("core:department_list")


class SiteListView(ObjectListView):
    permission = permissions.VIEW_DIRECTORY
    table_class = SiteTable
    filterset_class = SiteFilterSet
    title = "Sites"
    export_name = "sites"
    create_url_name = "core:site_create"
    create_permission = permissions.MANAGE_STRUCTURE

    def get_queryset(self) -> QuerySet[Site]:
        return Site.objects.annotate(member_count=Count("members"))


class SiteFormView(ServiceFormView):
    form_class = forms.SiteForm
    permission = permissions.MANAGE_STRUCTURE

    def get_object(self) -> Site | None:
        if "pk" not in self.kwargs:
            return None
        return queries.get_or_404(Site.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Edit {self.object}" if self.object else "New site"

    def get_initial(self) -> dict[str, Any]:
        if self.object is None:
            return {}
        return {name: getattr(self.object, name) for name in services.SITE_FIELDS}

    def perform(self, form: Any) -> Site:
        data = form.cleaned_data
        actor = signed_in_user(self.request)
        if self.object is None:
            data.pop("is_active")
            return services.create_site(actor=actor, **data)
        return services.update_site(self.object, actor=actor, **data)  # type: ignore[arg-type]

    def success_url(self, saved: Site) -> str:
        return reverse("core:site_list")


# --- Roles ------------------------------------------------------------------------------------


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    permissions.require(signed_in_user(request), permissions.VIEW_DIRECTORY)
    roles = queries.roles_with_grants().annotate(holders=Count("assignments__user", distinct=True))
    rows = [
        {
            "role": role,
            "permissions": [
                permissions.PERMISSIONS[g.permission]
                for g in role.grants.all()
                if g.permission in permissions.PERMISSIONS
            ],
            "all": any(g.permission == permissions.ALL for g in role.grants.all()),
        }
        for role in roles
    ]
    may_manage = permissions.has_perm(signed_in_user(request), permissions.MANAGE_ROLES)
    context = {"rows": rows, "title": "Roles", "may_manage": may_manage}
    return render(request, "core/role_list.html", context)


@require_POST
@login_required
def role_requires_mfa(request: HttpRequest, code: str) -> HttpResponse:
    """An administrator sets whether a role's holders must use MFA."""
    from qualitas.core import mfa
    from qualitas.core.models import Role

    role = queries.get_or_404(Role.objects.all(), code=code)
    required = request.POST.get("requires_mfa") == "on"
    mfa.set_required_for_role(role, actor=signed_in_user(request), required=required)
    state = "requires" if required else "no longer requires"
    messages.success(request, f"{role.name} {state} multi-factor authentication.")
    return redirect("core:role_list")
