"""Probability plots of life data (Meeker & Escobar sec. 6.2; Abernethy, The New Weibull
Handbook, ch. 2): median-rank plotting positions of the failures, with right-censored units
ranked in, and the maximum-likelihood line with its bounds, on linearised axes where the
fitted distribution is a straight line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from qualitas.spc.reliability import (
    FloatArray,
    LifeFit,
    _as_dict,
    _check_distribution,
    _life_data,
    _std_cdf,
    _std_quantile,
    fit,
)

__all__ = ["AXES", "ProbabilityPlot", "linearise", "probability_plot_points"]


# Linearised axes (Meeker & Escobar sec. 6.2): the fitted model is a straight line.
AXES = {
    "weibull": ("ln(t)", "ln(-ln(1 - F))"),
    "lognormal": ("ln(t)", "Phi^-1(F)"),
    "exponential": ("t", "-ln(1 - F)"),
}


@dataclass(frozen=True)
class ProbabilityPlot:
    """Plotting positions of the failures and the fitted line, on linearised axes."""

    distribution: str
    times: FloatArray  # failure times, ascending
    adjusted_ranks: FloatArray
    probabilities: FloatArray  # median ranks F (Benard)
    x: FloatArray
    y: FloatArray
    line_times: FloatArray
    line_probabilities: FloatArray
    line_x: FloatArray
    line_y: FloatArray
    # The line's confidence bounds on time at each line probability (Fisher matrix).
    line_lower: FloatArray
    line_upper: FloatArray
    x_label: str
    y_label: str
    fit: LifeFit

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return _as_dict(self)


def linearise(dist: str, t: FloatArray, f: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Times and failure probabilities on the distribution's linearised axes."""
    if dist == "exponential":
        return t, -np.log1p(-f)
    return np.log(t), _std_quantile(dist, f)


def probability_plot_points(
    times: ArrayLike,
    censored: ArrayLike | None = None,
    distribution: str = "weibull",
    *,
    confidence: float = 0.95,
) -> ProbabilityPlot:
    """Median-rank plotting positions and the maximum-likelihood line.

    Units are ordered by time, failures before removals at equal times (Nelson 1982).
    Johnson's adjusted rank of each failure is the previous one plus
    (n + 1 - previous) / (1 + units at or beyond it) (Abernethy, *The New Weibull
    Handbook*, ch. 2; ReliaSoft), written here as a running product:
    n + 1 - a_k = (n + 1) prod_{failures j <= k} rr_j / (rr_j + 1) with rr the
    reverse rank.  F = (a - 0.3) / (n + 0.4) is Benard's approximation to the median
    rank.  Tied failures each take their own rank.
    """
    dist = _check_distribution(distribution)
    result = fit(times, censored, distribution=dist, confidence=confidence)
    t, cens = _life_data(times, censored)
    order = np.lexsort((cens, t))
    t_sorted, failed = t[order], ~cens[order]
    n = t.size
    reverse = n - np.arange(n, dtype=np.float64)
    shrink = np.cumprod(np.where(failed, reverse / (reverse + 1.0), 1.0))
    ranks = ((n + 1) * (1.0 - shrink))[failed]
    probs = (ranks - 0.3) / (n + 0.4)
    fail_t = t_sorted[failed]
    x, y = linearise(dist, fail_t, probs)
    p_lo = min(float(probs[0]), 0.01)
    p_hi = max(float(probs[-1]), 0.99)
    y_lo, y_hi = linearise(dist, np.ones(2), np.array([p_lo, p_hi]))[1]
    line_y = np.linspace(y_lo, y_hi, 41)
    line_p = -np.expm1(-line_y) if dist == "exponential" else _std_cdf(dist, line_y)
    line_t, line_lower, line_upper = result._percentiles(line_p, None)
    line_x = linearise(dist, line_t, line_p)[0]
    x_label, y_label = AXES[dist]
    return ProbabilityPlot(
        dist,
        fail_t,
        ranks,
        probs,
        x,
        y,
        line_t,
        line_p,
        line_x,
        line_y,
        line_lower,
        line_upper,
        x_label,
        y_label,
        result,
    )
