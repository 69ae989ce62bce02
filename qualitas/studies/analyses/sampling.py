"""Acceptance sampling by attributes as a study: a plan from the ISO 2859-1 / ANSI Z1.4 tables
(single, double or multiple), a plan of one's own, or one designed through the producer's and
consumer's risk points; then its OC curve and, with a lot size, AOQ, AOQL and ATI (ASN for
double and multiple plans), and the quality levels at which it accepts 95 %, 50 % and 10 % of
lots. References: ISO 2859-1:1999, MIL-STD-105E, Schilling & Neubauer (2017) ch. 2-5."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from django import forms
from ninja import Field, Schema

from qualitas.core.errors import InvalidInput
from qualitas.spc import multiple, sampling
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

PLAN_SOURCES = {
    "table": "From the ISO 2859-1 / Z1.4 tables",
    "custom": "A plan of my own (n, Ac)",
    "risk-points": "Designed through AQL/α and LTPD/β",
    "limiting-quality": "An isolated lot, at its limiting quality (LQ)",
}
SCHEMES = ("single", "double", "multiple")
INSPECTIONS = ("normal", "tightened", "reduced")
# The probabilities of acceptance whose incoming quality a buyer and a supplier agree on:
# the producer's point (95 %), the indifference point (50 %) and the consumer's (10 %).
QUALITY_POINTS = (0.95, 0.50, 0.10)
CURVE_POINTS = 101


class Inputs(Schema):
    analysis: Literal["sampling"]
    plan_source: Literal["table", "custom", "risk-points", "limiting-quality"] = Field(
        "table",
        description="table: ISO 2859-1 / Z1.4 lookup by lot size and AQL; custom: your own n "
        "and Ac; risk-points: the smallest single plan through AQL/alpha and LTPD/beta; "
        "limiting-quality: the smallest sample from an isolated lot with Pa(LQ) <= beta "
        "(hypergeometric, the principle of ISO 2859-2 procedure A, not its printed table)",
    )
    lot_size: int | None = Field(
        None, ge=1, description="Lot size (needed by the tables, AOQ/ATI and hypergeometric OC)"
    )
    aql: float | None = Field(None, gt=0, description="Acceptance quality limit, percent")
    level: str = Field("II", description="Inspection level: I, II, III or S-1 … S-4")
    inspection: Literal["normal", "tightened", "reduced"] = "normal"
    scheme: Literal["single", "double", "multiple"] = "single"
    standard: Literal["iso2859-1", "z1.4"] = Field(
        "iso2859-1",  # the engine's DEFAULT_STANDARD
        description="iso2859-1 (ISO 2859-1:1999) or z1.4 (MIL-STD-105E and ANSI/ASQ Z1.4)",
    )
    n: int | None = Field(None, ge=1, description="Sample size of your own single plan")
    ac: int | None = Field(None, ge=0, description="Acceptance number of your own plan")
    alpha: float = Field(0.05, gt=0, lt=1, description="Producer's risk at the AQL")
    ltpd: float | None = Field(
        None, gt=0, lt=100, description="Lot tolerance percent defective (consumer's point), %"
    )
    beta: float = Field(0.10, gt=0, lt=1, description="Consumer's risk at the LTPD or LQ")
    lq: float | None = Field(
        None, gt=0, lt=100, description="Limiting quality of an isolated lot, percent"
    )
    method: Literal["binomial", "poisson", "hypergeometric"] = Field(
        "binomial", description="hypergeometric for an isolated lot (ISO 2859-2 type A)"
    )


def _require(inputs: Inputs, *names: str, why: str) -> list[Any]:
    for name in names:
        if getattr(inputs, name) is None:
            raise InvalidInput.for_field(name, f"Needed {why}.")
    return [getattr(inputs, name) for name in names]


def _plan(inputs: Inputs) -> Any:
    if inputs.plan_source == "custom":
        n, ac = _require(inputs, "n", "ac", why="for a plan of your own")
        if ac >= n:
            raise InvalidInput.for_field("ac", "The acceptance number must be below n.")
        return (n, ac)
    if inputs.plan_source == "risk-points":
        aql, ltpd = _require(inputs, "aql", "ltpd", why="to design a plan through risk points")
        return sampling.find_plan(
            aql,
            inputs.alpha,
            ltpd,
            inputs.beta,
            method=inputs.method,
            lot_size=inputs.lot_size,
        )
    if inputs.plan_source == "limiting-quality":
        lot, lq = _require(inputs, "lot_size", "lq", why="for a limiting quality plan")
        return sampling.lq_plan(lot, lq, beta=inputs.beta, ac=inputs.ac or 0)
    _require(inputs, "lot_size", "aql", why="to find the plan in the tables")
    options = {"level": inputs.level, "inspection": inputs.inspection, "standard": inputs.standard}
    if inputs.scheme == "double":
        return multiple.double_plan(inputs.lot_size, inputs.aql, **options)  # type: ignore[arg-type]
    if inputs.scheme == "multiple":
        return multiple.multiple_plan(inputs.lot_size, inputs.aql, **options)  # type: ignore[arg-type]
    return sampling.sampling_plan(inputs.lot_size, inputs.aql, **options)  # type: ignore[arg-type]


def _described(plan: Any) -> dict[str, Any]:
    """The plan as the page shows it: its kind, its stages (n, cumulative Ac, Re) and the
    table's own data (code letter …) when it came from one."""
    if isinstance(plan, tuple):
        n, c = plan
        return {"kind": "single", "stages": [[n, c, c + 1]], "text": f"n = {n}, Ac = {c}"}
    if isinstance(plan, sampling.SamplingPlan):
        out = plan.to_dict()
        n, c, r = plan.sample_size, plan.acceptance_number, plan.rejection_number
        return {**out, "kind": "single", "stages": [[n, c, r]], "text": f"n = {n}, Ac = {c}"}
    if isinstance(plan, multiple.TableSubstitute):
        used = _described(plan.plan)
        return {**used, "substitute_for": plan.requested, "reason": plan.reason}
    out = plan.to_dict()
    stages = [[n, ac, re] for n, ac, re in plan.stages]
    text = "; ".join(f"n{k + 1} = {n}, Ac {ac}, Re {re}" for k, (n, ac, re) in enumerate(stages))
    return {**out, "stages": stages, "text": text}


