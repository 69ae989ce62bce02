"""Forms of the gauge pages; they collect input, qualitas.inspection.gauges validates the
rest (unique identifier, range, interval) and names the field it refuses. The calibration
pages add a table of calibration points, each row checked here so that an error names the
point and the cell; qualitas.inspection.calibrations judges the readings."""

from __future__ import annotations

import math
from typing import Any, cast

from django import forms
from django.apps import apps

from qualitas.core.forms import StyledForm
from qualitas.core.forms_records import record_form
from qualitas.core.models import Site, User
from qualitas.inspection.gauges import calibration_type
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


# ----------------------------------------------------------------------------- calibrations

# The cells of one calibration point in the order a technician reads them off the sheet, with
# the words an error uses for each ("Point 2: give the as-found reading").
POINT_CELLS = {
    "nominal": "nominal value",
    "as_found": "as-found reading",
    "as_left": "as-left reading",
    "tolerance": "tolerance",
}
# Rows the create page starts with: most calibration procedures check three points of the
# range (near the low end, the middle, near the high end).
NEW_POINTS = 3


def calibration_form(*, editing: bool) -> type[forms.ModelForm[Any]]:
    """The record form of calibrations (the generic one, as the API's fields) without the
    readings, which the points table collects."""
    base = record_form(calibration_type(), editing=editing)

    class CalibrationForm(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            del self.fields["readings"]

    return CalibrationForm


def _cell(label: str, **attrs: str) -> forms.CharField:
    # A number input brings up the number keys on a tablet, minus sign included (a reading
    # below nominal); the text is parsed here so that an error names the point and the cell.
    widget = forms.NumberInput(
        attrs={"step": "any", "autocomplete": "off", "class": "form-control text-end", **attrs}
    )
    return forms.CharField(label=label, required=False, widget=widget)


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class CalibrationPointForm(forms.Form):
    """One calibration point: the gauge read against a reference standard of known value."""

    nominal = _cell("Nominal")
    as_found = _cell("As found")
    as_left = _cell("As left")
    # Always positive: the decimal keys suffice.
    tolerance = _cell("Tolerance (±)", inputmode="decimal", min="0")

    def __init__(self, *args: Any, point: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.point = point  # the row's number as the page shows it, from 1
        for name, field in self.fields.items():
            # Each cell needs a label of its own: a screen reader does not read the header.
            field.widget.attrs.update(
                {"aria-label": f"Point {point}: {field.label}", "data-cell": name}
            )

    def clean(self) -> dict[str, Any]:
        """The point as numbers; {} for an empty row, which is no point at all."""
        texts = {name: (self.cleaned_data.get(name) or "").strip() for name in POINT_CELLS}
        if not any(texts.values()):
            return {}
        point: dict[str, Any] = {}
        for name, words in POINT_CELLS.items():
            if not texts[name]:
                self.add_error(name, f"Point {self.point}: give the {words}.")
            elif (number := _number(texts[name])) is None:
                self.add_error(name, f"Point {self.point}: the {words} is not a number.")
            else:
                point[name] = number
        # The service refuses it too, but by its place among the filled rows; here it is
        # named by the row the technician sees.
        if point.get("tolerance", 1.0) <= 0:
            self.add_error("tolerance", f"Point {self.point}: the tolerance must be above zero.")
        return point


class BaseCalibrationPointFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "point": (index or 0) + 1}

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.readings():
            raise forms.ValidationError(
                "Give at least one calibration point: its nominal value, the readings as "
                "found and as left, and the tolerance."
            )

    def readings(self) -> list[dict[str, float]]:
        """The filled points in the order of the rows: what record_calibration takes."""
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


# No extra rows of its own: the page gives the rows (empty ones on a new calibration, the
# stored points on an edit), and without JavaScript a row left empty is simply ignored.
CalibrationPointFormSet = cast(
    "type[BaseCalibrationPointFormSet]",
    forms.formset_factory(CalibrationPointForm, formset=BaseCalibrationPointFormSet, extra=0),
)
