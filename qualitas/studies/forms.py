"""The form for recording an SPC study from a file or pasted measurements."""

from __future__ import annotations

from typing import Any

from django import forms

from qualitas.core.forms import StyledForm
from qualitas.core.models import Department, Site
from qualitas.studies.models import ChartType, RuleSet

CAPABILITY_METHODS = (
    ("normal", "Normal"),
    ("auto", "Automatic (test normality first)"),
    ("percentile", "Percentile (Clements, any distribution)"),
    ("boxcox", "Box-Cox transformation"),
    ("johnson", "Johnson transformation"),
)


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
    capability_method = forms.ChoiceField(
        choices=CAPABILITY_METHODS,
        initial="normal",
        required=False,
        label="Capability method",
        help_text="Automatic keeps the normal method unless the Anderson-Darling test rejects it",
    )
    bound = forms.ChoiceField(
        choices=(("two-sided", "Two-sided 95 % intervals"), ("lower", "95 % lower bounds")),
        initial="two-sided",
        required=False,
        label="Confidence",
        help_text="A supplier requirement such as Cpk ≥ 1.33 is usually met by the lower bound",
    )
    site = forms.ModelChoiceField(Site.objects.filter(is_active=True), required=False)
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not (data.get("pasted") or "").strip():
            self.add_error("file", "Upload a file or paste the data.")
        return data


class AnalysisForm(StyledForm):
    """A study of one of `qualitas.studies.analyses`: the study's own fields here, the
    analysis's inputs in each kind's subclass, whose `inputs()` turns the cleaned form (and the
    table, for kinds that read one) into the dict the kind's Schema validates."""

    # Whether the inputs are read from a table: a file or pasted cells, with column names.
    takes_data = False

    title = forms.CharField(max_length=200)
    characteristic = forms.CharField(max_length=120, required=False)
    file = forms.FileField(required=False, help_text="CSV or Excel, with a header row")
    pasted = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        label="…or paste the data",
        help_text="Header row first; cells copied from a spreadsheet are read as they are.",
    )
    site = forms.ModelChoiceField(Site.objects.filter(is_active=True), required=False)
    department = forms.ModelChoiceField(Department.objects.filter(is_active=True), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, subject: str = "", needs_subject: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["characteristic"].label = subject or "Characteristic"
        self.fields["characteristic"].required = needs_subject
        if not self.takes_data:
            del self.fields["file"], self.fields["pasted"]
        # The study's own fields first and last, the analysis's inputs between them.
        own_first, own_last = ["title", "characteristic"], ["site", "department", "description"]
        middle = [n for n in self.fields if n not in own_first + own_last]
        self.order_fields(own_first + middle + own_last)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.takes_data and not data.get("file") and not (data.get("pasted") or "").strip():
            self.add_error("file", "Upload a file or paste the data.")
        return data

    # The study's own fields; every other field of a kind's form is one of its inputs.
    STUDY_FIELDS = frozenset(
        {"title", "characteristic", "file", "pasted", "site", "department", "description"}
    )

    def inputs(self, table: Any) -> dict[str, Any]:
        """The analysis's inputs from the cleaned form and the table (None without data): by
        default the kind's own fields as cleaned; kinds that read a table or parse a field
        override it."""
        return {
            name: self.cleaned_data.get(name)
            for name in self.fields
            if name not in self.STUDY_FIELDS
        }
