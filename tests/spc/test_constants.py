import math

import numpy as np
import pytest
from scipy import stats

from qualitas.spc import SpcInputError
from qualitas.spc.constants import c4, d2, d3, range_rms

# Classic table of control chart constants, n = 2..25 (Montgomery, Introduction to
# SQC, Appendix Table VI; identical in ASTM E2587): d2 and d3 to 3 decimals, c4 to 4.
D2 = [
    1.128,
    1.693,
    2.059,
    2.326,
    2.534,
    2.704,
    2.847,
    2.970,
    3.078,
    3.173,
    3.258,
    3.336,
    3.407,
    3.472,
    3.532,
    3.588,
    3.640,
    3.689,
    3.735,
    3.778,
    3.819,
    3.858,
    3.895,
    3.931,
]
D3 = [
    0.853,
    0.888,
    0.880,
    0.864,
    0.848,
    0.833,
    0.820,
    0.808,
    0.797,
    0.787,
    0.778,
    0.770,
    0.763,
    0.756,
    0.750,
    0.744,
    0.739,
    0.734,
    0.729,
    0.724,
    0.720,
    0.716,
    0.712,
    0.708,
]
C4 = [
    0.7979,
    0.8862,
    0.9213,
    0.9400,
    0.9515,
    0.9594,
    0.9650,
    0.9693,
    0.9727,
    0.9754,
    0.9776,
    0.9794,
    0.9810,
    0.9823,
    0.9835,
    0.9845,
    0.9854,
    0.9862,
    0.9869,
    0.9876,
    0.9882,
    0.9887,
    0.9892,
    0.9896,
]


@pytest.mark.parametrize("n", range(2, 26))
def test_constants_match_the_classic_table(n: int) -> None:
    assert d2(n) == pytest.approx(D2[n - 2], abs=6e-4)
    assert d3(n) == pytest.approx(D3[n - 2], abs=6e-4)
    assert c4(n) == pytest.approx(C4[n - 2], abs=6e-5)


def test_exact_closed_forms() -> None:
    # d2(2) = 2 / sqrt(pi) and E[R^2] = 2 for two normals (|X1 - X2| ~ half-normal, var 2).
    assert d2(2) == pytest.approx(2 / math.sqrt(math.pi), rel=1e-12)
    assert d3(2) == pytest.approx(math.sqrt(2 - 4 / math.pi), rel=1e-9)
    assert range_rms(2) == pytest.approx(math.sqrt(2), rel=1e-9)
    # c4(2) = sqrt(2/pi)
    assert c4(2) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)


def test_beyond_the_table_against_simulation() -> None:
    # Independent check for n = 40 (beyond every printed table) by Monte Carlo.
    rng = np.random.default_rng(7)
    r = np.ptp(rng.standard_normal((200_000, 40)), axis=1)
    assert d2(40) == pytest.approx(r.mean(), abs=0.01)
    assert d3(40) == pytest.approx(r.std(), abs=0.01)


def test_d2_matches_expected_range_by_order_statistics() -> None:
    # E[R] = E[max] - E[min] = 2 E[max]; E[max] by direct quadrature of x * n phi Phi^(n-1).
    from scipy import integrate

    n = 7
    emax = integrate.quad(
        lambda x: x * n * stats.norm.pdf(x) * stats.norm.cdf(x) ** (n - 1), -12, 12
    )[0]
    assert d2(n) == pytest.approx(2 * emax, rel=1e-9)


def test_arrays_and_errors() -> None:
    np.testing.assert_allclose(d2([2, 5, 2]), [d2(2), d2(5), d2(2)])
    with pytest.raises(SpcInputError, match="at least 2"):
        d2(1)
    with pytest.raises(SpcInputError, match="whole number"):
        c4([2, 3.5])
