"""Process capability (Cp, Cpk, Cpm with confidence bounds; Pp, Ppk; ppm), also for
non-normal data.

Indices and their two-sided confidence intervals follow qcc's ``process.capability``
(Montgomery, Introduction to SQC, section 8.3 / Kotz and Johnson):

    Cp  = (USL - LSL) / (6 sigma)        CI: Cp * sqrt(chi2_{a/2, n-1} / (n-1)) ...
    Cpl = (mean - LSL) / (3 sigma)
          CI: Cpl * (1 -/+ z_{1-a/2} sqrt(1 / (9 n Cpl^2) + 1 / (2 (n - 1))))
    Cpu = (USL - mean) / (3 sigma)       CI: as Cpl
    Cpk = min(Cpl, Cpu)                  CI: as Cpl (Bissell 1990)
    Cpm = Cp / sqrt(1 + ((mean - T) / sigma)^2)
          CI: Cpm * sqrt(chi2_{a/2, df} / df), df = n (1 + d^2) / (1 + 2 d^2), d = (mean - T)/sigma

``bound="lower"`` gives one-sided lower confidence bounds instead, the question a
supplier requirement asks ("Cpk >= 1.33 at 95 % confidence" holds when the lower
bound is at least 1.33): z_{1-a} in Bissell's formula and chi2_{a, df} for Cp and
Cpm; the upper end is +inf (``None`` in ``to_dict``).  Note that R's qcc already
uses the one-sided quantile z_{1-a} for its Cpl and Cpu intervals while labelling
them 2.5 % / 97.5 % (so they are narrower than its Cpk interval); our two-sided
intervals use z_{1-a/2} for every index, and our lower bounds z_{1-a}.

``sigma`` is the within-subgroup sigma (R-bar/d2 "UWAVE-R" for subgroups,
MR-bar/d2(2) for individuals) unless given; Pp/Ppk use the overall sample
standard deviation.  n is the number of individual observations.

Non-normal data (``method``; maths in :mod:`qualitas.spc.nonnormal`):

* ``"boxcox"``, ``"johnson"``: the data, the specification limits and the target
  are transformed to normality and the normal-theory indices are computed on the
  transformed scale (as Minitab's capability with a Box-Cox or Johnson
  transformation).  Expected ppm are the transformed normal tails, i.e. the tails
  of the fitted distribution.
* ``"percentile"``: Clements (1989, *Quality Progress* 22(9)) Pp-type indices from
  the 0.135 %, 50 % and 99.865 % points: Pp = (USL - LSL) / (P99.865 - P0.135),
  Ppu = (USL - P50) / (P99.865 - P50), Ppl = (P50 - LSL) / (P50 - P0.135).  Clements
  read the points from a Pearson curve fitted by four moments; we read them from
  the Johnson curve fitted as for ``"johnson"`` (also a four-parameter family that
  follows skewness and kurtosis, fitted from percentiles, which are steadier than
  third and fourth moments).  Empirical 0.135 % quantiles would need well over a
  thousand values and otherwise are just the extreme observations.
* ``"auto"``: normal when the Anderson-Darling p-value is at least 0.05, otherwise
  Box-Cox when every value is positive, otherwise Johnson.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from qualitas.spc.constants import d2
from qualitas.spc.errors import SpcInputError
from qualitas.spc.inputs import _individuals, _Subgroups, _subgroups, _within_sigma
from qualitas.spc.nonnormal import (
    AD_MINIMUM,
    JohnsonFit,
    Normality,
    anderson_darling,
    boxcox,
    boxcox_lambda as _boxcox_mle,
    johnson_fit,
)

__all__ = ["Capability", "Transformation", "capability"]

Interval = tuple[float, float]
FloatArray = NDArray[np.float64]
METHODS = ("normal", "percentile", "boxcox", "johnson", "auto")
BOUNDS = ("two-sided", "lower")
AUTO_ALPHA = 0.05  # "auto" keeps the normal method when the AD p-value is at least this


@dataclass(frozen=True)
class Transformation:
    """How the data were transformed to normality, and the transformed quantities.

    ``parameters``: Box-Cox ``{"lambda": ...}``; Johnson ``{"family": "SB"|"SL"|"SU",
    "gamma", "eta", "epsilon", "lambda" (None for SL), "z"}``.  ``normality`` is the
    Anderson-Darling test of the transformed data.
    """

    name: str
    formula: str
    parameters: dict[str, Any]
    lsl: float | None
    usl: float | None
    target: float | None
    mean: float
    sigma_within: float
    sigma_overall: float
    normality: Normality | None


@dataclass(frozen=True)
class Capability:
    """Capability indices, confidence intervals and expected/observed ppm.

    An index that needs a missing specification limit is None (one-sided
    specifications give only Cpl or Cpu, and Cpk equal to it).  With
    ``bound="lower"`` each interval is (lower bound, inf).  ``mean`` and the
    sigmas are always of the data as measured; for a transformation the
    transformed ones are in ``transformation``.  The percentile method gives
    only Pp-type indices (``percentiles`` holds P0.135, P50, P99.865).
    """

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    target: float | None
    confidence: float
    cp: float | None
    cp_ci: Interval | None
    cpl: float | None
    cpl_ci: Interval | None
    cpu: float | None
    cpu_ci: Interval | None
    cpk: float | None
    cpk_ci: Interval | None
    cpm: float | None
    cpm_ci: Interval | None
    pp: float | None
    ppl: float | None
    ppu: float | None
    ppk: float | None
    ppm_below_within: float | None
    ppm_above_within: float | None
    ppm_total_within: float
    ppm_below_overall: float | None
    ppm_above_overall: float | None
    ppm_total_overall: float
    ppm_below_observed: float | None
    ppm_above_observed: float | None
    ppm_total_observed: float
    bound: str = "two-sided"
    method: str = "normal"
    method_reason: str = ""
    normality: Normality | None = None
    transformation: Transformation | None = None
    percentiles: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: intervals become two-element lists, +/-inf and NaN become None."""
        out: dict[str, Any] = _plain(asdict(self))
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _chi2_interval(value: float, df: float, alpha: float, *, lower: bool) -> Interval:
    if lower:
        return value * math.sqrt(stats.chi2.ppf(alpha, df) / df), math.inf
    return (
        value * math.sqrt(stats.chi2.ppf(alpha / 2.0, df) / df),
        value * math.sqrt(stats.chi2.ppf(1.0 - alpha / 2.0, df) / df),
    )


