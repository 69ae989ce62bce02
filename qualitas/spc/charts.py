"""Shewhart variables and attributes control charts and the ControlChart result.

Conventions follow R's qcc package unless stated: the process sigma of an
X-bar/R chart is the unweighted mean of R_i / d2(n_i) ("UWAVE-R"), of an
X-bar/S chart the mean of s_i / c4(n_i) ("UWAVE-SD"), of an individuals chart
MR-bar / d2(2).  ``sigma_method`` also offers "mvlue-r" and "mvlue-sd"
(Minitab's minimum-variance weighting for unequal sizes) and "pooled" (root
mean square of the subgroup variances weighted by degrees of freedom, divided
by c4(sum(n_i - 1) + 1), qcc's "RMSDF").  A point exactly on a limit is in
control.  All computations are vectorised over subgroups.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qualitas.spc.constants import c4, d2, d3
from qualitas.spc.errors import SpcInputError
from qualitas.spc.inputs import (
    _check_known,
    _check_nsigmas,
    _counts,
    _full,
    _individuals,
    _per_point,
    _ranges,
    _size_constant,
    _sizes,
    _stdevs,
    _Subgroups,
    _subgroups,
    _within_sigma,
)
from qualitas.spc.rules import run_rules

__all__ = [
    "ControlChart",
    "c_chart",
    "individuals_mr",
    "np_chart",
    "p_chart",
    "u_chart",
    "xbar_r",
    "xbar_s",
]

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


def _json_array(values: ArrayLike) -> list[Any]:
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return [int(v) for v in arr.tolist()]
    return [None if not np.isfinite(v) else float(v) for v in arr.astype(np.float64).tolist()]


@dataclass(frozen=True, eq=False)
class ControlChart:
    """One control chart: a statistic per point with its centre line and limits.

    ``center`` is a float, or an array only where it truly varies per point (an
    np chart with varying sample sizes).  ``lcl``/``ucl``/``sizes`` have one
    value per point (read-only broadcast views when constant).  ``sigma`` is
    the process sigma used (estimated within subgroups, or the known value).
    ``beyond_limits`` and ``violations`` hold 0-based point indices.  For a
    CUSUM chart ``statistic`` and ``center`` are in data units, ``standardized`` holds
    the standardised points and ``upper`` / ``lower`` the cumulative sums in
    standard-error units (``lower`` <= 0) that ``lcl`` / ``ucl`` apply to.
    """

    kind: str
    statistic: FloatArray
    center: float | FloatArray
    lcl: FloatArray
    ucl: FloatArray
    sigma: float
    sizes: FloatArray
    beyond_limits: IndexArray
    violations: dict[str, IndexArray] = field(default_factory=dict)
    nsigmas: float = 3.0
    upper: FloatArray | None = None
    lower: FloatArray | None = None
    sigma_method: str = ""
    run_length: int | None = None
    standardized: FloatArray | None = None

    def __len__(self) -> int:
        return int(self.statistic.shape[0])

    @property
    def in_control(self) -> bool:
        """True when no point is beyond the limits and no rule is violated."""
        return self.beyond_limits.size == 0 and all(v.size == 0 for v in self.violations.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (NaN becomes None)."""
        center: float | list[Any] = (
            float(self.center) if np.ndim(self.center) == 0 else _json_array(self.center)
        )
        result: dict[str, Any] = {
            "kind": self.kind,
            "statistic": _json_array(self.statistic),
            "center": center,
            "lcl": _json_array(self.lcl),
            "ucl": _json_array(self.ucl),
            "sigma": float(self.sigma),
            "sizes": _json_array(self.sizes),
            "nsigmas": float(self.nsigmas),
            "beyond_limits": _json_array(self.beyond_limits),
            "violations": {k: _json_array(v) for k, v in self.violations.items()},
        }
        if self.sigma_method:
            result["sigma_method"] = self.sigma_method
        if self.upper is not None:
            result["upper"] = _json_array(self.upper)
        if self.lower is not None:
            result["lower"] = _json_array(self.lower)
        if self.standardized is not None:
            result["standardized"] = _json_array(self.standardized)
        return result


def _finalise(chart: ControlChart, rules: str | None, run_length: int | None) -> ControlChart:
    beyond = np.flatnonzero((chart.statistic > chart.ucl) | (chart.statistic < chart.lcl))
    violations = run_rules(chart, rules, run_length=run_length) if rules else {}
    if rules and run_length is None:
        run_length = 9 if rules == "nelson" else 8
    return replace(chart, beyond_limits=beyond, violations=violations, run_length=run_length)


# ----------------------------------------------------------------------------- variables


