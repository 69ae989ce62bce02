"""Life data as a study: times to failure, some units still running (right-censored), fitted by
maximum likelihood to a Weibull, lognormal or exponential model, or all three compared (the
exponential against the Weibull by a likelihood-ratio test, the rest by AIC). Then the B10 life
and the reliability at a mission time, each with its Fisher-matrix confidence interval, the
probability plot and the reliability curve R(t). References: Meeker & Escobar, Statistical
Methods for Reliability Data (1998) ch. 6-8; NIST/SEMATECH e-Handbook sec. 8.4.1.3; Abernethy,
The New Weibull Handbook."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any, Literal

import numpy as np
from django import forms
from ninja import Field, Schema

from qualitas.core.errors import FieldError, InvalidInput
from qualitas.spc import probability, reliability
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

DISTRIBUTIONS = {
    "compare": "Compare all three (choose by the likelihood-ratio test and AIC)",
    "weibull": "Weibull",
    "lognormal": "Lognormal",
    "exponential": "Exponential (constant failure rate)",
}
NAMES = {"weibull": "Weibull", "lognormal": "Lognormal", "exponential": "Exponential"}
# How each model's parameters read to a reliability engineer.
PARAMETER_LABELS = {
    ("weibull", "shape"): "shape β",
    ("weibull", "scale"): "scale η (characteristic life)",
    ("lognormal", "location"): "location μ (of ln t)",
    ("lognormal", "scale"): "scale σ (of ln t)",
    ("exponential", "mean"): "mean θ (MTTF)",
}
# Marks a spreadsheet uses for a unit removed or still running without failing (the CLI's
# marks, with "running"), and for a failure. Anything else is refused: a misread censoring
# mark silently moves the fitted life.
CENSORED_MARKS = {"1", "yes", "y", "true", "censored", "c", "suspended", "s", "suspension"}
CENSORED_MARKS |= {"running", "r", "survived"}
FAILURE_MARKS = {"0", "no", "n", "false", "failed", "failure", "fail", "f"}
CURVE_POINTS = 121
# Percent-failed gridlines, as printed on probability paper.
PERCENT_TICKS = (0.1, 0.5, 1, 2, 5, 10, 20, 30, 50, 63.2, 80, 90, 95, 99, 99.9)
EXPONENTIAL_CROWDED = {0.1, 0.5, 1, 2, 5, 20}


class Inputs(Schema):
    analysis: Literal["reliability"]
    times: list[float] = Field(
        ...,
        min_length=1,
        description="Time (or cycles, km …) of each unit: to its failure, or to when it was "
        "removed or last seen running",
    )
    censored: list[bool] | None = Field(
        None,
        description="One flag per time: true = the unit had not failed (right-censored, "
        "suspended); omit when every unit failed",
    )
    distribution: Literal["compare", "weibull", "lognormal", "exponential"] = Field(
        "compare",
        description="compare: fit all three and prefer one by the likelihood-ratio test "
        "(exponential within Weibull) and AIC; or fit the one named",
    )
    confidence: float = Field(
        0.95, gt=0, lt=1, description="Confidence level of the two-sided intervals"
    )
    mission_time: float | None = Field(
        None, gt=0, description="A time at which to state the reliability R(t) with its interval"
    )


def _mission(fit: reliability.LifeFit, time: float | None) -> dict[str, Any] | None:
    if time is None:
        return None
    return {
        "time": time,
        "reliability": fit.reliability(time),
        "ci": list(fit.reliability_interval(time)),
    }


def _fit_result(fit: reliability.LifeFit, mission_time: float | None) -> dict[str, Any]:
    out = fit.to_dict()
    out["label"] = NAMES[fit.distribution]
    for parameter in out["parameters"]:
        parameter["label"] = parameter_label(fit.distribution, parameter["name"])
    out["mission"] = _mission(fit, mission_time)
    return out


def _probability_plot(
    times: list[float], censored: list[bool] | None, distribution: str, confidence: float
) -> dict[str, Any]:
    """What the probability plot draws: the failures at their median ranks and the fitted
    line with its pointwise bounds on time, on the model's linearised axes."""
    pp = probability.probability_plot_points(times, censored, distribution, confidence=confidence)
    lower, upper = pp.line_lower, pp.line_upper
    p_lo, p_hi = pp.line_probabilities[0] * (1 - 1e-9), pp.line_probabilities[-1] * (1 + 1e-9)
    percents = [p for p in PERCENT_TICKS if p_lo <= p / 100 <= p_hi]
    tick_y = probability.linearise(distribution, np.ones(len(percents)), np.array(percents) / 100)
    return {
        "distribution": distribution,
        "times": pp.times,
        "probabilities": pp.probabilities,
        "y": pp.y,
        "line_times": pp.line_times,
        "line_lower": lower,
        "line_upper": upper,
        "line_probabilities": pp.line_probabilities,
        "line_y": pp.line_y,
        "ticks": {"percent": percents, "y": tick_y[1]},
    }


