"""Acceptance sampling by attributes: plans, OC / AOQ / ATI / ASN curves and plan design.

The one place scripts and other modules import from:

* single plans from the ISO 2859-1 / ANSI Z1.4 tables (:mod:`qualitas.spc.aqltables`),
  double and multiple plans (:mod:`qualitas.spc.multiple`), the switching rules
  (:mod:`qualitas.spc.switching`);
* ``oc_curve``, ``aoq``, ``ati``, ``aoql`` for any of those plans (binomial, Poisson or
  hypergeometric), ``asn`` for double and multiple plans;
* ``find_plan``: the single plan (n, c) through a producer's and a consumer's risk point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from qualitas.spc import multiple
from qualitas.spc.aqltables import (
    AQLS,
    DEFAULT_STANDARD,
    LETTERS,
    LEVELS,
    STANDARDS,
    SamplingPlan,
    code_letter,
    sampling_plan,
)
from qualitas.spc.errors import SpcInputError
from qualitas.spc.inputs import OC_METHODS, fractions_nonconforming, oc_method
from qualitas.spc.multiple import DoublePlan, MultiplePlan, asn, double_plan, multiple_plan
from qualitas.spc.switching import InspectionState, LotResult, next_inspection_state

__all__ = [
    "AQLS",
    "DEFAULT_STANDARD",
    "LETTERS",
    "LEVELS",
    "OC_METHODS",
    "STANDARDS",
    "DoublePlan",
    "InspectionState",
    "LotResult",
    "MultiplePlan",
    "SamplingPlan",
    "aoq",
    "aoql",
    "asn",
    "ati",
    "code_letter",
    "double_plan",
    "find_plan",
    "lq_plan",
    "multiple_plan",
    "next_inspection_state",
    "oc_curve",
    "sampling_plan",
]


def _lot(lot_size: Any, what: str) -> int:
    if lot_size is None or int(lot_size) != lot_size or lot_size < 1:
        raise SpcInputError(f"lot_size: {what} needs the lot size, a positive whole number")
    return int(lot_size)


def _single_oc(
    n: int, ac: int, probs: NDArray[np.float64], method: str, lot_size: int | None
) -> NDArray[np.float64]:
    if method == "binomial":
        return np.asarray(stats.binom.cdf(ac, n, probs), dtype=np.float64)
    if method == "poisson":
        return np.asarray(stats.poisson.cdf(ac, n * probs), dtype=np.float64)
    lot = _lot(lot_size, "the hypergeometric OC curve")
    if n > lot:
        raise SpcInputError(f"lot_size: the sample of {n} is larger than the lot of {lot}")
    # An isolated lot of N items holding D = p N nonconforming (rounded to whole items), a
    # sample of n drawn without replacement (ISO 2859-2, Schilling and Neubauer ch. 3).
    defectives = np.rint(probs * lot)
    return np.asarray(stats.hypergeom.cdf(ac, lot, defectives, n), dtype=np.float64)


def oc_curve(
    plan: Any,
    *args: Any,
    method: str = "binomial",
    lot_size: int | None = None,
) -> NDArray[np.float64]:
    """Probability of accepting a lot with fraction nonconforming ``p`` (operating characteristic).

    ``oc_curve(plan, p)`` for a :class:`SamplingPlan`, an ``(n, ac)`` pair, a double or a
    multiple plan (:mod:`qualitas.spc.multiple`), or ``oc_curve(n, ac, p)``.  ``method`` is
    "binomial" (type B: a large lot or a process, the default), "poisson" (nonconformities
    per unit, or the approximation with mean n p) or "hypergeometric" (type A: an isolated
    lot of ``lot_size`` items; a SamplingPlan's own lot size is used when none is given).
    """
    key = oc_method(method)
    if len(args) == 2:  # oc_curve(n, ac, p)
        plan, args = (plan, args[0]), args[1:]
    if len(args) != 1:
        raise SpcInputError("p: give the fractions nonconforming: oc_curve(plan, p)")
    if hasattr(plan, "stages"):  # a double or multiple plan
        return np.asarray(
            multiple.accept_probability(plan, args[0], method=key, lot_size=lot_size),
            dtype=np.float64,
        )
    n, ac = _single_numbers(plan)
    if lot_size is None and isinstance(plan, SamplingPlan):
        lot_size = plan.lot_size
    return _single_oc(n, ac, fractions_nonconforming(args[0], key), key, lot_size)


def _single_numbers(plan: Any) -> tuple[int, int]:
    if isinstance(plan, SamplingPlan):
        return plan.sample_size, plan.acceptance_number
    if isinstance(plan, tuple) and len(plan) == 2:
        n, ac = plan
        if int(n) != n or n < 1:
            raise SpcInputError(f"n: the sample size must be a positive whole number, got {n}")
        if int(ac) != ac or ac < 0:
            raise SpcInputError(f"ac: the acceptance number must be a whole number >= 0, got {ac}")
        return int(n), int(ac)
    raise SpcInputError("plan: give a SamplingPlan, (n, ac), or a double or multiple plan")


def _rectifying(plan: Any, p: ArrayLike, lot_size: int, method: str) -> tuple[Any, ...]:
    """Per stage: items inspected when the lot is accepted there, and the chance of that;
    and the chance the lot is rejected (then all N items are inspected)."""
    key = oc_method(method)
    lot = _lot(lot_size, "rectifying inspection (AOQ, ATI)")
    probs = fractions_nonconforming(p, key)
    if hasattr(plan, "stages"):
        sizes, accepted = multiple.stage_acceptance(plan, probs, method=key, lot_size=lot)
    else:
        n, ac = _single_numbers(plan)
        sizes, accepted = [n], [_single_oc(n, ac, probs, key, lot)]
    if max(sizes) > lot:
        raise SpcInputError(f"lot_size: the samples ({max(sizes)} items) exceed the lot of {lot}")
    return probs, lot, sizes, accepted


def aoq(plan: Any, p: ArrayLike, lot_size: int, *, method: str = "binomial") -> NDArray[np.float64]:
    """Average outgoing quality under rectifying inspection: rejected lots are screened and
    their nonconforming items replaced, accepted lots pass with the uninspected remainder.

    AOQ = p * sum_k P(accept at stage k) * (N - n_k) / N, n_k the items inspected up to stage
    k (single sampling: Pa p (N - n) / N; Montgomery, Introduction to SQC, section 15.2.4;
    double sampling: [Pa1 (N - n1) + Pa2 (N - n1 - n2)] p / N).
    """
    probs, lot, sizes, accepted = _rectifying(plan, p, lot_size, method)
    total = sum(acc * (lot - n) for n, acc in zip(sizes, accepted, strict=True))
    return np.asarray(probs * total / lot, dtype=np.float64)


def ati(plan: Any, p: ArrayLike, lot_size: int, *, method: str = "binomial") -> NDArray[np.float64]:
    """Average total inspection per lot under rectifying inspection:
    sum_k n_k P(accept at stage k) + N (1 - Pa) (single: n + (1 - Pa)(N - n))."""
    _probs, lot, sizes, accepted = _rectifying(plan, p, lot_size, method)
    pa = sum(accepted)
    inspected = sum(n * acc for n, acc in zip(sizes, accepted, strict=True))
    return np.asarray(inspected + lot * (1.0 - pa), dtype=np.float64)


def aoql(plan: Any, lot_size: int, *, method: str = "binomial") -> tuple[float, float]:
    """Average outgoing quality limit: the worst AOQ over all incoming quality levels, and
    the fraction nonconforming where it occurs, as ``(aoql, p)``.

    Found on a fine grid over (0, p where Pa falls below 0.001], refined by a bounded
    scalar search around the grid's maximum (the AOQ curve has a single peak).
    """
    from scipy import optimize

    lot = _lot(lot_size, "the AOQL")
    hi = 1.0
    grid = np.linspace(0.0, hi, 2001)[1:]
    values = aoq(plan, grid, lot, method=method)
    top = int(np.argmax(values))
    lo_p, hi_p = grid[max(top - 1, 0)], grid[min(top + 1, grid.size - 1)]
    found = optimize.minimize_scalar(
        lambda q: -float(aoq(plan, q, lot, method=method)),
        bounds=(float(lo_p), float(hi_p)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    best_p = float(found.x)
    best = float(aoq(plan, best_p, lot, method=method))
    if best < float(values[top]):
        best_p, best = float(grid[top]), float(values[top])
    return best, best_p


def find_plan(
    aql: float,
    alpha: float,
    ltpd: float,
    beta: float,
    *,
    method: str = "binomial",
    lot_size: int | None = None,
    max_n: int = 100_000,
) -> tuple[int, int]:
    """The single sampling plan ``(n, c)`` through the producer's and consumer's risk points:
    Pa(aql) >= 1 - alpha and Pa(ltpd) <= beta, with the smallest sample size.

    ``aql`` and ``ltpd`` are in percent nonconforming, as AQLs are everywhere in the
    engine (1 = 1 %); ``alpha`` and ``beta`` are probabilities.  For each acceptance number
    c = 0, 1, ... the smallest n with Pa(ltpd) <= beta is found by bisection, and the plan is
    taken when that n still gives Pa(aql) >= 1 - alpha (as R's AcceptanceSampling
    ``find.plan``; Schilling and Neubauer, Acceptance Sampling in Quality Control, ch. 5).
    """
    key = oc_method(method)
    for name, value in (("aql", aql), ("ltpd", ltpd)):
        if not (np.isfinite(value) and 0.0 < value < (np.inf if key == "poisson" else 100.0)):
            raise SpcInputError(
                f"{name}: a percent nonconforming above 0 and below 100, got {value}"
            )
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not (np.isfinite(value) and 0.0 < value < 1.0):
            raise SpcInputError(f"{name}: a risk strictly between 0 and 1, got {value}")
    if ltpd <= aql:
        raise SpcInputError(f"ltpd: must be worse (larger) than the aql {aql}, got {ltpd}")
    if key == "hypergeometric":
        max_n = min(max_n, _lot(lot_size, "a plan for an isolated lot"))
    aql, ltpd = aql / 100.0, ltpd / 100.0

    def pa(n: int, c: int, q: float) -> float:
        return float(_single_oc(n, c, np.asarray(q), key, lot_size))

    for c in range(max_n):
        if pa(max_n, c, ltpd) > beta:
            break  # even the largest sample cannot protect the consumer with this c or more
        lo, hi = c + 1, max_n
        while lo < hi:  # smallest n with Pa(ltpd) <= beta (Pa falls as n grows)
            mid = (lo + hi) // 2
            if pa(mid, c, ltpd) <= beta:
                hi = mid
            else:
                lo = mid + 1
        if pa(lo, c, aql) >= 1.0 - alpha:
            return lo, c
    raise SpcInputError(
        f"max_n: no plan with at most {max_n} items meets both risk points; "
        "widen the gap between aql and ltpd or accept larger risks"
    )


def lq_plan(lot_size: int, lq: float, *, beta: float = 0.10, ac: int = 0) -> tuple[int, int]:
    """The single plan ``(n, ac)`` for an isolated lot judged at its limiting quality: the
    smallest sample with at most ``beta`` probability of accepting a lot of ``lot_size``
    items of which ``lq`` percent are nonconforming, sampled without replacement.

    This is the principle of ISO 2859-2:2020 procedure A (hypergeometric, Pa at the LQ at
    most about 10 %; Schilling & Neubauer ch. 3), computed rather than read from ISO's
    printed table, which is not encoded: the numbers can differ from Table A.
    ``ac`` is the acceptance number wanted (0, the standard's preference where it fits).
    Raises when even inspecting the whole lot cannot meet ``beta`` with that ``ac``.
    """
    lot = _lot(lot_size, "a limiting quality plan")
    if not (np.isfinite(lq) and 0.0 < lq < 100.0):
        raise SpcInputError(f"lq: a percent nonconforming above 0 and below 100, got {lq}")
    if not (np.isfinite(beta) and 0.0 < beta < 1.0):
        raise SpcInputError(f"beta: a risk strictly between 0 and 1, got {beta}")
    if isinstance(ac, bool) or int(ac) != ac or ac < 0:
        raise SpcInputError(f"ac: a whole number of at least 0, got {ac}")
    defectives = int(np.rint(lq / 100.0 * lot))
    if defectives <= ac:
        raise SpcInputError(
            f"lq: {lq:g} % of a lot of {lot} is {defectives} items; a lot with at most Ac = "
            f"{ac} nonconforming is always accepted, so no sample can reject it"
        )
    sizes = np.arange(ac + 1, lot + 1)
    pa = stats.hypergeom.cdf(ac, lot, defectives, sizes)  # falls as the sample grows
    meets = np.flatnonzero(pa <= beta)
    if not meets.size:  # pragma: no cover - the whole lot always finds more than ac
        raise SpcInputError(f"beta: no sample from a lot of {lot} meets {beta:g}")
    return int(sizes[meets[0]]), int(ac)
