"""Double and multiple sampling plans by attributes (ISO 2859-1, ANSI/ASQ Z1.4, MIL-STD-105E).

Sources: MIL-STD-105E (1989, public domain) Tables III-A/B/C (double) and IV-A/B/C (multiple,
seven stages); ANSI/ASQ Z1.4-2003/2008 keeps the 105E numbers and ISO 2859-1:1999 (Tables
3-A/3-B) the same normal and tightened double plans.  Numbers transcribed from AQLSchemes
(J. S. Lawson, CRAN, GPL; R/AAZ14Double.R, R/AAZ14Multiple.R, read in the fork
fjgonzalezmgt/AQLSchemesCust); the tests name the cells checked against a second source.

The master tables are diagonal like the single ones (``aqltables.py``): along a diagonal
s = letter index + AQL index (A = 0, AQL 0.010 = 0) each double or multiple plan matches one
single plan and the arrows sit where the single table has them.  So a table is a plan
sequence indexed by s (normal and reduced from s = 17, tightened from 18), the arrow layout
and a sample size per code letter.  "*" (use the corresponding single plan) replaces the
single Ac 0 Re 1 and the plans of letters with no double plan (A; reduced A-C); in the
multiple tables "++" (use the corresponding double plan) marks the plans of letters with no
multiple plan (A-C; reduced A-E); "#" (acceptance not permitted at that stage) is ``None``.
Arrows are followed as in single sampling, the sample size being that of the row reached.

Corners: the up arrow in row A at AQL 10 (normal) leads to the single Ac 0 Re 1 on its left:
"*" (double), "++" (multiple, as AQLSchemes).  Tightened R at AQL 0.015 points down to letter
S (n 2000 double, 800 multiple) as in ``aqltables.py``; AQLSchemes has "*" (unresolved).  Row
A of the normal double table is "*" throughout (AQLSchemes) though the single table has a
down arrow at A / AQL 15.  All other cells agree with AQLSchemes except three that contradict
the layout, read as its slips: double normal L-P at AQL 100 (Re2 26 for 27), multiple normal
F at AQL 100 and 150 (size 5 where the column points up to E, 3).

Not encoded: ISO 2859-1:1999 has five-stage multiple plans and a reduced double table
without a gap between Ac and Re; no public encoding was found, so ``standard="iso2859-1"``
(the default) raises for those.  ``standard="z1.4"`` gives the 105E tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from qualitas.spc.aqltables import (
    AQLS,
    DEFAULT_STANDARD,
    LETTERS,
    LEVELS,
    SamplingPlan,
    _aql_index,
    _level,
    _standard,
    code_letter,
    sampling_plan,
)
from qualitas.spc.errors import SpcInputError
from qualitas.spc.inputs import fractions_nonconforming, oc_method

__all__ = ["DoublePlan", "MultiplePlan", "TableSubstitute", "accept_probability", "asn"]
__all__ += ["double_plan", "multiple_plan", "stage_acceptance"]

INSPECTIONS = ("normal", "tightened", "reduced")

# Sample size per stage by code letter A..S (None: no plan of that kind for the letter).
Sizes = tuple[int | None, ...]
DOUBLE_SIZES: Sizes = (None, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000)
REDUCED_DOUBLE_SIZES: Sizes = (None,) * 3 + (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500)
MULTIPLE_SIZES: Sizes = (None,) * 3 + (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800)
REDUCED_MULTIPLE_SIZES: Sizes = (None,) * 5 + (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200)

Double = tuple[int, int, int, int]  # Ac1, Re1, Ac2, Re2 (cumulative)
# Tables III-A/III-B/III-C, one plan per diagonal, in the order of the single plans on the same
# diagonals: normal 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45; tightened 1/2 2/3 3/4
# 5/6 8/9 12/13 18/19 27/28 41/42; reduced (Z1.4) 0/2 1/3 1/4 2/5 3/6 5/8 7/10 10/13 14/17 21/24.
# fmt: off
DOUBLE_NORMAL: tuple[Double, ...] = (
    (0, 2, 1, 2), (0, 3, 3, 4), (1, 4, 4, 5), (2, 5, 6, 7), (3, 7, 8, 9), (5, 9, 12, 13),
    (7, 11, 18, 19), (11, 16, 26, 27), (17, 22, 37, 38), (25, 31, 56, 57),
)
DOUBLE_TIGHTENED: tuple[Double, ...] = (
    (0, 2, 1, 2), (0, 3, 3, 4), (1, 4, 4, 5), (2, 5, 6, 7), (3, 7, 11, 12), (6, 10, 15, 16),
    (9, 14, 23, 24), (15, 20, 34, 35), (23, 29, 52, 53),
)
DOUBLE_REDUCED_Z14: tuple[Double, ...] = (
    (0, 2, 0, 2), (0, 3, 0, 4), (0, 4, 1, 5), (0, 4, 3, 6), (1, 5, 4, 7), (2, 7, 6, 9),
    (3, 8, 8, 12), (5, 10, 12, 16), (7, 12, 18, 22), (11, 17, 26, 30),
)
# fmt: on

Stages = tuple[tuple[int | None, int], ...]  # (Ac or None for "#", Re) per stage, cumulative
N = None  # "#": acceptance not permitted at this stage
# Tables IV-A/IV-B/IV-C of MIL-STD-105E (= Z1.4), seven stages.
MULTIPLE_NORMAL_7: tuple[Stages, ...] = (
    ((N, 2), (N, 2), (0, 2), (0, 3), (1, 3), (1, 3), (2, 3)),  # 1/2
    ((N, 2), (0, 3), (0, 3), (1, 4), (2, 4), (3, 5), (4, 5)),  # 2/3
    ((N, 3), (0, 3), (1, 4), (2, 5), (3, 6), (4, 6), (6, 7)),  # 3/4
    ((N, 4), (1, 5), (2, 6), (3, 7), (5, 8), (7, 9), (9, 10)),  # 5/6
    ((0, 4), (1, 6), (3, 8), (5, 10), (7, 11), (10, 12), (13, 14)),  # 7/8
    ((0, 5), (3, 8), (6, 10), (8, 13), (11, 15), (14, 17), (18, 19)),  # 10/11
    ((1, 7), (4, 10), (8, 13), (12, 17), (17, 20), (21, 23), (25, 26)),  # 14/15
    ((2, 9), (7, 14), (13, 19), (19, 25), (25, 29), (31, 33), (37, 38)),  # 21/22
    ((4, 12), (11, 19), (19, 27), (27, 34), (36, 40), (45, 47), (53, 54)),  # 30/31
    ((6, 16), (17, 27), (29, 39), (40, 49), (53, 58), (65, 68), (77, 78)),  # 44/45
)
MULTIPLE_TIGHTENED_7: tuple[Stages, ...] = (
    ((N, 2), (N, 2), (0, 2), (0, 3), (1, 3), (1, 3), (2, 3)),  # 1/2
    ((N, 2), (0, 3), (0, 3), (1, 4), (2, 4), (3, 5), (4, 5)),  # 2/3
    ((N, 2), (0, 3), (1, 4), (2, 5), (3, 6), (4, 6), (6, 7)),  # 3/4
    ((N, 4), (1, 5), (2, 6), (3, 7), (5, 8), (7, 9), (9, 10)),  # 5/6
    ((0, 4), (2, 7), (4, 9), (6, 11), (9, 12), (12, 14), (14, 15)),  # 8/9
    ((0, 6), (3, 9), (7, 12), (10, 15), (14, 17), (18, 20), (21, 22)),  # 12/13
    ((1, 8), (6, 12), (11, 17), (16, 22), (22, 25), (27, 29), (32, 33)),  # 18/19
    ((3, 10), (10, 17), (17, 24), (24, 31), (32, 37), (40, 43), (48, 49)),  # 27/28
    ((6, 15), (16, 25), (26, 36), (37, 46), (49, 55), (61, 64), (72, 73)),  # 41/42
)
MULTIPLE_REDUCED_7: tuple[Stages, ...] = (
    ((N, 2), (N, 2), (0, 2), (0, 3), (0, 3), (0, 3), (1, 3)),  # 0/2
    ((N, 2), (N, 3), (0, 3), (0, 4), (0, 4), (1, 5), (1, 5)),  # 1/3
    ((N, 3), (N, 3), (0, 4), (0, 5), (1, 6), (1, 6), (2, 7)),  # 1/4
    ((N, 3), (0, 4), (0, 5), (1, 6), (2, 7), (3, 7), (4, 8)),  # 2/5
    ((N, 4), (0, 5), (1, 6), (2, 7), (3, 8), (4, 9), (6, 10)),  # 3/6
    ((N, 4), (1, 6), (2, 8), (3, 10), (5, 11), (7, 12), (9, 14)),  # 5/8
    ((0, 5), (1, 7), (3, 9), (5, 12), (7, 13), (10, 15), (13, 17)),  # 7/10
    ((0, 6), (3, 9), (6, 12), (8, 15), (11, 17), (14, 20), (18, 22)),  # 10/13
)
del N

STAR_REASON = "*: use the corresponding single sampling plan"
DOUBLE_REASON = "++: use the corresponding double sampling plan"


def _layout(inspection: str, i: int, j: int) -> int | str:
    """Cell of the master-table layout: a plan index along the diagonal, an arrow, or "*".

    The layout is that of the single tables (see ``aqltables.py``): normal and reduced
    plans from s = 17, Ac 0 Re 1 on s = 14; tightened plans from s = 18, Ac 0 Re 1 on
    s = 15; s = 25 and 26 only for letters A-E.
    """
    s = i + j
    small = i <= 4
    if inspection == "tightened":
        if i == 16:  # letter S, tightened only (R at AQL 0.025 points to it)
            return 0 if j == 2 else "up"
        if i == 15 and j == 1:  # R at 0.015: an up arrow, as in the single table
            return "up"
        if s <= 14 or s in (16, 17):
            return "down"
        if s == 15:
            return "*" if i > 0 else "down"
        return s - 18 if s <= 24 or (s <= 26 and small) else "up"
    if i == 15 and j == 1:
        return "up"
    if s <= 13 or s == 16:
        return "down"
    if s == 14:
        return "*"
    if s == 15:  # the top row's cell A / AQL 10 is a down arrow, as in the single table
        return "down" if i == 0 else "up"
    return s - 17 if s <= 24 or (s <= 26 and small) else "up"


def _find(kind: str, inspection: str, i: int, j: int) -> tuple[str, int, int, int]:
    """Follow the arrows from letter i, AQL j to ("plan", row, plan index, sample size),
    or to "*" / "++" (first item) where the table sends to a single or double plan."""
    reduced = inspection == "reduced"
    doubles = REDUCED_DOUBLE_SIZES if reduced else DOUBLE_SIZES
    sizes = doubles if kind == "double" else (REDUCED_MULTIPLE_SIZES if reduced else MULTIPLE_SIZES)
    if kind == "double" and inspection == "normal" and i == 0:
        return "*", 0, 0, 0  # Table III-A row A (AQLSchemes): no double plan for letter A
    row = i
    while True:
        cell = _layout(inspection, row, j)
        if cell == "*":
            return "*", row, 0, 0
        if cell == "up" and row == 0:  # top-row corner: the single table's Ac 0 Re 1 on its left
            return ("++" if kind == "multiple" and not reduced else "*"), row, 0, 0
        if isinstance(cell, int):
            n = sizes[row] if row < len(sizes) else None
            if n is not None:
                return "plan", row, cell, n
            has_double = row < len(doubles) and doubles[row] is not None
            return ("++" if kind == "multiple" and has_double else "*"), row, cell, 0
        row += 1 if cell == "down" else -1


@dataclass(frozen=True)
class DoublePlan:
    """A double sampling plan: inspect n1; accept if d1 <= ac1, reject if d1 >= re1, else
    inspect n2 more and accept if d1 + d2 <= ac2 (Ac and Re are cumulative, as printed).

    Build one from the tables with :func:`double_plan`, or directly for any plan, e.g.
    ``DoublePlan(n1=50, ac1=1, re1=4, n2=100, ac2=3, re2=4)``.  A final Re above Ac + 1
    (Z1.4 reduced plans) accepts the lot below Re but reinstates normal inspection.
    """

    n1: int
    ac1: int
    re1: int
    n2: int
    ac2: int
    re2: int
    lot_size: int | None = None
    aql: float | None = None
    level: str | None = None
    inspection: str | None = None
    standard: str | None = None
    code_letter: str | None = None
    plan_letter: str | None = None
    hundred_percent: bool = False

    def __post_init__(self) -> None:
        _check_stages((self.n1, self.n2), (self.ac1, self.ac2), (self.re1, self.re2), double=True)

    @property
    def stages(self) -> tuple[tuple[int, int | None, int], ...]:
        """(sample size, cumulative Ac, cumulative Re) per stage."""
        return ((self.n1, self.ac1, self.re1), (self.n2, self.ac2, self.re2))

    @property
    def cumulative_sizes(self) -> tuple[int, int]:
        return (self.n1, self.n1 + self.n2)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {**asdict(self), "kind": "double", "cumulative_sizes": list(self.cumulative_sizes)}


@dataclass(frozen=True)
class MultiplePlan:
    """A multiple sampling plan: stage k inspects ``sample_sizes[k]`` more items; the lot is
    accepted when the cumulative count is at most ``acceptance_numbers[k]`` (None: "#", not
    allowed at that stage) and rejected when it reaches ``rejection_numbers[k]``."""

    sample_sizes: tuple[int, ...]
    acceptance_numbers: tuple[int | None, ...]
    rejection_numbers: tuple[int, ...]
    lot_size: int | None = None
    aql: float | None = None
    level: str | None = None
    inspection: str | None = None
    standard: str | None = None
    code_letter: str | None = None
    plan_letter: str | None = None
    hundred_percent: bool = False

    def __post_init__(self) -> None:
        for name in ("sample_sizes", "acceptance_numbers", "rejection_numbers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _check_stages(
            self.sample_sizes, self.acceptance_numbers, self.rejection_numbers, double=False
        )

    @property
    def stages(self) -> tuple[tuple[int, int | None, int], ...]:
        """(sample size, cumulative Ac or None, cumulative Re) per stage."""
        return tuple(
            zip(self.sample_sizes, self.acceptance_numbers, self.rejection_numbers, strict=True)
        )

    @property
    def cumulative_sizes(self) -> tuple[int, ...]:
        return tuple(int(c) for c in np.cumsum(self.sample_sizes))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; "#" stages have ``null`` acceptance numbers."""
        out = asdict(self)
        for name in ("sample_sizes", "acceptance_numbers", "rejection_numbers"):
            out[name] = list(out[name])
        return {**out, "kind": "multiple", "cumulative_sizes": list(self.cumulative_sizes)}


