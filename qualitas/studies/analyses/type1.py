"""Type 1 gauge study as a study: one operator measures one reference part many times (25 at
least, 50 recommended); the gauge's repeatability and bias against K % of the tolerance give
Cg = (K/100 · T) / (L · s) and Cgk = (K/200 · T - |bias|) / (L/2 · s), both to reach 1.33,
and a t test says whether the bias is significant. References: VDA 5 (2010); Bosch booklet
10, Capability of Measurement and Test Processes (2010); Minitab Type 1 Gage Study."""

from __future__ import annotations

import math
from typing import Any, Literal

from django import forms
from ninja import Field, Schema

from qualitas.core.errors import InvalidInput
from qualitas.spc import msa
from qualitas.spc.errors import SpcInputError
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

# VDA 5 and Bosch booklet 10: a gauge is capable when Cg and Cgk both reach 1.33.
CAPABLE = 1.33
# VDA 5 asks for at least 25 repeats; Bosch booklet 10 and Minitab recommend 50.
MIN_REPEATS, RECOMMENDED_REPEATS = 25, 50
BIAS_ALPHA = 0.05


class Inputs(Schema):
    analysis: Literal["type1"]
    values: list[float] = Field(
        ...,
        min_length=2,
        description="Repeated measurements of the reference part (at least 25, 50 recommended)",
    )
    reference: float = Field(..., description="The reference part's calibrated value (Xm)")
    tolerance: float = Field(..., gt=0, description="Tolerance of the characteristic, USL - LSL")
    k: float = Field(
        20.0, gt=0, le=100, description="Percent of the tolerance the gauge may use (20)"
    )
    l: float = Field(  # noqa: E741 (the standards' name)
        6.0,
        gt=0,
        le=10,
        description="Standard deviations of the gauge's spread: 6 (VDA 5, Minitab) or 4 "
        "(older Ford and Q-DAS practice)",
    )


def run(inputs: Inputs) -> Results:
    missing = [i + 1 for i, v in enumerate(inputs.values) if not math.isfinite(v)]
    if missing:
        raise InvalidInput.for_field("values", f"Measurement {missing[0]} is missing.")
    # Checked here, not left to the engine: the floating-point mean of equal readings can
    # differ from them by 1e-16, which gives a tiny s and an absurd Cg instead of a refusal.
    if len(inputs.values) >= 2 and max(inputs.values) == min(inputs.values):
        raise InvalidInput.for_field(
            "values",
            "All measurements are equal, so repeatability cannot be estimated: is the "
            "gauge's resolution too coarse for this tolerance?",
        )
    try:
        study = msa.type1(inputs.values, inputs.reference, inputs.tolerance, k=inputs.k, l=inputs.l)
    except SpcInputError as exc:
        # The engine calls the values "measurements"; the study's input is `values`.
        message = str(exc)
        if message.startswith("measurements"):
            raise InvalidInput.for_field("values", message) from None
        raise
    out = study.to_dict()
    half = study.k / 200.0 * study.tolerance
    out["band"] = [study.reference - half, study.reference + half]
    out["bias_significant"] = study.p < BIAS_ALPHA
    out["verdict"] = _verdict(out)
    return out


def _verdict(r: dict[str, Any]) -> dict[str, Any]:
    capable = r["cg"] >= CAPABLE and r["cgk"] >= CAPABLE
    notes = []
    if r["cg"] < CAPABLE:
        notes.append(
            f"Cg {r['cg']:.2f} < {CAPABLE}: the gauge's repeatability is too wide for "
            f"{r['k']:g} % of the tolerance."
        )
    if r["cgk"] < CAPABLE:
        if r["cg"] >= CAPABLE:
            notes.append(
                f"Cgk {r['cgk']:.2f} < {CAPABLE} while Cg is enough: the bias uses the margin; "
                "adjust or recalibrate the gauge."
            )
        else:
            notes.append(f"Cgk {r['cgk']:.2f} < {CAPABLE}.")
    if r["bias_significant"]:
        notes.append(
            f"The bias {r['bias']:.4g} is significant (t {r['t']:.3g}, p {r['p']:.3g} < "
            f"{BIAS_ALPHA})."
        )
    else:
        notes.append(
            f"The bias {r['bias']:.4g} is not significant (t {r['t']:.3g}, p {r['p']:.3g})."
        )
    if r["n"] < MIN_REPEATS:
        notes.append(
            f"Only {r['n']} measurements: VDA 5 asks for at least {MIN_REPEATS} "
            f"({RECOMMENDED_REPEATS} recommended)."
        )
    text = (
        f"Gauge capable: Cg {r['cg']:.2f} and Cgk {r['cgk']:.2f} ≥ {CAPABLE}"
        if capable
        else f"Gauge not capable: Cg {r['cg']:.2f}, Cgk {r['cgk']:.2f} (both must be ≥ {CAPABLE})"
    )
    return {"level": "capable" if capable else "not_capable", "text": text, "notes": notes}


