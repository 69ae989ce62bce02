"""Forms of the parts pages; they collect input, qualitas.inspection.parts validates the rest
(uniqueness, the limits a kind carries) and names the field it refuses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps

from qualitas.core.forms import StyledForm
from qualitas.inspection.models import CharacteristicClass, CharacteristicKind
from qualitas.inspection.parts import MAX_DECIMALS


def _document_by_number(value: str) -> Any:
    """A controlled document named by its number (a list of every document would not do)."""
    value = (value or "").strip()
    if not value:
        return None
    document = apps.get_model("documents", "Document").objects.filter(number__iexact=value).first()
    if document is None:
        raise forms.ValidationError(f"No document numbered {value}.")
    return document


class PartForm(StyledForm):
    number = forms.CharField(max_length=60, help_text="Unique, as on the drawing")
    name = forms.CharField(max_length=200)
    customer = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PartEditForm(PartForm):
    is_active = forms.BooleanField(
        required=False, label="In use", help_text="Parts are never deleted, only taken out of use."
    )


class RevisionForm(StyledForm):
    revision = forms.CharField(max_length=20, help_text="The revision letter or number, e.g. C")
    description = forms.CharField(max_length=200, required=False)
    drawing = forms.CharField(
        max_length=40, required=False, help_text="The controlled drawing's document number"
    )
    released_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), required=False, label="Released on"
    )
    is_current = forms.BooleanField(
        required=False,
        initial=True,
        label="Current revision",
        help_text="New inspection plans are written for the current revision.",
    )

    def clean_drawing(self) -> Any:
        return _document_by_number(self.cleaned_data.get("drawing", ""))


class CharacteristicForm(StyledForm):
    number = forms.CharField(max_length=20, help_text="The balloon number on the drawing")
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=CharacteristicKind.choices)
    char_class = forms.ChoiceField(
        choices=CharacteristicClass.choices, initial=CharacteristicClass.MAJOR, label="Class"
    )
    special_mark = forms.CharField(
        max_length=10, required=False, help_text="A special characteristic's mark, e.g. SC or CC"
    )
    nominal = forms.FloatField(required=False, help_text="Measured (variable) only")
    lsl = forms.FloatField(required=False, label="Lower specification limit (LSL)")
    usl = forms.FloatField(required=False, label="Upper specification limit (USL)")
    unit = forms.CharField(max_length=20, required=False, help_text="e.g. mm")
    decimals = forms.IntegerField(
        min_value=0,
        max_value=MAX_DECIMALS,
        initial=3,
        help_text="Decimals a measurement may carry: no more than the gauge resolves",
    )
    gauge_type = forms.CharField(max_length=80, required=False, label="Gauge type")
    method = forms.CharField(
        max_length=40, required=False, help_text="The inspection method's document number"
    )

    def clean_method(self) -> Any:
        return _document_by_number(self.cleaned_data.get("method", ""))


class CharacteristicEditForm(CharacteristicForm):
    is_active = forms.BooleanField(required=False, label="In use")
