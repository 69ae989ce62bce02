"""Pareto analysis of defect categories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from qualitas.spc.errors import SpcInputError

__all__ = ["ParetoRow", "pareto"]


@dataclass(frozen=True)
class ParetoRow:
    """One category: its total weight (count when unweighted), percent and cumulative percent."""

    category: str
    weight: float
    percent: float
    cumulative_percent: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(self)


def pareto(categories: Sequence[Any], weights: ArrayLike | None = None) -> list[ParetoRow]:
    """Pareto table: categories sorted by descending weight, ties by category name.

    With ``weights=None`` each occurrence counts 1 (a list of defect
    observations); otherwise ``weights[i]`` belongs to ``categories[i]`` and
    repeated categories are summed.  The last cumulative percent is exactly 100.
    """
    names = np.asarray([str(c) for c in categories], dtype=np.str_)
    if names.size == 0:
        raise SpcInputError("pareto needs at least one category")
    if weights is None:
        w = np.ones(names.shape[0])
    else:
        try:
            w = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise SpcInputError(f"pareto weights must be numbers ({exc})") from None
        if w.shape != names.shape:
            raise SpcInputError(f"pareto: {w.size} weights given for {names.shape[0]} categories")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SpcInputError(
                f"pareto weight for {names[i]!r} must be a non-negative number, got {w[i]}"
            )
    unique, inverse = np.unique(names, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=w, minlength=unique.shape[0])
    grand = float(totals.sum())
    if grand <= 0:
        raise SpcInputError("pareto: the total weight is zero")
    order = np.lexsort((unique, -totals))
    totals = totals[order]
    cumulative = np.cumsum(totals)
    percent = totals / grand * 100.0
    cum_percent = cumulative / cumulative[-1] * 100.0
    return [
        ParetoRow(str(c), float(t), float(p), float(cp))
        for c, t, p, cp in zip(unique[order], totals, percent, cum_percent, strict=True)
    ]