def summary(params: dict[str, Any], results: Results) -> list[str]:
    r = results
    return [
        f"{r['n']} measurements of a reference part of {r['reference']:.6g}; "
        f"tolerance {r['tolerance']:.6g}; K = {r['k']:g} %, L = {r['l']:g}",
        f"Mean {r['mean']:.6g}, standard deviation {r['std_dev']:.4g}, "
        f"study variation ({r['l']:g} s) {r['study_var']:.4g}",
        f"Bias {r['bias']:.4g} ({100 * r['confidence']:.0f} % CI {r['bias_ci'][0]:.4g} to "
        f"{r['bias_ci'][1]:.4g}); t {r['t']:.4g}, df {r['df']}, p {r['p']:.4g}",
        f"Cg {r['cg']:.3f}, Cgk {r['cgk']:.3f} (capable at ≥ {CAPABLE}; VDA 5, Bosch booklet 10)",
        f"%Var (repeatability) {r['pct_var_repeatability']:.2f} %"
        + (
            ""
            if r["pct_var_repeatability_bias"] is None
            else f", %Var (repeatability and bias) {r['pct_var_repeatability_bias']:.2f} %"
        ),
        *r["verdict"]["notes"],
        f"Verdict: {r['verdict']['text']}",
    ]


def _draw_run(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot import _pyplot

    plt = _pyplot()
    values = params["values"]
    ref, (low, high) = results["reference"], results["band"]
    fig, ax = plt.subplots(figsize=(8, 4))
    x = range(1, len(values) + 1)
    ax.plot(x, values, marker="o", markersize=3, linewidth=0.8, color="tab:blue", label="Measured")
    ax.axhline(ref, color="tab:green", linewidth=1.2, label=f"Reference {ref:.6g}")
    share = f"{results['k'] / 2:g} % of tolerance"
    ax.axhline(high, color="tab:red", linestyle="--", linewidth=1, label=f"Reference ± {share}")
    ax.axhline(low, color="tab:red", linestyle="--", linewidth=1)
    ax.axhline(
        results["mean"],
        color="0.3",
        linestyle=":",
        linewidth=1,
        label=f"Mean {results['mean']:.6g}",
    )
    ax.set_xlabel("Measurement")
    ax.set_ylabel("Measured value")
    ax.set_title(f"Type 1 gauge study: Cg {results['cg']:.2f}, Cgk {results['cgk']:.2f}")
    # Below the axes: inside, the legend would hide measurements.
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4)
    fig.tight_layout()
    return fig


class Type1Form(AnalysisForm):
    takes_data = True

    value_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="The repeated measurements (default: the first numeric column); "
        "empty cells are left out",
    )
    reference = forms.FloatField(help_text="The reference part's calibrated value (Xm)")
    tolerance = forms.FloatField(help_text="USL − LSL of the characteristic")
    k = forms.FloatField(
        initial=20, label="K (% of tolerance)", help_text="20 per VDA 5 and Bosch booklet 10"
    )
    l = forms.FloatField(  # noqa: E741
        initial=6, label="L (standard deviations)", help_text="6 per VDA 5; 4 in older practice"
    )

    def inputs(self, table: Any) -> dict[str, Any]:
        data = self.cleaned_data
        column = data.get("value_column") or table.first_numeric_column()
        if not column:
            raise InvalidInput.for_field("value_column", "There is no column of measurements.")
        # A column of repeats may be shorter than its neighbours: its empty cells are no
        # measurement, not a missing one.
        values = [v for v in table.numbers(column, field="value_column") if not math.isnan(v)]
        if len(values) < 2:
            raise InvalidInput.for_field(
                "value_column", f"Column '{column}' has fewer than 2 measurements."
            )
        return {
            "values": values,
            "reference": data.get("reference"),
            "tolerance": data.get("tolerance"),
            "k": 20.0 if data.get("k") is None else data["k"],
            "l": 6.0 if data.get("l") is None else data["l"],
        }


# A realistic 50-repeat study of a bore gauge on a setting ring, Xm = 6.002 mm, T = 0.03 mm,
# resolution 0.0001 mm (made up; the published examples do not print their raw values).
EXAMPLE: dict[str, Any] = {
    "analysis": "type1",
    "values": [
        6.0015,
        6.0018,
        6.0017,
        6.0024,
        6.0021,
        6.0023,
        6.0027,
        6.0027,
        6.0025,
        6.0019,
        6.0017,
        6.0017,
        6.0020,
        6.0022,
        6.0016,
        6.0015,
        6.0024,
        6.0011,
        6.0021,
        6.0025,
        6.0016,
        6.0015,
        6.0017,
        6.0026,
        6.0021,
        6.0011,
        6.0019,
        6.0028,
        6.0028,
        6.0026,
        6.0021,
        6.0011,
        6.0023,
        6.0021,
        6.0022,
        6.0031,
        6.0023,
        6.0024,
        6.0026,
        6.0020,
        6.0018,
        6.0018,
        6.0027,
        6.0025,
        6.0019,
        6.0029,
        6.0023,
        6.0014,
        6.0026,
        6.0021,
    ],
    "reference": 6.002,
    "tolerance": 0.03,
    "k": 20.0,
    "l": 6.0,
}

ANALYSIS = Analysis(
    key="type1",
    label="Type 1 gauge study",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_type1.html",
    summary=summary,
    form=Type1Form,
    figures=(
        Figure(
            "run",
            "Run chart of the measurements",
            "Each measurement of the reference part in order, with the reference value, the "
            "reference plus and minus K/2 percent of the tolerance, and the mean",
            _draw_run,
        ),
    ),
    subject="The gauge and the characteristic it measures",
    help="Repeatability and bias of a gauge on one reference part: Cg, Cgk and the bias t "
    "test (VDA 5, Bosch booklet 10).",
    references=(
        "VDA 5 (2010)",
        "Bosch booklet 10: Capability of Measurement and Test Processes (2010)",
        "Minitab Type 1 Gage Study",
    ),
)
