"""Variables sampling as a study: an s-method plan (n, k) for one specification limit, from
the MIL-STD-414 tables, of one's own, or designed through the producer's and consumer's risk
points; its OC curve and, given the sample's measurements, the lot's judgement (form k) with
the estimated percent nonconforming. The ISO 3951-1 and ANSI/ASQ Z1.9 tables are not encoded
(see qualitas.spc.variables). References: MIL-STD-414 (1957) Section B; Schilling & Neubauer
(2017); Wallis (1947)."""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
from django import forms
from ninja import Field, Schema

from qualitas.core.errors import InvalidInput
from qualitas.spc import variables
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

PLAN_SOURCES = {
    "table": "From the MIL-STD-414 tables",
    "custom": "A plan of my own (n, k)",
    "risk-points": "Designed through AQL/α and LTPD/β",
}
QUALITY_POINTS = (0.95, 0.50, 0.10)
CURVE_POINTS = 101


class Inputs(Schema):
    analysis: Literal["variables-sampling"]
    plan_source: Literal["table", "custom", "risk-points"] = "table"
    lot_size: int | None = Field(None, ge=2, description="Lot size (the tables need it)")
    aql: float | None = Field(None, gt=0, description="Acceptance quality limit, percent")
    level: str | None = Field(None, description="MIL-STD-414 inspection level I-V (default IV)")
    inspection: Literal["normal", "tightened"] = "normal"
    n: int | None = Field(None, ge=2, description="Sample size of your own plan")
    k: float | None = Field(None, description="Acceptability constant of your own plan")
    alpha: float = Field(0.05, gt=0, lt=1, description="Producer's risk at the AQL")
    ltpd: float | None = Field(None, gt=0, lt=100, description="Consumer's point, percent")
    beta: float = Field(0.10, gt=0, lt=1, description="Consumer's risk at the LTPD")
    method: Literal["exact", "wallis"] = Field(
        "exact", description="OC and design: non-central t (exact) or Wallis's approximation"
    )
    measurements: list[float] | None = Field(
        None, description="The sample's measurements, to judge the lot (exactly n of them)"
    )
    lsl: float | None = Field(None, description="Lower specification limit (give one limit)")
    usl: float | None = Field(None, description="Upper specification limit (give one limit)")


def _require(inputs: Inputs, *names: str, why: str) -> list[Any]:
    for name in names:
        if getattr(inputs, name) is None:
            raise InvalidInput.for_field(name, f"Needed {why}.")
    return [getattr(inputs, name) for name in names]


def _plan(inputs: Inputs) -> tuple[int, float, dict[str, Any]]:
    if inputs.plan_source == "custom":
        n, k = _require(inputs, "n", "k", why="for a plan of your own")
        return n, k, {}
    if inputs.plan_source == "risk-points":
        aql, ltpd = _require(inputs, "aql", "ltpd", why="to design a plan through risk points")
        n, k = variables.find_variables_plan(
            aql, inputs.alpha, ltpd, inputs.beta, method=inputs.method
        )
        return n, k, {}
    lot, aql = _require(inputs, "lot_size", "aql", why="to find the plan in the tables")
    plan = variables.variables_plan(lot, aql, level=inputs.level, inspection=inputs.inspection)
    return plan.sample_size, plan.k, plan.to_dict()


def _quality_at(n: int, k: float, pa: float, method: str) -> float | None:
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if float(variables.variables_oc(n, k, mid, method=method)[()]) > pa:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return (lo + hi) / 2


def run(inputs: Inputs) -> Results:
    n, k, table = _plan(inputs)
    points = [{"pa": pa, "p": _quality_at(n, k, pa, inputs.method)} for pa in QUALITY_POINTS]
    top = min(1.0, max(0.01, float(np.ceil((points[-1]["p"] or 0.2) * 1.6 * 1000) / 1000)))
    p = np.round(np.linspace(0.0, top, CURVE_POINTS), 8)
    curve = {"p": p.tolist(), "pa": variables.variables_oc(n, k, p, method=inputs.method).tolist()}
    risk: dict[str, Any] = {}
    for name, value in (("aql", inputs.aql), ("ltpd", inputs.ltpd)):
        if value is not None:
            pa_at = variables.variables_oc(n, k, value / 100, method=inputs.method)
            risk[name] = {"p": value / 100, "pa": float(pa_at[()])}
    results: dict[str, Any] = {
        "plan": {**table, "sample_size": n, "k": k, "text": f"n = {n}, k = {k:.4g}"},
        "curve": curve,
        "quality_points": points,
        "risk_points": risk,
        "judgement": None,
    }
    if inputs.measurements is not None:
        if (inputs.lsl is None) == (inputs.usl is None):
            raise InvalidInput.for_field(
                "usl", "Give one specification limit (LSL or USL): the s-method judges one."
            )
        if len(inputs.measurements) != n:
            raise InvalidInput.for_field(
                "measurements", f"The plan measures {n} items; {len(inputs.measurements)} given."
            )
        judged = variables.judge_lot((n, k), inputs.measurements, lsl=inputs.lsl, usl=inputs.usl)
        results["judgement"] = judged.to_dict()
    return results


