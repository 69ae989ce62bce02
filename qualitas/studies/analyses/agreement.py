"""Attribute agreement analysis as a study: appraisers rate the same parts (pass/fail, grades)
once or several times, optionally against each part's known standard. Percent agreement with
exact intervals within each appraiser, of each appraiser with the standard, between appraisers
and of all with the standard, and Fleiss' kappa for each response. References: AIAG MSA 4th ed.
(2010) III-C, Fleiss (1971), Minitab "Attribute Agreement Analysis"."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from django import forms
from ninja import Field, Schema

from qualitas.core.errors import FieldError, InvalidInput
from qualitas.spc import msa
from qualitas.spc.errors import SpcInputError
from qualitas.studies.analyses.base import Analysis, Figure, Results
from qualitas.studies.forms import AnalysisForm

# AIAG MSA 4th ed. III-C: kappa above 0.75 is good agreement, below 0.40 poor.
GOOD_KAPPA = 0.75
POOR_KAPPA = 0.40
COLUMN_GUESSES = {
    "appraiser_column": ("appraiser", "operator", "inspector", "rater"),
    "part_column": ("part", "sample", "item", "subject"),
    "rating_column": ("rating", "response", "result", "attribute", "decision"),
    "standard_column": ("standard", "reference", "known standard"),
}


class Inputs(Schema):
    analysis: Literal["attribute-agreement"]
    appraisers: list[str] = Field(
        ..., min_length=2, description="Who gave the rating, one per rating (long form)"
    )
    parts: list[str] = Field(..., min_length=2, description="The part rated, one per rating")
    ratings: list[str] = Field(
        ..., min_length=2, description="The rating given (e.g. pass/fail, 1-5), one per rating"
    )
    standards: list[str] | None = Field(
        None,
        description="The part's known standard rating, one per rating (the same for every "
        "rating of a part); leave out when there is no standard",
    )
    confidence: float = Field(
        0.95, gt=0, lt=1, description="Confidence level of the agreement intervals"
    )


def _check_lengths(inputs: Inputs) -> None:
    n = len(inputs.appraisers)
    for name in ("parts", "ratings", "standards"):
        values = getattr(inputs, name)
        if values is not None and len(values) != n:
            raise InvalidInput.for_field(
                name, f"{len(values)} {name} for {n} appraisers: give one per rating (row)."
            )
    errors = []
    for name in ("appraisers", "parts", "ratings", "standards"):
        values = getattr(inputs, name)
        if values is None:
            continue
        empty = [k + 1 for k, v in enumerate(values) if not v.strip()]
        if empty:
            errors.append(FieldError(name, f"Rating {empty[0]} has no {name[:-1]}."))
    if errors:
        raise InvalidInput(errors)


def _grid(inputs: Inputs) -> tuple[dict[str, list[list[str]]], list[str] | None, list[str]]:
    """The long table as the engine's appraiser -> parts x trials mapping (appraisers and
    parts in the order they first appear), and the standard of each part."""
    appraisers = [a.strip() for a in inputs.appraisers]
    parts = [p.strip() for p in inputs.parts]
    ratings = [r.strip() for r in inputs.ratings]
    cells: dict[str, dict[str, list[str]]] = {}
    for who, part, rating in zip(appraisers, parts, ratings, strict=True):
        cells.setdefault(who, {}).setdefault(part, []).append(rating)
    part_order = list(dict.fromkeys(parts))
    grid: dict[str, list[list[str]]] = {}
    trials: int | None = None
    for who, by_part in cells.items():
        missing = [p for p in part_order if p not in by_part]
        if missing:
            raise InvalidInput.for_field(
                "ratings", f"Appraiser '{who}' did not rate part '{missing[0]}'."
            )
        for part in part_order:
            count = len(by_part[part])
            if trials is None:
                trials = count
            elif count != trials:
                raise InvalidInput.for_field(
                    "ratings",
                    f"Appraiser '{who}' rated part '{part}' {count} time(s), other parts "
                    f"{trials} time(s): every appraiser must rate every part equally often.",
                )
        grid[who] = [by_part[p] for p in part_order]
    standard = None
    if inputs.standards is not None:
        known: dict[str, str] = {}
        for part, value in zip(parts, (s.strip() for s in inputs.standards), strict=True):
            if known.setdefault(part, value) != value:
                raise InvalidInput.for_field(
                    "standards",
                    f"Part '{part}' has two standard values, '{known[part]}' and '{value}'.",
                )
        standard = [known[p] for p in part_order]
    return grid, standard, part_order


def _overall(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((r for r in rows if r["response"] is None), None)


def _level(kappa: float | None) -> str | None:
    if kappa is None:
        return None
    if kappa > GOOD_KAPPA:
        return "good"
    return "poor" if kappa < POOR_KAPPA else "marginal"


LEVEL_WORDS = {
    "good": f"good agreement (kappa > {GOOD_KAPPA:.2f})",
    "marginal": f"marginal agreement (kappa {POOR_KAPPA:.2f}-{GOOD_KAPPA:.2f}): improve the "
    "inspection (criteria, boundary samples, training)",
    "poor": f"poor agreement (kappa < {POOR_KAPPA:.2f}): the inspection is not acceptable",
}


def _verdict(out: dict[str, Any]) -> dict[str, Any]:
    """The decision AIAG MSA 4th ed. reads from the kappas: against the standard when there
    is one (the inspection's correctness), else between appraisers (its consistency)."""
    has_standard = out["all_vs_standard"] is not None
    basis = "all appraisers vs standard" if has_standard else "between appraisers"
    overall = _overall(out["all_vs_standard_kappa" if has_standard else "between_kappa"])
    kappa = None if overall is None else overall["kappa"]
    level = _level(kappa)
    if level is None:
        text = f"Kappa {basis} is not defined (only one response was used)."
    else:
        text = f"Fleiss' kappa {basis} {kappa:.3f}: {LEVEL_WORDS[level]}."
    weak = []
    between = _overall(out["between_kappa"])
    if (
        has_standard
        and between
        and between["kappa"] is not None
        and _level(between["kappa"]) != "good"
    ):
        weak.append(f"between appraisers ({between['kappa']:.2f})")
    for row in out["by_appraiser"]:
        for what, key in (("within", "within_kappa"), ("vs standard", "vs_standard_kappa")):
            k = row[key]
            if k is not None and k["kappa"] is not None and _level(k["kappa"]) != "good":
                weak.append(f"{row['appraiser']} ({what} {k['kappa']:.2f})")
    return {"basis": basis, "kappa": kappa, "level": level, "text": text, "weak": weak}


def run(inputs: Inputs) -> Results:
    _check_lengths(inputs)
    grid, standard, part_order = _grid(inputs)
    try:
        found = msa.attribute_agreement(grid, standard, confidence=inputs.confidence)
    except SpcInputError as exc:
        message = str(exc)
        name = "standards" if message.startswith("standard") else "ratings"
        if message.startswith("appraisers") or "2 appraisers" in message:
            name = "appraisers"
        elif "2 parts" in message:
            name = "parts"
        raise InvalidInput.for_field(name, message) from None
    out = found.to_dict()
    out["part_labels"] = part_order
    # Per appraiser in one list: the page and the figure read rows, not dicts keyed by names
    # (a name such as "items" would clash with a template's dict lookup).
    out["by_appraiser"] = [
        {
            "appraiser": name,
            "within": out["within"].get(name),
            "within_kappa": _overall(out["within_kappa"].get(name, [])),
            "vs_standard": out["vs_standard"].get(name),
            "vs_standard_kappa": _overall(out["vs_standard_kappa"].get(name, [])),
        }
        for name in out["appraisers"]
    ]
    out["kappa_by_response"] = [
        {
            "response": "Overall" if row["response"] is None else row["response"],
            "between": row,
            "vs_standard": next(
                (s for s in out["all_vs_standard_kappa"] if s["response"] == row["response"]),
                None,
            ),
        }
        for row in out["between_kappa"]
    ]
    out["verdict"] = _verdict(out)
    return out


def _panels(results: Results) -> list[tuple[str, str]]:
    panels = []
    if results["within"]:
        panels.append(("within", "Within appraisers"))
    if results["vs_standard"]:
        panels.append(("vs_standard", "Appraiser vs standard"))
    return panels


def _draw(params: dict[str, Any], results: Results) -> Any:
    from qualitas.spc.plot import _pyplot

    plt = _pyplot()
    panels = _panels(results)
    fig, axes = plt.subplots(1, len(panels), figsize=(8, 4), sharey=True, squeeze=False)
    names = results["appraisers"]
    x = np.arange(len(names))
    for ax, (key, title) in zip(axes[0], panels, strict=True):
        rows = [row[key] for row in results["by_appraiser"]]
        pct = np.array([r["percent"] for r in rows])
        low = pct - np.array([r["ci_low"] for r in rows])
        high = np.array([r["ci_high"] for r in rows]) - pct
        ax.errorbar(
            x, pct, yerr=[low, high], fmt="o", color="#2c3e50", ecolor="#3498db",
            elinewidth=2, capsize=5, ms=7,
        )  # fmt: skip
        ax.set_title(title, fontsize=10)
        crowded = len(names) > 4
        ax.set_xticks(x, names, rotation=30 if crowded else 0, ha="right" if crowded else "center")
        ax.set_xlabel("Appraiser")
        ax.set_xlim(-0.6, len(names) - 0.4)
        ax.grid(axis="y", alpha=0.3)
    lows = [row[key]["ci_low"] for row in results["by_appraiser"] for key, _ in panels]
    axes[0][0].set_ylabel("Percent matched")
    axes[0][0].set_ylim(max(0.0, min(lows) - 5.0), 102.0)
    fig.suptitle(
        f"Assessment agreement ({100 * results['confidence']:.0f} % confidence intervals)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def _row_text(label: str, row: dict[str, Any]) -> str:
    return (
        f"{label}: {row['matched']} of {row['inspected']} matched, {row['percent']:.1f} % "
        f"({row['ci_low']:.1f}-{row['ci_high']:.1f} %)"
    )


def _kappa_text(row: dict[str, Any] | None) -> str:
    if row is None or row["kappa"] is None:
        return ""
    return f", kappa {row['kappa']:.3f}"


def summary(params: dict[str, Any], results: Results) -> list[str]:
    lines = [
        f"{len(results['appraisers'])} appraisers, {results['parts']} parts, "
        f"{results['trials']} trial(s); responses {', '.join(results['categories'])}; "
        f"intervals at {100 * results['confidence']:.0f} %"
    ]
    for row in results["by_appraiser"]:
        if row["within"]:
            lines.append(
                _row_text(f"Within {row['appraiser']}", row["within"])
                + _kappa_text(row["within_kappa"])
            )
    for row in results["by_appraiser"]:
        if row["vs_standard"]:
            lines.append(
                _row_text(f"{row['appraiser']} vs standard", row["vs_standard"])
                + _kappa_text(row["vs_standard_kappa"])
            )
    lines.append(
        _row_text("Between appraisers", results["between"])
        + _kappa_text(_overall(results["between_kappa"]))
    )
    if results["all_vs_standard"]:
        lines.append(
            _row_text("All appraisers vs standard", results["all_vs_standard"])
            + _kappa_text(_overall(results["all_vs_standard_kappa"]))
        )
    verdict = results["verdict"]
    lines.append(verdict["text"])
    if verdict["weak"]:
        lines.append("Below good agreement: " + "; ".join(verdict["weak"]))
    return lines


class AgreementForm(AnalysisForm):
    takes_data = True

    appraiser_column = forms.CharField(
        max_length=120, required=False, help_text="Who rated (default: 'appraiser' or 'operator')"
    )
    part_column = forms.CharField(
        max_length=120, required=False, help_text="The part or sample rated (default: 'part')"
    )
    rating_column = forms.CharField(
        max_length=120, required=False, help_text="The rating given (default: 'rating')"
    )
    standard_column = forms.CharField(
        max_length=120,
        required=False,
        help_text="Optional: each part's known standard rating (default: a 'standard' column "
        "if there is one)",
    )
    confidence = forms.FloatField(initial=0.95, min_value=0.5, max_value=0.999)

    def _column(self, table: Any, field: str, *, required: bool = True) -> str | None:
        named: str = (self.cleaned_data.get(field) or "").strip()
        if named:
            return named
        lowered = {h.strip().lower(): h for h in table.headers}
        for guess in COLUMN_GUESSES[field]:
            if guess in lowered:
                return str(lowered[guess])
        if not required:
            return None
        raise InvalidInput.for_field(
            field, f"Name the column; the columns are {', '.join(table.headers)}."
        )

    def inputs(self, table: Any) -> dict[str, Any]:
        appraiser = self._column(table, "appraiser_column")
        part = self._column(table, "part_column")
        rating = self._column(table, "rating_column")
        standard = self._column(table, "standard_column", required=False)
        columns = {
            "appraisers": table.column(appraiser, field="appraiser_column"),
            "parts": table.column(part, field="part_column"),
            "ratings": table.column(rating, field="rating_column"),
        }
        errors = []
        for name, field in (
            ("appraisers", "appraiser_column"),
            ("parts", "part_column"),
            ("ratings", "rating_column"),
        ):
            rows = table.lines or range(2, len(columns[name]) + 2)
            empty = [
                row for row, cell in zip(rows, columns[name], strict=False) if not cell.strip()
            ]
            if empty:
                errors.append(FieldError(field, f"Row {empty[0]} has an empty cell."))
        if errors:
            raise InvalidInput(errors)
        confidence = self.cleaned_data.get("confidence")
        return {
            **columns,
            "standards": None
            if standard is None
            else table.column(standard, field="standard_column"),
            "confidence": 0.95 if confidence is None else confidence,
        }


# Fleiss (1971) Table 1, Psychol. Bull. 76:378 (R's irr::diagnoses): 30 patients each
# diagnosed by 6 psychiatrists, one trial, no standard. The published results: Fleiss' kappa
# 0.430 overall; 0.245, 0.245, 0.520, 0.471, 0.566 for the five diagnoses.
_DIAGNOSES = ("Depression", "Personality disorder", "Schizophrenia", "Neurosis", "Other")
_FLEISS_1971 = (
    "444444", "222555", "233335", "555555", "222444", "113333", "333355", "113334",
    "114444", "555555", "144444", "124444", "222333", "144444", "224445", "333335",
    "111455", "111112", "224444", "133555", "555555", "244444", "224555", "114444",
    "144445", "222224", "111155", "224444", "133333", "555555",
)  # fmt: skip
EXAMPLE: dict[str, Any] = {
    "analysis": "attribute-agreement",
    "appraisers": [f"Rater {r + 1}" for _ in _FLEISS_1971 for r in range(6)],
    "parts": [f"Patient {p + 1}" for p, row in enumerate(_FLEISS_1971) for _ in row],
    "ratings": [_DIAGNOSES[int(c) - 1] for row in _FLEISS_1971 for c in row],
    "standards": None,
    "confidence": 0.95,
}


ANALYSIS = Analysis(
    key="attribute-agreement",
    label="Attribute agreement",
    inputs=Inputs,
    run=run,
    template="studies/analyses/_attribute-agreement.html",
    summary=summary,
    form=AgreementForm,
    figures=(
        Figure(
            "agreement",
            "Assessment agreement",
            "Percent of parts matched, with confidence intervals, for each appraiser: "
            "within the appraiser's own trials and against the standard",
            _draw,
            shown=lambda _params, results: bool(_panels(results)),
        ),
    ),
    subject="The inspection or characteristic rated",
    needs_subject=True,
    help="Do appraisers agree with themselves, with each other and with the standard? "
    "Percent agreement and Fleiss' kappa for attribute (pass/fail, graded) inspection.",
    references=("AIAG MSA 4th ed. (2010) III-C", "Fleiss (1971)", "Minitab Attribute Agreement"),
)
