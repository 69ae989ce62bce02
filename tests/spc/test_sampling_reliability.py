import json
import math

import numpy as np
import pytest
import sampling_reference as ref

from qualitas.spc import (
    LotResult,
    SpcInputError,
    next_inspection_state,
    oc_curve,
    sampling_plan,
)
from qualitas.spc.sampling import code_letter


def test_montgomery_mil_std_105e_example() -> None:
    # Montgomery, Introduction to SQC, MIL STD 105E example: N = 2000, AQL 0.65 %,
    # general level II -> code letter K; normal n = 125 Ac 2 Re 3; tightened n = 125
    # Ac 1 Re 2; reduced n = 50 Ac 1 Re 3.
    normal = sampling_plan(2000, 0.65)
    assert (normal.code_letter, normal.sample_size) == ("K", 125)
    assert (normal.acceptance_number, normal.rejection_number) == (2, 3)
    tight = sampling_plan(2000, 0.65, inspection="tightened")
    assert (tight.sample_size, tight.acceptance_number, tight.rejection_number) == (125, 1, 2)
    reduced = sampling_plan(2000, 0.65, inspection="reduced", standard="mil-std-105e")
    assert (reduced.sample_size, reduced.acceptance_number, reduced.rejection_number) == (50, 1, 3)
    json.dumps(normal.to_dict())


@pytest.mark.parametrize(
    ("lot", "level", "letter"),
    [
        # MIL-STD-105E Table I (sample size code letters).
        (8, "II", "A"),
        (9, "II", "B"),
        (50, "I", "C"),
        (90, "III", "F"),
        (280, "S-4", "E"),
        (1200, "II", "J"),
        (3200, "S-2", "D"),
        (10000, "II", "L"),
        (35000, "S-3", "F"),
        (150000, "III", "P"),
        (500000, "S-1", "D"),
        (500001, "II", "Q"),
        (10**7, "III", "R"),
    ],
)
def test_code_letters_table_i(lot: int, level: str, letter: str) -> None:
    assert sampling_plan(lot, 1.0, level=level).code_letter == letter


@pytest.mark.parametrize(
    ("lot", "aql", "inspection", "expected"),
    [
        # MIL-STD-105E Table II-A rows as reproduced for general level II (AQL 0.65-15).
        (1000, 1.0, "normal", (80, 2, 3)),  # J
        (1000, 4.0, "normal", (80, 7, 8)),
        (1000, 15, "normal", (80, 21, 22)),
        (100, 1.0, "normal", (13, 0, 1)),  # F: up arrow to E 0/1
        (100, 1.5, "normal", (32, 1, 2)),  # F: down arrow to G 1/2
        (200, 0.65, "normal", (20, 0, 1)),  # G: up arrow to F 0/1
        (3000, 15, "normal", (80, 21, 22)),  # K at 15: up arrow to J 21/22
        (5, 6.5, "normal", (2, 0, 1)),  # A
        (5, 15, "normal", (3, 1, 2)),  # A at 15: down arrow to B 1/2
        # Table II-B (tightened), general level III rows as reproduced
        (1000, 0.65, "tightened", (125, 1, 2)),  # K at 0.65 (level II J -> down arrow)
        (1000, 10, "tightened", (80, 12, 13)),
        (100, 2.5, "tightened", (32, 1, 2)),  # F at 2.5: down arrows to G 1/2
        (5, 1000, "tightened", (2, 27, 28)),
    ],
)
def test_master_tables(lot, aql, inspection, expected) -> None:
    plan = sampling_plan(lot, aql, inspection=inspection)
    assert (plan.sample_size, plan.acceptance_number, plan.rejection_number) == expected


@pytest.mark.parametrize("standard", ["iso2859-1", "z1.4"])
def test_arrows_at_the_edges_of_the_printed_tables(standard: str) -> None:
    """ISO 2859-1 Table 2-A / Z1.4 Table II-A: code letter A at AQL 10 is a down arrow; the
    first plan below it is letter C's (n 5, Ac 1 Re 2), whose sample size is used.  Table II-B:
    letter R at AQL 0.015 is an up arrow to Q (n 1250, Ac 0 Re 1).  Both as AQLSchemes encodes
    them (J. S. Lawson, R/AAZ14Single.R) and as the printed tables show the arrows."""
    a = sampling_plan(40, 10, level="S-1", standard=standard)
    assert a.code_letter == "A" and a.plan_letter == "C"
    assert (a.sample_size, a.acceptance_number, a.rejection_number) == (5, 1, 2)
    r = sampling_plan(10**6, 0.015, level="III", inspection="tightened", standard=standard)
    assert r.code_letter == "R" and r.plan_letter == "Q"
    assert (r.sample_size, r.acceptance_number, r.rejection_number) == (1250, 0, 1)
    # letter R at 0.025 still goes down to the tightened-only letter S (n 3150, Ac 1 Re 2)
    s = sampling_plan(10**6, 0.025, level="III", inspection="tightened", standard=standard)
    assert (s.plan_letter, s.sample_size, s.acceptance_number) == ("S", 3150, 1)
    # reduced: A at AQL 10 follows its down arrow too (to C, n 2)
    red = sampling_plan(40, 10, level="S-1", inspection="reduced", standard=standard)
    assert red.plan_letter == "C" and red.sample_size == 2


