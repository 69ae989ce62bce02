"""Recording a study, its panel on the record page, and its PDF report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.views import signed_in_user
from qualitas.studies import parsing, policy, report, services
from qualitas.studies.forms import StudyForm
from qualitas.studies.models import ChartType, SpcStudy


def measurements_from(table: parsing.Table, data: dict[str, Any]) -> services.Measurements:
    """Turn the chosen columns into what the analysis needs (errors name rows and columns)."""
    kind = data["chart_type"]
    # The sample and size columns are numbers too, but never the measurements.
    others = tuple(data.get(name) or "" for name in ("subgroup_column", "size_column"))
    column = data.get("value_column") or table.first_numeric_column(skip=others)
    if not column:
        raise InvalidInput.for_field(
            "value_column",
            f"No column of numbers was found among {', '.join(table.headers)}: "
            "name the column of measurements.",
        )
    values = table.numbers(column, field="value_column", whole=kind in (ChartType.NP, ChartType.C))
    labels = None
    if data.get("subgroup_column"):
        labels = table.column(data["subgroup_column"], field="subgroup_column")
    sizes = None
    if data.get("size_column"):
        sizes = table.numbers(data["size_column"], field="size_column", whole=True)
    return services.Measurements(
        chart_type=kind,
        values=values,
        subgroup_labels=labels,
        subgroup_size=data.get("subgroup_size"),
        sizes=sizes,
        lsl=data.get("lsl"),
        usl=data.get("usl"),
        target=data.get("target"),
        rules=data.get("rules") or "nelson",
    )


@login_required
def study_create(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    policy.require_record_studies(actor)
    form = StudyForm(request.POST or None, request.FILES or None, initial={"site": actor.site})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("file"):
                upload = data["file"]
                table = parsing.parse_upload(upload.read(), upload.name)
                source = upload.name
            else:
                table, source = parsing.parse_text(data["pasted"]), "pasted data"
            study = services.record_study(
                actor=actor,
                title=data["title"],
                characteristic=data["characteristic"],
                unit=data["unit"],
                description=data["description"],
                site=data["site"],
                department=data["department"],
                source_name=source,
                measurements=measurements_from(table, data),
            )
        except InvalidInput as exc:
            for error in exc.errors:
                target = error.field if error.field in form.fields else None
                if error.field == "data":
                    target = "file" if data.get("file") else "pasted"
                form.add_error(target, error.message)
        else:
            messages.success(request, f"{study.number} recorded.")
            return redirect("core:record_detail", "spc-studies", study.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "studies/study_form.html", {"form": form, "title": "New SPC study"}, status=status
    )


def study_panel(study: SpcStudy, request: HttpRequest) -> str:
    """The chart, its signals and the capability, shown on the study's record page."""
    results = study.results
    chart_data = {
        "charts": [
            {
                "title": c["title"],
                "statistic": c["statistic"],
                "center": c["center"],
                "lcl": c["lcl"],
                "ucl": c["ucl"],
                "violations": c["violations"],
            }
            for c in results.get("charts", [])
        ],
        "histogram": results.get("histogram"),
        "lsl": study.lsl,
        "usl": study.usl,
        "target": study.target,
        "unit": study.unit,
    }
    context = {
        "study": study,
        "results": results,
        "chart_data": chart_data,
        "capability": results.get("capability"),
        "verdict": services.control_verdict(results),
        "report_url": reverse("studies:study_report", args=[study.pk]),
    }
    return render_to_string("studies/_panel.html", context, request=request)


@login_required
def study_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The study as a PDF a quality engineer can file or hand to a customer."""
    actor = signed_in_user(request)
    study = records.get_visible(actor, records.RECORD_TYPES["spcstudy"], pk)
    pdf = report.study_pdf(study, printed_by=actor.printed_name)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{study.number}.pdf"'
    return response
