"""Time-weighted charts: EWMA and tabular CUSUM (vectorised recursions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import signal

from qualitas.spc.charts import ControlChart
from qualitas.spc.constants import d2
from qualitas.spc.errors import SpcInputError
from qualitas.spc.inputs import (
    FloatArray,
    _check_known,
    _check_nsigmas,
    _full,
    _individuals,
    _means,
    _subgroups,
    _within_sigma,
)

__all__ = ["cusum", "ewma"]


def _monitored(
    data: Any, center: float | None, sigma: float | None, what: str
) -> tuple[FloatArray, FloatArray, float, float, str]:
    _check_known(center, sigma)
    arr = data if isinstance(data, np.ndarray) and data.dtype != object else None
    one_d = arr is not None and arr.ndim == 1
    if arr is None and isinstance(data, Sequence) and len(data) > 0:
        one_d = np.ndim(data[0]) == 0
    if one_d:
        x = _individuals(data, what)
        n = x.shape[0]
        if sigma is None:
            est = float(np.abs(np.diff(x)).mean() / float(d2(2)))
            method = "mr-bar/d2"
        else:
            est, method = float(sigma), "known"
        cl = float(x.mean()) if center is None else float(center)
        sizes = _full(1.0, n)
        stat = x
    else:
        g = _subgroups(data, 2 if sigma is None else 1, what)
        stat = _means(g)
        sizes = g.sizes
        est = _within_sigma(g, "rbar") if sigma is None else float(sigma)
        method = "rbar" if sigma is None else "known"
        cl = float(np.sum(g.sizes * stat) / np.sum(g.sizes)) if center is None else float(center)
    if est <= 0 or not np.isfinite(est):
        raise SpcInputError(f"{what}: the process sigma is zero; the data have no variation")
    return stat, np.asarray(sizes, dtype=np.float64), cl, est, method


def ewma(
    data: Any,
    *,
    lambda_: float = 0.2,
    nsigmas: float = 3.0,
    center: float | None = None,
    sigma: float | None = None,
) -> ControlChart:
    """EWMA chart, z_i = lambda * x_i + (1 - lambda) * z_{i-1}, z_0 = centre.

    ``data`` is individuals (1-D) or subgroups (2-D / list of lists, means
    charted).  Limits are the exact time-varying ones,
    centre +/- L * sigma / sqrt(n_i) * sqrt(lambda / (2 - lambda) * (1 - (1 - lambda)^(2i))).
    """
    if not 0.0 < lambda_ <= 1.0:
        raise SpcInputError(f"EWMA lambda must be in (0, 1], got {lambda_}")
    nsigmas = _check_nsigmas(nsigmas)
    x, sizes, cl, est, method = _monitored(data, center, sigma, "EWMA chart")
    weight = 1.0 - lambda_
    z, _ = signal.lfilter([lambda_], [1.0, -weight], x, zi=[weight * cl])
    i = np.arange(1, x.shape[0] + 1, dtype=np.float64)
    half = (
        nsigmas
        * est
        / np.sqrt(sizes)
        * np.sqrt(lambda_ / (2.0 - lambda_) * (1.0 - weight ** (2.0 * i)))
    )
    chart = ControlChart(
        "ewma",
        np.asarray(z, dtype=np.float64),
        cl,
        cl - half,
        cl + half,
        est,
        sizes,
        np.empty(0, np.intp),
        nsigmas=nsigmas,
        sigma_method=method,
    )
    beyond = np.flatnonzero((chart.statistic > chart.ucl) | (chart.statistic < chart.lcl))
    return replace(chart, beyond_limits=beyond, violations={"ewma": beyond})


def _lindley(increments: FloatArray, start: float = 0.0) -> FloatArray:
    # C_i = max(0, C_{i-1} + y_i) with C_0 = start has the closed form
    # S_i - min(-start, min_{j<=i} S_j), S_i the partial sums (start 0: the usual Lindley form).
    s = np.cumsum(increments)
    return s - np.minimum(np.minimum.accumulate(s), -start)


def cusum(
    data: Any,
    *,
    decision_interval: float = 5.0,
    se_shift: float = 1.0,
    center: float | None = None,
    sigma: float | None = None,
    fir: float = 0.0,
) -> ControlChart:
    """Tabular CUSUM in standard-error units (as qcc's ``cusum``; Montgomery, Introduction to
    SQC, section 9.1).

    z_i = (x_i - centre) / (sigma / sqrt(n_i)); upper C+_i = max(0, C+_{i-1} + z_i - k),
    lower C-_i = max(0, C-_{i-1} - z_i - k) reported as -C-_i, with k = se_shift / 2
    and decision interval h: a signal where C+ > h or -C- < -h.

    The chart's ``statistic`` is what was monitored in data units (the individuals or the
    subgroup means) and ``center`` the process centre in data units (the given target or the
    phase-I mean), as qcc reports them; ``standardized`` holds the z_i, and ``upper`` /
    ``lower`` the sums, against which ``lcl`` / ``ucl`` (-h, +h) are drawn.

    ``fir`` is the fast initial response head start (Lucas and Crosier 1982): both sums start
    at it instead of 0 (in standard-error units, 0 <= fir < h; h / 2 is the usual choice), so a
    process that starts off target signals sooner.
    """
    if not np.isfinite(decision_interval) or decision_interval <= 0:
        raise SpcInputError(f"CUSUM decision interval must be positive, got {decision_interval}")
    if not np.isfinite(se_shift) or se_shift < 0:
        raise SpcInputError(f"CUSUM shift to detect must be non-negative, got {se_shift}")
    if not np.isfinite(fir) or not 0.0 <= fir < decision_interval:
        raise SpcInputError(
            f"CUSUM head start (fir) must be at least 0 and below the decision interval "
            f"{decision_interval:g}, got {fir}"
        )
    x, sizes, cl, est, method = _monitored(data, center, sigma, "CUSUM chart")
    z = (x - cl) / (est / np.sqrt(sizes))
    k = se_shift / 2.0
    upper = _lindley(z - k, fir)
    lower = 0.0 - _lindley(-z - k, fir)  # 0.0 - : no negative zeros in the output
    m = x.shape[0]
    h = float(decision_interval)
    beyond = np.flatnonzero((upper > h) | (lower < -h))
    return ControlChart(
        "cusum",
        x,
        cl,
        _full(-h, m),
        _full(h, m),
        est,
        sizes,
        beyond,
        violations={"cusum": beyond},
        nsigmas=h,
        upper=upper,
        lower=lower,
        sigma_method=method,
        standardized=z,
    )