def _xbar_chart(
    g: _Subgroups,
    center: float | None,
    sigma: float,
    nsigmas: float,
    method: str,
) -> ControlChart:
    if g.missing:
        totals = np.nansum(g.data, axis=1)
        count = float(np.sum(g.sizes))
    else:
        totals = g.data.sum(axis=1)
        count = float(g.data.size)
    means = totals / g.sizes
    m = means.shape[0]
    if center is None:
        # Grand mean = sum of all values / number of values (the size-weighted mean of
        # the subgroup means), from totals, so that a subgroup mean equal to the grand
        # mean in exact arithmetic also compares equal in floating point.
        center = float(totals.sum() / count)
    if g.constant_size is not None:
        half = nsigmas * sigma / np.sqrt(g.constant_size)
        lcl, ucl = _full(center - half, m), _full(center + half, m)
    else:
        half_arr = nsigmas * sigma / np.sqrt(g.sizes)
        lcl, ucl = center - half_arr, center + half_arr
    return ControlChart(
        "xbar",
        means,
        center,
        lcl,
        ucl,
        sigma,
        g.sizes,
        np.empty(0, np.intp),
        nsigmas=nsigmas,
        sigma_method=method,
    )


def _dispersion_chart(
    kind: str,
    stat: FloatArray,
    g: _Subgroups,
    sigma: float,
    *,
    known_sigma: bool,
    nsigmas: float,
    method: str,
) -> ControlChart:
    m = stat.shape[0]
    if kind == "R":
        expected = _size_constant(g, d2)
        spread = _size_constant(g, d3)
    else:
        expected = _size_constant(g, c4)
        spread = np.sqrt(1.0 - np.asarray(expected) ** 2)
    # Each subgroup's centre line and limits follow from its own size (Minitab, "Methods and
    # formulas" for R and S charts): centre expected(n_i) * sigma, limits
    # (expected(n_i) +/- k * spread(n_i)) * sigma; with one size and estimated sigma the
    # centre is the mean statistic (R-bar, S-bar).
    center: float | FloatArray
    if g.constant_size is None:
        center = np.asarray(expected, dtype=np.float64) * sigma
    elif known_sigma:
        center = float(expected) * sigma
    else:
        center = float(stat.mean())
    lower = np.maximum(0.0, (np.asarray(expected) - nsigmas * np.asarray(spread)) * sigma)
    upper = (np.asarray(expected) + nsigmas * np.asarray(spread)) * sigma
    return ControlChart(
        kind,
        stat,
        center,
        _per_point(lower, m),
        _per_point(upper, m),
        sigma,
        g.sizes,
        np.empty(0, np.intp),
        nsigmas=nsigmas,
        sigma_method=method,
    )


def _variables_pair(
    kind: str,
    subgroups: Any,
    center: float | None,
    sigma: float | None,
    nsigmas: float,
    sigma_method: str,
    rules: str | None,
    run_length: int | None,
) -> tuple[ControlChart, ControlChart]:
    what = "X-bar/R chart" if kind == "R" else "X-bar/S chart"
    nsigmas = _check_nsigmas(nsigmas)
    _check_known(center, sigma)
    g = _subgroups(subgroups, 2, what)
    if g.data.shape[0] < 2 and (center is None or sigma is None):
        raise SpcInputError(
            f"{what} needs at least 2 subgroups to estimate limits, got {g.data.shape[0]}"
        )
    method = sigma_method.lower()
    stat = _ranges(g) if kind == "R" else _stdevs(g)
    if sigma is None:
        est = _within_sigma(g, method, stat if kind == "R" else None, stat if kind == "S" else None)
    else:
        est = float(sigma)
    if not np.isfinite(est) or est <= 0:
        raise SpcInputError(
            f"{what}: there is no variation within the subgroups, so sigma cannot be estimated"
        )
    used_method = method if sigma is None else "known"
    xbar = _xbar_chart(g, center, est, nsigmas, used_method)
    disp = _dispersion_chart(
        kind, stat, g, est, known_sigma=sigma is not None, nsigmas=nsigmas, method=used_method
    )
    return _finalise(xbar, rules, run_length), _finalise(disp, rules, run_length)


