"""Gage bias and linearity as a study: parts of known reference value measured repeatedly over
the gauge's operating range; the bias of every measurement regressed on its reference (the
slope is the linearity), and the bias at each reference tested against zero. References: AIAG
MSA 4th ed. (2010) III-B, ISO 22514-7:2021 7.1.3, Minitab "Gage Linearity and Bias Study"."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from django import forms
from ninja import Field, Schema
from scipy import stats

from qualitas.core.errors import InvalidInput
from qualitas.spc import msa
from qualitas.spc.errors import SpcInputError
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

# The significance level of the slope and bias tests (AIAG MSA 4th ed., Minitab).
ALPHA = 0.05
BAND_POINTS = 41


class Inputs(Schema):
    analysis: Literal["bias-linearity"]
    references: list[float] = Field(
        ...,
        min_length=3,
        description="The reference (master) value of the part, one per measurement",
    )
    values: list[float] = Field(
        ..., min_length=3, description="The measured values, in the same order as references"
    )
    process_variation: float | None = Field(
        None,
        gt=0,
        description="Process variation (6 sigma, e.g. the total variation of a Gage R&R); "
        "gives %linearity and %bias",
    )
    confidence: float = Field(
        0.95, gt=0, lt=1, description="Confidence level of the coefficients and the fit band"
    )


# The engine names its arguments `reference` and `measured`; the study's fields are these.
ENGINE_FIELDS = (("reference", "references"), ("measured", "values"))


def _field(message: str) -> str:
    for engine_name, name in ENGINE_FIELDS:
        if message.startswith(engine_name):
            return name
    return "process_variation" if "process_variation" in message else "values"


def _band(inputs: Inputs, results: dict[str, Any]) -> dict[str, list[float]]:
    """The fitted bias line with its confidence band for the mean bias, over the references'
    range: AIAG MSA 4th ed. accepts linearity when the bias = 0 line lies inside it."""
    x = np.asarray(inputs.references, dtype=float)
    n = x.shape[0]
    xbar = float(x.mean())
    sxx = float(np.sum((x - xbar) ** 2))
    grid = np.linspace(float(x.min()), float(x.max()), BAND_POINTS)
    fit = results["intercept"]["estimate"] + results["slope"]["estimate"] * grid
    q = float(stats.t.ppf(0.5 + inputs.confidence / 2.0, n - 2))
    half = q * results["s"] * np.sqrt(1.0 / n + (grid - xbar) ** 2 / sxx)
    return {
        "x": grid.tolist(),
        "fit": fit.tolist(),
        "low": (fit - half).tolist(),
        "high": (fit + half).tolist(),
    }


def _p_text(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else f"= {p:.4f}"


def _verdict(results: dict[str, Any], band: dict[str, list[float]]) -> dict[str, Any]:
    slope_p = results["slope"]["p"]
    linear = None if slope_p is None else slope_p < ALPHA
    biased = [
        row["reference"] for row in results["biases"] if row["p"] is not None and row["p"] < ALPHA
    ]
    zero_inside = all(lo <= 0.0 <= hi for lo, hi in zip(band["low"], band["high"], strict=True))
    lines = []
    if linear is None:
        lines.append("The slope could not be tested (no scatter about the line).")
    elif linear:
        lines.append(
            f"Linearity present: the bias changes with the reference value "
            f"(slope p {_p_text(slope_p)}, α = {ALPHA:g})."
        )
    else:
        lines.append(
            f"No significant linearity: the bias does not change with the reference value "
            f"(slope p {_p_text(slope_p)}, α = {ALPHA:g})."
        )
    lines.append(
        "The bias = 0 line lies inside the confidence band of the fit (AIAG: linearity acceptable)."
        if zero_inside
        else "The bias = 0 line leaves the confidence band of the fit (AIAG: linearity not "
        "acceptable without correction)."
    )
    if biased:
        refs = ", ".join(f"{r:g}" for r in biased)
        lines.append(f"Significant bias (p < {ALPHA:g}) at reference {refs}.")
    else:
        lines.append(f"No reference shows a significant bias (all p ≥ {ALPHA:g}).")
    return {
        "linearity": linear,
        "zero_in_band": zero_inside,
        "significant_bias_at": biased,
        "lines": lines,
    }


def run(inputs: Inputs) -> Results:
    if len(inputs.values) != len(inputs.references):
        raise InvalidInput.for_field(
            "values",
            f"{len(inputs.values)} measured values for {len(inputs.references)} reference "
            "values: give one reference value per measurement.",
        )
    try:
        found = msa.bias_linearity(
            inputs.references,
            inputs.values,
            process_variation=inputs.process_variation,
            confidence=inputs.confidence,
        )
    except SpcInputError as exc:
        raise InvalidInput.for_field(_field(str(exc)), str(exc)) from None
    results = found.to_dict()
    r2 = results["r_squared"]
    results["r_squared_percent"] = None if r2 is None else 100.0 * r2
    band = _band(inputs, results)
    results["band"] = band
    results["verdict"] = _verdict(results, band)
    return results


def _draw(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot import _pyplot

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    refs = np.asarray(params["references"], dtype=float)
    bias = np.asarray(params["values"], dtype=float) - refs
    ax.scatter(refs, bias, s=14, color="#7f8c8d", alpha=0.7, label="Bias of each measurement")
    band = results.get("band")
    if band:
        ax.fill_between(
            band["x"], band["low"], band["high"], color="#3498db", alpha=0.18,
            label=f"{100 * results['confidence']:.0f} % confidence band",
        )  # fmt: skip
        ax.plot(band["x"], band["fit"], color="#2c3e50", lw=1.6, label="Regression line")
    else:
        lo, hi = float(refs.min()), float(refs.max())
        a, b = results["intercept"]["estimate"], results["slope"]["estimate"]
        ax.plot([lo, hi], [a + b * lo, a + b * hi], color="#2c3e50", lw=1.6, label="Regression")
    means = [(row["reference"], row["bias"]) for row in results["biases"]]
    ax.plot(
        [m[0] for m in means], [m[1] for m in means], "s", color="#c0392b", ms=6,
        label="Average bias",
    )  # fmt: skip
    ax.axhline(0.0, color="black", lw=0.9, ls="--", label="Bias = 0")
    ax.set_xlabel("Reference value")
    ax.set_ylabel("Bias (measured − reference)")
    slope, intercept = results["slope"]["estimate"], results["intercept"]["estimate"]
    r2 = results.get("r_squared")
    title = f"Bias = {intercept:.5g} {'−' if slope < 0 else '+'} {abs(slope):.5g} × reference"
    ax.set_title(title + (f",  R² = {100 * r2:.1f} %" if r2 is not None else ""), fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _num(value: float | None, digits: int = 5) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def summary(params: dict[str, Any], results: Results) -> list[str]:
    slope, intercept = results["slope"], results["intercept"]
    lines = [
        f"{results['n']} measurements at {len(results['biases'])} reference values",
        f"Bias = {_num(intercept['estimate'])} + ({_num(slope['estimate'])}) × reference",
        f"Constant {_num(intercept['estimate'])} (SE {_num(intercept['se'], 4)}, "
        f"p {_p(intercept['p'])}); slope {_num(slope['estimate'])} (SE {_num(slope['se'], 4)}, "
        f"p {_p(slope['p'])})",
    ]
    r2 = results.get("r_squared")
    lines.append(f"S {_num(results['s'], 4)}, R-sq {'—' if r2 is None else f'{100 * r2:.1f} %'}")
    if results.get("linearity") is not None:
        lines.append(
            f"Linearity {_num(results['linearity'], 4)} "
            f"({results['pct_linearity']:.1f} % of process variation "
            f"{_num(results['process_variation'])})"
        )
    else:
        lines.append(f"|slope| × 100 = {results['pct_linearity']:.1f} % (no process variation)")
    avg = results["average"]
    pct = "" if avg["pct_bias"] is None else f", {avg['pct_bias']:.2f} % of process variation"
    lines.append(f"Average bias {_num(avg['bias'], 4)}{pct}, p {_p(avg['p'])}")
    for row in results["biases"]:
        pct = "" if row["pct_bias"] is None else f" ({row['pct_bias']:.2f} %)"
        lines.append(
            f"Reference {row['reference']:g}: bias {_num(row['bias'], 4)}{pct}, p {_p(row['p'])}"
        )
    lines.extend(results["verdict"]["lines"])
    return lines


class LinearityForm(AnalysisForm):
    takes_data = True

    reference_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="The part's reference (master) value on every row (default: 'reference')",
    )
    value_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="The measured value (default: the first other numeric column)",
    )
    process_variation = forms.FloatField(
        required=False,
        min_value=0,
        help_text="6 σ of the process, e.g. the total variation of a Gage R&R: gives "
        "%linearity and %bias",
    )
    confidence = forms.FloatField(initial=0.95, min_value=0.5, max_value=0.999)

    def inputs(self, table: Any) -> dict[str, Any]:
        reference = (self.cleaned_data.get("reference_column") or "").strip()
        if not reference:
            reference = next(
                (h for h in table.headers if h.strip().lower() in ("reference", "ref", "master")),
                "",
            )
            if not reference:
                raise InvalidInput.for_field(
                    "reference_column", "Name the column that holds the reference values."
                )
        value = (self.cleaned_data.get("value_column") or "").strip()
        if not value:
            value = table.first_numeric_column(skip=(reference,)) or ""
            if not value:
                raise InvalidInput.for_field(
                    "value_column", "Name the column that holds the measured values."
                )
        references = table.numbers(reference, field="reference_column")
        values = table.numbers(value, field="value_column")
        pv = self.cleaned_data.get("process_variation")
        if pv is not None and pv <= 0:
            raise InvalidInput.for_field("process_variation", "Give a positive number or none.")
        confidence = self.cleaned_data.get("confidence")
        return {
            "references": references,
            "values": values,
            "process_variation": pv,
            "confidence": 0.95 if confidence is None else confidence,
        }


# AIAG MSA 4th ed. III-B linearity example (also Minitab's Gage Linearity and Bias example):
# five parts of reference 2, 4, 6, 8 and 10 measured 12 times each over the gauge's range.
_AIAG = {
    2.0: [2.7, 2.5, 2.4, 2.5, 2.7, 2.3, 2.5, 2.5, 2.4, 2.4, 2.6, 2.4],
    4.0: [5.1, 3.9, 4.2, 5.0, 3.8, 3.9, 3.9, 3.9, 3.9, 4.0, 4.1, 3.8],
    6.0: [5.8, 5.7, 5.9, 5.9, 6.0, 6.1, 6.0, 6.1, 6.4, 6.3, 6.0, 6.1],
    8.0: [7.6, 7.7, 7.8, 7.7, 7.8, 7.8, 7.8, 7.7, 7.8, 7.5, 7.6, 7.7],
    10.0: [9.1, 9.3, 9.5, 9.3, 9.4, 9.5, 9.5, 9.5, 9.6, 9.2, 9.3, 9.4],
}
EXAMPLE: dict[str, Any] = {
    "analysis": "bias-linearity",
    "references": [ref for ref, values in _AIAG.items() for _ in values],
    "values": [v for values in _AIAG.values() for v in values],
    # Minitab's example gives the process variation 16.5368 (6 sigma from a Gage R&R).
    "process_variation": 16.5368,
    "confidence": 0.95,
}


ANALYSIS = Analysis(
    key="bias-linearity",
    label="Gage bias and linearity",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_bias-linearity.html",
    summary=summary,
    form=LinearityForm,
    figures=(
        Figure(
            "linearity",
            "Gage linearity and bias",
            "The bias of every measurement against its reference value, with the regression "
            "line, its confidence band, the average bias at each reference and the zero line",
            _draw,
        ),
    ),
    subject="The gauge and what it measures",
    needs_subject=True,
    help="Does the gauge's bias change over its range? Regression of bias on reference value "
    "and a t test of the bias at each reference.",
    references=("AIAG MSA 4th ed. (2010) III-B", "ISO 22514-7", "Minitab Gage Linearity"),
)
