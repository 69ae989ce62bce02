"""Analysing measurements with qualitas.spc, and recording the study."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from ninja import Schema

from qualitas import spc
from qualitas.core import audit, records
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.models import Department, Site, User
from qualitas.spc.rules import SAMPLES_TO_JUDGE_CONTROL, describe_rule
from qualitas.studies import analyses
from qualitas.studies.models import ChartType, RuleSet, SpcStudy

CHART_TITLES = {
    "individuals": "Individuals",
    "mr": "Moving range",
    "moving_range": "Moving range",
    "xbar": "X-bar",
    "r": "Range",
    "s": "Standard deviation",
    "p": "Fraction nonconforming",
    "np": "Number nonconforming",
    "c": "Nonconformities",
    "u": "Nonconformities per unit",
}


@dataclass(frozen=True)
class Measurements:
    """What to analyse: the values (or counts), how they form subgroups, and the limits."""

    chart_type: str
    values: list[float]
    subgroup_labels: list[str] | None = None
    subgroup_size: int | None = None
    sizes: list[float] | None = None
    lsl: float | None = None
    usl: float | None = None
    target: float | None = None
    rules: str = RuleSet.NELSON
    # How capability is computed: normal, percentile, boxcox, johnson or auto (normal unless
    # Anderson-Darling rejects normality); two-sided intervals or one-sided lower bounds.
    capability_method: str = "normal"
    bound: str = "two-sided"


def _subgroups(m: Measurements) -> list[list[float]]:
    if m.subgroup_labels is not None:
        groups: dict[str, list[float]] = {}
        for label, value in zip(m.subgroup_labels, m.values, strict=True):
            groups.setdefault(label, []).append(value)
        return list(groups.values())
    if not m.subgroup_size or m.subgroup_size < 2:
        raise InvalidInput.for_field(
            "subgroup_size",
            "X-bar charts need subgroups: give a subgroup column or a size of 2 or more.",
        )
    n = m.subgroup_size
    return [m.values[i : i + n] for i in range(0, len(m.values), n)]


def _charts(m: Measurements) -> tuple[list[spc.ControlChart], Any]:
    """The control charts, and the data capability is computed from (None for attributes)."""
    kind = m.chart_type
    if kind == ChartType.INDIVIDUALS:
        values = np.asarray(m.values, dtype=float)
        return list(spc.individuals_mr(values)), values
    if kind in (ChartType.XBAR_R, ChartType.XBAR_S):
        groups = _subgroups(m)
        builder = spc.xbar_r if kind == ChartType.XBAR_R else spc.xbar_s
        return list(builder(groups)), groups
    counts = np.asarray(m.values, dtype=float)
    if kind == ChartType.C:
        return [spc.c_chart(counts)], None
    sizes: Any = m.sizes if m.sizes is not None else m.subgroup_size
    if sizes is None:
        raise InvalidInput.for_field(
            "size_column", "This chart needs the sample sizes: a column or one size."
        )
    builders: dict[str, Any] = {"p": spc.p_chart, "np": spc.np_chart, "u": spc.u_chart}
    chart = builders[kind]
    return [chart(counts, np.asarray(sizes, dtype=float) if m.sizes is not None else sizes)], None


def _density_factor(xs: Any, cap: dict[str, Any]) -> tuple[Any, Any] | None:
    """For a transformed capability: the data's positions on the transformed scale and the
    Jacobian dz/dx, so that the fitted normal on that scale is drawn in data units.
    None for the percentile method, which fits no distribution."""
    method = cap.get("method", "normal")
    t = cap.get("transformation") or {}
    params = t.get("parameters") or {}
    with np.errstate(all="ignore"):
        if method == "boxcox":
            lam = float(params["lambda"])
            z = np.log(xs) if lam == 0 else (xs**lam - 1) / lam
            return z, xs ** (lam - 1)
        if method == "johnson":
            gamma, eta, eps = (float(params[k]) for k in ("gamma", "eta", "epsilon"))
            family = params["family"]
            if family == "SL":
                return gamma + eta * np.log(xs - eps), eta / (xs - eps)
            scale = float(params["lambda"])
            u = (xs - eps) / scale
            if family == "SU":
                return gamma + eta * np.arcsinh(u), eta / scale / np.sqrt(1 + u**2)
            return gamma + eta * np.log(u / (1 - u)), eta / scale / (u * (1 - u))
    return None


def _histogram(data: Any, cap: dict[str, Any]) -> dict[str, Any]:
    flat = (
        np.concatenate([np.asarray(g, dtype=float) for g in data])
        if isinstance(data, list)
        else data
    )
    flat = flat[~np.isnan(flat)]
    bins = int(min(30, max(6, math.ceil(math.sqrt(flat.size)))))
    low = min(float(flat.min()), *(v for v in (cap["lsl"], cap["usl"]) if v is not None))
    high = max(float(flat.max()), *(v for v in (cap["lsl"], cap["usl"]) if v is not None))
    counts, edges = np.histogram(flat, bins=bins, range=(low, high))
    xs = np.linspace(low, high, 120)
    width = edges[1] - edges[0]
    method = cap.get("method", "normal")
    shape = None if method == "normal" else _density_factor(xs, cap)

    def density(mean: float, sigma: float, z: Any, jacobian: Any) -> list[float | None]:
        with np.errstate(all="ignore"):
            curve = np.exp(-0.5 * ((z - mean) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
            scaled = curve * jacobian * flat.size * width  # to the bar heights
        # Outside the transformation's support the fitted distribution has no density.
        return [round(float(v), 6) if math.isfinite(v) else None for v in scaled]

    out: dict[str, Any] = {
        "edges": edges.round(10).tolist(),
        "counts": counts.tolist(),
        "curve_x": xs.round(10).tolist(),
        "curve_label": {"normal": "Normal", "boxcox": "Box-Cox fit", "johnson": "Johnson fit"}.get(
            method, ""
        ),
    }
    if method == "normal":
        out["curve_within"] = density(cap["mean"], cap["sigma_within"], xs, 1.0)
        out["curve_overall"] = density(cap["mean"], cap["sigma_overall"], xs, 1.0)
    elif shape is not None:
        t = cap["transformation"]
        z, jacobian = shape
        out["curve_within"] = density(t["mean"], t["sigma_within"], z, jacobian)
        out["curve_overall"] = density(t["mean"], t["sigma_overall"], z, jacobian)
    return out


@dataclass(frozen=True)
class Verdict:
    """What a study may say about statistical control: `level` is none (no data),
    signals, preliminary (too few samples) or in_control."""

    level: str
    text: str


def control_verdict(results: dict[str, Any]) -> Verdict:
    """The one sentence the page and the PDF print about control, never claimed without data."""
    charts = results.get("charts") or []
    samples = (
        sum(1 for v in charts[0].get("statistic") or [] if v is not None and math.isfinite(v))
        if charts
        else 0
    )
    if not samples:
        return Verdict(
            "none", "No measurements were analysed: the study says nothing about control."
        )
    if results.get("signals"):
        return Verdict("signals", "The process shows signals of special causes:")
    if samples < SAMPLES_TO_JUDGE_CONTROL:
        return Verdict(
            "preliminary",
            f"No point beyond the limits and no run rule violated in {samples} samples, but "
            f"{samples} are too few to judge statistical control: the limits are preliminary "
            f"until there are {SAMPLES_TO_JUDGE_CONTROL}.",
        )
    return Verdict(
        "in_control",
        f"No point beyond the limits and no run rule violated in {samples} samples: "
        "the process is in statistical control.",
    )


def analyse(m: Measurements) -> dict[str, Any]:
    """Charts, their signals explained, and capability when specification limits are given."""
    if not any(math.isfinite(v) for v in m.values):
        raise InvalidInput.for_field(
            "data", "There are no measurements: a study is drawn from data, so give some."
        )
    if m.lsl is not None and m.usl is not None and m.lsl >= m.usl:
        raise InvalidInput.for_field(
            "usl", "The upper specification limit must be above the lower one."
        )
    if m.chart_type not in ChartType.values:
        raise InvalidInput.for_field("chart_type", f"Unknown chart type '{m.chart_type}'.")
    try:
        charts, data = _charts(m)
        if m.rules == RuleSet.WESTERN_ELECTRIC:
            rule_sets = [spc.run_rules(c, rules="western_electric") for c in charts]
        else:
            rule_sets = [c.violations for c in charts]
        cap = None
        if data is not None and (m.lsl is not None or m.usl is not None):
            cap = spc.capability(
                data,
                lsl=m.lsl,
                usl=m.usl,
                target=m.target,
                method=m.capability_method,
                bound=m.bound,
            ).to_dict()
    except spc.SpcInputError as exc:
        message = str(exc)
        field = analyses.base.field_of(message, ("bound", "method"), "data")
        field = {"method": "capability_method"}.get(field, field)
        raise InvalidInput([FieldError(field, message)]) from None
    chart_rows, signals = [], []
    for chart, violations in zip(charts, rule_sets, strict=True):
        title = CHART_TITLES.get(chart.kind, chart.kind)
        row = chart.to_dict()
        row["title"] = title
        row["violations"] = {rule: [int(i) for i in points] for rule, points in violations.items()}
        chart_rows.append(row)
        for rule, points in violations.items():
            if len(points):
                signals.append(
                    {
                        "chart": title,
                        "rule": rule,
                        "description": describe_rule(rule, chart.run_length),
                        "points": [int(i) + 1 for i in points],
                    }
                )
    results: dict[str, Any] = {"charts": chart_rows, "signals": signals, "capability": cap}
    if cap is not None:
        results["histogram"] = _histogram(data, cap)
    return results


@audit.service
def record_study(
    *,
    actor: User,
    title: str,
    characteristic: str,
    measurements: Measurements,
    unit: str = "",
    description: str = "",
    site: Site | None = None,
    department: Department | None = None,
    source_name: str = "",
) -> SpcStudy:
    """Analyse the measurements and keep them, the settings and the results as a study."""
    results = analyse(measurements)
    data: dict[str, Any] = {
        "values": [None if math.isnan(v) else v for v in measurements.values],
        "subgroups": measurements.subgroup_labels,
        "sizes": measurements.sizes,
    }
    study: SpcStudy = records.create(
        records.RECORD_TYPES["spcstudy"],
        actor=actor,
        title=title,
        characteristic=characteristic,
        unit=unit,
        description=description,
        site=site,
        department=department,
        computed={
            "chart_type": measurements.chart_type,
            "rules": measurements.rules,
            "subgroup_size": measurements.subgroup_size,
            "lsl": measurements.lsl,
            "usl": measurements.usl,
            "target": measurements.target,
            "source_name": source_name,
            "data": data,
            "parameters": {
                "capability_method": measurements.capability_method,
                "bound": measurements.bound,
            },
            "results": results,
        },
    )
    return study


@audit.service
def record_analysis(
    *,
    actor: User,
    analysis: analyses.Analysis,
    inputs: Schema,
    title: str,
    characteristic: str = "",
    unit: str = "",
    description: str = "",
    site: Site | None = None,
    department: Department | None = None,
    source_name: str = "",
) -> SpcStudy:
    """Run one of `qualitas.studies.analyses` and keep its inputs and results as a study."""
    if analysis.needs_subject and not characteristic.strip():
        raise InvalidInput.for_field("characteristic", f"{analysis.subject}: needed.")
    results = analyses.base.run(analysis, inputs)
    study: SpcStudy = records.create(
        records.RECORD_TYPES["spcstudy"],
        actor=actor,
        title=title,
        characteristic=characteristic,
        unit=unit,
        description=description,
        site=site,
        department=department,
        computed={
            "analysis": analysis.key,
            "source_name": source_name,
            "parameters": analyses.base.parameters_of(analysis, inputs),
            "results": results,
        },
    )
    return study


def record_named_analysis(
    *, actor: User, analysis: str, inputs: dict[str, Any], title: str, **study: Any
) -> SpcStudy:
    """`record_analysis` for callers outside this module (another module keeping a Gage R&R
    of its gauge): the kind by its key, the inputs as plain data, validated here."""
    kind = analyses.ANALYSES.get(analysis)
    if kind is None:
        raise InvalidInput.for_field("analysis", f"Unknown analysis '{analysis}'.")
    return record_analysis(
        actor=actor,
        analysis=kind,
        inputs=analyses.base.validate(kind, inputs),
        title=title,
        **study,
    )
