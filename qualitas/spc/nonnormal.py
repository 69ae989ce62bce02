"""Non-normal data for capability: a normality test and transformations to normality.

* :func:`anderson_darling` -- the Anderson-Darling test of normality with mean and
  standard deviation estimated from the data (Stephens, in D'Agostino and Stephens,
  *Goodness-of-Fit Techniques*, 1986, section 4.8 and Table 4.9), exactly as R's
  ``nortest::ad.test`` and Minitab: A*^2 = A^2 (1 + 0.75/n + 2.25/n^2) and a
  piecewise exponential p-value in A*^2.
* Box-Cox (Box and Cox 1964): y = (x^lambda - 1)/lambda (ln x at lambda = 0), lambda by
  maximum likelihood.  This form increases with x for every lambda, so the
  transformed LSL stays below the transformed USL even for lambda < 0 (Minitab
  shows x^lambda, which reverses the order for lambda < 0; the indices are the same,
  because they do not change under an increasing linear map).
* Johnson (Chou, Polansky and Mason 1998, *J. Quality Technology* 30(2); percentile
  estimates of Slifker and Shapiro 1980): for each z in 0.25, 0.26 ... 1.25 the
  data quantiles at Phi(-3z), Phi(-z), Phi(z), Phi(3z) give m, n, p and the ratio
  QR = m n / p^2, which selects SB (bounded, QR < 1) or SU (unbounded, QR > 1); SL
  (lognormal) is fitted at every z as well.  The curve whose transformed data have
  the largest Anderson-Darling p-value wins (Minitab replaces Chou's Shapiro-Wilk
  by Anderson-Darling; so do we).

The search over z is a loop over 101 candidate curves, each evaluated on the
whole data at once.  All transformations here are increasing, so the data are
sorted once and stay sorted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from qualitas.spc.errors import SpcInputError

__all__ = [
    "JohnsonFit",
    "Normality",
    "ad_p_value",
    "anderson_darling",
    "boxcox",
    "boxcox_lambda",
    "johnson_fit",
]

FloatArray = NDArray[np.float64]
AD_MINIMUM = 8  # nortest::ad.test needs more than 7 values
JOHNSON_Z = np.round(np.linspace(0.25, 1.25, 101), 2)  # Chou et al.'s range, step 0.01


@dataclass(frozen=True)
class Normality:
    """Anderson-Darling test of normality (mean and sigma estimated from the data)."""

    n: int
    a2: float
    a2_adjusted: float
    p_value: float


def _values(x: Any, name: str = "data") -> FloatArray:
    try:
        arr = np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise SpcInputError(f"{name} must be numbers") from exc
    arr = arr[~np.isnan(arr)]
    if not np.all(np.isfinite(arr)):
        raise SpcInputError(f"{name} must be finite numbers (no infinities)")
    return arr


def _ad_p_value(aa: FloatArray) -> FloatArray:
    """Stephens (1986) Table 4.9 p-value for the adjusted statistic, as nortest::ad.test."""
    with np.errstate(over="ignore"):  # np.select evaluates every branch
        p = _ad_branches(aa)
    out: FloatArray = np.clip(p, 0.0, 1.0)
    return out


def _ad_branches(aa: FloatArray) -> FloatArray:
    p: FloatArray = np.select(
        [aa < 0.2, aa < 0.34, aa < 0.6, aa < 10.0],
        [
            1.0 - np.exp(-13.436 + 101.14 * aa - 223.73 * aa**2),
            1.0 - np.exp(-8.318 + 42.796 * aa - 59.938 * aa**2),
            np.exp(0.9177 - 4.279 * aa - 1.38 * aa**2),
            np.exp(1.2937 - 5.709 * aa + 0.0186 * aa**2),
        ],
        default=3.7e-24,
    )
    return p


def ad_p_value(a2: float, n: int) -> float:
    """p-value of an Anderson-Darling A^2 from n values (mean and sigma estimated)."""
    if n < AD_MINIMUM or not math.isfinite(a2):
        raise SpcInputError(f"n: the Anderson-Darling p-value needs n >= {AD_MINIMUM}, got {n}")
    aa = a2 * (1.0 + 0.75 / n + 2.25 / n**2)
    return float(_ad_p_value(np.array([aa]))[0])


def _ad_sorted(y: FloatArray) -> tuple[float, float, float]:
    """A^2, A*^2 and p for sorted values y (the caller guarantees n >= 8 and spread)."""
    n = y.shape[0]
    z = (y - y.mean()) / y.std(ddof=1)
    # log Phi(z_i) + log(1 - Phi(z_{n+1-i})) = logcdf(z_i) + logcdf(-z_{n+1-i})
    weights = 2.0 * np.arange(1, n + 1) - 1.0
    h = weights * (stats.norm.logcdf(z) + stats.norm.logcdf(-z[::-1]))
    a2 = float(-n - h.mean())
    aa = a2 * (1.0 + 0.75 / n + 2.25 / n**2)
    return a2, aa, float(_ad_p_value(np.array([aa]))[0])


def anderson_darling(x: Any) -> Normality:
    """Anderson-Darling normality test of ``x`` (NaN ignored; at least 8 values)."""
    y = np.sort(_values(x))
    n = int(y.shape[0])
    if n < AD_MINIMUM:
        raise SpcInputError(
            f"data: the Anderson-Darling test needs at least {AD_MINIMUM} values, got {n}"
        )
    if float(np.ptp(y)) == 0.0:
        raise SpcInputError("data: all values are equal, so normality cannot be tested")
    a2, aa, p = _ad_sorted(y)
    return Normality(n=n, a2=a2, a2_adjusted=aa, p_value=p)


# --- Box-Cox -----------------------------------------------------------------------------


def _positive(x: Any) -> FloatArray:
    arr = _values(x)
    if arr.size == 0 or float(arr.min()) <= 0.0:
        raise SpcInputError(
            "data: the Box-Cox transformation needs positive values "
            "(use method='johnson' for data with zero or negative values)"
        )
    return arr


def boxcox_lambda(x: Any, *, rounded: bool = False) -> float:
    """Maximum-likelihood Box-Cox lambda of positive data (scipy's ``boxcox_normmax``).

    ``rounded=True`` rounds to the nearest 0.5 (a convenient power: 0 is the
    logarithm, 0.5 the square root, -1 the reciprocal), the choice Minitab
    offers as "rounded lambda".  Lambda is kept within [-5, 5] as Minitab does.
    """
    arr = _positive(x)
    if arr.size < 3 or float(np.ptp(arr)) == 0.0:
        raise SpcInputError("data: Box-Cox needs at least 3 values that are not all equal")
    lam = float(stats.boxcox_normmax(arr, method="mle"))
    lam = min(5.0, max(-5.0, lam))
    return round(lam * 2.0) / 2.0 if rounded else lam


def boxcox(x: Any, lam: float) -> FloatArray:
    """(x^lambda - 1)/lambda, or ln x at lambda = 0; increasing in x for every lambda."""
    arr = np.asarray(x, dtype=np.float64)
    present = arr[~np.isnan(arr)]
    if present.size and float(present.min()) <= 0.0:
        raise SpcInputError("data: the Box-Cox transformation needs positive values")
    out: FloatArray = stats.boxcox(arr, lmbda=lam)
    return out


# --- Johnson -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JohnsonFit:
    """A Johnson curve z = gamma + eta * f((x - epsilon) / lambda) (Johnson 1949).

    SB: f = ln(u / (1 - u)), support epsilon < x < epsilon + lambda;
    SL: z = gamma + eta * ln(x - epsilon) (no lambda), support x > epsilon;
    SU: f = asinh, unbounded.
    """

    family: str
    gamma: float
    eta: float
    epsilon: float
    lam: float | None
    z: float
    a2: float
    p_value: float

    def transform(self, x: Any) -> FloatArray:
        arr = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.family == "SL":
                inner = np.log(arr - self.epsilon)
            elif self.family == "SB":
                lam = float(self.lam or 0.0)
                inner = np.log((arr - self.epsilon) / (lam + self.epsilon - arr))
            else:
                inner = np.arcsinh((arr - self.epsilon) / float(self.lam or 0.0))
        out: FloatArray = self.gamma + self.eta * inner
        return out

    def inverse(self, z: Any) -> FloatArray:
        w = (np.asarray(z, dtype=np.float64) - self.gamma) / self.eta
        if self.family == "SL":
            out: FloatArray = self.epsilon + np.exp(w)
        elif self.family == "SB":
            out = self.epsilon + float(self.lam or 0.0) / (1.0 + np.exp(-w))
        else:
            out = self.epsilon + float(self.lam or 0.0) * np.sinh(w)
        return out

    def cdf(self, value: float) -> float:
        """P(X <= value) under the fitted curve (0 or 1 outside a bounded support)."""
        if not self.covers(np.array([value])):
            return 0.0 if value <= self.epsilon else 1.0
        return float(stats.norm.cdf(float(self.transform(value))))

    def covers(self, values: FloatArray) -> bool:
        """True when every value lies inside the curve's support."""
        if values.size == 0:
            return True
        lo, hi = float(values.min()), float(values.max())
        if self.family == "SU":
            return True
        if self.family == "SL":
            return lo > self.epsilon
        return lo > self.epsilon and hi < self.epsilon + float(self.lam or 0.0)

    def formula(self) -> str:
        g, e = f"{self.gamma:.6g}", f"{self.eta:.6g}"
        shift = f"x - {self.epsilon:.6g}" if self.epsilon >= 0 else f"x + {-self.epsilon:.6g}"
        if self.family == "SL":
            return f"{g} + {e} * ln({shift})"
        top = f"{self.epsilon + float(self.lam or 0.0):.6g}"
        if self.family == "SB":
            return f"{g} + {e} * ln(({shift}) / ({top} - x))"
        return f"{g} + {e} * asinh(({shift}) / {float(self.lam or 0.0):.6g})"


def _johnson_candidates(q: FloatArray, z: float) -> list[tuple[str, float, float, float, float]]:
    """Slifker-Shapiro percentile estimates (family, eta, gamma, lambda, epsilon) at z.

    q holds the data quantiles at Phi(-3z), Phi(-z), Phi(z), Phi(3z).  The formulas
    are those of Chou et al. (1998) Table 1 (as R's jtrans and Johnson packages).
    """
    m, n, p = q[3] - q[2], q[1] - q[0], q[2] - q[1]
    if min(m, n, p) <= 0.0:
        return []
    mid = 0.5 * (q[1] + q[2])
    out: list[tuple[str, float, float, float, float]] = []
    # SL at every z, when the upper tail is the longer one (m > p) ...
    if m > p:
        eta = 2.0 * z / math.log(m / p)
        gamma = eta * math.log((m / p - 1.0) / math.sqrt(m * p))
        eps = mid - 0.5 * p * (m / p + 1.0) / (m / p - 1.0)
        out.append(("SL", eta, gamma, math.nan, eps))
    qr = m * n / p**2
    if qr < 1.0:  # ... and SB for short tails
        a, b = 1.0 + p / m, 1.0 + p / n
        den = p**2 / (m * n) - 1.0
        if a * b > 4.0 and (a * b - 2.0) ** 2 > 4.0 and den != 0.0:
            eta = z / math.acosh(0.5 * math.sqrt(a * b))
            gamma = eta * math.asinh((p / n - p / m) * math.sqrt(a * b - 4.0) / (2.0 * den))
            lam = p * math.sqrt((a * b - 2.0) ** 2 - 4.0) / den
            eps = mid - 0.5 * lam + 0.5 * p * (p / n - p / m) / den
            out.append(("SB", eta, gamma, lam, eps))
    elif qr > 1.0:  # or SU for long tails
        s = m / p + n / p
        eta = 2.0 * z / math.acosh(0.5 * s)
        gamma = eta * math.asinh((n / p - m / p) / (2.0 * math.sqrt(qr - 1.0)))
        lam = 2.0 * p * math.sqrt(qr - 1.0) / ((s - 2.0) * math.sqrt(s + 2.0))
        eps = mid + 0.5 * p * (n / p - m / p) / (s - 2.0)
        out.append(("SU", eta, gamma, lam, eps))
    return out


def johnson_fit(x: Any, *, z: float | None = None, limits: Any = ()) -> JohnsonFit:
    """The Johnson curve that best transforms ``x`` to normality (Chou et al. 1998).

    ``z`` fixes the percentile spacing (Slifker and Shapiro suggested 0.524); by
    default the 101 values 0.25 ... 1.25 are tried.  A curve is admissible when
    its support contains every value and every finite value in ``limits`` (the
    specification limits must be transformable too).  The admissible curve with
    the largest Anderson-Darling p-value of the transformed data wins (ties: the
    smaller A^2).
    """
    y = np.sort(_values(x))
    if y.shape[0] < AD_MINIMUM:
        raise SpcInputError(
            f"data: the Johnson transformation needs at least {AD_MINIMUM} values, got {y.shape[0]}"
        )
    if z is not None and not (math.isfinite(z) and 0.0 < z < 3.0):
        raise SpcInputError(f"johnson_z must be between 0 and 3, got {z}")
    extra = np.asarray([v for v in limits if v is not None], dtype=np.float64)
    grid = np.array([z]) if z is not None else JOHNSON_Z
    probs = stats.norm.cdf(np.outer(grid, [-3.0, -1.0, 1.0, 3.0]))
    quantiles = np.quantile(y, probs, method="hazen")  # position n p + 1/2, as Chou et al.
    best: JohnsonFit | None = None
    for zi, q in zip(grid, quantiles, strict=True):
        for family, eta, gamma, lam, eps in _johnson_candidates(q, float(zi)):
            if not all(math.isfinite(v) for v in (eta, gamma, eps)) or eta <= 0.0:
                continue
            if family != "SL" and not (math.isfinite(lam) and lam > 0.0):
                continue
            fit = JohnsonFit(
                family,
                float(gamma),
                float(eta),
                float(eps),
                None if family == "SL" else float(lam),
                float(zi),
                0.0,
                0.0,
            )
            if not (fit.covers(y) and fit.covers(extra)):
                continue
            t = fit.transform(y)
            if not np.all(np.isfinite(t)) or float(np.ptp(t)) == 0.0:
                continue
            a2, _, p = _ad_sorted(t)
            if best is None or (p, -a2) > (best.p_value, -best.a2):
                best = JohnsonFit(family, fit.gamma, fit.eta, fit.epsilon, fit.lam, fit.z, a2, p)
    if best is None:
        raise SpcInputError(
            "data: no Johnson curve (SB, SL or SU) fits these data and specification limits"
        )
    return best