def _curve(fit: reliability.LifeFit, times: list[float], mission_time: float | None) -> Any:
    """R(t) from 0 past the last unit (and the mission time), with pointwise bounds."""
    end = 1.1 * max(max(times), mission_time or 0.0)
    grid = np.linspace(0.0, end, CURVE_POINTS)
    bounds = [fit.reliability_interval(float(t)) for t in grid]
    return {
        "t": grid,
        "reliability": fit.reliability(grid),
        "lower": [lo for lo, _ in bounds],
        "upper": [hi for _, hi in bounds],
    }


def run(inputs: Inputs) -> Results:
    times, censored = inputs.times, inputs.censored
    if censored is not None and len(censored) != len(times):
        raise InvalidInput.for_field(
            "censored",
            f"{len(censored)} censoring flags for {len(times)} times: give one flag per time.",
        )
    failures = len(times) - sum(censored or [])
    note = ""
    if inputs.distribution == "compare":
        names: tuple[str, ...] = reliability.DISTRIBUTIONS
        if failures == 1:
            # Two-parameter models need two failures; one failure still fixes an MTTF.
            names = ("exponential",)
            note = "Only one failure: just the exponential model can be fitted."
        comparison = reliability.compare(times, censored, names, confidence=inputs.confidence)
        fits = list(comparison.fits)
        chosen = comparison.preferred
        compared: dict[str, Any] | None = {
            "tests": [asdict(t) for t in comparison.tests],
            "preferred": comparison.preferred,
            "reason": comparison.reason,
            "alpha": comparison.alpha,
        }
    else:
        fits = [
            reliability.fit(
                times, censored, distribution=inputs.distribution, confidence=inputs.confidence
            )
        ]
        chosen, compared = inputs.distribution, None
    best = next(f for f in fits if f.distribution == chosen)
    return {
        "n": best.n,
        "failures": best.failures,
        "censored": best.censored,
        "confidence": inputs.confidence,
        "distribution": inputs.distribution,
        "chosen": chosen,
        "note": note,
        "fits": [_fit_result(f, inputs.mission_time) for f in fits],
        "comparison": compared,
        "b10": {"estimate": best.b10, "ci": list(best.b10_ci)},
        "mission": _mission(best, inputs.mission_time),
        "probability_plot": _probability_plot(times, censored, chosen, inputs.confidence),
        "curve": _curve(best, times, inputs.mission_time),
    }


# Pictures -----------------------------------------------------------------------------------


def _time_axis(ax: Any, *, log: bool) -> None:
    if log:
        from matplotlib.ticker import FuncFormatter, NullFormatter

        ax.set_xscale("log")  # times as plain numbers, not powers of ten
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("Time")


def _chosen_fit(results: Results) -> dict[str, Any]:
    return next(f for f in results["fits"] if f["distribution"] == results["chosen"])


def _fit_lines(fit: dict[str, Any]) -> list[str]:
    lines = [f"{p['name']} = {p['estimate']:.5g}" for p in fit["parameters"]]
    lines.append(f"B10 = {fit['b10']:.5g}")
    lines.append(f"n = {fit['n']}, failures = {fit['failures']}")
    lines.append(f"censored = {fit['censored']}")
    lines.append(f"log-lik = {fit['log_likelihood']:.4g}")
    lines.append(f"AIC = {fit['aic']:.4g}")
    return lines


