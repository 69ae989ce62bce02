"""Average run length (ARL) of Shewhart, CUSUM and EWMA charts: design aids.

The ARL is the expected number of points plotted until a chart signals.  It is
what a quality engineer trades off when choosing k and h of a CUSUM or lambda and
L of an EWMA: a long in-control ARL (few false alarms), a short ARL after a shift.

Everything is in standardised units: ``shift`` is the mean shift in standard
deviations of the plotted statistic (of the subgroup mean for subgroup charts),
CUSUM ``k`` and ``h`` and EWMA ``L`` in the same units.  Every function takes a
scalar shift (returns a float) or an array of shifts (returns an array).

Methods:

* Shewhart: exact, 1 / P(signal) per point.
* CUSUM: the Markov chain of Brook & Evans (1972) (the method of Lucas & Crosier
  1982 and of Montgomery's tables), or Siegmund's (1985) closed form.  Two-sided
  schemes combine the one-sided ARLs (Montgomery eq. 9.19 without head start;
  the Lucas & Crosier 1982 relation with one).
* EWMA: the Markov chain of Lucas & Saccucci (1990) between the asymptotic
  limits, or, for the exact time-varying limits, a time-inhomogeneous Markov
  chain (Knoth 2003's setting, computed deterministically).

The Markov chains are built and solved for all shifts at once (batched
``numpy.linalg.solve``); the only Python loops are over chunks of shifts and,
for exact EWMA limits, over the first sampling times until the limits settle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from qualitas.spc.errors import SpcInputError

__all__ = ["DEFAULT_STATES", "cusum", "cusum_h", "ewma", "ewma_L", "shewhart"]

# 400 states reproduce every published table we test to 3-4 significant figures:
# Brook-Evans error falls as 1/states^2 (k=0.5, h=4: 167.64 at 100 states,
# 167.68 at 400, 167.684 at 1600; Lucas & Saccucci lambda=0.05: 499.2 at 201,
# 499.8 at 401), and one 400-state solve takes a few milliseconds.
DEFAULT_STATES = 400
_MAX_STATES = 2000
_CELLS_PER_CHUNK = 1 << 22  # matrix entries per batch: bounds memory at ~32 MB an array
# ARLs above this are beyond what double precision can resolve in I - R; reported as inf.
_HUGE_ARL = 1e14
# Exact EWMA limits: follow the time-varying chain until (1 - lambda)^(2t) is this small,
# i.e. the limits are within 5e-7 (relative) of the asymptotic ones; then solve the
# homogeneous chain for the rest of the run.
_SETTLED = 1e-6

FloatArray = NDArray[np.float64]
Shift = float | NDArray[Any] | Sequence[float]


# ----------------------------------------------------------------------------- checks


def _number(value: Any, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise SpcInputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(out):
        raise SpcInputError(f"{name} must be a finite number, got {value!r}")
    return out


def _positive(value: Any, name: str) -> float:
    out = _number(value, name)
    if out <= 0:
        raise SpcInputError(f"{name} must be > 0, got {value!r}")
    return out


def _states(states: Any) -> int:
    if isinstance(states, bool) or not isinstance(states, int | np.integer):
        raise SpcInputError(f"states must be an integer, got {states!r}")
    if not 10 <= states <= _MAX_STATES:
        raise SpcInputError(f"states must be between 10 and {_MAX_STATES}, got {states}")
    return int(states)


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SpcInputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def _lam(lam: Any) -> float:
    out = _number(lam, "lam")
    if not 0.0 < out <= 1.0:
        raise SpcInputError(f"lam (EWMA weight lambda) must be in (0, 1], got {lam!r}")
    return out


def _shifts(shift: Any) -> tuple[FloatArray, tuple[int, ...] | None]:
    try:
        arr = np.asarray(shift, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpcInputError(
            f"shift must be a number or an array of numbers, got {shift!r}"
        ) from None
    if not np.all(np.isfinite(arr)):
        raise SpcInputError("shift must be finite (mean shift in sigma units)")
    return arr.reshape(-1), (None if arr.ndim == 0 else arr.shape)


def _result(values: FloatArray, shape: tuple[int, ...] | None) -> float | FloatArray:
    return float(values[0]) if shape is None else values.reshape(shape)


def _chunks(count: int, states: int) -> list[slice]:
    size = max(1, _CELLS_PER_CHUNK // (states * states))
    return [slice(lo, lo + size) for lo in range(0, count, size)]


def _absorbing(transient: FloatArray, start: int) -> FloatArray:
    """ARL from state ``start``: solve (I - R) x = 1 for a batch of R (Brook & Evans eq. 2.6)."""
    n = transient.shape[-1]
    a = -transient
    a[:, np.arange(n), np.arange(n)] += 1.0
    x = np.linalg.solve(a, np.ones((a.shape[0], n, 1)))[:, start, 0]
    return np.where((x >= 1.0) & (x < _HUGE_ARL), x, np.inf)


# ----------------------------------------------------------------------------- Shewhart


@overload
def shewhart(shift: float, nsigmas: float = 3.0) -> float: ...
@overload
def shewhart(shift: NDArray[Any] | Sequence[float], nsigmas: float = 3.0) -> FloatArray: ...
def shewhart(shift: Shift, nsigmas: float = 3.0) -> float | FloatArray:
    """ARL of a two-sided Shewhart chart with limits at +/- ``nsigmas``.

    ARL = 1 / (P(Z > L - d) + P(Z < -L - d)) (Montgomery, Introduction to SQC,
    sec. 6.2.3); 370.4 in control with 3-sigma limits.
    """
    limit = _positive(nsigmas, "nsigmas")
    d, shape = _shifts(shift)
    p = special.ndtr(d - limit) + special.ndtr(-limit - d)
    with np.errstate(divide="ignore"):
        arl = np.where(p > 1.0 / _HUGE_ARL, 1.0 / p, np.inf)
    return _result(arl, shape)


# ----------------------------------------------------------------------------- CUSUM


def _cusum_markov(k: float, h: float, delta: FloatArray, states: int, fir: float) -> FloatArray:
    """One-sided upper CUSUM ARL by the Brook & Evans (1972) Markov chain.

    States 0..n-1 discretise [0, h) with width w = 2h / (2n - 1): state 0 is
    [0, w/2) (the CUSUM at zero), state i is [(i - 1/2)w, (i + 1/2)w) represented
    by iw; at or above h the chain is absorbed (signal).  From state i the next
    value iw + x - k falls in state j with probability
    Phi((j + 1/2)w - iw + k - delta) - Phi((j - 1/2)w - iw + k - delta), every
    value below w/2 going to state 0.  The chain starts in the state containing
    ``fir`` (Lucas & Crosier 1982).  R depends on j - i only, so Phi is evaluated
    on 2n - 1 points per shift and gathered.
    """
    n = states
    w = 2.0 * h / (2.0 * n - 1.0)
    start = min(int(np.floor(fir / w + 0.5)), n - 1)
    lag = np.arange(-(n - 1), n, dtype=np.float64)  # j - i
    i = np.arange(n)
    gather = i[None, :] - i[:, None] + (n - 1)
    out = np.full(delta.shape, np.inf)
    # P(absorb) < Phi(-8) ~ 6e-16 per step from every state: ARL beyond double precision.
    live = np.flatnonzero(delta - k > -8.0)
    for part in _chunks(live.size, n):
        d = delta[live[part]]
        below = special.ndtr((lag + 0.5) * w + k - d[:, None])[:, gather]  # P(next < top of j)
        transient = np.diff(below, axis=2, prepend=0.0)
        out[live[part]] = _absorbing(transient, start)
    return out


def _siegmund(k: float, h: float, delta: FloatArray) -> FloatArray:
    """Siegmund (1985) one-sided ARL, (exp(-2 D b) + 2 D b - 1) / (2 D^2), D = delta - k,
    b = h + 1.166 (Montgomery eq. 9.20); b^2 at D = 0, a series near 0 avoids cancellation.
    """
    b = h + 1.166
    big_d = delta - k
    x = -2.0 * big_d * b
    small = np.abs(x) < 1e-4
    with np.errstate(over="ignore"):
        num = np.expm1(np.where(small, 0.0, x)) - x
    denom = 2.0 * big_d * big_d
    arl = np.divide(num, denom, out=np.zeros_like(num), where=~small)
    series = b * b * (1.0 + x / 3.0 + x * x / 12.0)
    return np.where(small, series, arl)


def _cusum_arl(
    k: float, h: float, d: FloatArray, method: str, sided: str, fir: float, states: int
) -> FloatArray:
    def one(delta: FloatArray, start: float) -> FloatArray:
        if method == "siegmund":
            return _siegmund(k, h, delta)
        return _cusum_markov(k, h, delta, states, start)

    if sided == "upper":
        return one(d, fir)
    if sided == "lower":  # the lower CUSUM is the upper one of -x
        return one(-d, fir)
    both = np.concatenate([d, -d])
    zero = one(both, 0.0)
    up0, down0 = zero[: d.size], zero[d.size :]
    if fir == 0.0:
        # Montgomery eq. 9.19: 1/ARL = 1/ARL+ + 1/ARL- (1/inf = 0).
        with np.errstate(divide="ignore"):
            return np.asarray(1.0 / (1.0 / up0 + 1.0 / down0), dtype=np.float64)
    head = one(both, fir)
    up, down = head[: d.size], head[d.size :]
    # Lucas & Crosier (1982): ARL = (L+(s) L-(0) + L+(0) L-(s) - L+(0) L-(0)) / (L+(0) + L-(0)),
    # written with ratios so that a side that never signals (inf) drops out.
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (up / up0 + down / down0 - 1.0) / (1.0 / up0 + 1.0 / down0)
    value = np.where(np.isinf(down0), up, np.where(np.isinf(up0), down, value))
    return np.asarray(value, dtype=np.float64)


def _cusum_args(
    k: Any, h: Any, method: Any, sided: Any, fir: Any, states: Any
) -> tuple[float, float, str, str, float, int]:
    k_ = _number(k, "k")
    if k_ < 0:
        raise SpcInputError(f"k (reference value) must be >= 0, got {k!r}")
    h_ = _positive(h, "h")
    method_ = _choice(method, "method", ("markov", "siegmund"))
    sided_ = _choice(sided, "sided", ("two", "upper", "lower"))
    fir_ = _number(fir, "fir")
    if not 0.0 <= fir_ < h_:
        raise SpcInputError(f"fir (head start) must be in [0, h) = [0, {h_:g}), got {fir!r}")
    if method_ == "siegmund" and fir_ != 0.0:
        raise SpcInputError("fir: Siegmund's approximation has no head start; use method='markov'")
    if sided_ == "two" and fir_ >= h_ / 2.0 + k_:
        raise SpcInputError(
            f"fir must be below h/2 + k = {h_ / 2.0 + k_:g} for a two-sided CUSUM "
            "(the Lucas & Crosier relation); use sided='upper' or 'lower'"
        )
    return k_, h_, method_, sided_, fir_, _states(states)


@overload
def cusum(
    k: float,
    h: float,
    shift: float,
    method: Literal["markov", "siegmund"] = "markov",
    sided: Literal["two", "upper", "lower"] = "two",
    fir: float = 0.0,
    states: int = DEFAULT_STATES,
) -> float: ...
@overload
def cusum(
    k: float,
    h: float,
    shift: NDArray[Any] | Sequence[float],
    method: Literal["markov", "siegmund"] = "markov",
    sided: Literal["two", "upper", "lower"] = "two",
    fir: float = 0.0,
    states: int = DEFAULT_STATES,
) -> FloatArray: ...
def cusum(
    k: float,
    h: float,
    shift: Shift,
    method: Literal["markov", "siegmund"] = "markov",
    sided: Literal["two", "upper", "lower"] = "two",
    fir: float = 0.0,
    states: int = DEFAULT_STATES,
) -> float | FloatArray:
    """ARL of a tabular CUSUM, C+ = max(0, C+ + z - k), signal when C > h.

    ``k`` reference value, ``h`` decision interval, ``shift`` delta, all in sigma
    units.  ``method="markov"`` (Brook & Evans 1972, ``states`` states) or
    ``"siegmund"`` (Siegmund 1985, Montgomery eq. 9.20; no head start).
    ``sided``: ``"two"`` (both C+ and C-), ``"upper"`` or ``"lower"``.  ``fir``
    is the head start C0 (Lucas & Crosier 1982; they recommend h/2), given to
    both sides of a two-sided scheme; the two-sided relation then needs
    fir < h/2 + k.
    """
    k_, h_, method_, sided_, fir_, n = _cusum_args(k, h, method, sided, fir, states)
    d, shape = _shifts(shift)
    return _result(_cusum_arl(k_, h_, d, method_, sided_, fir_, n), shape)


# ----------------------------------------------------------------------------- EWMA


def _ewma_kernel(
    lam: float, c_from: float, c_to: float, unit: FloatArray, delta: FloatArray
) -> FloatArray:
    """Transition probabilities between the cells of [-c_from, c_from] and of [-c_to, c_to].

    Both grids are ``unit`` (cell edges on [-1, 1]) scaled; from the midpoint m_i
    the next value (1 - lam) m_i + lam x lands in cell j with probability
    Phi((e_{j+1} - (1 - lam) m_i) / lam - delta) - Phi((e_j - (1 - lam) m_i) / lam - delta)
    (Lucas & Saccucci 1990, appendix).
    """
    mid = c_from * 0.5 * (unit[1:] + unit[:-1])
    arg = (c_to * unit[None, :] - (1.0 - lam) * mid[:, None]) / lam
    return np.diff(special.ndtr(arg[None, :, :] - delta[:, None, None]), axis=2)


def _ewma_arl(lam: float, limit: float, d: FloatArray, limits: str, states: int) -> FloatArray:
    m = states | 1  # odd, so that the start value 0 is the centre of a cell
    unit = np.linspace(-1.0, 1.0, m + 1)
    var = lam / (2.0 - lam)
    c_inf = limit * np.sqrt(var)
    out = np.empty(d.shape)
    for part in _chunks(d.size, m):
        delta = d[part]
        steady = _ewma_kernel(lam, c_inf, c_inf, unit, delta)
        if limits == "asymptotic":
            out[part] = _absorbing(steady, m // 2)
            continue
        # Exact limits c_t = L sqrt(var (1 - (1 - lam)^(2t))): q_t[j] = P(no signal up to t,
        # z_t in cell j of the time-t grid); ARL = sum over t >= 0 of P(RL > t).
        c_t = limit * lam  # t = 1, from z_0 = 0 exactly
        q = np.diff(special.ndtr(c_t * unit[None, :] / lam - delta[:, None]), axis=1)
        total = 1.0 + q.sum(axis=1)
        t = 1
        while (1.0 - lam) ** (2 * t) > _SETTLED and q.sum(axis=1).max() > 1e-16:
            c_next = limit * np.sqrt(var * (1.0 - (1.0 - lam) ** (2 * t + 2)))
            q = np.einsum("si,sij->sj", q, _ewma_kernel(lam, c_t, c_next, unit, delta))
            total += q.sum(axis=1)
            c_t, t = c_next, t + 1
        # The rest of the run on the (now settled) asymptotic chain:
        # sum_{s > t} P(RL > s) = q_t ((I - R)^-1 - I) 1.
        a = -steady
        a[:, np.arange(m), np.arange(m)] += 1.0
        x = np.linalg.solve(a, np.ones((delta.size, m, 1)))[..., 0]
        total += np.einsum("si,si->s", q, x - 1.0)
        out[part] = np.where((total >= 1.0) & (total < _HUGE_ARL), total, np.inf)
    return out


@overload
def ewma(
    lam: float,
    L: float,  # noqa: N803 (the textbook's name)
    shift: float,
    limits: Literal["asymptotic", "exact"] = "asymptotic",
    states: int = DEFAULT_STATES,
) -> float: ...
@overload
def ewma(
    lam: float,
    L: float,  # noqa: N803
    shift: NDArray[Any] | Sequence[float],
    limits: Literal["asymptotic", "exact"] = "asymptotic",
    states: int = DEFAULT_STATES,
) -> FloatArray: ...
def ewma(
    lam: float,
    L: float,  # noqa: N803
    shift: Shift,
    limits: Literal["asymptotic", "exact"] = "asymptotic",
    states: int = DEFAULT_STATES,
) -> float | FloatArray:
    """ARL of a two-sided EWMA chart z_t = lam x_t + (1 - lam) z_{t-1}, z_0 = target.

    Limits +/- L sigma sqrt(lam / (2 - lam)) (``"asymptotic"``, as in Lucas &
    Saccucci 1990 and Montgomery's tables) or the exact time-varying
    +/- L sigma sqrt(lam / (2 - lam) (1 - (1 - lam)^(2t))) (``"exact"``, what
    :func:`qualitas.spc.ewma` draws; Steiner 1999's "variance adjusted" limits).
    Markov chain with ``states`` cells (made odd) between the limits; for exact
    limits it is time-inhomogeneous until the limits settle (about
    ln(1e-6) / (2 ln(1 - lam)) steps, 135 for lam = 0.05), so it costs that many
    kernel evaluations more.
    """
    lam_ = _lam(lam)
    limit = _positive(L, "L")
    limits_ = _choice(limits, "limits", ("asymptotic", "exact"))
    n = _states(states)
    d, shape = _shifts(shift)
    return _result(_ewma_arl(lam_, limit, d, limits_, n), shape)


# ----------------------------------------------------------------------------- design


def _arl0(value: Any) -> float:
    out = _number(value, "arl0")
    if not 1.0 < out <= 1e9:
        raise SpcInputError(f"arl0 (target in-control ARL) must be in (1, 1e9], got {value!r}")
    return out


def _solve_for(arl_of: Callable[[float], float], target: float, low: float, name: str) -> float:
    """Root of ln ARL0(x) = ln target for an increasing ARL0: bracket by doubling, then Brent."""

    def gap(x: float) -> float:
        return float(np.clip(np.log(arl_of(x)) - np.log(target), -700.0, 700.0))

    if gap(low) >= 0:
        raise SpcInputError(
            f"arl0 = {target:g} is too small: even {name} = {low:g} gives ARL0 {arl_of(low):.4g}"
        )
    high = 1.0
    while gap(high) < 0:
        low, high = high, 2.0 * high
        if high > 1e6:
            raise SpcInputError(f"arl0 = {target:g} cannot be reached by any {name}")
    return float(optimize.brentq(gap, low, high, xtol=1e-9, rtol=1e-10))


def cusum_h(
    k: float,
    arl0: float,
    *,
    method: Literal["markov", "siegmund"] = "markov",
    sided: Literal["two", "upper", "lower"] = "two",
    fir_fraction: float = 0.0,
    states: int = DEFAULT_STATES,
) -> float:
    """Decision interval h giving in-control ARL ``arl0`` for reference value ``k``.

    ``fir_fraction`` is the head start as a fraction of h (0.5 is Lucas &
    Crosier's 50 % head start), so that the start state does not jump as h moves.
    """
    target = _arl0(arl0)
    frac = _number(fir_fraction, "fir_fraction")
    if not 0.0 <= frac < 1.0:
        raise SpcInputError(f"fir_fraction must be in [0, 1), got {fir_fraction!r}")
    k_, _, method_, sided_, _, n = _cusum_args(k, 1.0, method, sided, 0.0, states)
    if method_ == "siegmund" and frac != 0.0:
        raise SpcInputError(
            "fir_fraction: Siegmund's approximation has no head start; use method='markov'"
        )
    zero = np.zeros(1)

    def arl_of(h: float) -> float:
        if sided_ == "two" and frac * h >= h / 2.0 + k_:
            raise SpcInputError("fir_fraction must be below 1/2 + k/h for a two-sided CUSUM")
        return float(_cusum_arl(k_, h, zero, method_, sided_, frac * h, n)[0])

    return _solve_for(arl_of, target, 1e-3, "h")


def ewma_L(  # noqa: N802 (the textbook's name)
    lam: float,
    arl0: float,
    *,
    limits: Literal["asymptotic", "exact"] = "asymptotic",
    states: int = DEFAULT_STATES,
) -> float:
    """Limit width L giving in-control ARL ``arl0`` for EWMA weight ``lam``."""
    target = _arl0(arl0)
    lam_ = _lam(lam)
    limits_ = _choice(limits, "limits", ("asymptotic", "exact"))
    n = _states(states)
    zero = np.zeros(1)
    return _solve_for(
        lambda width: float(_ewma_arl(lam_, width, zero, limits_, n)[0]), target, 0.05, "L"
    )
