"""Double and multiple sampling plans (qualitas.spc.multiple).

Table cells are typed from AQLSchemes (J. S. Lawson, CRAN; R/AAZ14Double.R and
R/AAZ14Multiple.R, which transcribe MIL-STD-105E Tables III and IV), read as printed grids
(sample size: Ac1, Re1, Ac2, Re2).  Second sources for cells:

* AS 1199.1-2003 (identical to ISO 2859-1:1999), quoted in the vignette of the R package
  AcceptanceSampling (A. Kiermeier, J. Stat. Softw. 2008, Table "Double sampling under normal
  inspection for AQL = 4.0 % and lot sizes of 51 to 90 (Plan E)"): n 8, Ac 0 Re 2; n 8, Ac 1
  Re 2.  This is the only cell with an independent second source; every other cell rests on
  AQLSchemes plus the diagonal layout (the engine and AQLSchemes agree on every cell except
  the corners and AQLSchemes slips listed in multiple.py's docstring).
* Montgomery's MIL-STD-105E example (lot 2000, AQL 0.65 %, letter K; single reduced n 50,
  Ac 1 Re 3) sits on the same diagonal as the reduced multiple plan checked below.

OC and ASN values are from: Montgomery, Introduction to Statistical Quality Control,
section "Double sampling" (n1 50, c1 1, n2 100, c2 3, p 0.05: Pa = 0.279 + 0.011 = 0.290);
SAS/QC documentation, functions PROBACC2 and ASN2 (examples printed to ten digits); a
University of Southampton worked exercise (edshare.soton.ac.uk/id/document/6747, "Factory
B"); and a textbook exercise on a lot of 25 items (reproduced at homeworksource.com/p/1034384).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from qualitas.spc import SpcInputError
from qualitas.spc.multiple import (
    DoublePlan,
    MultiplePlan,
    TableSubstitute,
    accept_probability,
    asn,
    double_plan,
    multiple_plan,
    stage_acceptance,
)
from qualitas.spc.sampling import SamplingPlan, oc_curve, sampling_plan


def _numbers(plan: DoublePlan | TableSubstitute) -> tuple[int, int, int, int, int]:
    assert isinstance(plan, DoublePlan) and plan.n1 == plan.n2
    return plan.n1, plan.ac1, plan.re1, plan.ac2, plan.re2


# --- Tables III-A/B/C (double) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("lot", "aql", "inspection", "letter", "expected"),
    [
        # AS 1199.1-2003 Plan E, AQL 4.0 (Kiermeier) = AQLSchemes E / 4.0.
        (60, 4.0, "normal", "E", (8, 0, 2, 1, 2)),
        # The brief's cell: letter L, AQL 1.0, normal: n1 = n2 = 125.
        (10000, 1.0, "normal", "L", (125, 2, 5, 6, 7)),
        (2000, 0.65, "normal", "K", (80, 0, 3, 3, 4)),
        (2000, 1.0, "tightened", "K", (80, 0, 3, 3, 4)),
        (10000, 4.0, "tightened", "L", (125, 6, 10, 15, 16)),
        # Arrows: F / 1.5 points down to G (n 20); K / 15 points up to J (n 50).
        (100, 1.5, "normal", "G", (20, 0, 2, 1, 2)),
        (2000, 15, "normal", "J", (50, 11, 16, 26, 27)),
        (10, 1000, "tightened", "B", (2, 23, 29, 52, 53)),
    ],
)
def test_double_table_cells(
    lot: int, aql: float, inspection: str, letter: str, expected: tuple[int, ...]
) -> None:
    plan = double_plan(lot, aql, inspection=inspection, standard="z1.4")
    assert isinstance(plan, DoublePlan)
    assert plan.plan_letter == letter
    assert _numbers(plan) == expected
    assert plan.cumulative_sizes == (expected[0], 2 * expected[0])
    # ISO 2859-1:1999 shares the normal and tightened double tables.
    iso = double_plan(lot, aql, inspection=inspection)
    assert isinstance(iso, DoublePlan)
    assert _numbers(iso) == expected and iso.standard == "iso2859-1"


def test_double_reduced_z14_cells() -> None:
    # AQLSchemes Table III-C: K / 0.65 -> n 32, 0 3 / 0 4 (the single reduced 1/3 diagonal of
    # Montgomery's example); the last Re exceeds Ac + 1 as in the printed reduced table.
    plan = double_plan(2000, 0.65, inspection="reduced", standard="z1.4")
    assert isinstance(plan, DoublePlan)
    assert _numbers(plan) == (32, 0, 3, 0, 4)
    # D / 250 (letter D reduced double n 2): 7 12 / 18 22; E / 400 points up to D: 11 17 26 30.
    assert _numbers(double_plan(40, 250, inspection="reduced", standard="z1.4")) == (
        2,
        7,
        12,
        18,
        22,
    )
    assert _numbers(double_plan(60, 400, inspection="reduced", standard="z1.4")) == (
        2,
        11,
        17,
        26,
        30,
    )


def test_double_asterisk_returns_the_single_plan() -> None:
    # Table III-A: K / 0.10 is "*" (the single table has Ac 0 Re 1 there).
    sub = double_plan(2000, 0.10)
    assert isinstance(sub, TableSubstitute)
    assert sub.symbols == ("*",) and sub.uses_single
    assert sub.plan == sampling_plan(2000, 0.10, standard="iso2859-1")
    assert isinstance(sub.plan, SamplingPlan)
    assert (sub.plan.sample_size, sub.plan.acceptance_number) == (125, 0)
    # F / 1.0 is an up arrow onto the "*" of E; letter A has no double plan at all.
    assert isinstance(double_plan(100, 1.0), TableSubstitute)
    row_a = double_plan(5, 25)
    assert isinstance(row_a, TableSubstitute)
    assert row_a.plan == sampling_plan(5, 25)
    json.dumps(row_a.to_dict())


def test_double_tightened_letter_s() -> None:
    # Table III-B: R / 0.025 points down to the tightened-only letter S (n 2000), AQLSchemes.
    plan = double_plan(600000, 0.025, level="III", inspection="tightened", standard="z1.4")
    assert isinstance(plan, DoublePlan)
    assert (plan.code_letter, plan.plan_letter) == ("R", "S")
    assert _numbers(plan) == (2000, 0, 2, 1, 2)


# --- Tables IV-A/B/C (multiple, seven stages in MIL-STD-105E / Z1.4) ----------------------


def test_multiple_normal_l_one_percent() -> None:
    # AQLSchemes Table IV-A, L / 1.0: n 50 per stage, # 1 2 3 5 7 9 / 4 5 6 7 8 9 10.
    plan = multiple_plan(10000, 1.0, standard="z1.4")
    assert isinstance(plan, MultiplePlan)
    assert plan.sample_sizes == (50,) * 7
    assert plan.cumulative_sizes == (50, 100, 150, 200, 250, 300, 350)
    assert plan.acceptance_numbers == (None, 1, 2, 3, 5, 7, 9)
    assert plan.rejection_numbers == (4, 5, 6, 7, 8, 9, 10)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["acceptance_numbers"][0] is None and data["kind"] == "multiple"


@pytest.mark.parametrize(
    ("lot", "aql", "inspection", "n", "accepts", "rejects"),
    [
        # IV-A K / 0.65 (n 32): # 0 0 1 2 3 4 / 2 3 3 4 4 5 5.
        (2000, 0.65, "normal", 32, (None, 0, 0, 1, 2, 3, 4), (2, 3, 3, 4, 4, 5, 5)),
        # IV-B L / 4.0 (n 50): 0 3 7 10 14 18 21 / 6 9 12 15 17 20 22.
        (10000, 4.0, "tightened", 50, (0, 3, 7, 10, 14, 18, 21), (6, 9, 12, 15, 17, 20, 22)),
        # IV-C K / 0.65 (n 13): # # 0 0 0 1 1 / 2 3 3 4 4 5 5 (final gap, reduced).
        (2000, 0.65, "reduced", 13, (None, None, 0, 0, 0, 1, 1), (2, 3, 3, 4, 4, 5, 5)),
    ],
)
def test_multiple_table_cells(
    lot: int,
    aql: float,
    inspection: str,
    n: int,
    accepts: tuple[int | None, ...],
    rejects: tuple[int, ...],
) -> None:
    plan = multiple_plan(lot, aql, inspection=inspection, standard="mil-std-105e")
    assert isinstance(plan, MultiplePlan)
    assert plan.sample_sizes == (n,) * 7
    assert plan.acceptance_numbers == accepts
    assert plan.rejection_numbers == rejects


def test_multiple_double_and_single_substitutes() -> None:
    # IV-A: letter C has no multiple plan: C / 10 is "++" (use the double plan, III-A C / 10:
    # n 3, 0 2 / 1 2); A / 10 is "++" where III-A has "*"; A / 25 is "*"; C / 4.0 is "*".
    sub = multiple_plan(20, 10, standard="z1.4")
    assert isinstance(sub, TableSubstitute) and sub.symbols == ("++",)
    assert isinstance(sub.plan, DoublePlan) and _numbers(sub.plan) == (3, 0, 2, 1, 2)
    chained = multiple_plan(5, 10, standard="z1.4")
    assert isinstance(chained, TableSubstitute) and chained.symbols == ("++", "*")
    assert chained.uses_single
    for lot, aql in ((5, 25), (20, 4.0)):
        star = multiple_plan(lot, aql, standard="z1.4")
        assert isinstance(star, TableSubstitute) and star.symbols == ("*",)
        assert star.plan == sampling_plan(lot, aql, standard="z1.4")
    # The columns AQL 650 and 1000 are "++" for every letter.
    assert multiple_plan(10000, 650, standard="z1.4").symbols == ("++",)  # type: ignore[union-attr]


def test_five_versus_seven_stages() -> None:
    # MIL-STD-105E (and Z1.4, which keeps its tables) has seven stages; ISO 2859-1:1999 five,
    # which are not encoded: the ISO standard (the default) refuses rather than answer wrongly.
    assert len(multiple_plan(10000, 1.0, standard="z1.4").stages) == 7
    for standard in ("iso2859-1", "ISO 2859-1:1999"):
        with pytest.raises(SpcInputError, match=r"standard.*five"):
            multiple_plan(10000, 1.0, standard=standard)
    with pytest.raises(SpcInputError, match="standard"):
        multiple_plan(10000, 1.0)
    with pytest.raises(SpcInputError, match="standard"):
        double_plan(2000, 0.65, inspection="reduced")


def test_hundred_percent_flag() -> None:
    # Lot of 20, level II: letter C; C / 6.5 points down to D (double n 5): 5 < 20.  Lot of
    # 4 (letter A) at AQL 10 tightened: III-B points down to D (n 5) >= 4.
    assert not double_plan(20, 6.5).hundred_percent  # type: ignore[union-attr]
    plan = double_plan(4, 10, inspection="tightened")
    assert isinstance(plan, DoublePlan) and plan.hundred_percent and plan.n1 == 5


# --- OC and ASN ---------------------------------------------------------------------------


def test_montgomery_double_sampling_oc() -> None:
    # Montgomery: n1 50, c1 1, n2 100, c2 3, p 0.05: Pa(I) = 0.279, Pa(II) = 0.011, Pa = 0.290.
    plan = DoublePlan(n1=50, ac1=1, re1=4, n2=100, ac2=3, re2=4)
    sizes, accepted = stage_acceptance(plan, 0.05)
    assert sizes == [50, 150]
    assert float(accepted[0]) == pytest.approx(0.279, abs=5e-4)
    assert float(accepted[1]) == pytest.approx(0.011, abs=5e-4)
    assert float(accept_probability(plan, 0.05)) == pytest.approx(0.290, abs=5e-4)
    # A huge isolated lot behaves like the binomial process (Montgomery's type B).
    big = accept_probability(plan, 0.05, method="hypergeometric", lot_size=1_000_000)
    assert float(big) == pytest.approx(0.290, abs=5e-4)


def test_sas_probacc2_and_asn2_binomial() -> None:
    # SAS/QC: probacc2(0,2,1,13,13,0.18) = 0.0921738126; asn2('full',0,2,1,13,13,0.18) =
    # 15.811418112.  That is the MIL-STD-105E double plan of letter F at AQL 2.5 (n 13, 0 2 / 1 2).
    plan = double_plan(100, 2.5, standard="z1.4")
    assert isinstance(plan, DoublePlan) and _numbers(plan) == (13, 0, 2, 1, 2)
    assert float(accept_probability(plan, 0.18)) == pytest.approx(0.0921738126, abs=1e-10)
    assert float(asn(plan, 0.18)) == pytest.approx(15.811418112, abs=1e-9)
    # The same plan written as a two-stage multiple plan gives the same numbers.
    as_multiple = MultiplePlan((13, 13), (0, 1), (2, 2))
    assert float(accept_probability(as_multiple, 0.18)) == pytest.approx(0.0921738126, abs=1e-10)
    assert float(asn(as_multiple, 0.18)) == pytest.approx(15.811418112, abs=1e-9)


def test_southampton_factory_b() -> None:
    # Worked answer: P(accept) = (1-p)^5 + 5p(1-p)^9; ASN = 5 + 25p(1-p)^4, largest at p = 0.2
    # where it is 5 + 5 x 0.8^4 = 7.048 (binomial), and the Poisson analogue
    # e^{-5p} + 5p e^{-10p} (same derivation with Poisson counts).
    plan = DoublePlan(n1=5, ac1=0, re1=2, n2=5, ac2=1, re2=2)
    p = np.array([0.01, 0.05, 0.1, 0.2, 0.5])
    expected = (1 - p) ** 5 + 5 * p * (1 - p) ** 9
    np.testing.assert_allclose(accept_probability(plan, p), expected, rtol=1e-12)
    np.testing.assert_allclose(asn(plan, p), 5 + 25 * p * (1 - p) ** 4, rtol=1e-12)
    assert float(asn(plan, 0.2)) == pytest.approx(7.048, abs=1e-12)
    poisson = np.exp(-5 * p) + 5 * p * np.exp(-10 * p)
    np.testing.assert_allclose(accept_probability(plan, p, method="poisson"), poisson, rtol=1e-12)


def test_hypergeometric_second_sample_from_the_rest_of_the_lot() -> None:
    # Lot of 25 with 2 defective: reject on any defective in 5 (no acceptance after stage 1),
    # else 10 more from the remaining 20, accept if none.  By hand: C(23,5)/C(25,5) x
    # C(18,10)/C(20,10) = 380/600 x 90/380 = 0.15, the single plan n 15, c 0 (part b).
    plan = MultiplePlan(
        sample_sizes=(5, 10), acceptance_numbers=(None, 0), rejection_numbers=(1, 1)
    )
    assert float(accept_probability(plan, 2 / 25, method="hypergeometric", lot_size=25)) == (
        pytest.approx(0.15, abs=1e-12)
    )
    assert float(asn(plan, 2 / 25, method="hypergeometric", lot_size=25)) == pytest.approx(
        5 + 10 * 380 / 600, abs=1e-12
    )


def test_hypergeometric_follows_kenett_zacks_not_sas() -> None:
    """Two references disagree on isolated-lot (type A) double sampling.  Kenett and Zacks
    (Modern Industrial Statistics, double-sampling OC: H(c1; N, M, n1) + sum_j h(j; N, M, n1)
    H(c3 - j; N - n1, M - j, n2)) draw the second sample from what is left of the lot, which is
    what happens physically; SAS/QC PROBACC2(1,4,3,50,100,10,200) = 0.2396723824 draws both
    samples from the full lot.  We follow Kenett and Zacks (the lot-of-25 exercise above is
    exact only that way); the formula is evaluated here with SciPy, independently of the
    engine's recursion."""
    lot, bad, n1, n2 = 200, 10, 50, 100
    first = stats.hypergeom(lot, bad, n1)
    formula = first.cdf(1) + sum(
        first.pmf(j) * stats.hypergeom(lot - n1, bad - j, n2).cdf(3 - j) for j in (2, 3)
    )
    plan = DoublePlan(n1=n1, ac1=1, re1=4, n2=n2, ac2=3, re2=4, lot_size=lot)
    ours = float(accept_probability(plan, bad / lot, method="hypergeometric"))
    assert ours == pytest.approx(formula, abs=1e-12)
    assert abs(ours - 0.2396723824) > 1e-3  # not SAS's full-lot second sample


