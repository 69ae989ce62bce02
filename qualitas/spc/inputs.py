"""Input checking and per-subgroup statistics shared by the charts and capability.

Every function here works on whole arrays: subgroups are held as an m x n
matrix (NaN for missing values), so statistics are row reductions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qualitas.spc.constants import c4, d2, d3
from qualitas.spc.errors import SpcInputError

FloatArray = NDArray[np.float64]
# "rbar" / "sbar" are Minitab's names for the weighted estimates ("Rbar", "Sbar"): with unequal
# subgroup sizes the mean of R_i / d2(n_i) weighted by d2(n_i)^2 / d3(n_i)^2, and of
# s_i / c4(n_i) weighted by c4(n_i)^2 / (1 - c4(n_i)^2), which are also qcc's "MVLUE-R" and
# "MVLUE-SD"; "uwave-r" / "uwave-sd" are the unweighted means (qcc's defaults).
SIGMA_METHODS = ("rbar", "sbar", "uwave-r", "uwave-sd", "mvlue-r", "mvlue-sd", "pooled")


def _full(value: float, n: int) -> FloatArray:
    return np.broadcast_to(np.float64(value), (n,))


def _per_point(values: ArrayLike, n: int) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    return _full(float(arr), n) if arr.ndim == 0 else arr


def _check_nsigmas(nsigmas: float) -> float:
    if not np.isfinite(nsigmas) or nsigmas <= 0:
        raise SpcInputError(f"nsigmas must be a positive number, got {nsigmas}")
    return float(nsigmas)


def _check_known(center: float | None, sigma: float | None) -> None:
    if center is not None and not np.isfinite(center):
        raise SpcInputError(f"known centre must be a finite number, got {center}")
    if sigma is not None and (not np.isfinite(sigma) or sigma <= 0):
        raise SpcInputError(f"known sigma must be a positive number, got {sigma}")


@dataclass(frozen=True)
class _Subgroups:
    data: FloatArray  # m x n_max, NaN for missing
    sizes: FloatArray  # non-missing count per subgroup (broadcast when constant)
    missing: bool
    constant_size: int | None


def _subgroups(subgroups: Any, minimum_size: int, what: str) -> _Subgroups:
    if isinstance(subgroups, np.ndarray) and subgroups.dtype != object:
        data = subgroups.astype(np.float64, copy=False)
        if data.ndim == 1:
            raise SpcInputError(
                f"{what} needs subgroups: a 2-D array (subgroups x size) or a list of lists"
            )
    else:
        try:
            rows = [np.asarray(row, dtype=np.float64).ravel() for row in subgroups]
        except (TypeError, ValueError) as exc:
            raise SpcInputError(f"{what}: subgroups must contain numbers ({exc})") from None
        if not rows:
            raise SpcInputError(f"{what} needs at least 2 subgroups, got 0")
        lengths = np.array([r.shape[0] for r in rows])
        if np.all(lengths == lengths[0]):
            data = np.vstack(rows) if lengths[0] else np.empty((len(rows), 0))
        else:
            data = np.full((len(rows), int(lengths.max())), np.nan)
            data[np.arange(data.shape[1])[None, :] < lengths[:, None]] = np.concatenate(rows)
    if data.ndim != 2:
        raise SpcInputError(f"{what}: subgroups must be 2-D, got {data.ndim} dimensions")
    m = data.shape[0]
    if m < 1 or data.shape[1] == 0:
        raise SpcInputError(f"{what} needs at least 2 subgroups with values")
    finite = bool(np.isfinite(data).all())
    missing = False
    if not finite:
        if np.isinf(data).any():
            row = int(np.flatnonzero(np.isinf(data).any(axis=1))[0])
            raise SpcInputError(f"{what}: subgroup {row + 1} contains an infinite value")
        missing = True
    if missing:
        missing_mask = np.isnan(data)
        counts = (~missing_mask).sum(axis=1).astype(np.float64)
        low = np.flatnonzero(counts < minimum_size)
        if low.size:
            raise SpcInputError(
                f"{what}: subgroup {int(low[0]) + 1} has {int(counts[low[0]])} non-missing "
                f"value(s); at least {minimum_size} are needed"
            )
        sizes: FloatArray = counts
        constant = int(counts[0]) if np.all(counts == counts[0]) else None
    else:
        if data.shape[1] < minimum_size:
            raise SpcInputError(
                f"{what}: subgroup size {data.shape[1]} is too small; at least "
                f"{minimum_size} values per subgroup are needed"
            )
        sizes = _full(float(data.shape[1]), m)
        constant = int(data.shape[1])
    return _Subgroups(data, sizes, missing, constant)


def _means(g: _Subgroups) -> FloatArray:
    if not g.missing:
        out: FloatArray = g.data.mean(axis=1)
        return out
    nan_out: FloatArray = np.nansum(g.data, axis=1) / g.sizes
    return nan_out


def _ranges(g: _Subgroups) -> FloatArray:
    if not g.missing:
        out: FloatArray = g.data.max(axis=1) - g.data.min(axis=1)
        return out
    nan_out: FloatArray = np.nanmax(g.data, axis=1) - np.nanmin(g.data, axis=1)
    return nan_out


def _stdevs(g: _Subgroups) -> FloatArray:
    if not g.missing:
        out: FloatArray = g.data.std(axis=1, ddof=1)
        return out
    nan_out: FloatArray = np.nanstd(g.data, axis=1, ddof=1)
    return nan_out


def _size_constant(g: _Subgroups, func: Callable[[Any], Any]) -> FloatArray | float:
    if g.constant_size is not None:
        return float(func(g.constant_size))
    return np.asarray(func(g.sizes), dtype=np.float64)


def _within_sigma(
    g: _Subgroups,
    method: str,
    ranges: FloatArray | None = None,
    stdevs: FloatArray | None = None,
) -> float:
    method = method.lower()
    if method not in SIGMA_METHODS:
        raise SpcInputError(
            f"unknown sigma_method {method!r}; use one of {', '.join(SIGMA_METHODS)}"
        )
    if method in ("uwave-r", "mvlue-r", "rbar"):
        ratio = (_ranges(g) if ranges is None else ranges) / _size_constant(g, d2)
        if method == "uwave-r" or g.constant_size is not None:
            return float(ratio.mean())
        weights = (np.asarray(d2(g.sizes)) / np.asarray(d3(g.sizes))) ** 2
        return float(np.sum(weights * ratio) / np.sum(weights))
    s = _stdevs(g) if stdevs is None else stdevs
    if method == "pooled":
        dof = g.sizes - 1.0
        total = float(np.sum(dof))
        return float(np.sqrt(np.sum(dof * s**2) / total) / float(c4(total + 1)))
    c4n = _size_constant(g, c4)
    ratio = s / c4n
    if method == "uwave-sd" or g.constant_size is not None:
        return float(ratio.mean())
    c4a = np.asarray(c4(g.sizes))
    weights = c4a**2 / (1.0 - c4a**2)
    return float(np.sum(weights * ratio) / np.sum(weights))


def _individuals(values: Any, what: str, minimum: int = 2) -> FloatArray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SpcInputError(f"{what}: values must be numbers ({exc})") from None
    if x.ndim != 1:
        raise SpcInputError(f"{what} needs a 1-D sequence of individual values")
    nan = np.isnan(x)
    if nan.any():
        x = x[~nan]
    if np.isinf(x).any():
        raise SpcInputError(f"{what}: value {int(np.flatnonzero(np.isinf(x))[0]) + 1} is infinite")
    if x.shape[0] < minimum:
        raise SpcInputError(f"{what} needs at least {minimum} non-missing values, got {x.shape[0]}")
    return x


def _counts(values: ArrayLike, what: str, name: str) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SpcInputError(f"{what}: {name} must be numbers ({exc})") from None
    if arr.ndim != 1:
        raise SpcInputError(f"{what}: {name} must be a 1-D sequence")
    if arr.shape[0] < 1:
        raise SpcInputError(f"{what} needs at least 1 sample")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise SpcInputError(
            f"{what}: {name} {int(np.flatnonzero(bad)[0]) + 1} is missing or infinite"
        )
    neg = arr < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise SpcInputError(f"{what}: {name} {i + 1} is negative ({arr[i]:g})")
    frac = arr != np.floor(arr)
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise SpcInputError(f"{what}: {name} {i + 1} is not a whole number ({arr[i]:g})")
    return arr


def _sizes(sizes: ArrayLike, m: int, what: str, *, whole: bool = True) -> tuple[FloatArray, bool]:
    arr = np.asarray(sizes, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
        constant = True
    else:
        if arr.shape != (m,):
            raise SpcInputError(
                f"{what}: {arr.shape[0] if arr.ndim == 1 else arr.size} sample sizes given "
                f"for {m} samples"
            )
        constant = bool(np.all(arr == arr[0]))
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        i = int(np.flatnonzero(~np.isfinite(arr) | (arr <= 0))[0])
        raise SpcInputError(f"{what}: sample size {i + 1} must be positive, got {arr[i]:g}")
    if whole and np.any(arr != np.floor(arr)):
        i = int(np.flatnonzero(arr != np.floor(arr))[0])
        raise SpcInputError(f"{what}: sample size {i + 1} is not a whole number ({arr[i]:g})")
    return arr, constant


# ------------------------------------------------------------- acceptance sampling inputs

OC_METHODS = ("binomial", "poisson", "hypergeometric")


def oc_method(method: str) -> str:
    """The OC model named by ``method`` (binomial, poisson or hypergeometric)."""
    key = str(method).strip().lower()
    if key not in OC_METHODS:
        raise SpcInputError(f"method: unknown OC model {method!r}; use {', '.join(OC_METHODS)}")
    return key


def fractions_nonconforming(p: ArrayLike, method: str) -> NDArray[np.float64]:
    """``p`` as fractions nonconforming: non-negative, and at most 1 unless Poisson."""
    try:
        probs = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpcInputError(f"p: fractions nonconforming must be numbers, got {p!r}") from None
    if np.any(~np.isfinite(probs)) or np.any(probs < 0):
        raise SpcInputError("p: the fraction nonconforming must be a non-negative number")
    if method != "poisson" and np.any(probs > 1):
        raise SpcInputError(
            f"p: the fraction nonconforming must be in [0, 1] for the {method} model"
        )
    return probs