@dataclass(frozen=True)
class TableSubstitute:
    """The master table says to use another plan: ``symbols`` ("*",) the single plan, ("++",)
    the double plan, ("++", "*") a "++" whose double cell is "*"; ``plan`` is that
    ``SamplingPlan`` (from ``sampling_plan``) or :class:`DoublePlan`."""

    requested: str
    symbols: tuple[str, ...]
    reason: str
    plan: SamplingPlan | DoublePlan

    @property
    def uses_single(self) -> bool:
        return isinstance(self.plan, SamplingPlan)

    @property
    def stages(self) -> tuple[tuple[int, int | None, int], ...]:
        """The stages of the plan to use, so OC and ASN work on a substitute too."""
        return _stages(self.plan)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        out = {"kind": "substitute", "requested": self.requested, "symbols": list(self.symbols)}
        uses = "single" if self.uses_single else "double"
        return {**out, "reason": self.reason, "uses": uses, "plan": self.plan.to_dict()}


def _whole(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)):
        raise SpcInputError(f"{name}: a whole number is needed, got {value!r}")
    if not np.isfinite(value) or int(value) != value or value < minimum:
        raise SpcInputError(f"{name}: a whole number of at least {minimum} is needed, got {value}")
    return int(value)


def _check_stages(
    sizes: tuple[int, ...],
    accepts: tuple[int | None, ...],
    rejects: tuple[int, ...],
    *,
    double: bool,
) -> None:
    """Validate a plan: only the last stage may leave no room to continue; it must decide."""
    if not (len(sizes) == len(accepts) == len(rejects)) or len(sizes) < 2:
        raise SpcInputError(
            "rejection_numbers: sample sizes, acceptance and rejection numbers need one entry "
            "per stage, at least 2 stages"
        )
    previous_ac, previous_re = -1, 0
    for k, (n, ac, re) in enumerate(zip(sizes, accepts, rejects, strict=True)):
        n_name = f"n{k + 1}" if double else f"sample_sizes[{k}]"
        ac_name = f"ac{k + 1}" if double else f"acceptance_numbers[{k}]"
        re_name = f"re{k + 1}" if double else f"rejection_numbers[{k}]"
        _whole(n, n_name, 1)
        acc = -1 if ac is None else _whole(ac, ac_name, 0)
        rej = _whole(re, re_name, 1)
        last = k == len(sizes) - 1
        if last and ac is None:
            raise SpcInputError(f"{ac_name}: the last stage must have an acceptance number")
        if rej <= acc + (0 if last else 1):
            need = "above Ac" if last else "at least Ac + 2 (else sampling stops here)"
            raise SpcInputError(f"{re_name}: the rejection number must be {need}, got {re}")
        if acc < previous_ac or rej < previous_re:
            raise SpcInputError(f"{re_name}: cumulative Ac and Re must not decrease")
        previous_ac, previous_re = acc, rej


