"""Crossed Gage R&R as a study: p parts, each measured r times by each of o operators, judged
by the ANOVA method (two-way random effects with the part x operator interaction, pooled
into repeatability when it is not significant) or the average-and-range method. The study
keeps the full ANOVA table and, when the interaction was pooled, the reduced one, as Minitab
prints them; then the variance components, the study variation against the total and the
tolerance, and the number of distinct categories. References: AIAG MSA 4th ed. (2010)
ch. III-B; Minitab Gage R&R Study (Crossed); Montgomery, Design and Analysis of Experiments,
random two-factor model."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from django import forms
from ninja import Field, Schema
from pydantic import BeforeValidator

from qualitas.core.errors import FieldError, InvalidInput
from qualitas.spc import msa
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

METHODS = {
    "anova": "ANOVA (with the part × operator interaction)",
    "average_range": "Average and range (AIAG)",
}
ANOVA_LABELS = {
    "part": "Part",
    "operator": "Operator",
    "operator_part": "Part × Operator",
    "repeatability": "Repeatability",
    "total": "Total",
}
COMPONENT_LABELS = {
    "total_gage_rr": "Total Gage R&R",
    "repeatability": "Repeatability",
    "reproducibility": "Reproducibility",
    "operator": "Operator",
    "operator_part": "Part × Operator",
    "part_to_part": "Part-to-part",
    "total": "Total variation",
}
# How far each source is indented under Total Gage R&R, as Minitab lays the table out.
COMPONENT_DEPTH = {"repeatability": 1, "reproducibility": 1, "operator": 2, "operator_part": 2}
# AIAG MSA 4th ed. (GRR guidelines): under 10 % acceptable, 10-30 % may be acceptable
# depending on the application, over 30 % unacceptable; at least 5 distinct categories.
ACCEPTABLE, MARGINAL = 10.0, 30.0
MIN_NDC = 5
GRADES = ("acceptable", "marginal", "unacceptable")
GRADE_WORDS = {
    "acceptable": "acceptable",
    "marginal": "may be acceptable, depending on the application",
    "unacceptable": "unacceptable",
}
RULE = "< 10 % acceptable, 10–30 % may be acceptable, > 30 % unacceptable; AIAG MSA 4th ed."


def _label(value: Any) -> Any:
    """Part and operator names as text: spreadsheets and JSON often number them (1, 2 …)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return value


Label = Annotated[str, BeforeValidator(_label)]


class Inputs(Schema):
    analysis: Literal["gage-rr"]
    parts: list[Label] = Field(
        ..., min_length=4, description="The part of each measurement (one entry per measurement)"
    )
    operators: list[Label] = Field(
        ..., min_length=4, description="The operator (appraiser) of each measurement"
    )
    values: list[float] = Field(..., min_length=4, description="The measurements")
    method: Literal["anova", "average_range"] = Field(
        "anova",
        description="anova: two-way ANOVA with the part x operator interaction (Minitab, AIAG); "
        "average_range: AIAG's average-and-range method",
    )
    tolerance: float | None = Field(
        None, gt=0, description="USL - LSL; gives each source's % of tolerance"
    )
    study_var: float = Field(
        6.0,
        gt=0,
        le=10,
        description="Standard deviations in the study variation: 6 (99.73 %, Minitab's "
        "default) or 5.15 (99 %, older AIAG practice)",
    )
    interaction_alpha: float = Field(
        0.05,
        ge=0,
        le=1,
        description="The part x operator interaction is pooled into repeatability when its "
        "p-value exceeds this (Minitab's default 0.05; some practitioners use 0.25)",
    )


def _grade(percent: float | None) -> str | None:
    if percent is None:
        return None
    if percent < ACCEPTABLE:
        return "acceptable"
    return "marginal" if percent <= MARGINAL else "unacceptable"


