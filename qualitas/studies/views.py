"""Recording a study, its panel on the record page, and its PDF report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.views import signed_in_user
from qualitas.studies import analyses, parsing, policy, report, services
from qualitas.studies.analyses import base
from qualitas.studies.forms import AnalysisForm, StudyForm
from qualitas.studies.models import AnalysisKind, ChartType, SpcStudy


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
        capability_method=data.get("capability_method") or "normal",
        bound=data.get("bound") or "two-sided",
    )


def kinds() -> list[dict[str, str]]:
    """The kinds of study a person can start, for the chooser above every new-study form."""
    chart = {
        "key": "chart",
        "label": AnalysisKind.CHART.label,
        "url": reverse("studies:study_create"),
    }
    return [chart] + [
        {"key": a.key, "label": a.label, "url": reverse("studies:analysis_create", args=[a.key])}
        for a in analyses.ANALYSES.values()
    ]


def _show_errors(form: AnalysisForm | StudyForm, exc: InvalidInput, *, from_file: bool) -> None:
    """Put each error on the field it names; errors about the data go on the file or the
    pasted cells, errors about fields the form has not got above the form."""
    for error in exc.errors:
        target = error.field if error.field in form.fields else None
        if target is None and "file" in form.fields and error.field not in ("__all__",):
            target = "file" if from_file else "pasted"
            message = error.message if error.field == "data" else f"{error.field}: {error.message}"
            form.add_error(target, message)
            continue
        form.add_error(target, error.message)


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
            _show_errors(form, exc, from_file=bool(data.get("file")))
        else:
            messages.success(request, f"{study.number} recorded.")
            return redirect("core:record_detail", "spc-studies", study.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "title": "New SPC study", "kinds": kinds(), "current": "chart"}
    return render(request, "studies/study_form.html", context, status=status)


@login_required
def analysis_create(request: HttpRequest, kind: str) -> HttpResponse:
    """A new study of one of the analyses: its form, run, and kept as a study."""
    actor = signed_in_user(request)
    policy.require_record_studies(actor)
    analysis = analyses.ANALYSES.get(kind)
    if analysis is None:
        raise Http404("No such analysis.")
    form = analysis.form(
        request.POST or None,
        request.FILES or None,
        initial={"site": actor.site},
        subject=analysis.subject,
        needs_subject=analysis.needs_subject,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            table, source = None, ""
            if form.takes_data and data.get("file"):
                upload = data["file"]
                table, source = parsing.parse_upload(upload.read(), upload.name), upload.name
            elif form.takes_data:
                table, source = parsing.parse_text(data["pasted"]), "pasted data"
            inputs = base.validate(analysis, form.inputs(table))
            study = services.record_analysis(
                actor=actor,
                analysis=analysis,
                inputs=inputs,
                title=data["title"],
                characteristic=data.get("characteristic") or "",
                description=data.get("description") or "",
                site=data.get("site"),
                department=data.get("department"),
                source_name=source,
            )
        except InvalidInput as exc:
            _show_errors(form, exc, from_file=bool(data.get("file")))
        else:
            messages.success(request, f"{study.number} recorded.")
            return redirect("core:record_detail", "spc-studies", study.pk)
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "title": f"New study: {analysis.label}",
        "analysis": analysis,
        "kinds": kinds(),
        "current": analysis.key,
    }
    return render(request, "studies/study_form.html", context, status=status)


def _figures(study: SpcStudy, analysis: analyses.Analysis) -> list[dict[str, str]]:
    return [
        {
            "name": f.name,
            "title": f.title,
            "alt": f.alt,
            "url": reverse("studies:study_figure", args=[study.pk, f.name]),
        }
        for f in analysis.figures
        if f.shown(study.parameters, study.results)
    ]


def study_panel(study: SpcStudy, request: HttpRequest) -> str:
    """The study's results on its record page: the chart, its signals and the capability, or
    the panel of the analysis it holds."""
    analysis = analyses.ANALYSES.get(study.analysis)
    if analysis is not None:
        context = {
            "study": study,
            "analysis": analysis,
            "params": study.parameters,
            "results": study.results,
            "figures": _figures(study, analysis),
            "report_url": reverse("studies:study_report", args=[study.pk]),
        }
        return render_to_string("studies/_analysis_panel.html", context, request=request)
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


@login_required
def study_figure(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One picture of a study's results, drawn from what the study keeps (PNG)."""
    actor = signed_in_user(request)
    study = records.get_visible(actor, records.RECORD_TYPES["spcstudy"], pk)
    analysis = analyses.ANALYSES.get(study.analysis)
    figure = analysis.figure(name) if analysis is not None else None
    if figure is None or not figure.shown(study.parameters, study.results):
        raise Http404("This study has no such picture.")
    png = report.figure_png(figure, study)
    response = HttpResponse(png, content_type="image/png")
    # A study's inputs and results never change after it is recorded.
    response["Cache-Control"] = "private, max-age=86400"
    return response
