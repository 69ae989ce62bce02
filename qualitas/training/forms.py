"""Forms of the course and curriculum pages; they collect input, qualitas.training.services
validates the rest (a unique course code, exactly one audience and one item, a controlled
document that exists) and names the field it refuses."""

from __future__ import annotations

from typing import Any

from django import forms

from qualitas.core.forms import StyledForm
from qualitas.core.models import Department, Site, User
from qualitas.training.models import Course, CourseKind, JobRole


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class CourseForm(StyledForm):
    code = forms.SlugField(
        max_length=30, help_text="Short code, unique, e.g. FA-01 (letters, digits, - and _)"
    )
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=CourseKind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    validity_months = forms.IntegerField(
        min_value=1,
        max_value=240,
        required=False,
        label="Validity (months)",
        help_text="Empty: once trained, trained for good (e.g. 24 for first aid)",
    )
    owner = forms.ModelChoiceField(
        queryset=_people(), required=False, help_text="Who answers for it (you, when empty)"
    )


class CourseEditForm(CourseForm):
    """The code names the course in curricula, imports and `works_under`: it stays."""

    active = forms.BooleanField(
        required=False, label="In use", help_text="Clear it to take the course out of use"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["code"]
        self.fields["owner"].required = True
        self.fields["owner"].help_text = "Who answers for it"


class RequirementForm(StyledForm):
    """A curriculum line: one audience (job role, department or site), one item (a
    controlled document by number, or a course)."""

    job_role = forms.ModelChoiceField(
        queryset=JobRole.objects.filter(active=True), required=False, label="Job role"
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True).select_related("site"),
        required=False,
    )
    site = forms.ModelChoiceField(queryset=Site.objects.filter(is_active=True), required=False)
    document_number = forms.CharField(
        max_length=40,
        required=False,
        label="Controlled document",
        help_text="Its number, e.g. SOP-0007: each new effective revision asks again",
    )
    course = forms.ModelChoiceField(queryset=Course.objects.filter(active=True), required=False)
    gating = forms.BooleanField(
        required=False,
        label="Gating",
        help_text="Work under it is refused to anyone not currently trained",
    )
    validity_months = forms.IntegerField(
        min_value=1,
        max_value=240,
        required=False,
        label="Validity (months)",
        help_text="Overrides the course's validity for this audience",
    )
    due_within_days = forms.IntegerField(
        min_value=0, max_value=365, initial=30, label="Due within (days)"
    )


class RetireForm(StyledForm):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit trail; open assignments of the line are cancelled",
    )


class JobRoleForm(StyledForm):
    name = forms.CharField(max_length=80)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class MembersForm(StyledForm):
    members = forms.ModelMultipleChoiceField(
        queryset=_people(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 15}),
        help_text="Whoever joins is assigned what the role's curriculum asks and they lack",
    )