def test_curtailed_multiple_plan_equals_single_zero_acceptance() -> None:
    # Reject at the first nonconforming item, accept only after all three stages: the single
    # plan n 3, c 0, OC (1 - p)^3 (Montgomery, single sampling OC).
    plan = MultiplePlan((1, 1, 1), (None, None, 0), (1, 1, 1))
    p = np.linspace(0, 1, 11)
    np.testing.assert_allclose(accept_probability(plan, p), (1 - p) ** 3, atol=1e-15)
    np.testing.assert_allclose(asn(plan, p), 1 + (1 - p) + (1 - p) ** 2, atol=1e-15)


def test_multiple_asn_with_no_acceptance_at_stage_one() -> None:
    # IV-A L / 1.0 starts "#": a perfect lot is accepted at stage 2, ASN 100; a lot of only
    # nonconforming items is rejected at stage 1, ASN 50.
    plan = multiple_plan(10000, 1.0, standard="z1.4")
    np.testing.assert_allclose(asn(plan, [0.0, 1.0]), [100.0, 50.0], atol=1e-12)
    np.testing.assert_allclose(accept_probability(plan, [0.0, 1.0]), [1.0, 0.0], atol=1e-15)
    oc = accept_probability(plan, np.linspace(0, 0.2, 41))
    assert np.all(np.diff(oc) <= 1e-15)