def xbar_r(
    subgroups: Any,
    *,
    center: float | None = None,
    sigma: float | None = None,
    nsigmas: float = 3.0,
    sigma_method: str = "rbar",
    rules: str | None = "nelson",
    run_length: int | None = None,
) -> tuple[ControlChart, ControlChart]:
    """X-bar and R charts.

    ``subgroups`` is a 2-D array (m subgroups x n) or a sequence of 1-D
    sequences of different lengths; NaN is a missing value and is left out.
    ``center``/``sigma`` are known values for phase II.  ``rules`` names the
    run rules to apply ("nelson", "western_electric" or None).  ``sigma_method``
    "rbar" (default) is Minitab's weighted R-bar estimate for unequal subgroup
    sizes (equal to R-bar / d2 for one size); see ``inputs.SIGMA_METHODS``.
    """
    return _variables_pair("R", subgroups, center, sigma, nsigmas, sigma_method, rules, run_length)


def xbar_s(
    subgroups: Any,
    *,
    center: float | None = None,
    sigma: float | None = None,
    nsigmas: float = 3.0,
    sigma_method: str = "sbar",
    rules: str | None = "nelson",
    run_length: int | None = None,
) -> tuple[ControlChart, ControlChart]:
    """X-bar and S charts; arguments as for :func:`xbar_r` (default sigma "sbar")."""
    return _variables_pair("S", subgroups, center, sigma, nsigmas, sigma_method, rules, run_length)


def individuals_mr(
    values: ArrayLike,
    *,
    center: float | None = None,
    sigma: float | None = None,
    nsigmas: float = 3.0,
    rules: str | None = "nelson",
    run_length: int | None = None,
) -> tuple[ControlChart, ControlChart]:
    """Individuals (I) and moving-range (MR, span 2) charts.

    Missing values (NaN) are dropped, so indices refer to the non-missing
    values.  The MR chart has one point per observation; its first point is
    NaN (no previous value) so indices line up with the individuals chart.
    sigma = MR-bar / d2(2) unless ``sigma`` is given.
    """
    nsigmas = _check_nsigmas(nsigmas)
    _check_known(center, sigma)
    x = _individuals(values, "individuals chart")
    n = x.shape[0]
    mr = np.empty(n, dtype=np.float64)
    mr[0] = np.nan
    np.subtract(x[1:], x[:-1], out=mr[1:])
    np.abs(mr[1:], out=mr[1:])
    mr_bar = float(mr[1:].mean())
    d2_2, d3_2 = float(d2(2)), float(d3(2))
    est = mr_bar / d2_2 if sigma is None else float(sigma)
    if est <= 0:
        raise SpcInputError("individuals chart: all consecutive values are equal, so sigma is zero")
    cl = float(x.mean()) if center is None else float(center)
    method = "mr-bar/d2" if sigma is None else "known"
    ones = _full(1.0, n)
    ichart = ControlChart(
        "individuals",
        x,
        cl,
        _full(cl - nsigmas * est, n),
        _full(cl + nsigmas * est, n),
        est,
        ones,
        np.empty(0, np.intp),
        nsigmas=nsigmas,
        sigma_method=method,
    )
    mr_center = mr_bar if sigma is None else d2_2 * est
    mr_chart = ControlChart(
        "moving_range",
        mr,
        mr_center,
        _full(max(0.0, (d2_2 - nsigmas * d3_2) * est), n),
        _full((d2_2 + nsigmas * d3_2) * est, n),
        est,
        _full(2.0, n),
        np.empty(0, np.intp),
        nsigmas=nsigmas,
        sigma_method=method,
    )
    return _finalise(ichart, rules, run_length), _finalise(mr_chart, rules, run_length)


# ----------------------------------------------------------------------------- attributes


def _attribute(
    kind: str,
    stat: FloatArray,
    center: float | FloatArray,
    se: FloatArray | float,
    upper_bound: FloatArray | float | None,
    sigma: float,
    sizes: FloatArray,
    *,
    constant: bool,
    nsigmas: float,
    rules: str | None,
    run_length: int | None,
) -> ControlChart:
    m = stat.shape[0]
    lcl = np.maximum(0.0, np.asarray(center) - nsigmas * np.asarray(se))
    ucl = np.asarray(center) + nsigmas * np.asarray(se)
    if upper_bound is not None:
        ucl = np.minimum(ucl, upper_bound)
        lcl = np.minimum(lcl, upper_bound)
    if constant:
        lcl_arr, ucl_arr = _full(float(np.ravel(lcl)[0]), m), _full(float(np.ravel(ucl)[0]), m)
        size_arr = _full(float(sizes[0]), m)
        if np.ndim(center):
            center = float(np.ravel(center)[0])
    else:
        lcl_arr, ucl_arr, size_arr = _per_point(lcl, m), _per_point(ucl, m), sizes
    chart = ControlChart(
        kind,
        stat,
        center,
        lcl_arr,
        ucl_arr,
        sigma,
        size_arr,
        np.empty(0, np.intp),
        nsigmas=nsigmas,
    )
    return _finalise(chart, rules, run_length)


