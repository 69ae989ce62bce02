"""Life-data analysis by maximum likelihood: Weibull, lognormal and exponential models.

The three models are log-location-scale families (Meeker & Escobar, *Statistical
Methods for Reliability Data*, 1998, ch. 4 and 8): Y = ln T = mu + sigma Z with Z
standard smallest-extreme-value (Weibull, eta = e^mu, beta = 1 / sigma), standard
normal (lognormal) or SEV with sigma = 1 (exponential, mean theta = e^mu).  Units
are failures or right-censored (removed without failing).  The log-likelihood is
that of the density of T (as Minitab, R survival and weibulltools report it):

    l = sum over failures [ln g(z) - ln sigma - ln t] + sum over censored ln(1 - G(z)),

with z = (ln t - mu) / sigma.  Estimates: the Weibull shape solves the profile
equation by bracketing root search; the exponential mean is closed form,
theta = sum(t) / r (r failures, Lawless 2003, sec. 2.4); the lognormal uses a
trust-region Newton search on (mu, ln sigma) with the analytic Hessian.

Confidence intervals are Fisher-matrix (Wald) bounds, the default of Minitab and
ReliaSoft: the observed information in (mu, sigma) is inverted (Meeker & Escobar
sec. 8.4.2) and positive quantities get log-scale bounds, q exp(+/- z se(q) / q).
Percentiles (B10 = the 10 % life) use the delta method on ln t_p,
Var(ln t_p) = V_mm + z_p^2 V_ss + 2 z_p V_ms; reliability bounds use the same
variance on the standardised z scale (Meeker & Escobar eq. 8.9).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats

from qualitas.spc.errors import SpcInputError

__all__ = [
    "DISTRIBUTIONS",
    "Comparison",
    "LifeFit",
    "LikelihoodRatioTest",
    "Parameter",
    "WeibullFit",
    "compare",
    "fit",
    "weibull_fit",
]

Interval = tuple[float, float]
FloatArray = NDArray[np.float64]
DISTRIBUTIONS = ("weibull", "lognormal", "exponential")
# Number of free parameters, for AIC and BIC.
_N_PARAMS = {"weibull": 2, "lognormal": 2, "exponential": 1}


def _std_cdf(dist: str, z: FloatArray) -> FloatArray:
    if dist == "lognormal":
        return np.asarray(special.ndtr(z), dtype=np.float64)
    return -np.expm1(-np.exp(z))  # SEV: 1 - exp(-e^z)


def _std_quantile(dist: str, p: FloatArray) -> FloatArray:
    if dist == "lognormal":
        return np.asarray(special.ndtri(p), dtype=np.float64)
    return np.log(-np.log1p(-p))


def _terms(dist: str, z: FloatArray, failed: NDArray[np.bool_]) -> tuple[FloatArray, ...]:
    """ln g or ln(1 - G) per unit, and its first and second derivatives in z."""
    if dist == "lognormal":
        log_sf = np.asarray(special.log_ndtr(-z), dtype=np.float64)
        lam = np.exp(stats.norm.logpdf(z) - log_sf)  # inverse Mills ratio
        value = np.where(failed, stats.norm.logpdf(z), log_sf)
        d1 = np.where(failed, -z, -lam)
        d2 = np.where(failed, -1.0, -lam * (lam - z))
        return value, d1, d2
    ez = np.exp(z)
    return np.where(failed, z - ez, -ez), np.where(failed, 1.0 - ez, -ez), -ez


def _loglik_derivatives(
    dist: str, y: FloatArray, failed: NDArray[np.bool_], mu: float, sigma: float
) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, gradient and Hessian in (mu, sigma) (Meeker & Escobar app. B)."""
    z = (y - mu) / sigma
    c, d1, d2 = _terms(dist, z, failed)
    r = int(failed.sum())
    loglik = float(np.sum(c) - r * math.log(sigma) - np.sum(y[failed]))
    grad = np.array([-np.sum(d1), -np.sum(z * d1) - r]) / sigma
    h_mm = float(np.sum(d2))
    h_ms = float(np.sum(d1 + z * d2))
    h_ss = float(np.sum(2 * z * d1 + z * z * d2) + r)
    return loglik, grad, np.array([[h_mm, h_ms], [h_ms, h_ss]]) / sigma**2