def _cpk_interval(value: float, n: int, z: float, *, lower: bool) -> Interval:
    half = z * math.sqrt(1.0 / (9.0 * n * value**2) + 1.0 / (2.0 * (n - 1)))
    return value * (1.0 - half), math.inf if lower else value * (1.0 + half)


def _parse(data: Any) -> tuple[FloatArray, _Subgroups | None]:
    """Flattened observations, and the subgroups (None for individuals)."""
    arr = data if isinstance(data, np.ndarray) and data.dtype != object else None
    one_d = arr is not None and arr.ndim == 1
    if arr is None:
        seq = list(data)
        one_d = bool(seq) and np.ndim(seq[0]) == 0
        data = seq
    if one_d:
        return _individuals(data, "capability", minimum=2), None
    g = _subgroups(data, 2, "capability")
    values = g.data[~np.isnan(g.data)] if g.missing else g.data.ravel()
    return values, g


def _within(x: FloatArray, g: _Subgroups | None) -> float:
    if g is None:
        return float(np.abs(np.diff(x)).mean() / float(d2(2)))
    return _within_sigma(g, "uwave-r")


def _transformed(
    x: FloatArray, g: _Subgroups | None, f: Callable[[Any], FloatArray]
) -> tuple[FloatArray, _Subgroups | None]:
    """The data transformed value by value, keeping their order and subgroups."""
    if g is None:
        return f(x), None
    gt = replace(g, data=f(g.data))
    return (gt.data[~np.isnan(gt.data)] if gt.missing else gt.data.ravel()), gt


