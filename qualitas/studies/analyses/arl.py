"""Control chart design as a study: the average run length (ARL) of a Shewhart, CUSUM or EWMA
chart over a range of mean shifts, beside the Shewhart chart's for comparison, and, given a
target in-control ARL, the decision interval h (CUSUM) or limit width L (EWMA) that meets it.
References: Brook & Evans (1972), Siegmund (1985), Lucas & Crosier (1982), Lucas & Saccucci
(1990), Montgomery, Introduction to SQC, 8th ed., ch. 9."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from django import forms
from ninja import Field, Schema

from qualitas.core.errors import InvalidInput
from qualitas.spc import arl
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

CHARTS = {"shewhart": "Shewhart", "cusum": "CUSUM", "ewma": "EWMA"}
DEFAULT_SHIFTS = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]


class Inputs(Schema):
    analysis: Literal["arl"]
    chart: Literal["shewhart", "cusum", "ewma"] = "cusum"
    shifts: list[float] = Field(
        default_factory=lambda: list(DEFAULT_SHIFTS),
        min_length=1,
        max_length=50,
        description="Mean shifts, in standard deviations of the plotted statistic",
    )
    nsigmas: float = Field(3.0, gt=0, description="Shewhart: limits at ± this many sigma")
    k: float = Field(0.5, ge=0, description="CUSUM reference value (half the shift to detect)")
    h: float | None = Field(None, gt=0, description="CUSUM decision interval (or give arl0)")
    fir: float = Field(0.0, ge=0, description="CUSUM head start C0 (Lucas & Crosier: h/2)")
    sided: Literal["two", "upper", "lower"] = "two"
    method: Literal["markov", "siegmund"] = Field(
        "markov", description="CUSUM: Brook & Evans Markov chain or Siegmund's approximation"
    )
    lam: float = Field(0.2, gt=0, le=1, description="EWMA weight λ")
    L: float | None = Field(None, gt=0, description="EWMA limit width (or give arl0)")
    limits: Literal["asymptotic", "exact"] = Field(
        "asymptotic", description="EWMA limits: asymptotic (as the tables) or exact"
    )
    arl0: float | None = Field(
        None, gt=1, description="Target in-control ARL: designs h (CUSUM) or L (EWMA)"
    )


def _design(inputs: Inputs) -> dict[str, Any]:
    """The chart's parameters, solving for h or L when a target in-control ARL is given."""
    if inputs.chart == "cusum":
        h = inputs.h
        if h is None:
            if inputs.arl0 is None:
                raise InvalidInput.for_field("h", "Give the decision interval h, or a target arl0.")
            h = arl.cusum_h(inputs.k, inputs.arl0, method=inputs.method, sided=inputs.sided)
        return {"k": inputs.k, "h": h, "fir": inputs.fir, "designed": inputs.h is None}
    if inputs.chart == "ewma":
        width = inputs.L
        if width is None:
            if inputs.arl0 is None:
                raise InvalidInput.for_field("L", "Give the limit width L, or a target arl0.")
            width = arl.ewma_L(inputs.lam, inputs.arl0, limits=inputs.limits)
        return {"lam": inputs.lam, "L": width, "designed": inputs.L is None}
    return {"nsigmas": inputs.nsigmas, "designed": False}


def run(inputs: Inputs) -> Results:
    design = _design(inputs)
    shifts = np.asarray(inputs.shifts, dtype=np.float64)
    if inputs.chart == "cusum":
        if inputs.fir and inputs.method == "siegmund":
            raise InvalidInput.for_field("fir", "Siegmund's approximation has no head start.")
        values = arl.cusum(
            design["k"],
            design["h"],
            shifts,
            method=inputs.method,
            sided=inputs.sided,
            fir=inputs.fir,
        )
    elif inputs.chart == "ewma":
        values = arl.ewma(design["lam"], design["L"], shifts, limits=inputs.limits)
    else:
        values = arl.shewhart(shifts, nsigmas=inputs.nsigmas)
    # The Shewhart chart's ARL at the same in-control ARL is the yardstick a design is
    # judged against: the same false-alarm rate, how much sooner a small shift is found.
    arl0 = float(np.atleast_1d(values)[np.argmin(np.abs(shifts))]) if 0.0 in shifts else None
    nsigmas = inputs.nsigmas
    if inputs.chart != "shewhart" and arl0 is not None and np.isfinite(arl0):
        from scipy import stats

        nsigmas = float(stats.norm.isf(1.0 / (2.0 * arl0)))
    shewhart = arl.shewhart(shifts, nsigmas=nsigmas)
    rows = [
        {"shift": float(s), "arl": float(v), "shewhart": float(w)}
        for s, v, w in zip(shifts, np.atleast_1d(values), np.atleast_1d(shewhart), strict=True)
    ]
    return {"chart": inputs.chart, "design": design, "rows": rows, "shewhart_nsigmas": nsigmas}


