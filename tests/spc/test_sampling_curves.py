"""OC, AOQ, ATI and AOQL curves of single plans, and plan design from two risk points."""

import numpy as np
import pytest
from scipy import stats

from qualitas.spc import SpcInputError
from qualitas.spc.sampling import aoq, aoql, ati, find_plan, oc_curve, sampling_plan


def test_montgomery_rectifying_inspection_n89_c2() -> None:
    """Montgomery, Introduction to Statistical Quality Control (6th ed.), section 15.2: the
    plan N = 10,000, n = 89, c = 2 at p = 0.01 has Pa = 0.9397, AOQ = 0.0093 and ATI = 687;
    its AOQ curve peaks near p = 0.025 at an AOQL of about 0.0155 (read off the book's
    figure, hence the looser tolerance)."""
    assert oc_curve(89, 2, 0.01) == pytest.approx(0.9397, abs=5e-5)
    assert aoq((89, 2), 0.01, 10_000) == pytest.approx(0.0093, abs=5e-5)
    assert ati((89, 2), 0.01, 10_000) == pytest.approx(687, abs=0.5)
    limit, at = aoql((89, 2), 10_000)
    assert limit == pytest.approx(0.0155, abs=4e-4)
    assert at == pytest.approx(0.025, abs=0.002)
    # the limit is the curve's maximum
    grid = np.linspace(0.001, 0.2, 400)
    assert aoq((89, 2), grid, 10_000).max() <= limit + 1e-12


def test_hypergeometric_oc_for_an_isolated_lot() -> None:
    """Type A OC curve (ISO 2859-2, Schilling and Neubauer ch. 3): a lot of N = 50 holding
    D = 5 nonconforming items, a sample of 10, accept on 0: C(45,10)/C(50,10) = 0.3106."""
    assert oc_curve(10, 0, 0.10, method="hypergeometric", lot_size=50) == pytest.approx(
        0.31056, abs=5e-5
    )
    # the binomial model (a process, or drawing with replacement) says 0.349 instead: the
    # difference matters when the sample is a large part of the lot
    assert oc_curve(10, 0, 0.10, method="binomial") == pytest.approx(0.9**10)
    plan = sampling_plan(50, 6.5)  # letter D, n 8, Ac 1
    hyper = oc_curve(plan, [0.0, 0.1, 0.2], method="hypergeometric")  # the plan's own lot
    assert hyper[0] == 1.0
    assert hyper[1] == pytest.approx(stats.hypergeom.cdf(1, 50, 5, 8))
    with pytest.raises(SpcInputError, match="lot_size"):
        oc_curve(10, 0, 0.1, method="hypergeometric")


def test_oc_curve_of_a_plan_object_equals_its_numbers() -> None:
    plan = sampling_plan(2000, 0.65)  # K: n 125, Ac 2
    p = np.linspace(0, 0.1, 11)
    np.testing.assert_allclose(oc_curve(plan, p), oc_curve(125, 2, p))
    np.testing.assert_allclose(oc_curve(plan, p, method="poisson"), stats.poisson.cdf(2, 125 * p))


def test_find_plan_meets_both_risk_points_with_the_smallest_sample() -> None:
    """AQL and LTPD in percent.  Montgomery's example (section 15.2.3): p1 = 0.01,
    1 - alpha = 0.95, p2 = 0.06, beta = 0.10; the binomial nomograph reads n = 89, c = 2,
    whose Pa(0.01) = 0.9397 (the book's own figure) falls just short of 0.95.  The exact
    search (as R's AcceptanceSampling find.plan) therefore needs c = 3; checked here by brute
    force over every smaller n."""
    assert stats.binom.cdf(2, 89, 0.01) < 0.95
    n, c = find_plan(1.0, 0.05, 6.0, 0.10)
    assert stats.binom.cdf(c, n, 0.01) >= 0.95 and stats.binom.cdf(c, n, 0.06) <= 0.10
    for smaller in range(1, n):
        assert not any(
            stats.binom.cdf(cc, smaller, 0.01) >= 0.95
            and stats.binom.cdf(cc, smaller, 0.06) <= 0.10
            for cc in range(smaller)
        )
    assert (n, c) == (110, 3)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: find_plan(5.0, 0.05, 1.0, 0.10), "ltpd"),
        (lambda: find_plan(0.0, 0.05, 6.0, 0.10), "aql"),
        (lambda: find_plan(1.0, 1.5, 6.0, 0.10), "alpha"),
        (lambda: oc_curve(10, 1, [0.1, -0.1]), "p:"),
        (lambda: oc_curve(10, 1, 0.1, method="normal"), "method"),
        (lambda: aoq((10, 1), 0.1, 0), "lot_size"),
        (lambda: aoq((100, 1), 0.1, 50), "lot_size"),
        (lambda: oc_curve(0, 1, 0.1), "n:"),
    ],
)
def test_bad_input_names_the_argument(call, argument) -> None:
    with pytest.raises(SpcInputError, match=argument):
        call()