def _indices(
    x: FloatArray,
    within: float,
    lsl: float | None,
    usl: float | None,
    target: float | None,
    alpha: float,
    *,
    lower: bool,
) -> dict[str, Any]:
    """The normal-theory indices, intervals and expected ppm of ``x`` (any scale)."""
    n = int(x.shape[0])
    s_overall = float(np.std(x, ddof=1))
    if within <= 0 or s_overall <= 0:
        raise SpcInputError("capability: the data have no variation, so sigma is zero")
    mean = float(x.mean())
    z = float(stats.norm.ppf(1.0 - alpha if lower else 1.0 - alpha / 2.0))
    cp = cp_ci = cpm = cpm_ci = pp = None
    if lsl is not None and usl is not None:
        cp = (usl - lsl) / (6.0 * within)
        cp_ci = _chi2_interval(cp, n - 1, alpha, lower=lower)
        pp = (usl - lsl) / (6.0 * s_overall)
        if target is not None:
            dev = (mean - target) / within
            cpm = cp / math.sqrt(1.0 + dev**2)
            df = n * (1.0 + dev**2) / (1.0 + 2.0 * dev**2)
            cpm_ci = _chi2_interval(cpm, df, alpha, lower=lower)
    cpl = (mean - lsl) / (3.0 * within) if lsl is not None else None
    cpu = (usl - mean) / (3.0 * within) if usl is not None else None
    ppl = (mean - lsl) / (3.0 * s_overall) if lsl is not None else None
    ppu = (usl - mean) / (3.0 * s_overall) if usl is not None else None
    cpk = min(v for v in (cpl, cpu) if v is not None)
    ppk = min(v for v in (ppl, ppu) if v is not None)

    def below(s: float) -> float | None:
        return None if lsl is None else float(stats.norm.cdf((lsl - mean) / s) * 1e6)

    def above(s: float) -> float | None:
        return None if usl is None else float(stats.norm.sf((usl - mean) / s) * 1e6)

    bw, aw, bo, ao = below(within), above(within), below(s_overall), above(s_overall)
    return {
        "mean": mean,
        "sigma_within": within,
        "sigma_overall": s_overall,
        "cp": cp,
        "cp_ci": cp_ci,
        "cpl": cpl,
        "cpl_ci": None if cpl is None else _cpk_interval(cpl, n, z, lower=lower),
        "cpu": cpu,
        "cpu_ci": None if cpu is None else _cpk_interval(cpu, n, z, lower=lower),
        "cpk": cpk,
        "cpk_ci": _cpk_interval(cpk, n, z, lower=lower),
        "cpm": cpm,
        "cpm_ci": cpm_ci,
        "pp": pp,
        "ppl": ppl,
        "ppu": ppu,
        "ppk": ppk,
        "ppm_below_within": bw,
        "ppm_above_within": aw,
        "ppm_total_within": (bw or 0.0) + (aw or 0.0),
        "ppm_below_overall": bo,
        "ppm_above_overall": ao,
        "ppm_total_overall": (bo or 0.0) + (ao or 0.0),
    }


def _normality(x: FloatArray) -> Normality | None:
    if x.shape[0] < AD_MINIMUM or float(np.ptp(x)) == 0.0:
        return None
    return anderson_darling(x)


def _auto(x: FloatArray, normality: Normality | None, limits: tuple[Any, ...]) -> tuple[str, str]:
    if normality is None:
        return "normal", f"fewer than {AD_MINIMUM} values, too few to test normality"
    p = normality.p_value
    if p >= AUTO_ALPHA:
        return (
            "normal",
            f"the Anderson-Darling test finds no evidence against normality (p = {p:.3g})",
        )
    if float(x.min()) > 0.0 and all(v is None or v > 0 for v in limits):
        return "boxcox", f"the data are not normal (Anderson-Darling p = {p:.3g}) and all positive"
    return "johnson", (
        f"the data are not normal (Anderson-Darling p = {p:.3g}) and they or the limits are "
        "not all positive, which Box-Cox needs"
    )


def _mapped(
    value: float | None, f: Callable[[Any], FloatArray], fit: JohnsonFit | None
) -> float | None:
    """A limit on the transformed scale; None when it lies outside a bounded Johnson curve."""
    if value is None or (fit is not None and not fit.covers(np.array([value]))):
        return None
    return float(f(value))


def _johnson_transformation(fit: JohnsonFit) -> tuple[str, dict[str, Any]]:
    params: dict[str, Any] = {
        "family": fit.family,
        "gamma": fit.gamma,
        "eta": fit.eta,
        "epsilon": fit.epsilon,
        "lambda": fit.lam,
        "z": fit.z,
    }
    return fit.formula(), params