def test_reduced_gap_accepts_below_re() -> None:
    # Z1.4 / MIL-STD-105E reduced inspection: after the last sample, Ac < d < Re accepts the
    # lot (normal inspection reinstated), so 0 3 / 0 4 has the OC of 0 3 / 3 4.
    gap = double_plan(2000, 0.65, inspection="reduced", standard="z1.4")
    same = DoublePlan(n1=32, ac1=0, re1=3, n2=32, ac2=3, re2=4)
    p = np.linspace(0, 0.3, 7)
    np.testing.assert_allclose(accept_probability(gap, p), accept_probability(same, p))


def test_vectorised_shapes_and_substitutes() -> None:
    plan = double_plan(10000, 1.0)
    grid = np.full((2, 3), 0.02)
    assert accept_probability(plan, grid).shape == (2, 3)
    assert asn(plan, 0.02).shape == ()
    # A "*" substitute evaluates as its single plan (binomial cdf), also through oc_curve.
    sub = double_plan(2000, 0.10)
    expected = stats.binom.cdf(0, 125, [0.001, 0.01])
    np.testing.assert_allclose(accept_probability(sub, [0.001, 0.01]), expected, rtol=1e-12)
    np.testing.assert_allclose(oc_curve(sub, [0.001, 0.01]), expected, rtol=1e-12)
    np.testing.assert_allclose(
        oc_curve(plan, [0.01, 0.05]), accept_probability(plan, [0.01, 0.05]), rtol=1e-15
    )


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lot_size": 1000, "aql": 0.3}, "aql"),
        ({"lot_size": 0, "aql": 1.0}, "lot_size"),
        ({"lot_size": 10.5, "aql": 1.0}, "lot_size"),
        ({"lot_size": 1000, "aql": 1.0, "inspection": "strict"}, "inspection"),
        ({"lot_size": 1000, "aql": 1.0, "standard": "bs6001"}, "standard"),
        ({"lot_size": 1000, "aql": 1.0, "level": "IV"}, "level"),
    ],
)
def test_bad_table_input(kwargs: dict[str, Any], name: str) -> None:
    for build in (double_plan, multiple_plan):
        with pytest.raises(SpcInputError, match=name):
            build(**{"standard": "z1.4", **kwargs})


