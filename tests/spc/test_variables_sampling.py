"""Variables sampling, s-method, single limit, form k (qualitas.spc.variables).

Published numbers are typed from their sources, named in each test.  The plan
table is MIL-STD-414 (public domain), not ISO 3951-1 (see the module docstring).
"""

from __future__ import annotations

import numpy as np
import pytest

from qualitas.spc.errors import SpcInputError
from qualitas.spc.variables import (
    LotJudgement,
    VariablesPlan,
    estimated_percent_nonconforming,
    find_variables_plan,
    judge_lot,
    variables_oc,
    variables_plan,
)

# MIL-STD-414 (1957) Example B-1, "single specification limit, Form 1": maximum
# operating temperature U = 209 deg F, lot of 40 items, inspection level IV,
# normal inspection, AQL 1 %: Tables A-2 and B-1 give code letter D, n = 5, k = 1.53.
# Measurements 197, 188, 184, 205, 201; mean 195, s = 8.80, Q_U = 1.59 >= 1.53: accept.
# (ANSI/ASQ Z1.9 Example B-1 uses the same lot and numbers at its level II.)
EXAMPLE_B1 = [197.0, 188.0, 184.0, 205.0, 201.0]


def test_mil414_example_b1_plan() -> None:
    plan = variables_plan(40, 1.0)  # level IV is MIL-STD-414's normal level
    assert isinstance(plan, VariablesPlan)
    assert (plan.code_letter, plan.sample_size, plan.k) == ("D", 5, 1.53)
    assert (plan.method, plan.form, plan.level, plan.standard) == ("s", "k", "IV", "mil-std-414")
    assert not plan.hundred_percent
    assert plan.to_dict()["k"] == 1.53


def test_mil414_example_b1_judgement() -> None:
    result = judge_lot(variables_plan(40, 1.0), EXAMPLE_B1, usl=209.0)
    assert isinstance(result, LotJudgement)
    assert result.mean == pytest.approx(195.0, abs=1e-12)
    assert round(result.s, 2) == 8.80
    assert round(result.q, 2) == 1.59
    assert result.limit == "upper"
    assert result.accepted is True
    assert "accept" in result.reason
    assert result.to_dict()["accepted"] is True


def test_mil414_example_b2_form2_estimate() -> None:
    """MIL-STD-414 Example B-2 (Form 2, same data): Q_U = 1.59, n = 5 gives p_U = 2.19 %."""
    assert estimated_percent_nonconforming(1.59, 5) == pytest.approx(2.19, abs=0.005)


def test_lower_limit_rejects_when_q_below_k() -> None:
    # Example B-1 data against a lower limit L = 182: Q_L = (195 - 182)/8.80 = 1.48 < 1.53.
    result = judge_lot(variables_plan(40, 1.0), EXAMPLE_B1, lsl=182.0)
    assert result.limit == "lower"
    assert round(result.q, 2) == 1.48
    assert result.accepted is False
    assert "reject" in result.reason


@pytest.mark.parametrize(
    ("letter_lot", "aql", "n", "k"),
    [
        # MIL-STD-414 Table B-1 cells, checked against a second, independent
        # transcription of a MIL-STD-414 scan (letters B-J): letter, lot size at level IV.
        (5, 2.5, 3, 1.12),  # B
        (5, 10.0, 3, 0.566),  # B
        (10, 1.0, 4, 1.45),  # C (lot 9-15, level IV)
        (20, 4.0, 4, 1.01),  # C (lot 16-25, level IV)
        (40, 6.5, 5, 0.874),  # D
        (50, 0.65, 7, 1.75),  # E (lot 41-65)
        (100, 10.0, 10, 0.828),  # F (lot 66-110)
        (150, 2.5, 15, 1.47),  # G (lot 111-180)
        (250, 0.65, 20, 1.96),  # H (lot 181-300)
        (400, 1.5, 25, 1.72),  # I (lot 301-500)
        (600, 4.0, 30, 1.36),  # J (lot 501-800)
    ],
)
def test_mil414_table_b1_cells(letter_lot: int, aql: float, n: int, k: float) -> None:
    plan = variables_plan(letter_lot, aql)
    assert (plan.sample_size, plan.k) == (n, k)


def test_down_arrow_takes_n_and_k_of_the_plan_below() -> None:
    # Table B-1: letter B has no plan at AQL 1.0; the arrow leads to C (n = 4, k = 1.45).
    plan = variables_plan(5, 1.0)
    assert (plan.code_letter, plan.plan_letter, plan.sample_size, plan.k) == ("B", "C", 4, 1.45)
    assert not plan.hundred_percent
    # At AQL 0.04 the first plan is G (n = 15, k = 2.64): more than a lot of 10 -> 100 %.
    plan = variables_plan(10, 0.04)
    assert (plan.plan_letter, plan.k, plan.hundred_percent, plan.sample_size) == (
        "G",
        2.64,
        True,
        10,
    )


def test_tightened_uses_the_shifted_column() -> None:
    # Table B-1 tightened headings sit one column right of normal: tightened 1.5 = normal 1.0.
    normal = variables_plan(40, 1.0)
    tight = variables_plan(40, 1.5, inspection="tightened")
    assert (tight.sample_size, tight.k) == (normal.sample_size, normal.k) == (5, 1.53)
    with pytest.raises(SpcInputError, match="aql"):
        variables_plan(40, 0.04, inspection="tightened")