def _common(
    lot_size: int, aql: float | str, level: str, inspection: str, standard: str
) -> tuple[int, str, int, str, str, str]:
    lot = _whole(lot_size, "lot_size", 2)
    mode = str(inspection).strip().lower()
    if mode not in INSPECTIONS:
        raise SpcInputError(
            f"inspection: unknown inspection {inspection!r}; use 'normal', 'tightened' or 'reduced'"
        )
    try:
        std = _standard(standard)
        j = _aql_index(aql)
        level_name = LEVELS[_level(level)]
    except SpcInputError as exc:  # name the argument, as every message here does
        text = str(exc)
        name = "standard" if "standard" in text else "aql" if "AQL" in text else "level"
        raise SpcInputError(text if text.startswith(name) else f"{name}: {text}") from None
    return lot, mode, j, std, level_name, code_letter(lot, level_name)


def _meta(lot: int, aql: float, level: str, mode: str, std: str, letter: str) -> dict[str, Any]:
    keys = ("lot_size", "aql", "level", "inspection", "standard", "code_letter")
    return dict(zip(keys, (lot, aql, level, mode, std, letter), strict=True))


def double_plan(
    lot_size: int,
    aql: float | str,
    *,
    level: str = "II",
    inspection: str = "normal",
    standard: str = DEFAULT_STANDARD,
) -> DoublePlan | TableSubstitute:
    """Double sampling plan from Tables III-A/B/C (ISO 2859-1 Tables 3-A/3-B).

    Returns a :class:`TableSubstitute` wrapping the single plan where the table has "*".
    ``standard="iso2859-1"`` (default) and ``"z1.4"`` share the normal and tightened tables;
    the ISO 1999 reduced double table is not encoded (raises), Z1.4's is.
    """
    lot, mode, j, std, level_name, letter = _common(lot_size, aql, level, inspection, standard)
    if mode == "reduced" and std == "iso2859-1":
        raise SpcInputError(
            "standard: the ISO 2859-1:1999 reduced double table (no gap between Ac and Re) is "
            "not encoded; use standard='z1.4' for the ANSI/ASQ Z1.4 (MIL-STD-105E) table"
        )
    symbol, row, index, n = _find("double", mode, LETTERS.index(letter), j)
    if symbol != "plan":
        single = sampling_plan(lot, AQLS[j], level=level_name, inspection=mode, standard=std)
        return TableSubstitute("double", ("*",), STAR_REASON, single)
    table = {"normal": DOUBLE_NORMAL, "tightened": DOUBLE_TIGHTENED}.get(mode, DOUBLE_REDUCED_Z14)
    ac1, re1, ac2, re2 = table[index]
    return DoublePlan(
        n1=n,
        ac1=ac1,
        re1=re1,
        n2=n,
        ac2=ac2,
        re2=re2,
        plan_letter=LETTERS[row],
        hundred_percent=n >= lot,
        **_meta(lot, AQLS[j], level_name, mode, std, letter),
    )