def _verdict(components: dict[str, Any], ndc: int, tolerance: float | None) -> dict[str, Any]:
    """The AIAG judgement: % study variation of the total Gage R&R, its % of the tolerance
    when there is one, and the number of distinct categories; the study is as good as its
    worst criterion."""
    grr = components["total_gage_rr"]
    criteria = []
    sv_grade = _grade(grr["pct_study_var"]) or "acceptable"
    criteria.append(
        {
            "name": "% study variation",
            "grade": sv_grade,
            "text": f"Gage R&R {grr['pct_study_var']:.1f} % of study variation: "
            f"{GRADE_WORDS[sv_grade]} ({RULE})",
        }
    )
    if tolerance is not None and grr["pct_tolerance"] is not None:
        tol_grade = _grade(grr["pct_tolerance"]) or "acceptable"
        criteria.append(
            {
                "name": "% tolerance",
                "grade": tol_grade,
                "text": f"Gage R&R {grr['pct_tolerance']:.1f} % of the tolerance: "
                f"{GRADE_WORDS[tol_grade]}",
            }
        )
    if grr["std_dev"] == 0:
        ndc_grade, ndc_text = "acceptable", "The gauge showed no variation at all"
    elif ndc >= MIN_NDC:
        ndc_grade, ndc_text = "acceptable", f"{ndc} distinct categories (≥ {MIN_NDC}): adequate"
    elif ndc >= 2:
        ndc_grade = "marginal"
        ndc_text = (
            f"{ndc} distinct categories (< {MIN_NDC}): the gauge tells parts apart only "
            "coarsely; not adequate for process control"
        )
    else:
        ndc_grade = "unacceptable"
        ndc_text = f"{ndc} distinct category: the gauge cannot tell the parts apart"
    criteria.append({"name": "ndc", "grade": ndc_grade, "text": ndc_text})
    level = max((c["grade"] for c in criteria), key=GRADES.index)
    headline = {
        "acceptable": "Measurement system acceptable",
        "marginal": "Measurement system may be acceptable, depending on the application",
        "unacceptable": "Measurement system unacceptable",
    }[level]
    return {"level": level, "text": headline, "criteria": criteria}


def _pooling(result: dict[str, Any]) -> str:
    """Why the variance components come from the table they come from."""
    if result["method"] != "anova":
        return ""
    alpha, p = result["interaction_alpha"], result["interaction_p"]
    if result["interaction_pooled"]:
        if p is None:
            return (
                "The part × operator interaction and repeatability are both zero, so the "
                "interaction was pooled into repeatability."
            )
        return (
            f"The part × operator interaction is not significant (p = {p:.3f} > α = "
            f"{alpha:g}), so it was pooled into repeatability: the variance components come "
            "from the reduced table."
        )
    if p is None:
        return (
            "Repeatability is zero, so the interaction cannot be tested; it is kept in the model."
        )
    return (
        f"The part × operator interaction is significant (p = {p:.3f} ≤ α = {alpha:g}): it "
        "is kept, and its variance is part of reproducibility."
    )


def _first_seen(labels: list[str]) -> list[str]:
    return list(dict.fromkeys(labels))


def _cell_means(parts: list[str], operators: list[str], values: list[float]) -> dict[str, Any]:
    """The mean of each part for each operator, parts and operators in the order the data
    gives them (what the operator-by-part interaction plot draws)."""
    part_names, oper_names = _first_seen(parts), _first_seen(operators)
    sums: dict[tuple[str, str], float] = {}
    counts: dict[tuple[str, str], int] = {}
    for part, oper, value in zip(parts, operators, values, strict=True):
        sums[(part, oper)] = sums.get((part, oper), 0.0) + value
        counts[(part, oper)] = counts.get((part, oper), 0) + 1
    means = [[sums[(p, o)] / counts[(p, o)] for p in part_names] for o in oper_names]
    return {"parts": part_names, "operators": oper_names, "means": means}


