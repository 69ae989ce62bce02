"""Pages of the Gage R&R studies: the list (filter by gauge, CSV/XLSX export), the way to the
SPC study holding the ANOVA and charts, and a form recording a study from pasted data."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from qualitas.core import permissions
from qualitas.core.errors import FieldError, InvalidInput, NotFound
from qualitas.core.forms import StyledForm
from qualitas.core.queries import get_or_404
from qualitas.core.views import signed_in_user
from qualitas.core.views.generic import ObjectListView, ServiceFormView
from qualitas.inspection import gagestudies, workflows as w
from qualitas.inspection.models import Characteristic, CharacteristicKind, GageStudy, Gauge

# What the pasted data is about: errors on these land on the data field of the form.
DATA_FIELDS = ("parts", "operators", "values", "data", "measurements")


class GageStudyTable(tables.Table):  # django-tables2 has no hints
    studied_on = tables.DateColumn(format="Y-m-d", verbose_name="Studied")
    gauge = tables.Column(linkify=("inspection:gauge_detail", {"pk": tables.A("gauge_id")}))
    characteristic = tables.Column(default="—")
    study_number = tables.Column(
        verbose_name="SPC study",
        linkify=("inspection:gagestudy_spc", {"pk": tables.A("pk")}),
    )
    percent_grr = tables.Column(verbose_name="%GRR (study var)")
    percent_tolerance = tables.Column(verbose_name="% tolerance", default="—")
    ndc = tables.Column(verbose_name="ndc")
    verdict = tables.Column()

    class Meta:
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No Gage R&R studies match these filters."
        order_by = ("-studied_on",)

    def render_percent_grr(self, value: float) -> str:
        return f"{value:.1f}"

    def render_percent_tolerance(self, value: float) -> str:
        return f"{value:.1f}"


class GageStudyFilterSet(django_filters.FilterSet):  # nor django-filter
    gauge = django_filters.ModelChoiceFilter(queryset=Gauge.objects.all())
    verdict = django_filters.ChoiceFilter(
        choices=[(g, g.capitalize()) for g in ("acceptable", "marginal", "unacceptable")]
    )

    class Meta:
        model = GageStudy
        fields = ["gauge", "verdict"]


class GageStudyListView(ObjectListView):
    permission = w.VIEW
    table_class = GageStudyTable
    filterset_class = GageStudyFilterSet
    title = "Gage R&R studies"
    export_name = "gage-studies"
    create_url_name = "inspection:gagestudy_create"
    create_permission = w.CALIBRATE

    def get_queryset(self) -> QuerySet[GageStudy]:
        return gagestudies.studies_listed()


@login_required
def gagestudy_spc(request: HttpRequest, pk: int) -> HttpResponse:
    """The SPC study a Gage R&R study's figures came from (found by its number)."""
    viewer = signed_in_user(request)
    permissions.require(viewer, w.VIEW)
    study = get_or_404(GageStudy.objects.all(), pk=pk)
    found = gagestudies.spc_study_pk(study, viewer)
    if found is None:
        raise NotFound(f"No SPC study {study.study_number} that you may see.")
    return HttpResponseRedirect(reverse("core:record_detail", args=["spc-studies", found]))


def parse_rows(text: str) -> tuple[list[str], list[str], list[float]]:
    """Pasted rows of part, operator, value (comma, semicolon or tab separated; a header
    line is skipped); a wrong row is named by its line."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise InvalidInput.for_field(
            "measurements", "Paste the measurements: part, operator, value."
        )
    # Tab from a spreadsheet, semicolon where the decimal mark is a comma, else comma.
    first = lines[0]
    delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    parts: list[str] = []
    operators: list[str] = []
    values: list[float] = []
    errors: list[FieldError] = []
    for number, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if len(cells) != 3:
            errors.append(
                FieldError(
                    "measurements",
                    f"Line {number}: give part, operator and value ({len(cells)} cells found).",
                )
            )
            continue
        try:
            value = float(cells[2].replace(",", ".")) if delimiter == ";" else float(cells[2])
        except ValueError:
            if number == 1 and not parts:  # a header line
                continue
            errors.append(
                FieldError("measurements", f"Line {number}: {cells[2]!r} is not a number.")
            )
            continue
        if not math.isfinite(value) or not cells[0] or not cells[1]:
            errors.append(
                FieldError("measurements", f"Line {number}: a cell is empty or not finite.")
            )
            continue
        parts.append(cells[0])
        operators.append(cells[1])
        values.append(value)
    if errors:
        raise InvalidInput(errors[:20])
    return parts, operators, values


class GageStudyForm(StyledForm):
    gauge = forms.ModelChoiceField(queryset=Gauge.objects.exclude(status="retired"))
    characteristic = forms.ModelChoiceField(
        queryset=Characteristic.objects.filter(kind=CharacteristicKind.VARIABLE, is_active=True)
        .select_related("revision__part")
        .order_by("revision__part__number", "revision__revision", "number"),
        required=False,
        help_text="The variable characteristic the gauge measures (its limits give the tolerance)",
    )
    title = forms.CharField(max_length=200)
    tolerance = forms.FloatField(
        required=False, min_value=0, help_text="USL - LSL; default: the characteristic's limits"
    )
    method = forms.ChoiceField(
        choices=(("anova", "ANOVA"), ("average_range", "Average and range (AIAG)"))
    )
    measurements = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
        help_text="One measurement a line: part, operator, value (e.g. 1,A,0.29)",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["characteristic"].label_from_instance = lambda c: (  # type: ignore[attr-defined]
            f"{c.revision.part.number} rev {c.revision.revision} · {c.number} {c.name}"
        )


def _on_data(error: FieldError) -> bool:
    return error.field.split(".")[0] in DATA_FIELDS


class GageStudyCreateView(ServiceFormView):
    form_class = GageStudyForm
    title = "Record a Gage R&R study"
    permission = w.CALIBRATE
    success_message = "Gage R&R study recorded."

    def get_initial(self) -> dict[str, Any]:
        gauge = self.request.GET.get("gauge", "")
        return {"gauge": gauge} if gauge.isdigit() else {}

    def perform(self, form: forms.Form) -> GageStudy:
        data = form.cleaned_data
        parts, operators, values = parse_rows(data["measurements"])
        try:
            return gagestudies.record_gage_study(
                actor=signed_in_user(self.request),
                gauge=data["gauge"],
                characteristic=data["characteristic"],
                parts=parts,
                operators=operators,
                values=values,
                tolerance=data["tolerance"],
                title=data["title"],
                method=data["method"],
            )
        except InvalidInput as exc:
            # The engine names its arrays; on the page they are the pasted data.
            raise InvalidInput(
                [FieldError("measurements", e.message) if _on_data(e) else e for e in exc.errors]
            ) from None

    def success_url(self, saved: GageStudy) -> str:
        return f"{reverse('inspection:gagestudy_list')}?gauge={saved.gauge_id}"
