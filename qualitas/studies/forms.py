"""The form for recording an SPC study from a file or pasted measurements."""

from __future__ import annotations

from typing import Any

from django import forms

from qualitas.core.forms import StyledForm
from qualitas.core.models import Department, Site
from qualitas.studies.models import ChartType, RuleSet


class StudyForm(StyledForm):
    title = forms.CharField(max_length=200, help_text="e.g. Bore diameter, line 3, week 46")
    characteristic = forms.CharField(max_length=120, help_text="What was measured or counted")
    unit = forms.CharField(max_length=20, required=False, help_text="e.g. mm")
    chart_type = forms.ChoiceField(choices=ChartType.choices, initial=ChartType.XBAR_R)
    file = forms.FileField(required=False, help_text="CSV or Excel, with a header row")
    pasted = forms.CharField(
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "sample,diameter\n1,74.030\n1,74.002"}
        ),
        required=False,
        label="…or paste the data",
        help_text="Header row first. Decimal commas are read when the columns are separated "
        "by tabs (cells copied from a spreadsheet) or semicolons.",
    )
    value_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="Measurements or counts (default: the first numeric column)",
    )
    subgroup_column = forms.CharField(
        max_length=120, required=False, help_text="X-bar charts: the sample each value belongs to"
    )
    subgroup_size = forms.IntegerField(
        min_value=1,
        required=False,
        help_text="X-bar charts without a sample column; p, np, u charts with one sample size",
    )
    size_column = forms.CharField(
        max_length=120, required=False, help_text="p, np, u charts: the sample sizes"
    )
    lsl = forms.FloatField(required=False, label="LSL", help_text="Lower specification limit")
    usl = forms.FloatField(required=False, label="USL", help_text="Upper specification limit")
    target = forms.FloatField(required=False)
    rules = forms.ChoiceField(choices=RuleSet.choices, initial=RuleSet.NELSON, label="Run rules")
    site = forms.ModelChoiceField(Site.objects.filter(is_active=True), required=False)
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not (data.get("pasted") or "").strip():
            self.add_error("file", "Upload a file or paste the data.")
        return data
