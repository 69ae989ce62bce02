"""Measurement system analysis: crossed Gage R&R (ANOVA and average-and-range methods).

ANOVA method (Minitab's and AIAG MSA 4th ed. "ANOVA method"): two-way random
effects model part x operator with interaction on a balanced crossed design
(p parts, o operators, r replicates).  When the interaction p-value exceeds
``interaction_alpha`` the interaction is pooled into the error term (Minitab
default 0.05; AIAG practice 0.25).  Variance components:

    repeatability = MS_error
    operator      = (MS_operator - MS_interaction) / (p r)     (pooled: - MS_error)
    interaction   = (MS_interaction - MS_error) / r
    part          = (MS_part - MS_interaction) / (o r)           (pooled: - MS_error)

negative estimates are set to zero.  The result keeps both tables as Minitab prints them:
the full table with the interaction row (part and operator tested against
MS_interaction) and, when pooled, the reduced table (tested against the pooled error).
Average-and-range method per AIAG MSA
4th ed., chapter III, section B: EV = R-double-bar * K1, AV = sqrt((X-diff * K2)^2
- EV^2 / (n r)), PV = R_p * K3 with K1 = 1/d2(r), K2 = 1/d2*(o, g=1),
K3 = 1/d2*(p, g=1) computed exactly (d2* for one range = sqrt(d2^2 + d3^2)).
The number of distinct categories is floor(sqrt(2) * sigma_part / sigma_gage).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from qualitas.spc.constants import d2, range_rms
from qualitas.spc.errors import SpcInputError
from qualitas.spc.msastudies import (
    AgreementRow,
    AttributeAgreement,
    BiasLinearity,
    BiasRow,
    KappaRow,
    RegressionCoef,
    Type1Study,
    attribute_agreement,
    bias_linearity,
    type1,
)

__all__ = [
    "AgreementRow",
    "AnovaRow",
    "AttributeAgreement",
    "BiasLinearity",
    "BiasRow",
    "GageComponent",
    "GageRR",
    "KappaRow",
    "RegressionCoef",
    "Type1Study",
    "attribute_agreement",
    "bias_linearity",
    "gage_rr",
    "type1",
]

COMPONENTS = (
    "total_gage_rr",
    "repeatability",
    "reproducibility",
    "operator",
    "operator_part",
    "part_to_part",
    "total",
)


@dataclass(frozen=True)
class AnovaRow:
    """One line of the ANOVA table (f and p are None for error and total)."""

    source: str
    df: int
    ss: float
    ms: float | None
    f: float | None
    p: float | None


@dataclass(frozen=True)
class GageComponent:
    """A variance component with its share of the total and of the tolerance."""

    variance: float
    std_dev: float
    study_var: float
    pct_contribution: float
    pct_study_var: float
    pct_tolerance: float | None


@dataclass(frozen=True)
class GageRR:
    """Result of a crossed Gage R&R study.

    ``anova_full`` is the table with the part x operator interaction (Minitab's "Two-Way
    ANOVA Table With Interaction"); ``anova_reduced`` the table after pooling the
    interaction into repeatability ("Without Interaction"), None when it was kept.
    ``anova`` is the table the variance components come from: the reduced one when
    pooled, else the full one. All three are empty for the average-and-range method.
    """

    method: str
    parts: int
    operators: int
    replicates: int
    study_var: float
    tolerance: float | None
    components: dict[str, GageComponent]
    ndc: int
    anova: list[AnovaRow] = field(default_factory=list)
    interaction_pooled: bool = False
    interaction_p: float | None = None
    anova_full: list[AnovaRow] = field(default_factory=list)
    anova_reduced: list[AnovaRow] | None = None
    interaction_alpha: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "method": self.method,
            "parts": self.parts,
            "operators": self.operators,
            "replicates": self.replicates,
            "study_var": self.study_var,
            "tolerance": self.tolerance,
            "ndc": self.ndc,
            "interaction_pooled": self.interaction_pooled,
            "interaction_p": self.interaction_p,
            "interaction_alpha": self.interaction_alpha,
            "components": {k: vars(v).copy() for k, v in self.components.items()},
            "anova": [vars(r).copy() for r in self.anova],
            "anova_full": [vars(r).copy() for r in self.anova_full],
            "anova_reduced": (
                None if self.anova_reduced is None else [vars(r).copy() for r in self.anova_reduced]
            ),
        }


def _design(
    parts: Sequence[Any], operators: Sequence[Any], values: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], int, int, int]:
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise SpcInputError("gage R&R: values must be a 1-D sequence")
    part_labels = np.asarray([str(p) for p in parts])
    oper_labels = np.asarray([str(o) for o in operators])
    if not (part_labels.shape[0] == oper_labels.shape[0] == y.shape[0]):
        raise SpcInputError(
            f"gage R&R: {part_labels.shape[0]} parts, {oper_labels.shape[0]} operators and "
            f"{y.shape[0]} values given; all three must have the same length"
        )
    if not np.all(np.isfinite(y)):
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise SpcInputError(f"gage R&R: value {i + 1} is missing or infinite")
    part_names, pi = np.unique(part_labels, return_inverse=True)
    oper_names, oi = np.unique(oper_labels, return_inverse=True)
    p, o = part_names.shape[0], oper_names.shape[0]
    if p < 2:
        raise SpcInputError(f"gage R&R needs at least 2 parts, got {p}")
    if o < 1:
        raise SpcInputError("gage R&R needs at least 1 operator")
    cell = pi.ravel() * o + oi.ravel()
    counts = np.bincount(cell, minlength=p * o)
    r = int(counts[0])
    if not np.all(counts == r):
        bad = int(np.flatnonzero(counts != r)[0])
        raise SpcInputError(
            "gage R&R needs a balanced crossed design: part "
            f"{part_names[bad // o]!r} with operator {oper_names[bad % o]!r} has "
            f"{int(counts[bad])} measurements but part {part_names[0]!r} with operator "
            f"{oper_names[0]!r} has {r}"
        )
    if r < 2:
        raise SpcInputError(
            "gage R&R needs at least 2 replicate measurements per part and operator"
        )
    return y, pi.ravel(), oi.ravel(), p, o, r


def _components(
    variances: dict[str, float], study_var: float, tolerance: float | None
) -> tuple[dict[str, GageComponent], int]:
    total = variances["total"]
    total_sd = math.sqrt(total)
    out = {}
    for name in COMPONENTS:
        var = max(0.0, variances[name])
        sd = math.sqrt(var)
        out[name] = GageComponent(
            variance=var,
            std_dev=sd,
            study_var=study_var * sd,
            pct_contribution=100.0 * var / total if total > 0 else 0.0,
            pct_study_var=100.0 * sd / total_sd if total > 0 else 0.0,
            pct_tolerance=None if tolerance is None else 100.0 * study_var * sd / tolerance,
        )
    grr = out["total_gage_rr"].std_dev
    if grr <= 0:
        return out, 0
    return out, max(1, math.floor(math.sqrt(2.0) * out["part_to_part"].std_dev / grr))


def gage_rr(
    parts: Sequence[Any],
    operators: Sequence[Any],
    values: ArrayLike,
    *,
    method: str = "anova",
    tolerance: float | None = None,
    study_var: float = 6.0,
    interaction_alpha: float = 0.05,
) -> GageRR:
    """Crossed Gage R&R from one row per measurement (part, operator, value).

    ``method`` is "anova" (default) or "average_range" (AIAG MSA 4th ed.).
    ``study_var`` is the number of standard deviations in the study variation
    (6 by Minitab's current default, 5.15 in older practice); ``tolerance``
    (USL - LSL) gives % tolerance.
    """
    if tolerance is not None and (not math.isfinite(tolerance) or tolerance <= 0):
        raise SpcInputError(f"gage R&R tolerance must be positive, got {tolerance}")
    if not math.isfinite(study_var) or study_var <= 0:
        raise SpcInputError(f"study_var must be positive, got {study_var}")
    if not 0.0 <= interaction_alpha <= 1.0:
        raise SpcInputError(f"interaction_alpha must be in [0, 1], got {interaction_alpha}")
    y, pi, oi, p, o, r = _design(parts, operators, values)
    key = method.lower().replace("-", "_").replace("&", "").replace(" ", "_")
    if key == "anova":
        return _anova(y, pi, oi, p, o, r, study_var, tolerance, interaction_alpha)
    if key in ("average_range", "averagerange", "xbar_r"):
        return _average_range(y, pi, oi, p, o, r, study_var, tolerance)
    raise SpcInputError(f"unknown gage R&R method {method!r}; use 'anova' or 'average_range'")


def _f_test(ms: float, ms_den: float, df: int, df_den: int) -> tuple[float | None, float | None]:
    """F ratio and its upper-tail p-value; None when the denominator mean square is 0."""
    if ms_den <= 0:
        return None, None
    f = ms / ms_den
    return f, float(stats.f.sf(f, df, df_den))


def _anova(
    y: NDArray[np.float64],
    pi: NDArray[np.intp],
    oi: NDArray[np.intp],
    p: int,
    o: int,
    r: int,
    study_var: float,
    tolerance: float | None,
    alpha: float,
) -> GageRR:
    grand = float(y.mean())
    part_means = np.bincount(pi, weights=y, minlength=p) / (o * r)
    oper_means = np.bincount(oi, weights=y, minlength=o) / (p * r)
    cell_means = np.bincount(pi * o + oi, weights=y, minlength=p * o) / r
    ss_total = float(np.sum((y - grand) ** 2))
    ss_part = float(o * r * np.sum((part_means - grand) ** 2))
    ss_oper = float(p * r * np.sum((oper_means - grand) ** 2))
    ss_cells = float(r * np.sum((cell_means - grand) ** 2))
    ss_int = max(0.0, ss_cells - ss_part - ss_oper)
    ss_err = max(0.0, ss_total - ss_cells)
    df_part, df_oper, df_int, df_err = p - 1, o - 1, (p - 1) * (o - 1), p * o * (r - 1)
    ms_part = ss_part / df_part
    ms_err = ss_err / df_err
    total_row = AnovaRow("total", p * o * r - 1, ss_total, None, None, None)
    if o < 2:
        # One operator: a one-way table (part, repeatability); there is no interaction.
        f, pv = _f_test(ms_part, ms_err, df_part, df_err)
        table = [
            AnovaRow("part", df_part, ss_part, ms_part, f, pv),
            AnovaRow("repeatability", df_err, ss_err, ms_err, None, None),
            total_row,
        ]
        variances = {
            "repeatability": ms_err,
            "operator": 0.0,
            "operator_part": 0.0,
            "part_to_part": max(0.0, (ms_part - ms_err) / (o * r)),
        }
        return _finish(
            p, o, r, study_var, tolerance, variances, table, None, None, alpha, pooled=False
        )
    ms_oper = ss_oper / df_oper
    ms_int = ss_int / df_int
    # Full model (Minitab "Two-Way ANOVA Table With Interaction"): with random part and
    # operator effects E[MS_part] = s2 + r s2_po + o r s2_p, so part and operator are
    # tested against MS_interaction, and the interaction against MS_error
    # (Montgomery, Design and Analysis of Experiments, random-effects two-factor model).
    f_int, int_p = _f_test(ms_int, ms_err, df_int, df_err)
    f_part, p_part = _f_test(ms_part, ms_int, df_part, df_int)
    f_oper, p_oper = _f_test(ms_oper, ms_int, df_oper, df_int)
    full = [
        AnovaRow("part", df_part, ss_part, ms_part, f_part, p_part),
        AnovaRow("operator", df_oper, ss_oper, ms_oper, f_oper, p_oper),
        AnovaRow("operator_part", df_int, ss_int, ms_int, f_int, int_p),
        AnovaRow("repeatability", df_err, ss_err, ms_err, None, None),
        total_row,
    ]
    # Pool when the interaction is not significant. With MS_error = 0 there is no test:
    # pool only if the interaction is also 0 (then nothing is lost).
    pooled = int_p > alpha if int_p is not None else ms_int <= 0
    if not pooled:
        variances = {
            "repeatability": ms_err,
            "operator": max(0.0, (ms_oper - ms_int) / (p * r)),
            "operator_part": max(0.0, (ms_int - ms_err) / r),
            "part_to_part": max(0.0, (ms_part - ms_int) / (o * r)),
        }
        return _finish(
            p, o, r, study_var, tolerance, variances, full, None, int_p, alpha, pooled=False
        )
    # Reduced model (Minitab "Two-Way ANOVA Table Without Interaction"): the interaction
    # sum of squares and degrees of freedom join the error term.
    df_pool = df_err + df_int
    ss_pool = ss_err + ss_int
    ms_pool = ss_pool / df_pool
    f_part, p_part = _f_test(ms_part, ms_pool, df_part, df_pool)
    f_oper, p_oper = _f_test(ms_oper, ms_pool, df_oper, df_pool)
    reduced = [
        AnovaRow("part", df_part, ss_part, ms_part, f_part, p_part),
        AnovaRow("operator", df_oper, ss_oper, ms_oper, f_oper, p_oper),
        AnovaRow("repeatability", df_pool, ss_pool, ms_pool, None, None),
        total_row,
    ]
    variances = {
        "repeatability": ms_pool,
        "operator": max(0.0, (ms_oper - ms_pool) / (p * r)),
        "operator_part": 0.0,
        "part_to_part": max(0.0, (ms_part - ms_pool) / (o * r)),
    }
    return _finish(
        p, o, r, study_var, tolerance, variances, full, reduced, int_p, alpha, pooled=True
    )


def _finish(
    p: int,
    o: int,
    r: int,
    study_var: float,
    tolerance: float | None,
    variances: dict[str, float],
    full: list[AnovaRow],
    reduced: list[AnovaRow] | None,
    int_p: float | None,
    alpha: float,
    *,
    pooled: bool,
) -> GageRR:
    variances["reproducibility"] = variances["operator"] + variances["operator_part"]
    variances["total_gage_rr"] = variances["repeatability"] + variances["reproducibility"]
    variances["total"] = variances["total_gage_rr"] + variances["part_to_part"]
    comps, ndc = _components(variances, study_var, tolerance)
    return GageRR(
        "anova",
        p,
        o,
        r,
        study_var,
        tolerance,
        comps,
        ndc,
        anova=reduced if reduced is not None else full,
        interaction_pooled=pooled,
        interaction_p=int_p,
        anova_full=full,
        anova_reduced=reduced,
        interaction_alpha=alpha,
    )


def _average_range(
    y: NDArray[np.float64],
    pi: NDArray[np.intp],
    oi: NDArray[np.intp],
    p: int,
    o: int,
    r: int,
    study_var: float,
    tolerance: float | None,
) -> GageRR:
    order = np.lexsort((pi, oi))
    cells = y[order].reshape(o, p, r)  # operator x part x trial
    ranges = cells.max(axis=2) - cells.min(axis=2)
    r_double_bar = float(ranges.mean(axis=1).mean())
    ev = r_double_bar / float(d2(r))
    oper_means = cells.mean(axis=(1, 2))
    x_diff = float(oper_means.max() - oper_means.min())
    av_sq = 0.0
    if o >= 2:
        av_sq = max(0.0, (x_diff / float(range_rms(o))) ** 2 - ev**2 / (p * r))
    part_means = cells.mean(axis=(0, 2))
    pv = float(part_means.max() - part_means.min()) / float(range_rms(p))
    variances = {
        "repeatability": ev**2,
        "operator": av_sq,
        "operator_part": 0.0,
        "reproducibility": av_sq,
        "total_gage_rr": ev**2 + av_sq,
        "part_to_part": pv**2,
    }
    variances["total"] = variances["total_gage_rr"] + variances["part_to_part"]
    comps, ndc = _components(variances, study_var, tolerance)
    return GageRR("average_range", p, o, r, study_var, tolerance, comps, ndc)