def test_bad_plan_and_probability_input() -> None:
    plan = DoublePlan(n1=50, ac1=1, re1=4, n2=100, ac2=3, re2=4)
    with pytest.raises(SpcInputError, match="re1"):
        DoublePlan(n1=10, ac1=2, re1=3, n2=10, ac2=4, re2=5)
    with pytest.raises(SpcInputError, match="n2"):
        DoublePlan(n1=10, ac1=0, re1=2, n2=0, ac2=1, re2=2)
    with pytest.raises(SpcInputError, match=r"acceptance_numbers\[1\]"):
        MultiplePlan((5, 5), (None, None), (2, 2))
    with pytest.raises(SpcInputError, match="rejection_numbers"):
        MultiplePlan((5,), (0,), (1,))
    with pytest.raises(SpcInputError, match="p"):
        accept_probability(plan, -0.1)
    with pytest.raises(SpcInputError, match="p"):
        accept_probability(plan, 1.5)
    with pytest.raises(SpcInputError, match="p"):
        asn(plan, math.nan)
    with pytest.raises(SpcInputError, match="method"):
        accept_probability(plan, 0.1, method="normal")
    with pytest.raises(SpcInputError, match="lot_size"):
        accept_probability(plan, 0.1, method="hypergeometric")
    with pytest.raises(SpcInputError, match="lot_size"):
        accept_probability(plan, 0.1, method="hypergeometric", lot_size=100)
    with pytest.raises(SpcInputError, match="plan"):
        accept_probability("n=50", 0.1)