def multiple_plan(
    lot_size: int,
    aql: float | str,
    *,
    level: str = "II",
    inspection: str = "normal",
    standard: str = DEFAULT_STANDARD,
) -> MultiplePlan | TableSubstitute:
    """Multiple sampling plan from MIL-STD-105E / Z1.4 Tables IV-A/B/C (seven stages).

    ISO 2859-1:1999 (the default ``standard``) uses five-stage plans that are not encoded:
    it raises, pointing to ``standard="z1.4"``.  "++" cells return a
    :class:`TableSubstitute` wrapping :func:`double_plan` (or its single plan, for "++" then
    "*"); "*" cells wrap the single plan.
    """
    lot, mode, j, std, level_name, letter = _common(lot_size, aql, level, inspection, standard)
    if std == "iso2859-1":
        raise SpcInputError(
            "standard: ISO 2859-1:1999 multiple plans have five stages and are not encoded; "
            "use standard='z1.4' for the seven-stage ANSI/ASQ Z1.4 (MIL-STD-105E) plans"
        )
    symbol, row, index, n = _find("multiple", mode, LETTERS.index(letter), j)
    if symbol == "++":
        double = double_plan(lot, AQLS[j], level=level_name, inspection=mode, standard=std)
        if isinstance(double, TableSubstitute):
            return TableSubstitute("multiple", ("++", "*"), DOUBLE_REASON, double.plan)
        return TableSubstitute("multiple", ("++",), DOUBLE_REASON, double)
    if symbol == "*":
        single = sampling_plan(lot, AQLS[j], level=level_name, inspection=mode, standard=std)
        return TableSubstitute("multiple", ("*",), STAR_REASON, single)
    table = {"normal": MULTIPLE_NORMAL_7, "tightened": MULTIPLE_TIGHTENED_7}.get(
        mode, MULTIPLE_REDUCED_7
    )
    stages = table[index]
    return MultiplePlan(
        sample_sizes=(n,) * len(stages),
        acceptance_numbers=tuple(ac for ac, _ in stages),
        rejection_numbers=tuple(re for _, re in stages),
        plan_letter=LETTERS[row],
        hundred_percent=n >= lot,
        **_meta(lot, AQLS[j], level_name, mode, std, letter),
    )