def test_levels_change_the_code_letter() -> None:
    # Table A-2, lot 501-800: levels I..V give D, F, H, J, L.
    letters = [
        variables_plan(700, 1.0, level=lv).code_letter for lv in ("I", "II", "III", "IV", "V")
    ]
    assert letters == ["D", "F", "H", "J", "L"]


def test_oc_exact_matches_acceptancesampling_vignette() -> None:
    """R AcceptanceSampling manual (Kiermeier), Q&A: ISO 3951 letter J, AQL 1 %, s-method,
    n = 35, k = 1.89: P(accept) = 0.0165 at 10 % and 0.00975 at 11 % nonconforming."""
    pa = variables_oc(35, 1.89, [0.10, 0.11])
    assert pa[0] == pytest.approx(0.0165, abs=5e-5)
    assert pa[1] == pytest.approx(0.00975, abs=5e-6)


def test_oc_endpoints_and_wallis() -> None:
    pa = variables_oc(35, 1.89, [0.0, 1.0])
    assert pa.tolist() == [1.0, 0.0]
    wallis = variables_oc(35, 1.89, [0.0, 0.10, 1.0], method="wallis")
    assert wallis[0] == 1.0 and wallis[2] == 0.0
    # The Wallis approximation is close to the exact value at n = 35 (within 0.002 here).
    assert wallis[1] == pytest.approx(0.0165, abs=0.002)
    assert np.all(np.diff(variables_oc(5, 1.53, np.linspace(0, 1, 101))) <= 0)


def test_find_plan_exact_matches_acceptancesampling() -> None:
    """R AcceptanceSampling manual: find.plan(PRP = c(0.05, 0.95), CRP = c(0.15, 0.075),
    type = "normal", s.type = "unknown") gives n = 49, k = 1.326538."""
    n, k = find_variables_plan(5.0, 0.05, 15.0, 0.075)
    assert n == 49
    assert k == pytest.approx(1.326538, abs=1e-5)


def test_find_plan_wallis_matches_montgomery_nomograph() -> None:
    """Montgomery, Introduction to SQC, variables plan with a specified OC curve (bottle
    bursting strength): p1 = 0.01, 1 - alpha = 0.95, p2 = 0.06, beta = 0.10; the nomograph
    gives n = 40, k = 1.9.  The Wallis formula gives k = 1.893 and n = 40.15, rounded up to
    41; we follow the formula (rounding up keeps the consumer's risk) and accept the one-unit
    difference from a nomograph reading."""
    n, k = find_variables_plan(1.0, 0.05, 6.0, 0.10, method="wallis")
    assert round(k, 1) == 1.9
    assert abs(n - 40) <= 1


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: variables_plan(40, 0.3), "aql"),
        (lambda: variables_plan(40, "x"), "aql"),
        (lambda: variables_plan(0, 1.0), "lot_size"),
        (lambda: variables_plan(2, 1.0), "lot_size"),
        (lambda: variables_plan(40.5, 1.0), "lot_size"),  # type: ignore[arg-type]
        (lambda: variables_plan(40, 1.0, level="VI"), "level"),
        (lambda: variables_plan(40, 1.0, inspection="reduced"), "inspection"),
        (lambda: variables_plan(40, 1.0, inspection="loose"), "inspection"),
        (lambda: variables_plan(40, 1.0, standard="iso3951-1"), "standard"),
        (lambda: variables_oc(1, 1.0, 0.1), "n"),
        (lambda: variables_oc(5, float("nan"), 0.1), "k"),
        (lambda: variables_oc(5, 1.0, 1.5), "p"),
        (lambda: variables_oc(5, 1.0, 0.1, method="x"), "method"),
        (lambda: find_variables_plan(0.0, 0.05, 6.0, 0.1), "aql"),
        (lambda: find_variables_plan(6.0, 0.05, 1.0, 0.1), "ltpd"),
        (lambda: find_variables_plan(1.0, 1.5, 6.0, 0.1), "alpha"),
        (lambda: find_variables_plan(1.0, 0.05, 6.0, 0.0), "beta"),
    ],
)
def test_bad_input_names_the_argument(call: object, name: str) -> None:
    with pytest.raises(SpcInputError, match=name):
        call()  # type: ignore[operator]


def test_judge_lot_bad_input() -> None:
    plan = variables_plan(40, 1.0)
    with pytest.raises(SpcInputError, match="measurements"):
        judge_lot((2, 1.0), [1.0], usl=2.0)  # fewer than 2
    with pytest.raises(SpcInputError, match="measurements"):
        judge_lot(plan, EXAMPLE_B1[:4], usl=209.0)  # not the plan's n
    with pytest.raises(SpcInputError, match="measurements"):
        judge_lot(plan, [1.0, 2.0, np.nan, 4.0, 5.0], usl=209.0)
    with pytest.raises(SpcInputError, match="s = 0"):
        judge_lot(plan, [200.0] * 5, usl=209.0)
    with pytest.raises(SpcInputError, match="usl"):
        judge_lot(plan, EXAMPLE_B1, lsl=180.0, usl=209.0)
    with pytest.raises(SpcInputError, match="lsl"):
        judge_lot(plan, EXAMPLE_B1)
    with pytest.raises(SpcInputError, match="plan"):
        judge_lot(3, EXAMPLE_B1, usl=209.0)  # type: ignore[arg-type]


def test_judge_lot_with_designed_plan_pair() -> None:
    result = judge_lot((5, 1.53), EXAMPLE_B1, usl=209.0)
    assert result.accepted and result.k == 1.53
