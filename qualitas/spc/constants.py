"""Control-chart constants computed exactly for any subgroup size.

``d2(n)`` and ``d3(n)`` are the mean and standard deviation of the range of
``n`` independent standard normal variables, obtained by numerical
integration of the distribution of the range (no table, so there is no upper
limit such as n = 25).  ``c4(n)`` is the bias factor of the sample standard
deviation, from gamma functions.

    d2(n) = integral of 1 - Phi(x)^n - (1 - Phi(x))^n over the real line
    E[R^2] = 2 * integral over r > 0 of r * P(R > r)
    P(R <= r) = n * integral of phi(x) * (Phi(x + r) - Phi(x))^(n - 1) dx
    d3(n) = sqrt(E[R^2] - d2(n)^2)
    c4(n) = sqrt(2 / (n - 1)) * Gamma(n / 2) / Gamma((n - 1) / 2)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special

from qualitas.spc.errors import SpcInputError

__all__ = ["c4", "d2", "d3", "range_rms"]


def _check_size(n: float) -> int:
    if n != int(n) or n < 2:
        raise SpcInputError(f"subgroup size must be a whole number of at least 2, got {n}")
    return int(n)


@lru_cache(maxsize=4096)
def _d2_scalar(n: int) -> float:
    def integrand(x: float) -> float:
        lower = float(special.ndtr(x))
        upper = float(special.ndtr(-x))
        return 1.0 - lower**n - upper**n

    value, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
    return float(value)


@lru_cache(maxsize=4096)
def _range_second_moment(n: int) -> float:
    # E[R^2] = 2 * double integral over x and r > 0 of
    #   1 - Phi(x + r)^n - (1 - Phi(x))^n + (Phi(x + r) - Phi(x))^n.
    # The inner integrand vanishes at both ends in x, so the trapezoid rule on
    # a fixed grid is spectrally accurate; the outer integral uses adaptive
    # quadrature because the integrand does not vanish at r = 0.
    width = 9.0 + math.sqrt(2.0 * math.log(n))
    x = np.linspace(-width, width, 801)
    upper_tail = special.ndtr(-x) ** n
    cdf = special.ndtr(x)

    def inner(r: float) -> float:
        shifted = special.ndtr(x + r)
        both = np.clip(shifted - cdf, 0.0, 1.0) ** n
        return float(np.trapezoid(1.0 - shifted**n - upper_tail + both, x))

    value, _ = integrate.quad(inner, 0.0, np.inf, epsabs=1e-12, epsrel=1e-11, limit=200)
    return 2.0 * float(value)


@lru_cache(maxsize=4096)
def _d3_scalar(n: int) -> float:
    return math.sqrt(_range_second_moment(n) - _d2_scalar(n) ** 2)


def _c4_scalar(n: int) -> float:
    return math.sqrt(2.0 / (n - 1)) * math.exp(
        special.gammaln(n / 2) - special.gammaln((n - 1) / 2)
    )


def _apply(func: Callable[[int], float], n: ArrayLike) -> float | NDArray[np.float64]:
    arr = np.asarray(n, dtype=np.float64)
    if arr.ndim == 0:
        return func(_check_size(float(arr)))
    if arr.size == 0:
        return np.empty(0, dtype=np.float64)
    bad = (arr < 2) | (arr != np.floor(arr))
    if np.any(bad):
        raise SpcInputError(
            f"subgroup size must be a whole number of at least 2, got {arr[bad][0]:g}"
        )
    unique, inverse = np.unique(arr.astype(np.int64), return_inverse=True)
    values = np.array([func(int(u)) for u in unique], dtype=np.float64)
    return values[inverse].reshape(arr.shape)


def d2(n: ArrayLike) -> float | NDArray[np.float64]:
    """Expected range of ``n`` standard normal observations (d2), for one size or an array."""
    return _apply(_d2_scalar, n)


def d3(n: ArrayLike) -> float | NDArray[np.float64]:
    """Standard deviation of the range of ``n`` standard normal observations (d3)."""
    return _apply(_d3_scalar, n)


def c4(n: ArrayLike) -> float | NDArray[np.float64]:
    """Bias factor of the sample standard deviation: E[s] = c4(n) * sigma."""
    return _apply(_c4_scalar, n)


def range_rms(n: ArrayLike) -> float | NDArray[np.float64]:
    """Root mean square of the range of ``n`` standard normals, sqrt(d2^2 + d3^2).

    This is the d2* of the AIAG MSA manual for a single range (g = 1), used for
    the K2 and K3 factors of the average-and-range Gage R&R method.
    """
    two = d2(n)
    three = d3(n)
    if isinstance(two, np.ndarray):
        out: NDArray[np.float64] = np.sqrt(two**2 + np.asarray(three) ** 2)
        return out
    return math.sqrt(two**2 + float(three) ** 2)
