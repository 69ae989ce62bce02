"""Forms of the scope, coverage and requirement pages; they collect input, the services
validate the rest and name the field they refuse."""

from __future__ import annotations

from typing import Any

from django import forms

from qualitas.compliance.models import EvidenceKind, Framework, Implementation, Scope
from qualitas.core.forms import StyledForm
from qualitas.core.models import Site, User


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username")


class ScopeForm(StyledForm):
    framework = forms.ModelChoiceField(queryset=Framework.objects.order_by("name"))
    site = forms.ModelChoiceField(
        queryset=Site.objects.order_by("name"),
        required=False,
        empty_label="Whole organisation",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What is in scope: products, processes, locations",
    )
    certified = forms.BooleanField(required=False)
    certification_body = forms.CharField(max_length=120, required=False)
    certificate_number = forms.CharField(max_length=60, required=False)
    certified_until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class EvidenceForm(StyledForm):
    kind = forms.ChoiceField(choices=EvidenceKind.choices)
    scope = forms.ModelChoiceField(
        queryset=Scope.objects.none(),
        required=False,
        empty_label="Wherever the framework applies",
    )
    reference = forms.CharField(
        max_length=80,
        required=False,
        help_text="A document number (SOP-0007) or a record number (CAPA-2026-0003)",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What it shows; for a justification, the justification itself",
    )

    def __init__(self, *args: Any, scopes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].queryset = scopes if scopes is not None else Scope.objects.none()  # type: ignore[attr-defined]


class ApplicabilityForm(StyledForm):
    applicable = forms.TypedChoiceField(
        choices=[("yes", "Applicable"), ("no", "Not applicable")],
        coerce=lambda value: value == "yes",
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Required when it does not apply",
    )
    implementation = forms.ChoiceField(choices=Implementation.choices)
    owner = forms.ModelChoiceField(queryset=_people(), required=False)


class RemoveEvidenceForm(StyledForm):
    reason = forms.CharField(max_length=500)