def describe(params: dict[str, Any], results: Results) -> str:
    design = results["design"]
    if results["chart"] == "cusum":
        text = f"CUSUM k = {design['k']:g}, h = {design['h']:.4g}"
        return text + (f", head start {design['fir']:g}" if design.get("fir") else "")
    if results["chart"] == "ewma":
        return f"EWMA λ = {design['lam']:g}, L = {design['L']:.4g}"
    return f"Shewhart chart, limits at ±{design['nsigmas']:g} σ"


def _draw(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot import _pyplot

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    rows = results["rows"]
    shifts = [r["shift"] for r in rows]
    ax.plot(
        shifts,
        [r["arl"] for r in rows],
        marker="o",
        lw=1.6,
        color="#1f4e79",
        label=describe(params, results),
    )
    if results["chart"] != "shewhart":
        ax.plot(
            shifts,
            [r["shewhart"] for r in rows],
            marker="s",
            lw=1.2,
            ls="--",
            color="#888888",
            label=f"Shewhart, ±{results['shewhart_nsigmas']:.3g} σ (same ARL0)",
        )
    ax.set_yscale("log")
    ax.set_xlabel("Shift of the mean (σ)")
    ax.set_ylabel("Average run length (points)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.suptitle("Average run length", fontsize=10, parse_math=False)
    fig.tight_layout()
    return fig


def _arl_text(value: float | None) -> str:
    return "> 1e14" if value is None else f"{value:.2f}"


def summary(params: dict[str, Any], results: Results) -> list[str]:
    lines = [describe(params, results)]
    if results["design"].get("designed"):
        lines.append(f"Designed for an in-control ARL of {params['arl0']:g}")
    if results["chart"] == "ewma":
        lines.append(f"Limits: {params['limits']}")
    if results["chart"] == "cusum":
        lines.append(f"Method: {params['method']}, {params['sided']}-sided")
    lines.append("Shift (σ)   ARL   Shewhart ARL")
    for row in results["rows"]:
        lines.append(f"{row['shift']:g}   {_arl_text(row['arl'])}   {_arl_text(row['shewhart'])}")
    return lines


class ArlForm(AnalysisForm):
    chart = forms.ChoiceField(choices=CHARTS.items())
    shifts = forms.CharField(
        initial=", ".join(f"{s:g}" for s in DEFAULT_SHIFTS),
        help_text="Mean shifts in σ, separated by commas",
    )
    arl0 = forms.FloatField(
        required=False,
        label="Target in-control ARL",
        help_text="Leave h or L empty to design it for this ARL, e.g. 370",
    )
    nsigmas = forms.FloatField(initial=3.0, label="Shewhart limits (σ)")
    k = forms.FloatField(initial=0.5, label="CUSUM k")
    h = forms.FloatField(required=False, label="CUSUM h")
    fir = forms.FloatField(initial=0.0, label="CUSUM head start")
    sided = forms.ChoiceField(
        choices=(("two", "Two-sided"), ("upper", "Upper"), ("lower", "Lower"))
    )
    method = forms.ChoiceField(
        choices=(("markov", "Markov chain (Brook & Evans)"), ("siegmund", "Siegmund"))
    )
    lam = forms.FloatField(initial=0.2, label="EWMA λ")
    L = forms.FloatField(required=False, label="EWMA L")
    limits = forms.ChoiceField(choices=(("asymptotic", "Asymptotic"), ("exact", "Exact")))

    def inputs(self, table: Any) -> dict[str, Any]:
        data = super().inputs(table)
        try:
            data["shifts"] = [float(v) for v in str(data["shifts"]).split(",") if v.strip()]
        except ValueError:
            raise InvalidInput.for_field("shifts", "Give numbers separated by commas.") from None
        return data


# A CUSUM to catch a 1 σ drift of a bore diameter, designed for one false alarm in 370 points.
EXAMPLE: dict[str, Any] = {"chart": "cusum", "k": 0.5, "arl0": 370.4, "fir": 0.0}


ANALYSIS = Analysis(
    key="arl",
    label="Control chart design (ARL)",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_arl.html",
    summary=summary,
    form=ArlForm,
    figures=(
        Figure(
            "arl",
            "Average run length against the shift",
            "Average run length of the chart against the mean shift, beside a Shewhart chart "
            "with the same in-control ARL",
            _draw,
        ),
    ),
    subject="Characteristic the chart will watch",
    needs_subject=False,
    help="Choose k and h, or λ and L: how soon the chart finds a shift, and its false alarms.",
    references=("Brook & Evans (1972)", "Lucas & Saccucci (1990)", "Montgomery, ch. 9"),
)