def test_iso_reduced_table_has_no_gap() -> None:
    z14 = sampling_plan(2000, 0.65, inspection="reduced", standard="z1.4")
    iso = sampling_plan(2000, 0.65, inspection="reduced")  # ISO 2859-1:1999 is the default
    assert iso.standard == "iso2859-1"
    assert z14.rejection_number - z14.acceptance_number == 2
    assert iso.rejection_number == iso.acceptance_number + 1
    assert iso.acceptance_number == z14.acceptance_number
    # normal and tightened agree between the standards
    for mode in ("normal", "tightened"):
        a = sampling_plan(5000, 1.5, inspection=mode).to_dict()
        b = sampling_plan(5000, 1.5, inspection=mode, standard="z1.4").to_dict()
        a.pop("standard"), b.pop("standard")
        assert a == b


def test_every_cell_resolves_and_plans_tighten() -> None:
    from qualitas.spc.sampling import AQLS

    for lot in (2, 10, 20, 40, 80, 120, 200, 400, 1000, 2000, 5000, 20000, 100000, 300000, 10**6):
        for level in ("S-1", "S-2", "S-3", "S-4", "I", "II", "III"):
            for aql in AQLS:
                n = sampling_plan(lot, aql, level=level)
                t = sampling_plan(lot, aql, level=level, inspection="tightened")
                r = sampling_plan(lot, aql, level=level, inspection="reduced")
                assert n.sample_size <= lot and n.rejection_number > n.acceptance_number
                assert r.sample_size <= n.sample_size
                # tightened never accepts more at the same tabled sample size (same plan row;
                # with 100 % inspection both sample sizes are the lot size, whatever the row)
                if t.plan_letter == n.plan_letter:
                    assert t.acceptance_number <= n.acceptance_number


def test_hundred_percent_inspection() -> None:
    # Lot of 10 at AQL 0.10 (level II letter B): down arrows lead to n = 125 > 10.
    plan = sampling_plan(10, 0.10)
    assert plan.hundred_percent and plan.sample_size == 10
    assert (plan.acceptance_number, plan.rejection_number) == (0, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lot_size": 100, "aql": 0.7}, "unknown AQL 0.7"),
        ({"lot_size": 1, "aql": 1.0}, "lot size"),
        ({"lot_size": 100, "aql": 1.0, "level": "IV"}, "inspection level"),
        ({"lot_size": 100, "aql": 1.0, "inspection": "relaxed"}, "unknown inspection"),
        ({"lot_size": 100, "aql": 1.0, "standard": "bs6001"}, "unknown standard"),
    ],
)
def test_sampling_errors(kwargs, message) -> None:
    with pytest.raises(SpcInputError, match=message):
        sampling_plan(**kwargs)


def test_oc_curve_binomial_and_poisson() -> None:
    p = np.array([0.0, 0.01, 0.05])
    expected = [sum(math.comb(50, k) * q**k * (1 - q) ** (50 - k) for k in range(3)) for q in p]
    np.testing.assert_allclose(oc_curve(50, 2, p), expected)
    poisson = [
        sum(math.exp(-50 * q) * (50 * q) ** k / math.factorial(k) for k in range(3)) for q in p
    ]
    np.testing.assert_allclose(oc_curve(50, 2, p, method="poisson"), poisson)
    with pytest.raises(SpcInputError):
        oc_curve(50, 2, [1.5])


def test_switching_rules() -> None:
    assert next_inspection_state([True, False, True, False]).state == "tightened"
    assert next_inspection_state([False, True, True, True, True, True, False]).state == "normal"
    back = [True, False, False] + [True] * 5
    assert next_inspection_state(back).state == "normal"
    stop = [False, False] + [False, True] * 5
    assert next_inspection_state(stop).state == "discontinued"
    # switching score: Ac 0/1 lots add 2 each -> 15 accepted lots reach 30
    assert next_inspection_state([True] * 14).state == "normal"
    assert next_inspection_state([True] * 15).state == "reduced"
    ac2 = [LotResult(True, 1, 2, accepted_at_tighter_aql=True)] * 10
    assert next_inspection_state(ac2).state == "reduced"
    ac2_reset = [LotResult(True, 2, 2, accepted_at_tighter_aql=False), *ac2[:9]]
    assert next_inspection_state(ac2_reset).state == "normal"
    assert next_inspection_state([True] * 15, reduced_allowed=False).state == "normal"
    # reduced -> normal on a rejection or on Ac < d < Re
    assert next_inspection_state([False], start="reduced").state == "normal"
    gap = LotResult(True, nonconforming=2, acceptance_number=1)
    assert next_inspection_state([gap], start="reduced").state == "normal"
    with pytest.raises(SpcInputError):
        next_inspection_state([], start="skip")


