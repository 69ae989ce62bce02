"""The single sampling tables by attributes (ISO 2859-1, ANSI/ASQ Z1.4, MIL-STD-105E).

Sources of the tables (MIL-STD-105E, 10 May 1989, is public domain; ANSI/ASQ
Z1.4 and ISO 2859-1 reproduce the same normal and tightened tables):

* Table I, sample size code letters: MIL-STD-105E Table I = Z1.4 Table I =
  ISO 2859-1:1999 Table 1 (``CODE_LETTERS``).
* Table II-A, single sampling, normal inspection: MIL-STD-105E Table II-A =
  Z1.4 Table II-A = ISO 2859-1 Table 2-A.
* Table II-B, tightened inspection: MIL-STD-105E Table II-B = Z1.4 Table II-B =
  ISO 2859-1 Table 2-B (with the extra code letter S, n = 3150).
* Table II-C, reduced inspection: MIL-STD-105E Table II-C = Z1.4 Table II-C
  (acceptance and rejection numbers with a gap, e.g. Ac 1 Re 3); ISO
  2859-1:1999 Table 2-C has no gap (Re = Ac + 1), hence ``standard=``.

The master tables are diagonal: moving one code letter down and one AQL
column left gives the same plan.  Each table is therefore stored as the plan
sequence along the diagonals (index s = letter index + AQL index, A = 0,
0.010 = 0) with the arrows between them, which is exactly how the printed
tables are laid out:

* normal and reduced: s <= 13 down arrow, s = 14 Ac 0 Re 1, s = 15 up arrow (down in row A),
  s = 16 down arrow, s = 17..24 the sequence below, s = 25 and 26 only for
  letters A-E (n <= 13), beyond that up arrows;
* tightened: s <= 14 down arrow, s = 15 Ac 0 Re 1 (letters B-R; the cell A at
  AQL 10 is a down arrow), s = 16 and 17 down arrows, s = 18..24 the sequence
  below, s = 25 and 26 only for letters A-E.

Arrows are followed down or up the AQL column to the first plan ("use the
first sampling plan below/above the arrow"); the sample size is that of the
row where the plan is found.  If that sample size equals or exceeds the lot
size, every item is inspected (100 % inspection) with the same Ac/Re.
Where the diagonal pattern would point outside the table the printed tables
turn the arrow: the top row's cell A / AQL 10 is a down arrow (normal and
reduced: to C, n = 5, Ac 1 Re 2 normal), and the bottom row's cell R / AQL
0.015 is an up arrow (normal, reduced and tightened: tightened goes to Q,
n = 1250, Ac 0 Re 1; the tightened-only letter S carries AQL 0.025's plan alone).

Switching rules (``next_inspection_state``, in :mod:`qualitas.spc.switching`):
ANSI/ASQ Z1.4-2008 section 8.3 and ISO 2859-1:1999 clause 9.3, with the switching score.

"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from qualitas.spc.errors import SpcInputError

__all__ = ["AQLS", "DEFAULT_STANDARD", "SamplingPlan", "code_letter", "sampling_plan"]

LETTERS = "ABCDEFGHJKLMNPQRS"
AQLS: tuple[float, ...] = (
    0.010,
    0.015,
    0.025,
    0.040,
    0.065,
    0.10,
    0.15,
    0.25,
    0.40,
    0.65,
    1.0,
    1.5,
    2.5,
    4.0,
    6.5,
    10.0,
    15.0,
    25.0,
    40.0,
    65.0,
    100.0,
    150.0,
    250.0,
    400.0,
    650.0,
    1000.0,
)
LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")

# Table I: lot size upper bounds and the code letter for S-1, S-2, S-3, S-4, I, II, III.
# Every cell checked against AQLSchemes (J. S. Lawson, CRAN, R/AAZ14Single.R) and a
# reproduction of the Z1.4 table (tests/spc/sampling_reference.py names the sources).
CODE_LETTERS: tuple[tuple[float, str], ...] = (
    (8, "AAAAAAB"),
    (15, "AAAAABC"),
    (25, "AABBBCD"),
    (50, "ABBCCDE"),
    (90, "BBCCCEF"),
    (150, "BBCDDFG"),
    (280, "BCDEEGH"),
    (500, "BCDEFHJ"),
    (1200, "CCEFGJK"),
    (3200, "CDEGHKL"),
    (10000, "CDFGJLM"),
    (35000, "CDFHKMN"),
    (150000, "DEGJLNP"),
    (500000, "DEGJMPQ"),
    (math.inf, "DEHKNQR"),
)

# Sample sizes by code letter (Tables II-A/II-B: A..R and S for tightened; II-C reduced).
NORMAL_SIZES = (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000, 3150)
REDUCED_SIZES = (2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800)

Plan = tuple[int, int]
# Plans along the diagonals s = 17..26 (normal, reduced) and s = 18..26 (tightened).
# Verification (tests/spc/sampling_reference.py): every normal and tightened cell, after the
# arrows, agrees with AQLSchemes (R/AAZ14Single.R) and, for AQL 0.65-15, with Tables 1-A and
# 1-B of nibs.org FMOC/DPW_AC/AC-TABLE.ASC (from MIL-STD-105E).  The corners normal A at AQL 10
# and tightened R at AQL 0.015 follow AQLSchemes and an independent check against the printed
# tables (issue "Statistics"); letter S (Ac 1 Re 2 at AQL 0.025) agrees with AQLSchemes only.
# The Z1.4 reduced sequence agrees with AQLSchemes alone (letters C-R up to AQL 650; rows A and
# B from AQL 10 and the column AQL 1000 differ there, unresolved).  The ISO 2859-1:1999 reduced
# sequence (Re = Ac + 1) is unverified: the one encoding found disagrees.
NORMAL_SEQUENCE: tuple[Plan, ...] = (
    (1, 2),
    (2, 3),
    (3, 4),
    (5, 6),
    (7, 8),
    (10, 11),
    (14, 15),
    (21, 22),
    (30, 31),
    (44, 45),
)
TIGHTENED_SEQUENCE: tuple[Plan, ...] = (
    (1, 2),
    (2, 3),
    (3, 4),
    (5, 6),
    (8, 9),
    (12, 13),
    (18, 19),
    (27, 28),
    (41, 42),
)
REDUCED_SEQUENCE_Z14: tuple[Plan, ...] = (
    (0, 2),
    (1, 3),
    (1, 4),
    (2, 5),
    (3, 6),
    (5, 8),
    (7, 10),
    (10, 13),
    (14, 17),
    (21, 24),
)
REDUCED_SEQUENCE_ISO: tuple[Plan, ...] = (
    (0, 1),
    (1, 2),
    (1, 2),
    (2, 3),
    (3, 4),
    (5, 6),
    (7, 8),
    (10, 11),
    (14, 15),
    (21, 22),
)

# "iso2859-1": ISO 2859-1:1999, the newer tables and the default.  "z1.4": MIL-STD-105E, whose
# tables ANSI/ASQ Z1.4-2003 (reaffirmed 2008 and 2013) keeps unchanged ("the numbers and tables
# remain the same as MIL-STD-105E except for the footnotes", its foreword).
DEFAULT_STANDARD = "iso2859-1"
STANDARDS = {
    "z1.4": "z1.4",
    "z1.4-2003": "z1.4",
    "z1.4-2008": "z1.4",
    "ansi/asq z1.4": "z1.4",
    "ansi z1.4": "z1.4",
    "ansi": "z1.4",
    "mil-std-105e": "z1.4",
    "105e": "z1.4",
    "iso2859-1": "iso2859-1",
    "iso 2859-1": "iso2859-1",
    "iso 2859-1:1999": "iso2859-1",
    "iso2859": "iso2859-1",
    "iso": "iso2859-1",
}

Cell = Plan | str  # a plan, "up" or "down"


def _cell(inspection: str, standard: str, i: int, j: int) -> Cell:
    s = i + j
    small_letter = i <= 4
    if inspection == "tightened":
        if i == 16:  # letter S, tightened only
            return (1, 2) if j == 2 else "up"
        if i == 15 and j == 1:
            # The bottom row of Table II-B (R) at AQL 0.015 is an up arrow (to Q, n = 1250,
            # Ac 0 Re 1), as AQLSchemes has it: letter S carries only AQL 0.025's plan.
            return "up"
        if s <= 14 or s in (16, 17):
            return "down"
        if s == 15:
            # Table II-B has no Ac 0 Re 1 in row A: the cell A / AQL 10 is part of a
            # down arrow (to D, n = 8, Ac 1 Re 2), so the 0/1 diagonal starts at B.
            # Sources: nibs.org FMOC/DPW_AC/AC-TABLE.ASC Table 1-B (from MIL-STD-105E
            # Table II-B) and AQLSchemes (J. Lawson, CRAN) AAZ14Single.R, tightened.
            return (0, 1) if i > 0 else "down"
        if s <= 24 or (s <= 26 and small_letter):
            return TIGHTENED_SEQUENCE[s - 18]
        return "up"
    if i == 15 and j == 1:
        return "up"
    if s <= 13 or s == 16:
        return "down"
    if s == 14:
        return (0, 1)
    if s == 15:
        # The top row has nothing above it: the printed cell A / AQL 10 is a down arrow
        # (to C, n = 5, Ac 1 Re 2 normal; n = 2, Ac 0 Re 2 reduced), as AQLSchemes has it.
        return "down" if i == 0 else "up"
    if s <= 24 or (s <= 26 and small_letter):
        if inspection == "normal":
            return NORMAL_SEQUENCE[s - 17]
        seq = REDUCED_SEQUENCE_ISO if standard == "iso2859-1" else REDUCED_SEQUENCE_Z14
        return seq[s - 17]
    return "up"


def _resolve(inspection: str, standard: str, i: int, j: int) -> tuple[int, Plan]:
    rows = 17 if inspection == "tightened" else 16
    row = i
    while True:
        cell = _cell(inspection, standard, row, j)
        if isinstance(cell, tuple):
            return row, cell
        row += 1 if cell == "down" else -1
        if not 0 <= row < rows:
            raise AssertionError("an arrow points outside the table")


@dataclass(frozen=True)
class SamplingPlan:
    """A single sampling plan: inspect ``sample_size`` items, accept with at most Ac defective."""

    lot_size: int
    aql: float
    level: str
    inspection: str
    standard: str
    code_letter: str
    plan_letter: str
    sample_size: int
    acceptance_number: int
    rejection_number: int
    hundred_percent: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(self)


def _aql_index(aql: float | str) -> int:
    try:
        value = float(aql)
    except (TypeError, ValueError):
        raise SpcInputError(f"AQL must be a number, got {aql!r}") from None
    for j, tabled in enumerate(AQLS):
        if math.isclose(value, tabled, rel_tol=1e-9, abs_tol=1e-12):
            return j
    listed = ", ".join(f"{a:g}" for a in AQLS)
    raise SpcInputError(f"unknown AQL {value:g}; the tables have {listed}")


def _level(level: str) -> int:
    key = str(level).strip().upper().replace(" ", "").replace("_", "-")
    key = {"1": "I", "2": "II", "3": "III", "G-1": "I", "G-2": "II", "G-3": "III"}.get(key, key)
    if key.startswith("S") and "-" not in key and len(key) == 2:
        key = f"S-{key[1]}"
    if key not in LEVELS:
        raise SpcInputError(f"unknown inspection level {level!r}; use I, II, III or S-1 ... S-4")
    return LEVELS.index(key)


def _standard(standard: str) -> str:
    key = str(standard).strip().lower()
    if key not in STANDARDS:
        raise SpcInputError(
            f"unknown standard {standard!r}; use 'iso2859-1' (ISO 2859-1:1999) or 'z1.4' "
            "(ANSI/ASQ Z1.4, MIL-STD-105E)"
        )
    return STANDARDS[key]


def code_letter(lot_size: int, level: str = "II") -> str:
    """Sample size code letter from Table I for a lot size and inspection level."""
    if int(lot_size) != lot_size or lot_size < 2:
        raise SpcInputError(f"lot size must be a whole number of at least 2, got {lot_size}")
    column = _level(level)
    for upper, letters in CODE_LETTERS:
        if lot_size <= upper:
            return letters[column]
    raise AssertionError("unreachable: the last lot-size class is open-ended")


def sampling_plan(
    lot_size: int,
    aql: float | str,
    *,
    level: str = "II",
    inspection: str = "normal",
    standard: str = DEFAULT_STANDARD,
) -> SamplingPlan:
    """Single sampling plan for a lot size and AQL (percent nonconforming or per 100 units).

    ``level`` is a general (I, II, III) or special (S-1 ... S-4) inspection
    level; ``inspection`` is "normal", "tightened" or "reduced"; ``standard`` is
    "iso2859-1" (ISO 2859-1:1999, the default) or "z1.4" (MIL-STD-105E and ANSI/ASQ
    Z1.4-2003/2008, which kept its tables); they differ only in the reduced table.
    """
    std = _standard(standard)
    mode = str(inspection).strip().lower()
    if mode not in ("normal", "tightened", "reduced"):
        raise SpcInputError(
            f"unknown inspection {inspection!r}; use 'normal', 'tightened' or 'reduced'"
        )
    letter = code_letter(lot_size, level)
    j = _aql_index(aql)
    row, (ac, re) = _resolve(mode, std, LETTERS.index(letter), j)
    n = (REDUCED_SIZES if mode == "reduced" else NORMAL_SIZES)[row]
    hundred = n >= lot_size
    return SamplingPlan(
        lot_size=int(lot_size),
        aql=AQLS[j],
        level=LEVELS[_level(level)],
        inspection=mode,
        standard=std,
        code_letter=letter,
        plan_letter=LETTERS[row],
        sample_size=int(lot_size) if hundred else n,
        acceptance_number=ac,
        rejection_number=re,
        hundred_percent=hundred,
    )