def _quality_at(plan: Any, pa: float, inputs: Inputs) -> float | None:
    """The incoming fraction nonconforming at which the plan accepts `pa` of lots (the OC
    curve falls as p grows, so bisection on p is exact to 1e-9)."""
    lo, hi = 0.0, 1.0 if inputs.method != "poisson" else 50.0

    def accepted(p: float) -> float:
        return float(sampling.oc_curve(plan, p, method=inputs.method, lot_size=inputs.lot_size))

    if accepted(hi) > pa:
        return None
    for _ in range(80):
        mid = (lo + hi) / 2
        if accepted(mid) > pa:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-9:
            break
    return (lo + hi) / 2


def run(inputs: Inputs) -> Results:
    if inputs.plan_source == "limiting-quality":
        # An isolated lot: sampled without replacement, whatever model was asked for.
        inputs = inputs.model_copy(update={"method": "hypergeometric"})
    if inputs.method == "hypergeometric" and inputs.lot_size is None:
        raise InvalidInput.for_field("lot_size", "The hypergeometric OC curve needs the lot size.")
    plan = _plan(inputs)
    described = _described(plan)
    lot = inputs.lot_size
    points = [
        {"pa": pa, "p": _quality_at(plan, pa, inputs)} for pa in QUALITY_POINTS
    ]  # p95, p50, p10
    p10 = points[-1]["p"] or 0.2
    top = min(1.0, max(0.01, float(np.ceil(p10 * 1.6 * 1000) / 1000)))
    p = np.round(np.linspace(0.0, top, CURVE_POINTS), 8)
    if lot is not None:  # the hypergeometric model needs a whole number of defectives in the lot
        p = np.unique(np.round(p * lot) / lot) if inputs.method == "hypergeometric" else p
    curve: dict[str, Any] = {
        "p": p.tolist(),
        "pa": sampling.oc_curve(plan, p, method=inputs.method, lot_size=lot).tolist(),
    }
    if lot is not None:
        curve["aoq"] = sampling.aoq(plan, p, lot, method=inputs.method).tolist()
        curve["ati"] = sampling.ati(plan, p, lot, method=inputs.method).tolist()
        curve["aoql"], curve["aoql_at"] = sampling.aoql(plan, lot, method=inputs.method)
    if len(described["stages"]) > 1:
        curve["asn"] = multiple.asn(plan, p, method=inputs.method, lot_size=lot).tolist()
    risk: dict[str, Any] = {}
    for name, value in (("aql", inputs.aql), ("ltpd", inputs.ltpd), ("lq", inputs.lq)):
        if value is not None:
            pa_at = sampling.oc_curve(plan, value / 100, method=inputs.method, lot_size=lot)
            risk[name] = {"p": value / 100, "pa": float(pa_at)}
    return {
        "plan": described,
        "curve": curve,
        "quality_points": points,
        "risk_points": risk,
        "method": inputs.method,
    }


