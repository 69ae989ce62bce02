"""Weibull life-data analysis by maximum likelihood (complete and right-censored data).

Two-parameter Weibull, F(t) = 1 - exp(-(t / eta)^beta).  With r failures the
profile likelihood gives eta^beta = sum(t_i^beta) / r (all units), and beta
solves

    sum(t^beta ln t) / sum(t^beta) - 1 / beta - mean(ln t over failures) = 0,

found by bracketing root search.  Confidence intervals are the usual
Fisher-matrix (Wald) bounds on the log scale (as Minitab's and ReliaSoft's
defaults): the observed information matrix is inverted and
beta * exp(+/- z se(beta) / beta), eta * exp(+/- z se(eta) / eta); the B10 life
t10 = eta (-ln 0.9)^(1 / beta) uses the delta method on log t10.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from qualitas.spc.errors import SpcInputError

__all__ = ["WeibullFit", "weibull_fit"]

Interval = tuple[float, float]


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
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()} | {
            "covariance": [list(row) for row in self.covariance]
        }


def _shape_equation(beta: float, log_t: NDArray[np.float64], mean_log_fail: float) -> float:
    # Scale by the largest log time for numerical stability of t^beta.
    w = np.exp(beta * (log_t - log_t.max()))
    return float(np.sum(w * log_t) / np.sum(w) - 1.0 / beta - mean_log_fail)


def weibull_fit(
    times: ArrayLike,
    *,
    censored: ArrayLike | None = None,
    confidence: float = 0.95,
) -> WeibullFit:
    """Fit a two-parameter Weibull distribution to life data by maximum likelihood.

    ``times`` are positive times to failure or to censoring; ``censored`` is a
    boolean sequence, True where the unit was removed without failing (right
    censored).  At least 2 failures are needed, with at least 2 distinct times.
    """
    if not 0.0 < confidence < 1.0:
        raise SpcInputError(f"confidence must be between 0 and 1, got {confidence}")
    try:
        t = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SpcInputError(f"Weibull: times must be numbers ({exc})") from None
    if t.ndim != 1:
        raise SpcInputError("Weibull: times must be a 1-D sequence")
    bad = ~np.isfinite(t) | (t <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SpcInputError(f"Weibull: time {i + 1} must be a positive number, got {t[i]}")
    if censored is None:
        cens = np.zeros(t.shape[0], dtype=bool)
    else:
        cens = np.asarray(censored, dtype=bool)
        if cens.shape != t.shape:
            raise SpcInputError(
                f"Weibull: {cens.size} censoring flags given for {t.shape[0]} times"
            )
    failed = ~cens
    r = int(failed.sum())
    if r < 2:
        raise SpcInputError(f"Weibull fit needs at least 2 failures, got {r}")
    log_t = np.log(t)
    if np.ptp(log_t) == 0:
        raise SpcInputError("Weibull fit needs times that are not all equal")
    mean_log_fail = float(log_t[failed].mean())
    lo, hi = 1e-3, 1.0
    while _shape_equation(hi, log_t, mean_log_fail) < 0:
        hi *= 2.0
        if hi > 1e6:
            raise SpcInputError("Weibull fit did not converge: the failure times are too close")
    beta = float(
        optimize.brentq(
            _shape_equation, lo, hi, args=(log_t, mean_log_fail), xtol=1e-14, rtol=1e-13
        )
    )
    shift = float(log_t.max())
    sum_w = float(np.sum(np.exp(beta * (log_t - shift))))
    log_eta = shift + (math.log(sum_w) - math.log(r)) / beta
    eta = math.exp(log_eta)

    x = t / eta
    xb = x**beta
    lx = np.log(x)
    h_bb = -r / beta**2 - float(np.sum(xb * lx**2))
    h_ee = r * beta / eta**2 - beta * (beta + 1.0) / eta**2 * float(np.sum(xb))
    h_be = (-r + float(np.sum(xb)) + beta * float(np.sum(xb * lx))) / eta
    info = -np.array([[h_bb, h_be], [h_be, h_ee]])
    cov = np.linalg.inv(info)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    se_b, se_e = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
    shape_ci = (beta * math.exp(-z * se_b / beta), beta * math.exp(z * se_b / beta))
    scale_ci = (eta * math.exp(-z * se_e / eta), eta * math.exp(z * se_e / eta))
    q = math.log(-math.log(0.9))
    b10 = eta * math.exp(q / beta)
    grad = np.array([-q / beta**2, 1.0 / eta])  # d log(b10) / d(beta, eta)
    se_log_b10 = math.sqrt(float(grad @ cov @ grad))
    b10_ci = (b10 * math.exp(-z * se_log_b10), b10 * math.exp(z * se_log_b10))
    loglik = float(
        r * math.log(beta) - r * beta * log_eta + (beta - 1.0) * np.sum(log_t[failed]) - np.sum(xb)
    )
    return WeibullFit(
        shape=beta,
        scale=eta,
        shape_ci=shape_ci,
        scale_ci=scale_ci,
        b10=b10,
        b10_ci=b10_ci,
        failures=r,
        censored=int(cens.sum()),
        confidence=confidence,
        log_likelihood=loglik,
        covariance=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
    )