def _draw_probability(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot import _pyplot

    pp = results["probability_plot"]
    fit = _chosen_fit(results)
    dist = pp["distribution"]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    level = f"{results['confidence']:.0%}"
    ax.plot(pp["line_times"], pp["line_y"], color="#c62828", lw=1.5, label="ML fit")
    ax.plot(pp["line_lower"], pp["line_y"], color="#c62828", lw=0.8, ls="--", label=f"{level} CI")
    ax.plot(pp["line_upper"], pp["line_y"], color="#c62828", lw=0.8, ls="--")
    ax.plot(pp["times"], pp["y"], "o", color="#1f4e79", ms=5, label="failures (median ranks)")
    _time_axis(ax, log=dist != "exponential")
    ticks = list(zip(pp["ticks"]["percent"], pp["ticks"]["y"], strict=True))
    if dist == "exponential":
        # -ln(1 - F) crowds the low percentages together at the bottom of the paper.
        ticks = [(p, y) for p, y in ticks if p not in EXPONENTIAL_CROWDED]
        ax.set_xlim(0, 1.05 * max(pp["line_times"][-1], pp["times"][-1]))
    ax.set_yticks([y for _, y in ticks], [f"{p:g}" for p, _ in ticks])
    ax.set_ylim(pp["line_y"][0], pp["line_y"][-1])
    ax.grid(visible=True, which="both", alpha=0.25)
    ax.set_ylabel("Percent failed")
    ax.text(
        1.01, 0.98, "\n".join(_fit_lines(fit)), transform=ax.transAxes, va="top", fontsize=8,
        family="monospace",
    )  # fmt: skip
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 0.35), fontsize=8)
    ax.set_title(f"{NAMES[dist]} probability plot", loc="left", fontsize=12)
    fig.tight_layout()
    return fig