def _stages(plan: Any) -> tuple[tuple[int, int | None, int], ...]:
    if isinstance(plan, TableSubstitute):
        return _stages(plan.plan)
    if isinstance(plan, SamplingPlan):
        return ((plan.sample_size, plan.acceptance_number, plan.rejection_number),)
    if isinstance(plan, (DoublePlan, MultiplePlan)):
        return plan.stages
    raise SpcInputError(
        "plan: give a DoublePlan, MultiplePlan, TableSubstitute or SamplingPlan, "
        f"got {type(plan).__name__}"
    )


def _hypergeometric_pmf(
    x: NDArray[np.int64], left: int, bad: NDArray[np.int64], n: int
) -> NDArray[np.float64]:
    """P(x nonconforming among n drawn from ``left`` items holding ``bad``), rows = ``bad``.

    Log-binomial coefficients (gammaln) instead of scipy.stats.hypergeom.pmf, which is two
    orders of magnitude slower; impossible counts (bad < 0, x > bad, n - x > left - bad)
    get probability 0 (such states carry no probability anyway)."""
    k = bad[:, None].astype(np.float64)
    xs = x[None, :].astype(np.float64)
    ok = (k >= 0) & (k <= left) & (xs <= k) & (n - xs <= left - k) & (xs <= n)
    k, xs = np.where(ok, k, 0.0), np.where(ok, xs, 0.0)

    def lnc(a: Any, b: Any) -> Any:
        return special.gammaln(a + 1) - special.gammaln(b + 1) - special.gammaln(a - b + 1)

    log_p = lnc(k, xs) + lnc(left - k, np.maximum(n - xs, 0.0)) - lnc(float(left), float(n))
    return np.where(ok, np.exp(np.where(ok, log_p, 0.0)), 0.0)