def check_design(parts: list[str], operators: list[str], values: list[float]) -> None:
    """What the engine would refuse, said about the input it concerns."""
    if len(operators) != len(parts):
        raise InvalidInput.for_field(
            "operators",
            f"There are {len(parts)} parts but {len(operators)} operators; give one part and "
            "one operator for every measurement.",
        )
    if len(values) != len(parts):
        raise InvalidInput.for_field(
            "values",
            f"There are {len(parts)} parts but {len(values)} measurements; give one part and "
            "one operator for every measurement.",
        )
    missing = [i + 1 for i, v in enumerate(values) if not math.isfinite(v)]
    if missing:
        raise InvalidInput.for_field("values", f"Measurement {missing[0]} is missing.")
    if len(set(operators)) < 2:
        raise InvalidInput.for_field(
            "operators",
            "A Gage R&R needs at least 2 operators to estimate reproducibility; "
            f"all measurements are by {operators[0]!r}. "
            "With one operator, run a type 1 gauge study instead.",
        )
    if len(set(parts)) < 2:
        raise InvalidInput.for_field("parts", "A Gage R&R needs at least 2 different parts.")
    counts: dict[tuple[str, str], int] = {}
    for cell in zip(parts, operators, strict=True):
        counts[cell] = counts.get(cell, 0) + 1
    first = (parts[0], operators[0])
    for part in _first_seen(parts):
        for oper in _first_seen(operators):
            if counts.get((part, oper), 0) != counts[first]:
                raise InvalidInput.for_field(
                    "values",
                    "Every operator must measure every part the same number of times: "
                    f"part {part!r} by operator {oper!r} has {counts.get((part, oper), 0)} "
                    f"measurements, part {first[0]!r} by operator {first[1]!r} has "
                    f"{counts[first]}.",
                )
    if counts[first] < 2:
        raise InvalidInput.for_field(
            "values",
            "Each operator must measure each part at least twice (repeatability comes from "
            "the repeats).",
        )


def run(inputs: Inputs) -> Results:
    check_design(inputs.parts, inputs.operators, inputs.values)
    study = msa.gage_rr(
        inputs.parts,
        inputs.operators,
        inputs.values,
        method=inputs.method,
        tolerance=inputs.tolerance,
        study_var=inputs.study_var,
        interaction_alpha=inputs.interaction_alpha,
    )
    out = study.to_dict()
    for table in ("anova", "anova_full", "anova_reduced"):
        for row in out[table] or []:
            row["label"] = ANOVA_LABELS[row["source"]]
    shown = [
        name
        for name in msa.COMPONENTS
        if not (name == "operator" and study.method != "anova")
        and not (name == "operator_part" and (study.method != "anova" or study.interaction_pooled))
    ]
    out["component_table"] = [
        {
            "source": name,
            "label": COMPONENT_LABELS[name],
            "depth": COMPONENT_DEPTH.get(name, 0),
            **out["components"][name],
        }
        for name in shown
    ]
    out["pooling"] = _pooling(out)
    out["verdict"] = _verdict(out["components"], study.ndc, inputs.tolerance)
    out["cell_means"] = _cell_means(inputs.parts, inputs.operators, inputs.values)
    return out


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def summary(params: dict[str, Any], results: Results) -> list[str]:
    c = results["components"]
    grr, part = c["total_gage_rr"], c["part_to_part"]
    lines = [
        f"Method: {METHODS[results['method']]}; {results['parts']} parts × "
        f"{results['operators']} operators × {results['replicates']} trials",
        f"Study variation = {results['study_var']:g} × standard deviation"
        + (f"; tolerance {results['tolerance']:g}" if results["tolerance"] is not None else ""),
    ]
    if results["method"] == "anova":
        row = next((r for r in results["anova_full"] if r["source"] == "operator_part"), None)
        if row is not None:
            lines.append(
                f"Part × operator interaction: SS {_fmt(row['ss'])}, df {row['df']}, "
                f"MS {_fmt(row['ms'])}, F {_fmt(row['f'])}, p {_fmt(row['p'], 3)}"
            )
        if results["pooling"]:
            lines.append(results["pooling"])
    for row in results["component_table"]:
        tol = row["pct_tolerance"]
        lines.append(
            f"{row['label']}: VarComp {_fmt(row['variance'])}, "
            f"{row['pct_contribution']:.2f} % contribution, SD {_fmt(row['std_dev'])}, "
            f"{row['pct_study_var']:.2f} % study var"
            + ("" if tol is None else f", {tol:.2f} % tolerance")
        )
    lines.append(
        f"Number of distinct categories: {results['ndc']} "
        f"(part SD {_fmt(part['std_dev'])} / gage SD {_fmt(grr['std_dev'])})"
    )
    lines.extend(criterion["text"] for criterion in results["verdict"]["criteria"])
    lines.append(f"Verdict: {results['verdict']['text']}")
    return lines