def _draw_reliability(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot import _pyplot

    curve, pp = results["curve"], results["probability_plot"]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    level = f"{results['confidence']:.0%}"
    t = curve["t"]
    ax.fill_between(
        t, curve["lower"], curve["upper"], color="#c62828", alpha=0.12, label=f"{level} CI"
    )
    ax.plot(
        t, curve["reliability"], color="#c62828", lw=1.5, label=f"{NAMES[results['chosen']]} fit"
    )
    survived = [1.0 - p for p in pp["probabilities"]]
    ax.plot(pp["times"], survived, "o", color="#1f4e79", ms=5, label="failures (1 − median rank)")
    mission = results.get("mission")
    if mission:
        ax.axvline(mission["time"], color="#6a1b9a", lw=1, ls=":")
        ax.plot([mission["time"]], [mission["reliability"]], "s", color="#6a1b9a", ms=6)
        ax.annotate(
            f"R({mission['time']:g}) = {mission['reliability']:.3f}",
            (mission["time"], mission["reliability"]),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xlim(0, t[-1])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Time")
    ax.set_ylabel("Reliability R(t)")
    ax.grid(visible=True, alpha=0.25)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("Reliability (survival) curve", loc="left", fontsize=12)
    fig.tight_layout()
    return fig


# Summary ------------------------------------------------------------------------------------


def _interval(ci: list[float | None]) -> str:
    lo, hi = ci
    return "—" if lo is None or hi is None else f"{lo:.4g} to {hi:.4g}"


def parameter_label(distribution: str, name: str) -> str:
    return PARAMETER_LABELS.get((distribution, name), name)


def summary(params: dict[str, Any], results: Results) -> list[str]:
    level = f"{results['confidence'] * 100:g} %"
    lines = [
        f"Life data: {results['n']} units, {results['failures']} failures, "
        f"{results['censored']} censored (still running or removed)"
    ]
    if results.get("note"):
        lines.append(results["note"])
    for fit in results["fits"]:
        parts = "; ".join(
            f"{parameter_label(fit['distribution'], p['name'])} {p['estimate']:.4g} "
            f"({_interval(p['ci'])})"
            for p in fit["parameters"]
        )
        lines.append(
            f"{NAMES[fit['distribution']]}: {parts}; log-likelihood {fit['log_likelihood']:.3f}, "
            f"AIC {fit['aic']:.2f}"
        )
    compared = results.get("comparison")
    if compared:
        for test in compared["tests"]:
            lines.append(
                f"Likelihood-ratio test, {test['restricted']} within {test['full']}: "
                f"LR = {test['statistic']:.3f}, p = {test['p_value']:.3g}"
            )
        lines.append(f"Preferred model: {compared['reason']}")
    name = NAMES[results["chosen"]]
    b10 = results["b10"]
    lines.append(
        f"B10 life ({name}): {b10['estimate']:.4g}, {level} interval {_interval(b10['ci'])}"
    )
    mission = results.get("mission")
    if mission:
        lo = mission["ci"][0]
        lines.append(
            f"Reliability at {mission['time']:g} ({name}): {mission['reliability']:.4f}, "
            f"{level} interval {_interval(mission['ci'])}"
        )
        if lo is not None:
            lines.append(
                f"Demonstrated: at least {lo:.4f} of units survive to {mission['time']:g} "
                f"(lower bound of the {level} interval); compare it with the reliability target"
            )
    lines.append("Intervals: Fisher-matrix (Wald) bounds, as Minitab and ReliaSoft.")
    return lines


# Form ---------------------------------------------------------------------------------------


def censoring_flags(cells: list[str], rows: list[int], column: str) -> list[bool]:
    """The censoring column as flags; an unknown mark names its row."""
    flags: list[bool] = []
    errors: list[FieldError] = []
    for row, cell in zip(rows, cells, strict=True):
        mark = cell.strip().lower()
        if mark in CENSORED_MARKS or mark in FAILURE_MARKS:
            flags.append(mark in CENSORED_MARKS)
            continue
        errors.append(
            FieldError(
                "censored_column",
                f"Row {row}, column '{column}': '{cell.strip()}' is neither a censored mark "
                "(1, yes, true, censored, suspended, running) nor a failure mark "
                "(0, no, false, failed).",
            )
        )
        if len(errors) >= 10:
            break
    if errors:
        raise InvalidInput(errors)
    return flags


class ReliabilityForm(AnalysisForm):
    takes_data = True

    time_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="Times to failure or to removal (default: the first numeric column)",
    )
    censored_column = forms.CharField(
        max_length=120,
        required=False,
        label="Censored column",
        help_text="Optional: 1/yes/true/censored/suspended for units that had not failed, "
        "0/no/false/failed for failures. Leave empty when every unit failed.",
    )
    distribution = forms.ChoiceField(
        choices=DISTRIBUTIONS.items(), initial="compare", required=False
    )
    confidence = forms.FloatField(
        initial=0.95,
        min_value=0.5,
        max_value=0.999,
        required=False,
        help_text="Of the two-sided intervals, e.g. 0.90, 0.95 (default 0.95)",
    )
    mission_time = forms.FloatField(
        required=False, min_value=0, help_text="Optional: state the reliability at this time"
    )

    def inputs(self, table: Any) -> dict[str, Any]:
        data = self.cleaned_data
        censored_column = (data.get("censored_column") or "").strip()
        time_column = (data.get("time_column") or "").strip()
        if not time_column:
            skip = (censored_column,) if censored_column else ()
            time_column = table.first_numeric_column(skip=skip) or ""
            if not time_column:
                raise InvalidInput.for_field("time_column", "No column of times was found.")
        times = table.numbers(time_column, field="time_column")
        rows = list(table.lines or range(2, len(times) + 2))
        missing = [row for row, t in zip(rows, times, strict=True) if math.isnan(t)]
        if missing:
            raise InvalidInput.for_field(
                "time_column", f"Row {missing[0]}, column '{time_column}': the time is empty."
            )
        censored = None
        if censored_column:
            cells = table.column(censored_column, field="censored_column")
            censored = censoring_flags(cells, rows, censored_column)
        return {
            "times": times,
            "censored": censored,
            "distribution": data.get("distribution") or "compare",
            "confidence": data.get("confidence") or 0.95,
            "mission_time": data.get("mission_time"),
        }


# NIST/SEMATECH e-Handbook sec. 8.4.1.3 (data of sec. 8.2.2.1): 20 units on test, 10 failures
# in hours, the other 10 removed unfailed at 500 h. Published: Weibull eta 606.5280, beta
# 1.7208, log-likelihood -75.135, AIC 154.27; lognormal AIC 154.39.
EXAMPLE: dict[str, Any] = {
    "analysis": "reliability",
    "times": [54, 187, 216, 240, 244, 335, 361, 373, 375, 386] + [500] * 10,
    "censored": [False] * 10 + [True] * 10,
    "distribution": "compare",
    "confidence": 0.95,
    "mission_time": 100,
}


ANALYSIS = Analysis(
    key="reliability",
    label="Reliability (life data)",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_reliability.html",
    summary=summary,
    form=ReliabilityForm,
    figures=(
        Figure(
            "probability",
            "Probability plot",
            "Failure times at their median-rank plotting positions on probability paper for "
            "the chosen model, with the maximum-likelihood line and its confidence bounds",
            _draw_probability,
        ),
        Figure(
            "reliability",
            "Reliability curve R(t)",
            "The fitted probability of surviving beyond each time, with its confidence band, "
            "the failures at one minus their median ranks and the mission time if given",
            _draw_reliability,
        ),
    ),
    subject="Product or component tested",
    help="Fit Weibull, lognormal or exponential life models to failures and suspensions: "
    "B10 life and reliability at a mission time.",
    references=(
        "Meeker & Escobar (1998)",
        "NIST/SEMATECH e-Handbook sec. 8.4.1",
        "Abernethy, The New Weibull Handbook",
    ),
)
