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

negative estimates are set to zero.  Average-and-range method per AIAG MSA
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

__all__ = ["AnovaRow", "GageComponent", "GageRR", "gage_rr"]

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
    """Result of a crossed Gage R&R study."""

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
            "components": {k: vars(v).copy() for k, v in self.components.items()},
            "anova": [vars(r).copy() for r in self.anova],
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
    ms_oper = ss_oper / df_oper if df_oper else 0.0
    ms_err = ss_err / df_err
    table: list[AnovaRow] = []
    int_p: float | None = None
    if o >= 2:
        ms_int = ss_int / df_int
        f_int = ms_int / ms_err if ms_err > 0 else math.inf
        int_p = float(stats.f.sf(f_int, df_int, df_err))
        pooled = int_p > alpha
    else:
        ms_int, f_int, pooled = 0.0, math.nan, True
    if not pooled:
        f_part, f_oper = ms_part / ms_int, ms_oper / ms_int
        table = [
            AnovaRow(
                "part",
                df_part,
                ss_part,
                ms_part,
                f_part,
                float(stats.f.sf(f_part, df_part, df_int)),
            ),
            AnovaRow(
                "operator",
                df_oper,
                ss_oper,
                ms_oper,
                f_oper,
                float(stats.f.sf(f_oper, df_oper, df_int)),
            ),
            AnovaRow("operator_part", df_int, ss_int, ms_int, f_int, int_p),
            AnovaRow("repeatability", df_err, ss_err, ms_err, None, None),
        ]
        variances = {
            "repeatability": ms_err,
            "operator": max(0.0, (ms_oper - ms_int) / (p * r)),
            "operator_part": max(0.0, (ms_int - ms_err) / r),
            "part_to_part": max(0.0, (ms_part - ms_int) / (o * r)),
        }
    else:
        df_pool = df_err + (df_int if o >= 2 else 0)
        ss_pool = ss_err + (ss_int if o >= 2 else 0.0)
        ms_pool = ss_pool / df_pool
        f_part = ms_part / ms_pool
        table = [
            AnovaRow(
                "part",
                df_part,
                ss_part,
                ms_part,
                f_part,
                float(stats.f.sf(f_part, df_part, df_pool)),
            )
        ]
        if o >= 2:
            f_oper = ms_oper / ms_pool
            table.append(
                AnovaRow(
                    "operator",
                    df_oper,
                    ss_oper,
                    ms_oper,
                    f_oper,
                    float(stats.f.sf(f_oper, df_oper, df_pool)),
                )
            )
        table.append(AnovaRow("repeatability", df_pool, ss_pool, ms_pool, None, None))
        variances = {
            "repeatability": ms_pool,
            "operator": max(0.0, (ms_oper - ms_pool) / (p * r)) if o >= 2 else 0.0,
            "operator_part": 0.0,
            "part_to_part": max(0.0, (ms_part - ms_pool) / (o * r)),
        }
    table.append(AnovaRow("total", p * o * r - 1, ss_total, None, None, None))
    variances["reproducibility"] = variances["operator"] + variances["operator_part"]
    variances["total_gage_rr"] = variances["repeatability"] + variances["reproducibility"]
    variances["total"] = variances["total_gage_rr"] + variances["part_to_part"]
    comps, ndc = _components(variances, study_var, tolerance)
    return GageRR("anova", p, o, r, study_var, tolerance, comps, ndc, table, pooled, int_p)


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
