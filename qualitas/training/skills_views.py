"""Skills pages (/training/skills/…): the list with how many people meet or miss each
skill's level (CSV/XLSX), a skill's page (levels asked, people assessed, gaps), the forms
to write skills, ask a level of a job role and assess a person, and the skills matrix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from qualitas.core import exports, permissions
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.forms import StyledForm
from qualitas.core.models import Department, Site, User
from qualitas.core.pagination import ListPaginator
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ServiceFormView
from qualitas.training import matrix, skills, workflows as w
from qualitas.training.models import JobRole, Skill, SkillLevel, SkillRequirement

PEOPLE_PER_PAGE = 50
LEVELS = [("", "—"), *SkillLevel.choices]


def _filter_choices(user: User) -> dict[str, Any]:
    """The sites and departments the user sees, and the job roles, for the filter boxes."""
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    site_choices = Site.objects.order_by("name")
    department_choices = Department.objects.select_related("site").order_by("site__name", "name")
    if sites is not None:
        site_choices = site_choices.filter(pk__in=sites)
        department_choices = department_choices.filter(site_id__in=sites)
    return {
        "sites": site_choices,
        "departments": department_choices,
        "job_roles": JobRole.objects.filter(active=True).order_by("name"),
    }


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return query.urlencode()


# --- The list ----------------------------------------------------------------------------------

LIST_HEADINGS = [
    "Skill",
    "Site",
    "Description",
    "People required",
    "Meet the level",
    "Below the level",
    "Not assessed",
]


def _list_rows(user: User, filters: skills.Filters) -> list[tuple[Skill, skills.Tally]]:
    counts = skills.tallies(user, filters)
    return [(skill, counts.get(skill.pk, skills.Tally())) for skill in skills.skills(filters)]


def _export_rows(rows: list[tuple[Skill, skills.Tally]]) -> Iterator[list[object]]:
    yield list[object](LIST_HEADINGS)
    for skill, tally in rows:
        yield [
            skill.name,
            skill.site.name if skill.site else "All sites",
            skill.description,
            tally.required,
            tally.meets,
            tally.below,
            tally.not_assessed,
        ]


@login_required
def skill_list(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW_RECORDS)
    filters = skills.filters_from(request.GET)
    rows = _list_rows(user, filters)
    export = request.GET.get("export")
    if export == "csv":
        return exports.csv_response("skills", _export_rows(rows))
    if export == "xlsx":
        return exports.xlsx_stream("skills", _export_rows(rows), title="Skills")
    context = {
        "title": "Skills",
        "rows": rows,
        "filters": filters,
        "query": _query(request),
        "may_manage": permissions.has_perm(user, w.MANAGE),
        "may_assess": skills.may_assess_somewhere(user),
        **_filter_choices(user),
    }
    return render(request, "training/skills.html", context)


# --- One skill ---------------------------------------------------------------------------------


def _skill(pk: int) -> Skill:
    found: Skill = get_or_404(Skill.objects.select_related("site"), pk=pk)
    return found


@login_required
def skill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW_RECORDS)
    skill = _skill(pk)
    levels = SkillRequirement.objects.filter(skill=skill).select_related("job_role")
    context = {
        "title": skill.name,
        "skill": skill,
        "levels": levels.order_by("-active", "job_role__name"),
        "assessments": skills.assessments(skill, user),
        "gaps": skills.gaps(user, skills.Filters(), skill=skill),
        "states": skills.STATES,
        "may_manage": permissions.has_perm(user, w.MANAGE, site=skill.site),
        "may_assess": skills.may_assess_somewhere(user),
    }
    return render(request, "training/skills_detail.html", context)


class SkillForm(StyledForm):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    site = forms.ModelChoiceField(
        Site.objects.filter(is_active=True), required=False, empty_label="All sites"
    )
    active = forms.BooleanField(required=False, initial=True, label="In use")


class _SkillsForm(ServiceFormView):
    """A form of the skills pages: Cancel leads back to where one came from."""

    def cancel_url(self) -> str:
        if isinstance(self.object, Skill):
            return reverse("training:skill_detail", args=[self.object.pk])
        return reverse("training:skills")

    def success_url(self, saved: Any) -> str:
        skill = saved if isinstance(saved, Skill) else saved.skill
        return reverse("training:skill_detail", args=[skill.pk])


class SkillCreateView(_SkillsForm):
    form_class = SkillForm
    title = "New skill"
    permission = w.MANAGE
    success_message = "Skill created."

    def get_form(self, data: Any = None) -> forms.Form:
        form = super().get_form(data)
        del form.fields["active"]
        return form

    def perform(self, form: forms.Form) -> Skill:
        data = form.cleaned_data
        return skills.create_skill(
            actor=signed_in_user(self.request),
            name=data["name"],
            description=data["description"],
            site=data["site"],
        )


class SkillEditView(_SkillsForm):
    form_class = SkillForm
    permission = w.MANAGE
    success_message = "Skill saved."

    def get_object(self) -> Skill:
        return _skill(self.kwargs["pk"])

    def get_title(self) -> str:
        return f"Edit {self.object}"

    def get_initial(self) -> dict[str, Any]:
        skill = cast(Skill, self.object)
        return {
            "name": skill.name,
            "description": skill.description,
            "site": skill.site,
            "active": skill.active,
        }

    def perform(self, form: forms.Form) -> Skill:
        return skills.update_skill(
            cast(Skill, self.object), actor=signed_in_user(self.request), **form.cleaned_data
        )


class RequireLevelForm(StyledForm):
    job_role = forms.ModelChoiceField(JobRole.objects.filter(active=True).order_by("name"))
    minimum_level = forms.TypedChoiceField(choices=LEVELS, coerce=int, label="Minimum level")


class RequireLevelView(_SkillsForm):
    form_class = RequireLevelForm
    permission = w.MANAGE
    success_message = "Level required of the job role."

    def get_object(self) -> Skill:
        return _skill(self.kwargs["pk"])

    def get_title(self) -> str:
        return f"Require a level of {self.object}"

    def perform(self, form: forms.Form) -> SkillRequirement:
        data = form.cleaned_data
        return skills.require_level(
            actor=signed_in_user(self.request),
            job_role=data["job_role"],
            skill=cast(Skill, self.object),
            minimum_level=data["minimum_level"],
        )


@login_required
@require_POST
def withdraw_level(request: HttpRequest, pk: int, requirement: int) -> HttpResponse:
    user = signed_in_user(request)
    line: SkillRequirement = get_or_404(
        SkillRequirement.objects.select_related("skill", "job_role"), pk=requirement, skill_id=pk
    )
    try:
        skills.withdraw_level(line, actor=user, reason=request.POST.get("reason", ""))
    except InvalidInput as exc:
        messages.error(request, " ".join(error.message for error in exc.errors))
    else:
        messages.success(request, f"{line.job_role} no longer asks for {line.skill}.")
    return HttpResponseRedirect(reverse("training:skill_detail", args=[pk]))


class AssessForm(StyledForm):
    person = forms.ModelChoiceField(User.objects.none())
    level = forms.TypedChoiceField(choices=LEVELS, coerce=int)
    assessed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What you observed, or where the evidence is kept.",
    )


class AssessView(_SkillsForm):
    form_class = AssessForm
    success_message = "Assessment recorded."

    def get_object(self) -> Skill:
        return _skill(self.kwargs["pk"])

    def check_permission(self) -> None:
        if not skills.may_assess_somewhere(signed_in_user(self.request)):
            raise PermissionDenied(
                "You may not assess people: it needs the training coordinator's or "
                "assessor's permission."
            )

    def get_title(self) -> str:
        return f"Assess a person: {self.object}"

    def get_initial(self) -> dict[str, Any]:
        return {"assessed_on": timezone.localdate(), "person": self.request.GET.get("person")}

    def get_form(self, data: Any = None) -> forms.Form:
        form = super().get_form(data)
        user = signed_in_user(self.request)
        # The people the assessor sees; the service still checks each one's site.
        field = cast(forms.ModelChoiceField, form.fields["person"])  # type: ignore[type-arg]
        field.queryset = matrix.people(user, matrix.Filters()).exclude(pk=user.pk)
        return form

    def perform(self, form: forms.Form) -> Any:
        data = form.cleaned_data
        return skills.assess(
            actor=signed_in_user(self.request),
            person=data["person"],
            skill=cast(Skill, self.object),
            level=data["level"],
            assessed_on=data["assessed_on"],
            evidence=data["evidence"],
        )


# --- The skills matrix -------------------------------------------------------------------------


def _matrix_export(user: User, filters: skills.Filters) -> Iterator[list[object]]:
    columns = list(skills.skills(filters))
    yield ["Person", "Username", "Site", "Department", *(s.name for s in columns)]
    found = skills.people(user, filters)
    start = 0
    while True:
        chunk = list(found[start : start + matrix.EXPORT_CHUNK])
        for row in skills.matrix_rows(chunk, columns):
            person = row.person
            yield [
                person.printed_name,
                person.username,
                str(person.site) if person.site else "",
                str(person.department) if person.department else "",
                *(_export_cell(cell) for cell in row.cells),
            ]
        if len(chunk) < matrix.EXPORT_CHUNK:
            return
        start += matrix.EXPORT_CHUNK


def _export_cell(cell: skills.Standing) -> str:
    text = skills.cell_text(cell)
    if cell.state == skills.NOT_REQUIRED:
        return text
    return f"{text} ({skills.STATES[cell.state][0].lower()})"


@login_required
def skills_matrix(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW_RECORDS)
    filters = skills.filters_from(request.GET)
    export = request.GET.get("export")
    if export == "csv":
        return exports.csv_stream("skills-matrix", _matrix_export(user, filters))
    if export == "xlsx":
        return exports.xlsx_stream(
            "skills-matrix", _matrix_export(user, filters), title="Skills matrix"
        )
    columns = list(skills.skills(filters))
    page = ListPaginator(skills.people(user, filters), PEOPLE_PER_PAGE).page(
        request.GET.get("page", 1)
    )
    rows = [
        (
            row.person,
            [(cell, skills.cell_text(cell), *skills.STATES[cell.state]) for cell in row.cells],
        )
        for row in skills.matrix_rows(list(page.object_list), columns)
    ]
    context = {
        "title": "Skills matrix",
        "columns": columns,
        "rows": rows,
        "page": page,
        "states": skills.STATES,
        "filters": filters,
        "query": _query(request),
        **_filter_choices(user),
    }
    return render(request, "training/skills_matrix.html", context)
