"""Forms of the gauge pages; they collect input, qualitas.inspection.gauges validates the
rest (unique identifier, range, interval) and names the field it refuses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps

from qualitas.core.forms import StyledForm
from qualitas.core.models import Site, User
from qualitas.inspection.models import GaugeStatus


class GaugeForm(StyledForm):
    identifier = forms.CharField(max_length=40, help_text="The label on the gauge, e.g. GA-0012")
    name = forms.CharField(max_length=120)
    gauge_type = forms.CharField(max_length=80, label="Type", help_text="e.g. Micrometer")
    location = forms.CharField(max_length=120, required=False)
    site = forms.ModelChoiceField(queryset=Site.objects.all(), required=False)
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("last_name", "first_name"),
        required=False,
    )
    range_low = forms.FloatField(required=False, label="Range from")
    range_high = forms.FloatField(required=False, label="Range to")
    unit = forms.CharField(max_length=20, required=False, help_text="e.g. mm")
    resolution = forms.FloatField(required=False, help_text="The smallest step it reads")
    interval_days = forms.IntegerField(
        initial=365, label="Calibration interval (days)", help_text="At least 1"
    )
    procedure = forms.CharField(
        max_length=40, required=False, help_text="The calibration procedure's document number"
    )

    def clean_procedure(self) -> Any:
        value = (self.cleaned_data.get("procedure") or "").strip()
        if not value:
            return None
        document_model = apps.get_model("documents", "Document")
        document = document_model.objects.filter(number__iexact=value).first()
        if document is None:
            raise forms.ValidationError(f"No document numbered {value}.")
        return document


class GaugeStatusForm(StyledForm):
    status = forms.ChoiceField(choices=GaugeStatus.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept in the audit trail"
    )