def _walk(
    plan: Any, p: ArrayLike, method: str, lot_size: int | None
) -> tuple[list[int], list[NDArray[np.float64]], NDArray[np.float64], tuple[int, ...]]:
    """The stage recursion: P(accept at stage k) for each k and the average sample number.

    ``cont[:, c]`` is the probability of still sampling with ``lo + c`` nonconforming items
    found so far.  Stage k adds X_k ~ Bin(n_k, p) (Poisson(n_k p); for the hypergeometric
    model the n_k items come from the N - (n_1 + ... + n_{k-1}) left, holding D - d
    nonconforming, D = round(p N)), then accepts at d <= Ac_k, rejects at d >= Re_k and
    continues in between (for two stages the SAS/QC PROBACC2 and Kenett-Zacks formulas).  At
    the last stage every d < Re accepts: with a gap (Z1.4 / 105E reduced plans) the lot is
    accepted and normal inspection reinstated, as AQLSchemes' OCASNZ4D counts it.  The loops
    run over stages and over the handful of counts still open, each vectorised over p.
    """
    stages = _stages(plan)
    key = oc_method(method)
    probs = fractions_nonconforming(p, key)
    flat = probs.reshape(-1)
    total_n = sum(n for n, _, _ in stages)
    defectives = np.zeros(flat.shape, dtype=np.int64)
    lot = 0
    if key == "hypergeometric":
        given = lot_size if lot_size is not None else getattr(plan, "lot_size", None)
        if given is None and isinstance(plan, TableSubstitute):
            given = getattr(plan.plan, "lot_size", None)
        if given is None:
            raise SpcInputError("lot_size: the hypergeometric model needs the lot size")
        lot = _whole(given, "lot_size", 1)
        if total_n > lot:
            raise SpcInputError(
                f"lot_size: the samples ({total_n} items in all) exceed the lot of {lot}"
            )
        defectives = np.floor(flat * lot + 0.5).astype(np.int64)  # nearest whole item
    cont = np.ones((flat.size, 1))
    lo, drawn = 0, 0
    cumulative: list[int] = []
    accepted: list[NDArray[np.float64]] = []
    expected = np.zeros(flat.size)
    for k, (n, ac, re) in enumerate(stages):
        expected += n * cont.sum(axis=1)
        x = np.arange(re)
        total = np.zeros((flat.size, re))
        if key == "binomial":  # the new count does not depend on d: one pmf per stage
            common = stats.binom.pmf(x[None, :], n, flat[:, None])
        elif key == "poisson":
            common = stats.poisson.pmf(x[None, :], n * flat[:, None])
        for c in range(cont.shape[1]):
            d = lo + c
            if d >= re:
                break
            width = re - d
            if key != "hypergeometric":
                pmf = common[:, :width]
            else:
                pmf = _hypergeometric_pmf(x[:width], lot - drawn, defectives - d, n)
            total[:, d:] += cont[:, c : c + 1] * pmf
        last = k == len(stages) - 1
        top = re - 1 if last else (-1 if ac is None else ac)
        accepted.append(np.clip(total[:, : top + 1].sum(axis=1), 0.0, 1.0))
        lo = top + 1
        cont = total[:, lo:]
        drawn += n
        cumulative.append(drawn)
    return cumulative, accepted, expected, probs.shape