def _draw(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot_sampling import oc_figure

    curves = {**results["curve"], "plan": results["plan"]["text"]}
    return oc_figure(curves, title=f"Variables plan {results['plan']['text']} (s-method)")


def summary(params: dict[str, Any], results: Results) -> list[str]:
    plan = results["plan"]
    lines = [f"Plan ({PLAN_SOURCES[params['plan_source']].lower()}): {plan['text']}"]
    if plan.get("code_letter"):
        lines.append(
            f"Lot size {plan['lot_size']}, AQL {plan['aql']:g} %, level {plan['level']}, "
            f"{plan['inspection']} inspection, code letter {plan['code_letter']} (MIL-STD-414)"
        )
    for point in results["quality_points"]:
        p = "—" if point["p"] is None else f"{100 * point['p']:.3g} %"
        lines.append(f"Accepts {100 * point['pa']:.0f} % of lots at {p}")
    judged = results.get("judgement")
    if judged:
        lines.append(judged["reason"])
    return lines


def _numbers(text: str) -> list[float] | None:
    cells = [c for c in re.split(r"[\s,;]+", text.strip()) if c]
    if not cells:
        return None
    try:
        return [float(c) for c in cells]
    except ValueError:
        bad = next(
            c for c in cells if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", c)
        )
        raise InvalidInput.for_field("measurements", f"'{bad}' is not a number.") from None


class VariablesForm(AnalysisForm):
    plan_source = forms.ChoiceField(choices=PLAN_SOURCES.items(), label="Plan")
    lot_size = forms.IntegerField(min_value=2, required=False)
    aql = forms.FloatField(required=False, label="AQL (%)")
    level = forms.ChoiceField(
        choices=[("", "IV (normal)")] + [(v, v) for v in ("I", "II", "III", "V")],
        required=False,
        label="Inspection level",
    )
    inspection = forms.ChoiceField(choices=(("normal", "Normal"), ("tightened", "Tightened")))
    n = forms.IntegerField(min_value=2, required=False, label="n (own plan)")
    k = forms.FloatField(required=False, label="k (own plan)")
    alpha = forms.FloatField(initial=0.05, label="Producer's risk α")
    ltpd = forms.FloatField(required=False, label="LTPD (%)")
    beta = forms.FloatField(initial=0.10, label="Consumer's risk β")
    method = forms.ChoiceField(
        choices=(("exact", "Non-central t (exact)"), ("wallis", "Wallis approximation"))
    )
    measurements = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="To judge a lot: the sample's measurements, separated by spaces or new lines",
    )
    lsl = forms.FloatField(required=False, label="LSL")
    usl = forms.FloatField(required=False, label="USL")

    def inputs(self, table: Any) -> dict[str, Any]:
        data = super().inputs(table)
        data["level"] = data["level"] or None
        data["measurements"] = _numbers(self.cleaned_data.get("measurements") or "")
        return data


# Incoming bar stock: a lot of 500 (letter I: n 25, k 1.85), AQL 1.0 %, hardness (HRC)
# against its upper limit, and the sample's 25 readings.
EXAMPLE: dict[str, Any] = {
    "plan_source": "table",
    "lot_size": 500,
    "aql": 1.0,
    "measurements": [
        31.2,
        30.8,
        31.9,
        30.5,
        31.1,
        32.0,
        30.9,
        31.4,
        31.6,
        30.7,
        31.3,
        31.0,
        31.8,
        30.6,
        31.5,
        31.2,
        30.9,
        31.7,
        31.1,
        31.0,
        31.4,
        30.8,
        31.6,
        31.2,
        31.3,
    ],
    "usl": 34.0,
}


ANALYSIS = Analysis(
    key="variables-sampling",
    label="Variables sampling plan (s-method)",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_variables-sampling.html",
    summary=summary,
    form=VariablesForm,
    figures=(
        Figure(
            "oc",
            "Operating characteristic",
            "The plan's probability of acceptance against incoming percent nonconforming",
            _draw,
        ),
    ),
    subject="Part or material inspected",
    needs_subject=False,
    help="Accept lots by measurements (mean and s) against one specification limit.",
    references=("MIL-STD-414 (1957)", "Schilling & Neubauer (2017)", "Wallis (1947)"),
)
