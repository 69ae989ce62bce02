"""Forms of the organisation pages; they collect input, services do the rest."""

from __future__ import annotations

import functools
from typing import Any

from django import forms

from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.models import Department, Role, Site, User


def style_fields(form: forms.BaseForm, *, small: bool = False) -> forms.BaseForm:
    """Give widgets Bootstrap's classes (forms stay free of presentation otherwise)."""
    size = " form-control-sm" if small else ""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select" + (" form-select-sm" if small else ""))
        else:
            widget.attrs.setdefault("class", "form-control" + size)
    return form


class _FetchedChoices(forms.models.ModelChoiceIterator):
    """Options read with one plain query. Django reads a ModelChoiceField's options with
    `QuerySet.iterator()`, which on PostgreSQL opens a server-side cursor (DECLARE, FETCH,
    CLOSE: three round trips) for lists of a few dozen sites, people or codes."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


def fetch_choices_at_once(form: forms.BaseForm) -> forms.BaseForm:
    """Read the form's model choices in one query each (see `_FetchedChoices`); the
    iterator's own additions (django-filter's "none" option) stay."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            own: type = field.iterator
            field.iterator = _fetched(own)
            field.widget.choices = field.choices  # the widget holds its own iterator
    return form


@functools.cache
def _fetched(own: type) -> type:
    if own is forms.models.ModelChoiceIterator or issubclass(own, _FetchedChoices):
        return _FetchedChoices if own is forms.models.ModelChoiceIterator else own
    return type(f"Fetched{own.__name__}", (own, _FetchedChoices), {})


def put_errors(form: forms.BaseForm, exc: QualitasError) -> None:
    """A service's refusal on the form: invalid fields on their fields (or above the form
    when it has no such field); a conflict or a refusal, which explains itself, above it."""
    if not isinstance(exc, InvalidInput):
        form.add_error(None, exc.detail)
        return
    for error in exc.errors:
        form.add_error(error.field if error.field in form.fields else None, error.message)


class StyledForm(forms.Form):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        style_fields(self)


class SiteForm(StyledForm):
    code = forms.SlugField(max_length=20, help_text="Short code, e.g. BRN")
    name = forms.CharField(max_length=120)
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_active = forms.BooleanField(required=False, initial=True, label="In use")


class DepartmentForm(StyledForm):
    code = forms.SlugField(max_length=20)
    name = forms.CharField(max_length=120)
    site = forms.ModelChoiceField(
        Site.objects.filter(is_active=True), required=False, empty_label="All sites"
    )
    head = forms.ModelChoiceField(
        User.objects.filter(is_active=True), required=False, label="Head of department"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="In use")


class UserForm(StyledForm):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    job_title = forms.CharField(max_length=120, required=False)
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True), required=False)
    site = forms.ModelChoiceField(Site.objects.filter(is_active=True), required=False)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="At least 12 characters, not a common password. Leave empty to set it later.",
    )


class UserEditForm(UserForm):
    reason = forms.CharField(
        max_length=500,
        required=False,
        help_text="Needed when the name or e-mail changes: signatures show who signed by them.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["username"]
        del self.fields["password"]


class RoleGrantForm(StyledForm):
    role = forms.ModelChoiceField(Role.objects.all(), empty_label="Choose a role")
    site = forms.ModelChoiceField(
        Site.objects.filter(is_active=True), required=False, empty_label="All sites"
    )


class TokenForm(StyledForm):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. 'CI upload'")
    expires_in_days = forms.IntegerField(min_value=1, initial=90, label="Expires in (days)")