def _check(
    lsl: float | None,
    usl: float | None,
    target: float | None,
    sigma: float | None,
    confidence: float,
    bound: str,
    method: str,
) -> None:
    if lsl is None and usl is None:
        raise SpcInputError("capability needs at least one specification limit (LSL or USL)")
    for name, value in (("LSL", lsl), ("USL", usl), ("target", target)):
        if value is not None and not math.isfinite(value):
            raise SpcInputError(f"{name} must be a finite number, got {value}")
    if lsl is not None and usl is not None and lsl >= usl:
        raise SpcInputError(f"LSL ({lsl:g}) must be below USL ({usl:g})")
    if not 0.0 < confidence < 1.0:
        raise SpcInputError(f"confidence must be between 0 and 1, got {confidence}")
    if sigma is not None and (not math.isfinite(sigma) or sigma <= 0):
        raise SpcInputError(f"known sigma must be a positive number, got {sigma}")
    if bound not in BOUNDS:
        raise SpcInputError(f"bound must be 'two-sided' or 'lower', got {bound!r}")
    if method not in METHODS:
        raise SpcInputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if sigma is not None and method != "normal":
        raise SpcInputError(
            f"sigma: a known sigma is on the measured scale and applies only to "
            f"method='normal', not {method!r}"
        )


def capability(
    data: Any,
    *,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    sigma: float | None = None,
    confidence: float = 0.95,
    bound: str = "two-sided",
    method: str = "normal",
    boxcox_lambda: float | None = None,
    johnson_z: float | None = None,
) -> Capability:
    """Process capability of ``data`` (individuals 1-D, or subgroups as for the charts).

    At least one of ``lsl``/``usl`` is required.  ``target`` defaults to the
    mid-point of the specification when both limits are given (as qcc).
    ``sigma`` is a known within sigma (normal method only).  ``bound`` is
    ``"two-sided"`` (intervals) or ``"lower"`` (lower confidence bounds, upper
    end inf).  ``method`` is ``"normal"``, ``"percentile"``, ``"boxcox"``,
    ``"johnson"`` or ``"auto"`` (see the module docstring); ``boxcox_lambda``
    fixes lambda instead of estimating it, ``johnson_z`` fixes the Johnson z
    (e.g. Slifker and Shapiro's 0.524) instead of searching 0.25 ... 1.25.
    Observed ppm count the data outside the limits.
    """
    _check(lsl, usl, target, sigma, confidence, bound, method)
    x, g = _parse(data)
    n = int(x.shape[0])
    if n < 2:
        raise SpcInputError(f"capability needs at least 2 observations, got {n}")
    if target is None and lsl is not None and usl is not None:
        target = (lsl + usl) / 2.0
    alpha, lower = 1.0 - confidence, bound == "lower"
    within = float(sigma) if sigma is not None else _within(x, g)
    normality = _normality(x)
    limits = (lsl, usl, target)
    chosen, why = (method, "") if method != "auto" else _auto(x, normality, limits)
    fit: JohnsonFit | None = None
    if method == "auto" and chosen == "johnson":
        try:
            fit = johnson_fit(x, z=johnson_z)
        except SpcInputError:
            chosen, why = "normal", why + ", but no Johnson curve fits them"
    transformation = percentiles = None
    if chosen == "normal":
        fields = _indices(x, within, lsl, usl, target, alpha, lower=lower)
        reason = "Normal-theory indices"
        if normality is not None and method != "auto":
            p = normality.p_value
            reason += f"; Anderson-Darling p = {p:.3g}" + (
                ", so the data may not be normal: consider method 'boxcox' or 'johnson'"
                if p < AUTO_ALPHA
                else ""
            )
    elif chosen in ("boxcox", "johnson"):
        f: Callable[[Any], FloatArray]
        if chosen == "boxcox":
            for name, value in (("lsl", lsl), ("usl", usl), ("target", target)):
                if value is not None and value <= 0:
                    raise SpcInputError(
                        f"{name}: Box-Cox needs positive values, got {value:g} "
                        "(with positive data a limit at or below zero cannot be violated)"
                    )
            lam = boxcox_lambda if boxcox_lambda is not None else _boxcox_mle(x)
            if not math.isfinite(lam):
                raise SpcInputError(f"boxcox_lambda must be a finite number, got {lam}")

            def f(a: Any) -> FloatArray:
                return boxcox(a, lam)

            name, formula, params = "box-cox", f"(x^{lam:.4g} - 1) / {lam:.4g}", {"lambda": lam}
            if lam == 0:
                formula = "ln(x)"
            how = "maximum likelihood" if boxcox_lambda is None else "as given"
            reason = f"Box-Cox transformation, lambda = {lam:.3g} ({how})"
        else:
            fit = fit or johnson_fit(x, z=johnson_z)
            f = fit.transform
            name = "johnson"
            formula, params = _johnson_transformation(fit)
            reason = (
                f"Johnson {fit.family} transformation (Chou et al. 1998, z = {fit.z:.2f}, "
                f"chosen for the best Anderson-Darling fit)"
            )
        y, gy = _transformed(x, g, f)
        t_lsl, t_usl, t_target = (_mapped(v, f, fit) for v in limits)
        if t_lsl is None and t_usl is None:
            raise SpcInputError(
                "lsl, usl: both specification limits lie outside the range of the fitted "
                "Johnson curve, so no value can fall outside them"
            )
        fields = _indices(y, _within(y, gy), t_lsl, t_usl, t_target, alpha, lower=lower)
        t_norm = _normality(y)
        reason += "; indices of the transformed data against the transformed limits"
        if t_norm is not None:
            reason += f" (transformed data: Anderson-Darling p = {t_norm.p_value:.3g})"
        for side, raw, mapped in (("below", lsl, t_lsl), ("above", usl, t_usl)):
            if raw is not None and mapped is None:
                reason += (
                    f"; {'LSL' if side == 'below' else 'USL'} {raw:g} lies outside the range "
                    "of the fitted curve, so nothing can fall beyond it: it is left out"
                )
                fields.update({f"ppm_{side}_within": 0.0, f"ppm_{side}_overall": 0.0})
        transformation = Transformation(
            name=name,
            formula=formula,
            parameters=params,
            lsl=t_lsl,
            usl=t_usl,
            target=t_target,
            mean=fields["mean"],
            sigma_within=fields["sigma_within"],
            sigma_overall=fields["sigma_overall"],
            normality=t_norm,
        )
        fields.update(mean=float(x.mean()), sigma_within=within)
        fields.update(sigma_overall=float(np.std(x, ddof=1)))
    else:
        fit = johnson_fit(x, z=johnson_z)
        fields, percentiles = _percentile(x, within, fit, lsl, usl)
        reason = (
            f"Clements' percentile method: Pp-type indices from the 0.135 %, 50 % and "
            f"99.865 % points of the Johnson {fit.family} curve {fit.formula()} "
            f"fitted to the data (Chou et al. 1998, z = {fit.z:.2f})"
        )
    if method == "auto":
        reason = f"Method chosen automatically because {why}. {reason}"
    obs_below = None if lsl is None else float(np.count_nonzero(x < lsl) / n * 1e6)
    obs_above = None if usl is None else float(np.count_nonzero(x > usl) / n * 1e6)
    return Capability(
        n=n,
        lsl=lsl,
        usl=usl,
        target=target,
        confidence=confidence,
        ppm_below_observed=obs_below,
        ppm_above_observed=obs_above,
        ppm_total_observed=(obs_below or 0.0) + (obs_above or 0.0),
        bound=bound,
        method=chosen,
        method_reason=reason + ".",
        normality=normality,
        transformation=transformation,
        percentiles=percentiles,
        **fields,
    )