def _draw_components(params: dict[str, Any], results: Results) -> Any:
    import numpy as np

    from qualitas.spc.plot import _pyplot

    plt = _pyplot()
    c = results["components"]
    sources = ["total_gage_rr", "repeatability", "reproducibility", "part_to_part"]
    names = ["Gage R&R", "Repeat", "Reprod", "Part-to-part"]
    series = [("% Contribution", "pct_contribution"), ("% Study var", "pct_study_var")]
    if results["tolerance"] is not None:
        series.append(("% Tolerance", "pct_tolerance"))
    fig, ax = plt.subplots(figsize=(8, 4))
    x = np.arange(len(sources))
    width = 0.8 / len(series)
    for i, (label, key) in enumerate(series):
        heights = [c[s][key] or 0.0 for s in sources]
        ax.bar(x + (i - (len(series) - 1) / 2) * width, heights, width, label=label)
    for limit in (ACCEPTABLE, MARGINAL):
        ax.axhline(limit, color="0.5", linestyle=":", linewidth=0.8)
    ax.set_xticks(x, names)
    ax.set_ylabel("Percent")
    ax.set_title("Components of variation")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _draw_interaction(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot import _pyplot

    plt = _pyplot()
    cells = results["cell_means"]
    fig, ax = plt.subplots(figsize=(8, 4))
    x = list(range(len(cells["parts"])))
    for oper, means in zip(cells["operators"], cells["means"], strict=True):
        ax.plot(x, means, marker="o", label=str(oper))
    ax.set_xticks(x, cells["parts"], rotation=90 if len(x) > 15 else 0)
    ax.set_xlabel("Part")
    ax.set_ylabel("Mean measurement")
    ax.set_title("Part × operator interaction")
    ax.legend(title="Operator", fontsize="small")
    fig.tight_layout()
    return fig


def _column(table: Any, given: str, field: str, guesses: tuple[str, ...]) -> str:
    """The column the user named, else the first header that reads like one of `guesses`."""
    if given:
        return given
    for header in table.headers:
        if header.strip().lower() in guesses:
            return str(header)
    raise InvalidInput.for_field(
        field, f"Name the column; the columns are {', '.join(table.headers)}."
    )


class GageForm(AnalysisForm):
    takes_data = True

    part_column = forms.CharField(
        max_length=120, required=False, help_text="Default: a column named Part"
    )
    operator_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="Default: a column named Operator or Appraiser",
    )
    value_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="One row per measurement (default: the first other numeric column)",
    )
    method = forms.ChoiceField(choices=METHODS.items())
    tolerance = forms.FloatField(
        required=False,
        min_value=0,
        label="Tolerance (USL − LSL)",
        help_text="Optional: gives % of tolerance",
    )
    study_var = forms.TypedChoiceField(
        choices=(("6", "6 σ (99.73 %)"), ("5.15", "5.15 σ (99 %, older AIAG)")),
        coerce=float,
        initial="6",
        label="Study variation",
    )
    interaction_alpha = forms.FloatField(
        initial=0.05,
        min_value=0,
        max_value=1,
        label="α to pool the interaction",
        help_text="Minitab's default 0.05; some practitioners use 0.25",
    )

    def inputs(self, table: Any) -> dict[str, Any]:
        data = self.cleaned_data
        part_col = _column(table, data.get("part_column", ""), "part_column", ("part", "parts"))
        oper_col = _column(
            table,
            data.get("operator_column", ""),
            "operator_column",
            ("operator", "operators", "appraiser", "appraisers"),
        )
        value_col = data.get("value_column") or table.first_numeric_column(
            skip=(part_col, oper_col)
        )
        if not value_col:
            raise InvalidInput.for_field("value_column", "There is no column of measurements.")
        parts = [c.strip() for c in table.column(part_col, field="part_column")]
        operators = [c.strip() for c in table.column(oper_col, field="operator_column")]
        values = table.numbers(value_col, field="value_column")
        rows = table.lines or tuple(range(2, len(parts) + 2))
        errors = []
        for field, column, cells in (
            ("part_column", part_col, parts),
            ("operator_column", oper_col, operators),
        ):
            blank = [row for row, cell in zip(rows, cells, strict=True) if not cell]
            if blank:
                errors.append(FieldError(field, f"Row {blank[0]}, column '{column}' is empty."))
        missing = [row for row, v in zip(rows, values, strict=True) if math.isnan(v)]
        if missing:
            errors.append(
                FieldError("value_column", f"Row {missing[0]}, column '{value_col}' is empty.")
            )
        if errors:
            raise InvalidInput(errors)
        if len(set(operators)) < 2:
            raise InvalidInput.for_field(
                "operator_column",
                f"Column '{oper_col}' names only one operator ({operators[0]!r}); a Gage R&R "
                "needs at least 2. With one operator, run a type 1 gauge study instead.",
            )
        if len(set(parts)) < 2:
            raise InvalidInput.for_field(
                "part_column",
                f"Column '{part_col}' names only one part; a Gage R&R needs 2 or more.",
            )
        return {
            "parts": parts,
            "operators": operators,
            "values": values,
            "method": data.get("method") or "anova",
            "tolerance": data.get("tolerance"),
            "study_var": data.get("study_var") or 6.0,
            "interaction_alpha": (
                0.05 if data.get("interaction_alpha") is None else data["interaction_alpha"]
            ),
        }


