"""Curriculum pages (/training/curricula/, /training/job-roles/…): what each job role,
department and site must be trained on, a job role with its holders, and the forms that hand
their input to services.add_requirement, retire_requirement, create_job_role and
set_members. Everyone holding training.view reads them; holders of training.manage (at the
line's site, for a department's or a site's line) write them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from qualitas.core import permissions
from qualitas.core.errors import Conflict
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.training import services, workflows as w
from qualitas.training.course_views import TrainingForm
from qualitas.training.forms import JobRoleForm, MembersForm, RequirementForm, RetireForm
from qualitas.training.models import JobRole, Requirement


def _lines() -> Any:
    # The audience's and the item's names are shown: one join each, never a query per line.
    return Requirement.objects.select_related("job_role", "department__site", "site", "course")


def _site_of(line: Requirement) -> Any:
    """The site a line concerns, as the services check it (None: a job role's, any site)."""
    if line.site_id is not None:
        return line.site
    return line.department.site if line.department is not None else None


def _row(line: Requirement, user: Any) -> tuple[Requirement, int | None, bool]:
    """A line as the pages show it: its validity (its own or its course's) and whether the
    user may retire it (training.manage where the line applies)."""
    may_retire = permissions.has_perm(user, w.MANAGE, site=_site_of(line))
    return line, services.validity_of(line, line.course), may_retire


@login_required
def curricula(request: HttpRequest) -> HttpResponse:
    """Every curriculum in force: per job role, per department, per site, the documents and
    courses required, with validity. A fixed number of queries whatever the number of lines."""
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    lines = list(_lines().filter(active=True).order_by("pk"))
    by_role: dict[int, list[Any]] = defaultdict(list)
    by_department: dict[int, list[Any]] = defaultdict(list)
    by_site: dict[int, list[Any]] = defaultdict(list)
    departments, sites = {}, {}
    for line in lines:
        if line.job_role_id is not None:
            by_role[line.job_role_id].append(_row(line, user))
        elif line.department_id is not None:
            by_department[line.department_id].append(_row(line, user))
            departments[line.department_id] = line.department
        else:
            by_site[line.site_id].append(_row(line, user))
            sites[line.site_id] = line.site
    roles = JobRole.objects.annotate(
        holders=Count("members", filter=Q(members__is_active=True))
    ).order_by("-active", "name")
    context = {
        "title": "Curricula",
        "roles": [(role, by_role.get(role.pk, [])) for role in roles],
        "departments": sorted(
            ((departments[pk], rows) for pk, rows in by_department.items()),
            key=lambda pair: str(pair[0]),
        ),
        "sites": sorted(
            ((sites[pk], rows) for pk, rows in by_site.items()), key=lambda pair: str(pair[0])
        ),
        "may_manage": permissions.has_perm(user, w.MANAGE),
    }
    return render(request, "training/curricula.html", context)


@login_required
def job_role_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A job role: its holders and its curriculum."""
    user = signed_in_user(request)
    permissions.require(user, w.VIEW)
    role = get_or_404(JobRole.objects.all(), pk=pk)
    members = role.members.filter(is_active=True).select_related("site", "department")
    lines = _lines().filter(job_role=role, active=True).order_by("pk")
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    context = {
        "title": f"Job role {role.name}",
        "role": role,
        "members": [
            # A holder's transcript is offered where the reader may open it.
            (person, person.pk == user.pk or sites is None or person.site_id in sites)
            for person in members
        ],
        "lines": [_row(line, user) for line in lines],
        "may_manage": permissions.has_perm(user, w.MANAGE),
    }
    return render(request, "training/job_role.html", context)


class _CurriculumForm(TrainingForm):
    cancel_to = "training:curricula"

    def success_url(self, saved: Any) -> str:
        return reverse("training:curricula")


class RequirementCreateView(_CurriculumForm):
    """Add a curriculum line; everyone it covers is assigned it at once."""

    form_class = RequirementForm
    title = "Add to a curriculum"
    success_message = "Curriculum line added; the people it covers are assigned it."

    def get_initial(self) -> dict[str, Any]:
        # From a job role's or a course's page: the role or the course already chosen.
        return {
            name: self.request.GET[name]
            for name in ("job_role", "department", "site", "course", "document_number")
            if self.request.GET.get(name, "").strip()
        }

    def perform(self, form: forms.Form) -> Requirement:
        data = dict(form.cleaned_data)
        data["document_number"] = data["document_number"] or ""
        return services.add_requirement(actor=signed_in_user(self.request), **data)


class RequirementRetireView(_CurriculumForm):
    """Take a line out of the curriculum, saying why; its open assignments are cancelled."""

    form_class = RetireForm
    success_message = "Curriculum line retired."

    def get_object(self) -> Requirement:
        return get_or_404(_lines(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def check_permission(self) -> None:
        line: Requirement = self.object  # type: ignore[assignment]
        permissions.require(signed_in_user(self.request), w.MANAGE, site=_site_of(line))
        if not line.active:
            raise Conflict("This line is already out of the curriculum.")

    def get_title(self) -> str:
        return f"Retire: {self.object}"

    def perform(self, form: forms.Form) -> Requirement:
        line: Requirement = self.object  # type: ignore[assignment]
        return services.retire_requirement(
            line, actor=signed_in_user(self.request), reason=form.cleaned_data["reason"]
        )


class JobRoleCreateView(_CurriculumForm):
    form_class = JobRoleForm
    title = "New job role"
    success_message = "Job role created."

    def perform(self, form: forms.Form) -> JobRole:
        return services.create_job_role(actor=signed_in_user(self.request), **form.cleaned_data)

    def success_url(self, saved: JobRole) -> str:
        return reverse("training:job_role_detail", args=[saved.pk])


class MembersView(_CurriculumForm):
    """Who holds the job role; whoever joins is assigned the role's curriculum."""

    form_class = MembersForm
    success_message = "Holders saved."

    def get_object(self) -> JobRole:
        return get_or_404(JobRole.objects.all(), pk=self.kwargs["pk"])  # type: ignore[no-any-return]

    def get_title(self) -> str:
        return f"Holders of {self.object}"

    def get_initial(self) -> dict[str, Any]:
        role: JobRole = self.object  # type: ignore[assignment]
        return {"members": list(role.members.filter(is_active=True))}

    def cancel_url(self) -> str:
        return reverse("training:job_role_detail", args=[self.kwargs["pk"]])

    def perform(self, form: forms.Form) -> JobRole:
        role: JobRole = self.object  # type: ignore[assignment]
        services.set_members(
            role, actor=signed_in_user(self.request), members=form.cleaned_data["members"]
        )
        return role

    def success_url(self, saved: JobRole) -> str:
        return self.cancel_url()