def _percentile(
    x: FloatArray, within: float, fit: JohnsonFit, lsl: float | None, usl: float | None
) -> tuple[dict[str, Any], dict[str, float]]:
    """Clements' indices from the fitted curve's 0.135 %, 50 % and 99.865 % points."""
    lo, mid, hi = (float(v) for v in fit.inverse(np.array([-3.0, 0.0, 3.0])))
    pp = None if lsl is None or usl is None else (usl - lsl) / (hi - lo)
    ppl = None if lsl is None else (mid - lsl) / (mid - lo)
    ppu = None if usl is None else (usl - mid) / (hi - mid)
    ppk = min(v for v in (ppl, ppu) if v is not None)
    below = None if lsl is None else fit.cdf(lsl) * 1e6
    above = None if usl is None else (1.0 - fit.cdf(usl)) * 1e6
    total = (below or 0.0) + (above or 0.0)
    fields: dict[str, Any] = {
        "mean": float(x.mean()),
        "sigma_within": within,
        "sigma_overall": float(np.std(x, ddof=1)),
        "cp": None,
        "cp_ci": None,
        "cpl": None,
        "cpl_ci": None,
        "cpu": None,
        "cpu_ci": None,
        "cpk": None,
        "cpk_ci": None,
        "cpm": None,
        "cpm_ci": None,
        "pp": pp,
        "ppl": ppl,
        "ppu": ppu,
        "ppk": ppk,
        "ppm_below_within": below,
        "ppm_above_within": above,
        "ppm_total_within": total,
        "ppm_below_overall": below,
        "ppm_above_overall": above,
        "ppm_total_overall": total,
    }
    return fields, {"p0.135": lo, "p50": mid, "p99.865": hi}