def _fraction(
    kind: str,
    defectives: ArrayLike,
    sizes: ArrayLike,
    center: float | None,
    nsigmas: float,
    rules: str | None,
    run_length: int | None,
) -> ControlChart:
    what = f"{kind} chart"
    nsigmas = _check_nsigmas(nsigmas)
    d = _counts(defectives, what, "defectives")
    n, constant = _sizes(sizes, d.shape[0], what)
    over = d > n
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise SpcInputError(
            f"{what}: sample {i + 1} has {d[i]:g} defectives but a sample size of only {n[i]:g}"
        )
    if center is None:
        p = float(d.sum() / n.sum())
    else:
        if not 0.0 <= center <= 1.0:
            raise SpcInputError(
                f"{what}: known fraction nonconforming must be in [0, 1], got {center}"
            )
        p = float(center)
    sigma = float(np.sqrt(p * (1.0 - p)))
    if kind == "p":
        stat = d / n
        return _attribute(
            "p",
            stat,
            p,
            sigma / np.sqrt(n),
            1.0,
            sigma,
            n,
            constant=constant,
            nsigmas=nsigmas,
            rules=rules,
            run_length=run_length,
        )
    center_np: float | FloatArray = n * p
    return _attribute(
        "np",
        d,
        center_np,
        sigma * np.sqrt(n),
        n,
        sigma,
        n,
        constant=constant,
        nsigmas=nsigmas,
        rules=rules,
        run_length=run_length,
    )


def p_chart(
    defectives: ArrayLike,
    sizes: ArrayLike,
    *,
    center: float | None = None,
    nsigmas: float = 3.0,
    rules: str | None = "nelson",
    run_length: int | None = None,
) -> ControlChart:
    """p chart of the fraction nonconforming, with per-point limits for variable sizes.

    ``sizes`` may be one number for all samples.  ``center`` is the known
    fraction nonconforming (phase II).  Limits are clipped to [0, 1].
    """
    return _fraction("p", defectives, sizes, center, nsigmas, rules, run_length)


def np_chart(
    defectives: ArrayLike,
    sizes: ArrayLike,
    *,
    center: float | None = None,
    nsigmas: float = 3.0,
    rules: str | None = "nelson",
    run_length: int | None = None,
) -> ControlChart:
    """np chart of the number nonconforming.

    ``center`` is the known fraction nonconforming p (as for the p chart); the
    centre line is n*p, an array when sample sizes vary.  Limits are clipped to [0, n].
    """
    return _fraction("np", defectives, sizes, center, nsigmas, rules, run_length)


def c_chart(
    counts: ArrayLike,
    *,
    center: float | None = None,
    nsigmas: float = 3.0,
    rules: str | None = "nelson",
    run_length: int | None = None,
) -> ControlChart:
    """c chart of nonconformities per inspection unit; ``center`` is the known c."""
    nsigmas = _check_nsigmas(nsigmas)
    c = _counts(counts, "c chart", "count")
    if center is not None and (not np.isfinite(center) or center < 0):
        raise SpcInputError(f"c chart: known mean count must be non-negative, got {center}")
    cbar = float(c.mean()) if center is None else float(center)
    ones = np.ones(c.shape[0])
    return _attribute(
        "c",
        c,
        cbar,
        np.sqrt(cbar),
        None,
        float(np.sqrt(cbar)),
        ones,
        constant=True,
        nsigmas=nsigmas,
        rules=rules,
        run_length=run_length,
    )


def u_chart(
    counts: ArrayLike,
    sizes: ArrayLike,
    *,
    center: float | None = None,
    nsigmas: float = 3.0,
    rules: str | None = "nelson",
    run_length: int | None = None,
) -> ControlChart:
    """u chart of nonconformities per unit; ``sizes`` are inspection units (may be fractional).

    ``center`` is the known u (phase II).  The lower limit is clipped at 0.
    """
    nsigmas = _check_nsigmas(nsigmas)
    c = _counts(counts, "u chart", "count")
    n, constant = _sizes(sizes, c.shape[0], "u chart", whole=False)
    if center is not None and (not np.isfinite(center) or center < 0):
        raise SpcInputError(
            f"u chart: known nonconformities per unit must be non-negative, got {center}"
        )
    ubar = float(c.sum() / n.sum()) if center is None else float(center)
    return _attribute(
        "u",
        c / n,
        ubar,
        np.sqrt(ubar / n),
        None,
        float(np.sqrt(ubar)),
        n,
        constant=constant,
        nsigmas=nsigmas,
        rules=rules,
        run_length=run_length,
    )