# Results ----------------------------------------------------------------------------------


def _as_dict(obj: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and arrays as JSON dicts and lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return _as_dict(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Parameter:
    """One estimated parameter, its standard error and Fisher-matrix interval."""

    name: str
    estimate: float
    standard_error: float
    ci: Interval


@dataclass(frozen=True)
class LifeFit:
    """A maximum-likelihood life distribution with Fisher-matrix confidence intervals.

    ``mu`` and ``sigma`` are the location and scale of ln T and ``covariance`` is
    their inverse observed information (sigma is fixed at 1 for the exponential).
    """

    distribution: str
    parameters: tuple[Parameter, ...]
    mu: float
    sigma: float
    covariance: tuple[tuple[float, float], tuple[float, float]]
    log_likelihood: float
    aic: float
    bic: float
    n: int
    failures: int
    censored: int
    confidence: float
    b10: float
    b10_ci: Interval

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name`` (shape, scale, location, mean)."""
        for p in self.parameters:
            if p.name == name:
                return p
        names = ", ".join(p.name for p in self.parameters)
        raise SpcInputError(f"name: a {self.distribution} fit has no {name!r} ({names})")

    def _var_of(self, zs: FloatArray) -> FloatArray:
        (v_mm, v_ms), (_, v_ss) = self.covariance
        return np.maximum(v_mm + zs * zs * v_ss + 2.0 * zs * v_ms, 0.0)

    def _percentiles(self, p: ArrayLike, confidence: float | None) -> tuple[FloatArray, ...]:
        probs = np.asarray(p, dtype=np.float64)
        if probs.size == 0 or not np.all((probs > 0) & (probs < 1)):
            raise SpcInputError("p: probabilities must lie strictly between 0 and 1")
        zp = _std_quantile(self.distribution, probs)
        log_tp = self.mu + self.sigma * zp
        half = _z_value(self.confidence if confidence is None else confidence) * np.sqrt(
            self._var_of(zp)
        )
        return np.exp(log_tp), np.exp(log_tp - half), np.exp(log_tp + half)

    def percentile(self, p: float) -> float:
        """The time by which a fraction ``p`` of units has failed (B10 life: p = 0.10)."""
        return float(self._percentiles(p, None)[0])

    def percentile_interval(self, p: float, confidence: float | None = None) -> Interval:
        """Delta-method bounds on ln t_p, as Minitab (default: the fit's confidence)."""
        _, lo, hi = self._percentiles(p, confidence)
        return float(lo), float(hi)

    def _z_at(self, t: ArrayLike) -> FloatArray:
        times = np.asarray(t, dtype=np.float64)
        if not np.all(np.isfinite(times)) or np.any(times < 0):
            raise SpcInputError("t: times must be numbers not below 0")
        with np.errstate(divide="ignore"):
            return (np.log(times) - self.mu) / self.sigma

    @overload
    def reliability(self, t: float) -> float: ...
    @overload
    def reliability(self, t: Sequence[float] | FloatArray) -> FloatArray: ...
    def reliability(self, t: float | Sequence[float] | FloatArray) -> float | FloatArray:
        """Probability of surviving beyond ``t`` (one number, or one per time given)."""
        out = 1.0 - _std_cdf(self.distribution, self._z_at(t))
        return float(out) if np.ndim(out) == 0 else out

    def reliability_interval(self, t: float, confidence: float | None = None) -> Interval:
        """Bounds on R(t) from normal bounds on z = (ln t - mu) / sigma (Meeker & Escobar
        sec. 8.4.3; weibulltools ``confint_fisher``), so they stay within [0, 1]."""
        z = self._z_at(t)
        if not np.isfinite(z):
            return 1.0, 1.0
        level = self.confidence if confidence is None else confidence
        half = _z_value(level) * math.sqrt(float(self._var_of(z))) / self.sigma
        f_lo, f_hi = _std_cdf(self.distribution, np.array([z - half, z + half]))
        return float(1.0 - f_hi), float(1.0 - f_lo)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return _as_dict(self)


def _check_distribution(distribution: object, argument: str = "distribution") -> str:
    if distribution not in DISTRIBUTIONS:
        raise SpcInputError(
            f"{argument}: unknown distribution {distribution!r} (use {', '.join(DISTRIBUTIONS)})"
        )
    return str(distribution)


def _life_data(times: ArrayLike, censored: ArrayLike | None) -> tuple[FloatArray, NDArray[Any]]:
    try:
        t = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SpcInputError(f"times: must be numbers ({exc})") from None
    if t.ndim != 1 or t.size == 0:
        raise SpcInputError("times: must be a non-empty 1-D sequence")
    bad = ~np.isfinite(t) | (t <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpcInputError(f"times: time {i + 1} must be a positive number, got {t[i]}")
    if censored is None:
        return t, np.zeros(t.size, dtype=bool)
    flags = np.asarray(censored)
    if flags.shape != t.shape:
        raise SpcInputError(f"censored: {flags.size} censoring flags given for {t.size} times")
    if flags.dtype != np.bool_ and not np.isin(flags, (0, 1)).all():
        raise SpcInputError("censored: flags must be True/False (or 1/0), True = censored")
    cens = flags.astype(bool)
    if cens.all():
        raise SpcInputError("censored: every time is censored; at least one failure is needed")
    return t, cens


def _z_value(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence``."""
    if not 0.0 < confidence < 1.0:
        raise SpcInputError(f"confidence must be between 0 and 1, got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


# Estimation -------------------------------------------------------------------------------


def _weibull_shape_equation(beta: float, y: FloatArray, mean_y_fail: float) -> float:
    w = np.exp(beta * (y - y.max()))  # scaled by the largest ln t: t^beta cannot overflow
    return float(np.sum(w * y) / np.sum(w) - 1.0 / beta - mean_y_fail)


def _weibull_mle(y: FloatArray, failed: NDArray[np.bool_]) -> tuple[float, float]:
    """Profile likelihood (Lawless 2003, eq. 5.2.8): eta^beta = sum(t^beta) / r and
    sum(t^b ln t) / sum(t^b) - 1/b - mean(ln t over failures) = 0 for beta."""
    mean_fail = float(y[failed].mean())
    hi = 1.0
    while _weibull_shape_equation(hi, y, mean_fail) < 0:
        hi *= 2.0
        if hi > 1e6:
            raise SpcInputError("times: no Weibull fit, the failure times are too close")
    beta = float(
        optimize.brentq(
            _weibull_shape_equation, 1e-3, hi, args=(y, mean_fail), xtol=1e-14, rtol=1e-13
        )
    )
    shift = float(y.max())
    log_sum = math.log(float(np.sum(np.exp(beta * (y - shift)))))
    mu = shift + (log_sum - math.log(int(failed.sum()))) / beta
    return mu, 1.0 / beta


def _lognormal_mle(y: FloatArray, failed: NDArray[np.bool_]) -> tuple[float, float]:
    """Newton trust region on (mu, ln sigma); complete data start at the closed form."""
    yf = y[failed]
    spread = float(yf.std()) if yf.size > 1 and np.ptp(yf) > 0 else float(np.ptp(y)) or 1.0

    def objective(x: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        sigma = math.exp(x[1])
        ll, g, h = _loglik_derivatives("lognormal", y, failed, float(x[0]), sigma)
        grad = np.array([g[0], sigma * g[1]])
        hess = np.array(
            [[h[0, 0], sigma * h[0, 1]], [sigma * h[0, 1], sigma**2 * h[1, 1] + sigma * g[1]]]
        )
        return -ll, -grad, -hess

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        res = optimize.minimize(
            lambda x: objective(x)[0],
            np.array([float(yf.mean()), math.log(spread)]),
            jac=lambda x: objective(x)[1],
            hess=lambda x: objective(x)[2],
            method="trust-exact",
            options={"gtol": 1e-10},
        )
    mu, sigma = float(res.x[0]), math.exp(float(res.x[1]))
    if not (np.isfinite(mu) and np.isfinite(sigma)) or sigma < 1e-9 * max(1.0, abs(mu)):
        raise SpcInputError("times: no lognormal fit (the likelihood has no finite maximum)")
    return mu, sigma


def _natural_parameters(
    dist: str, mu: float, sigma: float, cov: FloatArray, z: float
) -> tuple[Parameter, ...]:
    se_mu, se_sigma = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])

    def positive(name: str, value: float, se: float) -> Parameter:
        w = math.exp(z * se / value)
        return Parameter(name, value, se, (value / w, value * w))

    if dist == "weibull":
        eta = math.exp(mu)
        return positive("shape", 1 / sigma, se_sigma / sigma**2), positive(
            "scale", eta, eta * se_mu
        )
    if dist == "lognormal":
        return (
            Parameter("location", mu, se_mu, (mu - z * se_mu, mu + z * se_mu)),
            positive("scale", sigma, se_sigma),
        )
    theta = math.exp(mu)
    return (positive("mean", theta, theta * se_mu),)


def fit(
    times: ArrayLike,
    censored: ArrayLike | None = None,
    *,
    distribution: str = "weibull",
    confidence: float = 0.95,
) -> LifeFit:
    """Fit a life distribution by maximum likelihood to complete or right-censored data.

    ``times`` are positive times to failure or to removal; ``censored`` is True where
    the unit was removed without failing.  Weibull and lognormal need 2 failures
    (not all at one time); the exponential needs one.
    """
    dist = _check_distribution(distribution)
    z = _z_value(confidence)
    t, cens = _life_data(times, censored)
    failed = ~cens
    r, n = int(failed.sum()), int(t.size)
    y = np.log(t)
    if dist == "exponential":
        mu, sigma = math.log(float(t.sum()) / r), 1.0
        cov = np.array([[1.0 / r, 0.0], [0.0, 0.0]])
        loglik = -r * mu - r  # -r ln(theta) - sum(t) / theta with theta = sum(t) / r
    else:
        if r < 2:
            raise SpcInputError(f"times: a {dist} fit needs at least 2 failures, got {r}")
        if np.ptp(y[failed]) == 0 and y[cens].max(initial=-np.inf) <= y[failed][0]:
            raise SpcInputError(f"times: a {dist} fit needs failure times that are not all equal")
        mu, sigma = _weibull_mle(y, failed) if dist == "weibull" else _lognormal_mle(y, failed)
        loglik, _, hess = _loglik_derivatives(dist, y, failed, mu, sigma)
        try:
            cov = np.linalg.inv(-hess)
        except np.linalg.LinAlgError:
            raise SpcInputError(f"times: the {dist} information matrix is singular") from None
        if not (np.all(np.isfinite(cov)) and cov[0, 0] > 0 and cov[1, 1] > 0):
            raise SpcInputError(f"times: the {dist} fit has no finite standard errors")
    k = _N_PARAMS[dist]
    cov_t = ((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1])))
    aic, bic = -2.0 * loglik + 2 * k, -2.0 * loglik + k * math.log(n)
    params = _natural_parameters(dist, mu, sigma, cov, z)
    partial = LifeFit(
        dist, params, mu, sigma, cov_t, loglik, aic, bic, n, r, n - r, confidence, 0.0, (0, 0)
    )
    b10, lo, hi = (float(a) for a in partial._percentiles(0.10, None))
    return replace(partial, b10=b10, b10_ci=(lo, hi))


@dataclass(frozen=True)
class WeibullFit:
    """Maximum-likelihood Weibull shape (beta) and scale (eta) with confidence intervals."""

    shape: float
    scale: float
    shape_ci: Interval
    scale_ci: Interval
    b10: float
    b10_ci: Interval
    failures: int
    censored: int
    confidence: float
    log_likelihood: float
    covariance: tuple[tuple[float, float], tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return _as_dict(self)


def weibull_fit(
    times: ArrayLike,
    *,
    censored: ArrayLike | None = None,
    confidence: float = 0.95,
) -> WeibullFit:
    """Two-parameter Weibull by maximum likelihood (``fit(..., distribution="weibull")``),
    with the covariance of (shape, scale) rather than of (mu, sigma)."""
    f = fit(times, censored, distribution="weibull", confidence=confidence)
    shape, scale = f.parameters
    # Jacobian of (beta, eta) = (1/sigma, e^mu) with respect to (mu, sigma).
    jac = np.array([[0.0, -1.0 / f.sigma**2], [scale.estimate, 0.0]])
    cov = jac @ np.array(f.covariance) @ jac.T
    cov_t = ((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1])))
    return WeibullFit(
        shape.estimate, scale.estimate, shape.ci, scale.ci, f.b10, f.b10_ci, f.failures,
        f.censored, confidence, f.log_likelihood, cov_t,
    )  # fmt: skip


# Model comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """LR = 2 (l_full - l_restricted), chi-square with ``df`` degrees of freedom."""

    restricted: str
    full: str
    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class Comparison:
    """Fits ranked by AIC (best first), the nested-model tests and the preferred model."""

    fits: tuple[LifeFit, ...]
    tests: tuple[LikelihoodRatioTest, ...]
    preferred: str
    reason: str
    alpha: float

    def fit(self, distribution: str) -> LifeFit:
        """The fit of one distribution."""
        for f in self.fits:
            if f.distribution == distribution:
                return f
        raise SpcInputError(f"distribution: {distribution!r} was not fitted")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return _as_dict(self)


def compare(
    times: ArrayLike,
    censored: ArrayLike | None = None,
    distributions: Sequence[str] = DISTRIBUTIONS,
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> Comparison:
    """Fit each distribution and say which describes the data best, and why.

    The exponential is the Weibull with shape 1, so the two are compared by a
    likelihood-ratio test (LR = 2 (l_W - l_E), chi-square with 1 df; Lawless 2003,
    sec. 5.2; Meeker & Escobar sec. 8.5): the simpler model is kept unless the test
    rejects it at ``alpha``.  Models that do not nest (lognormal against either) are
    ranked by AIC = -2 l + 2 k (equal k: by log-likelihood); the lognormal is preferred only
    when it beats the whole Weibull family (Weibull and exponential) on AIC, so keeping the
    simpler exponential never hands the choice to a lognormal the Weibull fits better.
    """
    if isinstance(distributions, str) or len(distributions) == 0:
        raise SpcInputError("distributions: give a non-empty list of distribution names")
    names = [_check_distribution(d, "distributions") for d in distributions]
    if len(set(names)) != len(names):
        raise SpcInputError("distributions: each distribution may be given once")
    if not 0.0 < alpha < 1.0:
        raise SpcInputError(f"alpha must be between 0 and 1, got {alpha}")
    fits = sorted(
        (fit(times, censored, distribution=d, confidence=confidence) for d in names),
        key=lambda f: (f.aic, _N_PARAMS[f.distribution]),
    )
    by_name = {f.distribution: f for f in fits}
    tests: list[LikelihoodRatioTest] = []
    candidates = list(by_name)
    why = ""
    if {"weibull", "exponential"} <= by_name.keys():
        lr = max(
            0.0, 2.0 * (by_name["weibull"].log_likelihood - by_name["exponential"].log_likelihood)
        )
        p = float(stats.chi2.sf(lr, 1))
        tests.append(LikelihoodRatioTest("exponential", "weibull", lr, 1, p))
        shape = by_name["weibull"].parameters[0].estimate
        if p < alpha:
            candidates.remove("exponential")
            why = (
                f"the likelihood-ratio test rejects the exponential model (Weibull shape "
                f"{shape:.3g} differs from 1: LR = {lr:.3f}, p = {p:.3g} < {alpha:g})"
            )
        else:
            candidates.remove("weibull")
            why = (
                f"the likelihood-ratio test does not reject the exponential model (LR = "
                f"{lr:.3f}, p = {p:.3g} >= {alpha:g}), so the simpler model is kept"
            )
        family = min(by_name["weibull"].aic, by_name["exponential"].aic)
        if "lognormal" in candidates and by_name["lognormal"].aic >= family:
            candidates.remove("lognormal")
            why += f"; the lognormal (AIC {by_name['lognormal'].aic:.2f}) does not beat the "
            why += f"Weibull family (AIC {family:.2f})"
    best = next(f for f in fits if f.distribution in candidates)  # fits are ranked
    others = [by_name[c] for c in candidates if c != best.distribution]
    if others:
        aics = ", ".join(f"{o.distribution} {o.aic:.2f}" for o in others)
        ranking = f"{best.distribution} has the lowest AIC ({best.aic:.2f}; {aics})"
        why = f"{why}; {ranking}" if why else ranking
    elif not why:
        why = f"only {best.distribution} was fitted"
    reason = f"{best.distribution}: {why}."
    return Comparison(tuple(fits), tuple(tests), best.distribution, reason, alpha)