# AIAG MSA 4th ed. (2010), the Gage R&R example of ch. III-B (its data sheet, and the ANOVA
# of Tables III-B 16 to 18): 10 parts, appraisers A, B and C, 3 trials. Published: GRR
# 27.9 % of total variation (ANOVA), ndc 4; the interaction (p 0.974) is pooled.
_AIAG = {
    "A": [
        [0.29, -0.56, 1.34, 0.47, -0.80, 0.02, 0.59, -0.31, 2.26, -1.36],
        [0.41, -0.68, 1.17, 0.50, -0.92, -0.11, 0.75, -0.20, 1.99, -1.25],
        [0.64, -0.58, 1.27, 0.64, -0.84, -0.21, 0.66, -0.17, 2.01, -1.31],
    ],
    "B": [
        [0.08, -0.47, 1.19, 0.01, -0.56, -0.20, 0.47, -0.63, 1.80, -1.68],
        [0.25, -1.22, 0.94, 1.03, -1.20, 0.22, 0.55, 0.08, 2.12, -1.62],
        [0.07, -0.68, 1.34, 0.20, -1.28, 0.06, 0.83, -0.34, 2.19, -1.50],
    ],
    "C": [
        [0.04, -1.38, 0.88, 0.14, -1.46, -0.29, 0.02, -0.46, 1.77, -1.49],
        [-0.11, -1.13, 1.09, 0.20, -1.07, -0.67, 0.01, -0.56, 1.45, -1.77],
        [-0.15, -0.96, 0.67, 0.11, -1.45, -0.49, 0.21, -0.49, 1.87, -2.16],
    ],
}
EXAMPLE: dict[str, Any] = {
    "analysis": "gage-rr",
    "parts": [str(part) for trials in _AIAG.values() for trial in trials for part in range(1, 11)],
    "operators": [oper for oper, trials in _AIAG.items() for trial in trials for _ in trial],
    "values": [value for trials in _AIAG.values() for trial in trials for value in trial],
    "method": "anova",
    "tolerance": None,
    "study_var": 6.0,
    "interaction_alpha": 0.05,
}

ANALYSIS = Analysis(
    key="gage-rr",
    label="Gage R&R (crossed)",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_gage-rr.html",
    summary=summary,
    form=GageForm,
    figures=(
        Figure(
            "components",
            "Components of variation",
            "Bars of percent contribution, percent study variation and percent tolerance for "
            "total Gage R&R, repeatability, reproducibility and part-to-part",
            _draw_components,
        ),
        Figure(
            "interaction",
            "Part × operator interaction",
            "The mean measurement of each part, one line per operator; parallel lines mean "
            "no interaction",
            _draw_interaction,
        ),
    ),
    subject="The gauge and the characteristic it measures",
    help="Repeatability and reproducibility of a gauge from parts measured by several "
    "operators: ANOVA tables, variance components, % study variation, % tolerance, ndc.",
    references=(
        "AIAG MSA 4th ed. (2010) ch. III-B",
        "Minitab Gage R&R Study (Crossed)",
        "Montgomery, Design and Analysis of Experiments (random two-factor model)",
    ),
)
