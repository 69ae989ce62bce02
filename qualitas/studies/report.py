"""The PDF report of an SPC study: summary, signals, control chart and capability."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from django.utils import timezone

from qualitas.core import recordapi
from qualitas.spc import capability
from qualitas.spc.formatting import format_index, format_limit, format_ppm, format_spec
from qualitas.spc.plot import _pyplot, capability_figure, charts_figure, wrap_to_width
from qualitas.studies import analyses, services
from qualitas.studies.analyses import Analysis, Figure
from qualitas.studies.models import SpcStudy


def measurements_of(study: SpcStudy) -> services.Measurements:
    """The study's stored data, as the analysis takes it."""
    values = [float("nan") if v is None else float(v) for v in study.data.get("values", [])]
    return services.Measurements(
        chart_type=study.chart_type,
        values=values,
        subgroup_labels=study.data.get("subgroups"),
        subgroup_size=study.subgroup_size,
        sizes=study.data.get("sizes"),
        lsl=study.lsl,
        usl=study.usl,
        target=study.target,
        rules=study.rules,
        capability_method=study.parameters.get("capability_method", "normal"),
        bound=study.parameters.get("bound", "two-sided"),
    )


# The summary page: A4 portrait, text from 7 % of the width to 7 % from the right edge.
PAGE = (8.27, 11.69)
LEFT = 0.07
TEXT_WIDTH_IN = PAGE[0] * (1 - 2 * LEFT)


def _limits(chart: dict[str, Any]) -> str:
    """A chart's centre and limits (the last point's, when they vary with the sample size),
    with the decimals the span of the limits warrants."""
    lcl, ucl = chart["lcl"][-1], chart["ucl"][-1]
    span = ucl - lcl
    center = "varies" if isinstance(chart["center"], list) else format_limit(chart["center"], span)
    return f"centre {center}, LCL {format_limit(lcl, span)}, UCL {format_limit(ucl, span)}"


def _signature_lines(study: SpcStudy) -> list[tuple[str, int, str]]:
    lines = [("", 8, ""), ("Signatures", 12, "bold")]
    rows = recordapi.signature_rows(study)
    if not rows:
        lines.append(("Not signed.", 10, ""))
    for row in rows:
        validity = "" if row["valid"] else "  [INVALID: content changed since signing]"
        lines.append((row["manifestation"] + validity, 10, ""))
    return lines


def _analysis_lines(study: SpcStudy, analysis: Analysis) -> list[tuple[str, int, str]]:
    """(text, size, weight) lines of the first page of a study of one of the analyses."""
    lines = [
        (f"{study.number}  {study.title}", 15, "bold"),
        (f"{analysis.label} · {study.get_state_display()}", 10, ""),
        ("", 8, ""),
    ]
    if study.characteristic:
        unit = f" ({study.unit})" if study.unit else ""
        lines.append((f"{analysis.subject}: {study.characteristic}{unit}", 10, ""))
    lines += [(f"Source: {study.source_name or '—'}", 10, ""), ("", 8, "")]
    lines.append(("Results", 12, "bold"))
    lines += [(text, 10, "") for text in analysis.summary(study.parameters, study.results)]
    if analysis.references:
        lines += [("", 8, ""), ("References: " + "; ".join(analysis.references), 8, "")]
    return lines + _signature_lines(study)


