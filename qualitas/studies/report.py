"""The PDF report of an SPC study: summary, signals, control chart and capability."""

from __future__ import annotations

import io
import textwrap
from typing import Any

import numpy as np
from django.utils import timezone

from qualitas.core import recordapi
from qualitas.spc import capability
from qualitas.spc.plot import _pyplot, capability_figure, charts_figure
from qualitas.studies import services
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
    )


def _or_dash(value: Any) -> str:
    return "—" if value is None else _fmt(value)


def _summary_lines(study: SpcStudy) -> list[tuple[str, int, str]]:
    """(text, size, weight) lines of the first page."""
    unit = f" ({study.unit})" if study.unit else ""
    lines = [
        (f"{study.number}  {study.title}", 15, "bold"),
        (f"SPC study · {study.get_chart_type_display()} · {study.get_state_display()}", 10, ""),
        ("", 8, ""),
        (f"Characteristic: {study.characteristic}{unit}", 10, ""),
        (f"Source: {study.source_name or '—'}   Run rules: {study.get_rules_display()}", 10, ""),
        (
            f"Specification: LSL {_or_dash(study.lsl)}, USL {_or_dash(study.usl)}, "
            f"target {_or_dash(study.target)}",
            10,
            "",
        ),
        ("", 8, ""),
        ("Control limits", 12, "bold"),
    ]
    for chart in study.results.get("charts", []):
        center = "varies" if isinstance(chart["center"], list) else _fmt(chart["center"])
        limits = f"LCL {_fmt(chart['lcl'][-1])}, UCL {_fmt(chart['ucl'][-1])}"
        lines.append((f"{chart['title']}: centre {center}, {limits}", 10, ""))
    lines += [("", 8, ""), ("Signals", 12, "bold")]
    signals = study.results.get("signals", [])
    if not signals:
        lines.append(("No point beyond the limits and no run rule violated.", 10, ""))
    for signal in signals:
        points = ", ".join(str(p) for p in signal["points"][:30])
        more = " …" if len(signal["points"]) > 30 else ""
        text = f"{signal['chart']} — {signal['description']}: samples {points}{more}"
        lines += [
            (("  " if k else "") + part, 9, "") for k, part in enumerate(textwrap.wrap(text, 95))
        ]
    cap = study.results.get("capability")
    if cap:
        lines += [("", 8, ""), ("Capability", 12, "bold")]
        for name in ("cp", "cpk", "cpm", "pp", "ppk"):
            if cap.get(name) is not None:
                ci = cap.get(f"{name}_ci")
                interval = f"  (95% CI {_fmt(ci[0])} to {_fmt(ci[1])})" if ci else ""
                lines.append((f"{name.capitalize()} = {cap[name]:.3f}{interval}", 10, ""))
        ppm = cap["ppm_total_within"]
        lines.append((f"Expected ppm out of specification (within): {ppm:.1f}", 10, ""))
    lines += [("", 8, ""), ("Signatures", 12, "bold")]
    rows = recordapi.signature_rows(study)
    if not rows:
        lines.append(("Not signed.", 10, ""))
    for row in rows:
        validity = "" if row["valid"] else "  [INVALID: content changed since signing]"
        lines.append((row["manifestation"] + validity, 10, ""))
    return lines


def _summary_page(study: SpcStudy, printed_by: str) -> Any:
    fig = _pyplot().figure(figsize=(8.27, 11.69))  # A4 portrait
    y = 0.95
    for text, size, weight in _summary_lines(study):
        fig.text(0.07, y, text, fontsize=size, weight=weight or "normal")
        y -= 0.012 + size / 700
    stamp = (
        f"Printed {timezone.now():%Y-%m-%d %H:%M} UTC by {printed_by}; uncontrolled when printed"
    )
    fig.text(0.07, 0.03, stamp, fontsize=7, color="#555555")
    return fig


def _fmt(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, int | float) else str(value)


def study_pdf(study: SpcStudy, *, printed_by: str) -> bytes:
    from matplotlib.backends.backend_pdf import PdfPages

    plt = _pyplot()
    measurements = measurements_of(study)
    charts, data = services._charts(measurements)
    buffer = io.BytesIO()
    with PdfPages(
        buffer, metadata={"Title": f"{study.number} {study.title}", "Creator": "Qualitas"}
    ) as pdf:
        for figure in (
            _summary_page(study, printed_by),
            charts_figure(
                charts, title=f"{study.number} {study.characteristic}", lsl=study.lsl, usl=study.usl
            ),
        ):
            pdf.savefig(figure)
            plt.close(figure)
        if data is not None and (study.lsl is not None or study.usl is not None):
            flat = (
                np.concatenate([np.asarray(g, dtype=float) for g in data])
                if isinstance(data, list)
                else data
            )
            result = capability(data, lsl=study.lsl, usl=study.usl, target=study.target)
            figure = capability_figure(flat, result, title=f"Capability: {study.characteristic}")
            pdf.savefig(figure)
            plt.close(figure)
    return buffer.getvalue()
