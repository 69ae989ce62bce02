"""Forms for any record type, built from its declaration."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models

from qualitas.core import records, validation
from qualitas.core.forms import StyledForm, style_fields
from qualitas.core.forms_signing import add_otp_code
from qualitas.core.models import Department, LinkKind, User


def record_form(record_type: records.RecordType, *, editing: bool) -> type[forms.ModelForm[Any]]:
    """A form with the record type's editable fields (and the version when editing)."""
    widgets: dict[str, Any] = {}
    for name in record_type.editable_fields:
        field = cast("models.Field[Any, Any]", record_type.model._meta.get_field(name))
        if field.get_internal_type() == "DateField":
            widgets[name] = forms.DateInput(attrs={"type": "date"})
        elif field.get_internal_type() == "TextField":
            # The browser stops typing and pasting at the limit; the form says it too.
            limit = validation.text_limit(field)
            widgets[name] = forms.Textarea(attrs={"rows": 4, "maxlength": limit})
    base = forms.modelform_factory(
        record_type.model, fields=list(record_type.editable_fields), widgets=widgets
    )

    class RecordForm(base):  # type: ignore[valid-type,misc]
        if editing:
            version = forms.IntegerField(widget=forms.HiddenInput)
            if record_type.regulated:
                reason = forms.CharField(
                    label="Reason for change", widget=forms.Textarea(attrs={"rows": 2})
                )

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for name in record_type.editable_fields:
                model_field = record_type.model._meta.get_field(name)
                limit = validation.text_limit(model_field)  # type: ignore[arg-type]
                if limit and isinstance(self.fields.get(name), forms.CharField):
                    self.fields[name].validators.append(MaxLengthValidator(limit))
            if not editing:
                for name in record_type.defaulted_on_create:
                    self.fields[name].required = False  # the module's service fills it
            style_fields(self)

    return RecordForm


class TransitionForm(StyledForm):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Comment"
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        required=False,
        label="Your password",
        help_text="Your password signs this step, as your handwritten signature would.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        needs_signature: bool,
        comment_required: bool,
        signer: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not needs_signature:
            del self.fields["password"]
        else:
            self.fields["password"].required = True
            add_otp_code(self, signer)
        if comment_required:
            self.fields["comment"].required = True
            self.fields["comment"].label = "Reason"


class AttachmentForm(StyledForm):
    file = forms.FileField()
    description = forms.CharField(max_length=200, required=False)


class RemovalForm(StyledForm):
    reason = forms.CharField(max_length=500)


class LinkForm(StyledForm):
    target = forms.CharField(max_length=40, label="Record number", help_text="e.g. DEV-2026-0003")
    kind = forms.ChoiceField(choices=LinkKind.choices)
    note = forms.CharField(max_length=200, required=False)


class ActionForm(StyledForm):
    title = forms.CharField(max_length=200)
    assignee = forms.ModelChoiceField(
        User.objects.filter(is_active=True).exclude(username="system"), required=False
    )
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True), required=False)
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CompletionForm(StyledForm):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What was done")