def _draw(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot_sampling import oc_figure

    curves = {**results["curve"], "plan": results["plan"]["text"]}
    return oc_figure(curves, title=f"Plan {results['plan']['text']} ({results['method']})")


def _percent(p: float | None) -> str:
    return "—" if p is None else f"{100 * p:.3g} %"


def summary(params: dict[str, Any], results: Results) -> list[str]:
    plan = results["plan"]
    lines = [f"Plan ({PLAN_SOURCES[params['plan_source']].lower()}): {plan['text']}"]
    if plan.get("code_letter"):
        lines.append(
            f"Lot size {plan['lot_size']}, AQL {plan['aql']:g} %, level {plan['level']}, "
            f"{plan['inspection']} inspection, code letter {plan['code_letter']}, "
            f"standard {plan['standard']}"
        )
    if plan.get("reason"):
        lines.append(plan["reason"])
    lines.append(f"OC model: {results['method']}")
    for point in results["quality_points"]:
        lines.append(f"Accepts {100 * point['pa']:.0f} % of lots at {_percent(point['p'])}")
    curve = results["curve"]
    if curve.get("aoql") is not None:
        lines.append(f"AOQL {_percent(curve['aoql'])} at incoming {_percent(curve['aoql_at'])}")
    for name, point in results["risk_points"].items():
        lines.append(f"Pa at {name.upper()} {_percent(point['p'])}: {point['pa']:.4f}")
    return lines


class SamplingForm(AnalysisForm):
    plan_source = forms.ChoiceField(choices=PLAN_SOURCES.items(), label="Plan")
    lot_size = forms.IntegerField(
        min_value=1, required=False, help_text="Tables and LQ plans; gives AOQ and ATI to any plan"
    )
    aql = forms.FloatField(
        required=False, label="AQL (%)", help_text="Tables and risk points: e.g. 0.65, 1.0, 2.5"
    )
    level = forms.ChoiceField(
        choices=[(v, v) for v in sampling.LEVELS], initial="II", label="Inspection level"
    )
    inspection = forms.ChoiceField(choices=[(v, v.capitalize()) for v in INSPECTIONS])
    scheme = forms.ChoiceField(choices=[(v, v.capitalize()) for v in SCHEMES], label="Sampling")
    standard = forms.ChoiceField(
        choices=(("iso2859-1", "ISO 2859-1:1999"), ("z1.4", "ANSI/ASQ Z1.4 (MIL-STD-105E)"))
    )
    n = forms.IntegerField(min_value=1, required=False, label="n", help_text="Own plan")
    ac = forms.IntegerField(
        min_value=0, required=False, label="Ac", help_text="Own plan; LQ plans (default 0)"
    )
    alpha = forms.FloatField(initial=0.05, label="Producer's risk α")
    ltpd = forms.FloatField(required=False, label="LTPD (%)", help_text="Risk points")
    beta = forms.FloatField(initial=0.10, label="Consumer's risk β")
    lq = forms.FloatField(
        required=False, label="LQ (%)", help_text="Isolated lot: limiting quality"
    )
    method = forms.ChoiceField(
        choices=(
            ("binomial", "Binomial (type B, a series of lots)"),
            ("poisson", "Poisson (defects)"),
            ("hypergeometric", "Hypergeometric (type A, an isolated lot)"),
        ),
        label="OC model",
    )


# Incoming inspection of a lot of 1,000 machined housings at AQL 1.0 (ISO 2859-1, level II).
EXAMPLE: dict[str, Any] = {
    "plan_source": "table",
    "lot_size": 1000,
    "aql": 1.0,
    "level": "II",
    "inspection": "normal",
    "scheme": "single",
}


ANALYSIS = Analysis(
    key="sampling",
    label="Acceptance sampling plan",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_sampling.html",
    summary=summary,
    form=SamplingForm,
    figures=(
        Figure(
            "oc",
            "Operating characteristic; with a lot size, average outgoing quality; for double "
            "and multiple plans, average sample number",
            "The plan's probability of acceptance (and, where they apply, average outgoing "
            "quality and average sample number) against incoming percent nonconforming",
            _draw,
        ),
    ),
    subject="Part or material inspected",
    needs_subject=False,
    help="Find or judge a plan: its OC curve, AOQ/AOQL, ATI and ASN.",
    references=("ISO 2859-1:1999", "MIL-STD-105E", "Schilling & Neubauer (2017)"),
)