def _summary_lines(study: SpcStudy) -> list[tuple[str, int, str]]:
    """(text, size, weight) lines of the first page."""
    analysis = analyses.ANALYSES.get(study.analysis)
    if analysis is not None:
        return _analysis_lines(study, analysis)
    unit = f" ({study.unit})" if study.unit else ""
    lines = [
        (f"{study.number}  {study.title}", 15, "bold"),
        (f"SPC study · {study.get_chart_type_display()} · {study.get_state_display()}", 10, ""),
        ("", 8, ""),
        (f"Characteristic: {study.characteristic}{unit}", 10, ""),
        (f"Source: {study.source_name or '—'}   Run rules: {study.get_rules_display()}", 10, ""),
        (
            f"Specification: LSL {format_spec(study.lsl)}, USL {format_spec(study.usl)}, "
            f"target {format_spec(study.target)}",
            10,
            "",
        ),
        ("", 8, ""),
        ("Control limits", 12, "bold"),
    ]
    charts = study.results.get("charts", [])
    for chart in charts:
        lines.append((f"{chart['title']}: {_limits(chart)}", 10, ""))
    if not charts:
        lines.append(("None: no measurements were analysed.", 10, ""))
    lines += [("", 8, ""), ("Signals", 12, "bold")]
    verdict = services.control_verdict(study.results)
    lines.append((verdict.text, 10, ""))
    for signal in study.results.get("signals", []) if verdict.level == "signals" else []:
        points = ", ".join(str(p) for p in signal["points"][:30])
        more = " …" if len(signal["points"]) > 30 else ""
        lines.append(
            (f"{signal['chart']} — {signal['description']}: samples {points}{more}", 9, "")
        )
    cap = study.results.get("capability")
    if cap:
        lines += [("", 8, ""), ("Capability", 12, "bold")]
        for name in ("cp", "cpk", "cpm", "pp", "ppk"):
            if cap.get(name) is not None:
                ci = cap.get(f"{name}_ci")
                interval = ""
                if ci and ci[1] is None:  # bound="lower": a one-sided lower bound
                    interval = f"  (95% lower bound {format_index(ci[0])})"
                elif ci:
                    interval = f"  (95% CI {format_index(ci[0])} to {format_index(ci[1])})"
                lines.append((f"{name.capitalize()} = {format_index(cap[name])}{interval}", 10, ""))
        ppm = format_ppm(cap["ppm_total_within"])
        lines.append((f"Expected ppm out of specification (within): {ppm}", 10, ""))
        if cap.get("method_reason"):
            lines.append((f"Method: {cap.get('method')}. {cap['method_reason']}", 9, ""))
    return lines + _signature_lines(study)


def _summary_page(study: SpcStudy, printed_by: str) -> Any:
    fig = _pyplot().figure(figsize=PAGE)
    y = 0.95
    for text, size, weight in _summary_lines(study):
        # Every line is wrapped to the page: a long title or signal runs on, never off the edge.
        wrapped = wrap_to_width(
            text, width_in=TEXT_WIDTH_IN, fontsize=size, weight=weight or "normal"
        )
        for k, part in enumerate(wrapped):
            fig.text(LEFT, y, part, fontsize=size, weight=weight or "normal", parse_math=False)
            y -= (0.012 + size / 700) if k == len(wrapped) - 1 else size * 1.25 / 72 / PAGE[1]
    stamp = (
        f"Printed {timezone.now():%Y-%m-%d %H:%M} UTC by {printed_by}; uncontrolled when printed"
    )
    fig.text(0.07, 0.03, stamp, fontsize=7, color="#555555")
    return fig


def _measured(study: SpcStudy) -> str:
    return f"{study.characteristic} ({study.unit})" if study.unit else study.characteristic


def figure_png(figure: Figure, study: SpcStudy) -> bytes:
    """One picture of a study, as the page shows it."""
    drawn = figure.draw(study.parameters, study.results)
    buffer = io.BytesIO()
    drawn.savefig(buffer, format="png", dpi=110)
    _pyplot().close(drawn)
    return buffer.getvalue()


def chart_pages(study: SpcStudy) -> list[Any]:
    """The control chart page and, with specification limits, the capability page; none for
    a study without measurements (its summary says so). For another analysis: its pictures."""
    analysis = analyses.ANALYSES.get(study.analysis)
    if analysis is not None:
        return [
            f.draw(study.parameters, study.results)
            for f in analysis.figures
            if f.shown(study.parameters, study.results)
        ]
    if not study.results.get("charts"):
        return []
    charts, data = services._charts(measurements_of(study))
    pages = [
        charts_figure(
            charts,
            title=f"{study.number} {study.title}: {study.characteristic}",
            lsl=study.lsl,
            usl=study.usl,
            unit=study.unit,
        )
    ]
    if data is not None and (study.lsl is not None or study.usl is not None):
        flat = (
            np.concatenate([np.asarray(g, dtype=float) for g in data])
            if isinstance(data, list)
            else data
        )
        m = measurements_of(study)
        result = capability(
            data,
            lsl=study.lsl,
            usl=study.usl,
            target=study.target,
            method=m.capability_method,
            bound=m.bound,
        )
        pages.append(
            capability_figure(
                flat, result, title=f"Capability: {study.characteristic}", xlabel=_measured(study)
            )
        )
    return pages


def study_pdf(study: SpcStudy, *, printed_by: str) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages

    plt = _pyplot()
    buffer = io.BytesIO()
    with PdfPages(
        buffer, metadata={"Title": f"{study.number} {study.title}", "Creator": "Qualitas"}
    ) as pdf:
        for figure in (_summary_page(study, printed_by), *chart_pages(study)):
            pdf.savefig(figure)
            plt.close(figure)
    return buffer.getvalue()