# Every cell of Table I and of the master tables against two public encodings of MIL-STD-105E
# (see sampling_reference.py for the sources and for the cells left unverified).


def _lot_for_letter(letter: str) -> tuple[int, str]:
    """A lot size and inspection level that give ``letter`` in Table I (the largest such lot)."""
    best: tuple[int, str] | None = None
    for _first, last, letters in ref.TABLE_I:
        for level, tabled in zip(ref.LEVELS, letters, strict=True):
            lot = last if last is not None else 10**7
            if tabled == letter and (best is None or lot > best[0]):
                best = (lot, level)
    assert best is not None
    return best


def test_table_i_every_lot_class_and_level() -> None:
    # MIL-STD-105E Table I, both ends of every lot-size class (AQLSchemes, Z1.4 how-to table).
    for first, last, letters in ref.TABLE_I:
        for level, letter in zip(ref.LEVELS, letters, strict=True):
            for lot in (first, last if last is not None else 10**8):
                assert code_letter(lot, level) == letter, (lot, level)


@pytest.mark.parametrize(
    ("inspection", "table"),
    [
        ("normal", ref.NORMAL_PLANS),  # Table II-A (AQLSchemes; Table 1-A of nibs.org)
        ("tightened", ref.TIGHTENED_PLANS),  # Table II-B (AQLSchemes; Table 1-B of nibs.org)
        ("reduced", ref.REDUCED_PLANS_Z14),  # Table II-C, MIL-STD-105E / Z1.4 (AQLSchemes)
    ],
)
def test_master_table_every_cell(inspection: str, table: dict[str, str]) -> None:
    checked = 0
    for letter in ref.LETTERS:
        lot, level = _lot_for_letter(letter)
        for aql in ref.AQLS:
            expected = ref.plan(table, letter, aql)
            if expected is None:
                continue
            n, ac, re = expected
            got = sampling_plan(lot, aql, level=level, inspection=inspection, standard="z1.4")
            assert got.code_letter == letter
            assert (got.acceptance_number, got.rejection_number) == (ac, re), (letter, aql)
            if n >= lot:
                assert got.hundred_percent and got.sample_size == lot, (letter, aql)
            else:
                assert not got.hundred_percent and got.sample_size == n, (letter, aql)
            checked += 1
    assert checked == {"normal": 416, "tightened": 416, "reduced": 384}[inspection]


@pytest.mark.parametrize(
    ("inspection", "table"),
    [("normal", ref.NIBS_NORMAL), ("tightened", ref.NIBS_TIGHTENED)],
)
def test_nibs_tables_1a_1b(inspection: str, table: dict[str, str]) -> None:
    # Second source for Tables II-A and II-B (AQL 0.65-15): follow its arrows cell by cell.
    for letter in table:
        lot, level = _lot_for_letter(letter)
        for aql in ref.NIBS_AQLS:
            expected = ref.nibs_plan(table, letter, aql)
            if expected is None:  # normal A / AQL 10 (up arrow in the top row) or cut off
                assert (inspection, letter, aql) in {
                    ("normal", "A", 10.0),
                    ("tightened", "L", 15.0),
                }
                continue
            got = sampling_plan(lot, aql, level=level, inspection=inspection)
            assert (got.plan_letter, got.acceptance_number, got.rejection_number) == expected


def test_tightened_letter_a_at_aql_10_is_a_down_arrow() -> None:
    # MIL-STD-105E Table II-B: row A has no Ac 0 Re 1; A / AQL 10 is a down arrow to D (n = 8,
    # Ac 1 Re 2).  Sources: Table 1-B of nibs.org AC-TABLE.ASC and AQLSchemes (AAZ14Single.R).
    # Before the fix the engine gave n = 2, Ac 0 Re 1.
    plan = sampling_plan(8, 10, inspection="tightened")  # lot 2-8, level II: letter A
    assert (plan.code_letter, plan.plan_letter) == ("A", "D")
    assert (plan.acceptance_number, plan.rejection_number) == (1, 2)
    assert plan.hundred_percent and plan.sample_size == 8  # n = 8 >= lot
    # B at AQL 10 goes down to the same plan; B at 6.5 keeps Ac 0 Re 1 with n = 3.
    b = sampling_plan(15, 10, inspection="tightened")
    assert (b.plan_letter, b.acceptance_number, b.rejection_number) == ("D", 1, 2)
    assert sampling_plan(15, 6.5, inspection="tightened").rejection_number == 1