def stage_acceptance(
    plan: Any, p: ArrayLike, *, method: str = "binomial", lot_size: int | None = None
) -> tuple[list[int], list[NDArray[np.float64]]]:
    """Cumulative sample size at each stage and the probability of accepting the lot there
    (for AOQ and ATI under rectifying inspection: ``sampling.aoq``, ``sampling.ati``)."""
    sizes, accepted, _, shape = _walk(plan, p, method, lot_size)
    return sizes, [a.reshape(shape) for a in accepted]


def accept_probability(
    plan: Any, p: ArrayLike, *, method: str = "binomial", lot_size: int | None = None
) -> NDArray[np.float64]:
    """Probability of accepting a lot with fraction nonconforming ``p`` (the OC curve).

    For a double plan P(accept) = P(d1 <= ac1) + sum_{k=ac1+1}^{re1-1} P(d1 = k) P(d2 <= ac2
    - k), and the same recursion over any number of stages.  ``method`` is "binomial"
    (default; a process or large lot), "poisson" (n p, or nonconformities per unit) or
    "hypergeometric" (an isolated lot of ``lot_size`` items, default the plan's own, with
    round(p N) nonconforming; later stages draw from what is left).
    """
    _, accepted, _, shape = _walk(plan, p, method, lot_size)
    return np.asarray(np.clip(np.sum(accepted, axis=0), 0.0, 1.0).reshape(shape), dtype=np.float64)


def asn(
    plan: Any, p: ArrayLike, *, method: str = "binomial", lot_size: int | None = None
) -> NDArray[np.float64]:
    """Average sample number: sum over stages of n_k times the probability of reaching
    stage k, every stage inspected in full (no curtailment; SAS/QC ASN2 'FULL').  For a
    double plan n1 + n2 P(ac1 < d1 < re1)."""
    _, _, expected, shape = _walk(plan, p, method, lot_size)
    return np.asarray(expected.reshape(shape), dtype=np.float64)
