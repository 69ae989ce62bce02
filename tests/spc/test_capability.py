import json
import math

import numpy as np
import pytest
from scipy import stats
from spc_data import PISTON_RINGS

from qualitas.spc import SpcInputError, capability
from qualitas.spc.constants import d2


def test_piston_rings_capability_montgomery() -> None:
    # Montgomery (7th ed.) Example 6.1 continued (section 6.2.5): specifications
    # 74.000 +/- 0.05, sigma-hat = R-bar/d2 = 0.0099, Cp = 0.10 / (6 * 0.0099) = 1.68.
    cap = capability(PISTON_RINGS, lsl=73.95, usl=74.05)
    sigma = 0.02324 / d2(5)
    assert cap.sigma_within == pytest.approx(sigma, rel=1e-6)
    assert cap.sigma_within == pytest.approx(0.0099, abs=1e-4)
    # The book rounds sigma to 0.0099 before dividing (0.1 / 0.0594 = 1.68); unrounded 1.668.
    assert cap.cp == pytest.approx(1.68, abs=0.015)
    assert cap.cp == pytest.approx(0.1 / (6 * sigma))
    mean = np.mean(PISTON_RINGS)
    assert cap.cpk == pytest.approx(min(74.05 - mean, mean - 73.95) / (3 * sigma))
    assert cap.target == pytest.approx(74.0)
    assert cap.cpm == pytest.approx(cap.cp / math.sqrt(1 + ((mean - 74.0) / sigma) ** 2))
    assert cap.n == 125


def test_confidence_intervals_follow_qcc_formulas() -> None:
    # Formulas as in qcc's process.capability (Montgomery section 8.3.5 / Kotz & Johnson),
    # evaluated here independently.
    rng = np.random.default_rng(2)
    x = rng.normal(10.0, 0.5, 60)
    cap = capability(x, lsl=8.0, usl=12.5, target=10.2, confidence=0.9)
    n = 60
    sigma = np.mean(np.abs(np.diff(x))) / (2 / math.sqrt(math.pi))
    cp = 4.5 / (6 * sigma)
    lo = cp * math.sqrt(stats.chi2.ppf(0.05, n - 1) / (n - 1))
    hi = cp * math.sqrt(stats.chi2.ppf(0.95, n - 1) / (n - 1))
    assert cap.cp_ci == pytest.approx((lo, hi))
    z = stats.norm.ppf(0.95)
    cpk = cap.cpk
    half = z * math.sqrt(1 / (9 * n * cpk**2) + 1 / (2 * (n - 1)))
    assert cap.cpk_ci == pytest.approx((cpk * (1 - half), cpk * (1 + half)))
    dev = (x.mean() - 10.2) / sigma
    df = n * (1 + dev**2) / (1 + 2 * dev**2)
    cpm = cp / math.sqrt(1 + dev**2)
    assert cap.cpm == pytest.approx(cpm)
    assert cap.cpm_ci == pytest.approx(
        (
            cpm * math.sqrt(stats.chi2.ppf(0.05, df) / df),
            cpm * math.sqrt(stats.chi2.ppf(0.95, df) / df),
        )
    )
    assert cap.pp == pytest.approx(4.5 / (6 * x.std(ddof=1)))


def test_ppm_expected_and_observed() -> None:
    x = np.array([9.0, 9.5, 10.0, 10.5, 11.0, 12.5, 7.0, 10.2])
    cap = capability(x, lsl=8.0, usl=12.0, sigma=1.0)
    assert cap.ppm_below_within == pytest.approx(stats.norm.cdf((8 - x.mean()) / 1.0) * 1e6)
    assert cap.ppm_above_within == pytest.approx(stats.norm.sf((12 - x.mean()) / 1.0) * 1e6)
    assert cap.ppm_below_observed == pytest.approx(1 / 8 * 1e6)
    assert cap.ppm_total_observed == pytest.approx(2 / 8 * 1e6)
    s = x.std(ddof=1)
    assert cap.ppm_total_overall == pytest.approx(
        (stats.norm.cdf((8 - x.mean()) / s) + stats.norm.sf((12 - x.mean()) / s)) * 1e6
    )


def test_one_sided_specification() -> None:
    x = np.linspace(1, 2, 30)
    cap = capability(x, usl=3.0)
    assert cap.cp is None and cap.cpl is None and cap.cpm is None and cap.pp is None
    assert cap.cpk == cap.cpu
    assert cap.ppm_below_within is None
    json.dumps(cap.to_dict())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one specification"),
        ({"lsl": 5.0, "usl": 5.0}, "LSL .* below USL"),
        ({"lsl": 1.0, "confidence": 1.5}, "confidence"),
        ({"lsl": 1.0, "sigma": -1.0}, "sigma"),
    ],
)
def test_capability_errors(kwargs, message) -> None:
    with pytest.raises(SpcInputError, match=message):
        capability([1.0, 2.0, 3.0], **kwargs)


# R qcc, tests/testthat/test-capability.R: 3 subgroups of 4, specifications 9.9 .. 10.1.
QCC_GROUPS = [[10.00, 10.02, 9.98, 10.01], [10.03, 9.99, 10.01, 10.00], [9.97, 10.04, 10.02, 9.99]]
QCC_SIGMA = 0.05 / 2.059  # R-bar / d2(4) with qcc's table value 2.059 (ours computes 2.05875)


def test_two_sided_intervals_match_qcc_test_suite() -> None:
    # qcc's expected "Two-sided on-target case" (target 10.0) and "off-target case" (10.02).
    cap = capability(QCC_GROUPS, lsl=9.9, usl=10.1, sigma=QCC_SIGMA)
    assert cap.cp == pytest.approx(1.372667, abs=1e-6)
    assert cap.cp_ci == pytest.approx((0.808460, 1.937713), abs=1e-6)
    assert cap.cpk == pytest.approx(1.304033, abs=1e-6)
    assert cap.cpk_ci == pytest.approx((0.727408, 1.880659), abs=1e-6)
    assert cap.cpm == pytest.approx(1.344463, abs=1e-6)
    assert cap.cpm_ci == pytest.approx((0.804207, 1.885321), abs=1e-6)
    assert (cap.pp, cap.ppl, cap.ppk) == pytest.approx((1.612598, 1.693228, 1.531968), abs=1e-6)
    off = capability(QCC_GROUPS, lsl=9.9, usl=10.1, target=10.02, sigma=QCC_SIGMA)
    assert off.cpm == pytest.approx(1.167834, abs=1e-6)
    assert off.cpm_ci == pytest.approx((0.650542, 1.686689), abs=1e-6)
    # Lower specification only: qcc's Cp_k row (two-sided z = 1.96) equals our Cpl interval.
    low = capability(QCC_GROUPS, lsl=9.9, sigma=QCC_SIGMA)
    assert low.cpk_ci == pytest.approx((0.810191, 2.072409), abs=1e-6)


def test_lower_bounds_match_qcc_one_sided_cpl_cpu() -> None:
    # qcc computes its Cp_l and Cp_u limits with qnorm(confidence.level), i.e. z_0.95 for
    # 95 %: their lower ends are one-sided 95 % lower bounds (qcc test suite values).
    cap = capability(QCC_GROUPS, lsl=9.9, usl=10.1, sigma=QCC_SIGMA, bound="lower")
    assert cap.bound == "lower"
    assert cap.cpl_ci == pytest.approx((0.911657, math.inf), abs=1e-6)
    assert cap.cpu_ci == pytest.approx((0.820114, math.inf), abs=1e-6)
    assert cap.cpk_ci == pytest.approx((0.820114, math.inf), abs=1e-6)  # Cpk = Cpu here
    low = capability(QCC_GROUPS, lsl=9.9, sigma=QCC_SIGMA, bound="lower")
    assert low.cpk_ci == pytest.approx((0.911657, math.inf), abs=1e-6)
    out = cap.to_dict()
    assert out["cpk_ci"][1] is None and out["cp_ci"][1] is None and out["cpm_ci"][1] is None
    json.dumps(out, allow_nan=False)
    # Overall (Pp-type) indices have no interval; the two-sided default is unchanged.
    assert capability(QCC_GROUPS, lsl=9.9, usl=10.1).bound == "two-sided"


def _sample(mean: float, n: int = 20) -> np.ndarray:
    """n values with the given mean (sigma is passed as known, as in the book's examples)."""
    offsets = np.linspace(-1.0, 1.0, n)
    return mean + offsets - offsets.mean()


def test_montgomery_cp_and_cpk_intervals_and_lower_bounds() -> None:
    # Montgomery, Introduction to SQC (7th ed.), section 8.3.5 worked examples: USL 62,
    # LSL 38, n = 20, s = 1.75, Cp = 2.29 with 95 % CI 1.57 <= Cp <= 3.01; and n = 20,
    # Cpk = 1.33 with 95 % CI 0.88 <= Cpk <= 1.78.
    cap = capability(_sample(50.0), lsl=38.0, usl=62.0, sigma=1.75)
    assert cap.cp == pytest.approx(2.29, abs=0.005)
    # The book multiplies the rounded Cp 2.29 (2.29 * 0.685 = 1.57); unrounded 24 / 10.5 =
    # 2.2857 gives 1.565 and 3.006.
    assert cap.cp_ci == pytest.approx((1.57, 3.01), abs=0.006)
    mean = 38.0 + 1.33 * 3 * 1.75  # puts Cpk at 1.33
    cpk = capability(_sample(mean), lsl=38.0, usl=62.0, sigma=1.75)
    assert cpk.cpk == pytest.approx(1.33)
    assert cpk.cpk_ci == pytest.approx((0.88, 1.78), abs=0.005)
    # A one-sided 97.5 % lower bound uses the same quantile as the two-sided 95 % interval
    # (z = 1.96, chi-square 2.5 % point), so it is the book's lower end.
    lower = capability(_sample(mean), lsl=38.0, usl=62.0, sigma=1.75, bound="lower",
                       confidence=0.975)  # fmt: skip
    assert lower.cpk_ci[0] == pytest.approx(0.88, abs=0.005)
    assert lower.cpk_ci[1] == math.inf
    assert lower.cp_ci is not None and lower.cpk_ci is not None
    assert lower.cp_ci == pytest.approx((cpk.cp_ci[0], math.inf))


def test_quality_digest_cpk_interval() -> None:
    # Quality Digest, May 2000, "Last Word": Cpk = 1.15 from n = 45, 95 % confident it is
    # between 0.89 and 1.41.
    mean = 10.0 + 1.15 * 3  # LSL 10, sigma 1 -> Cpl = 1.15; USL far away
    cap = capability(_sample(mean, 45), lsl=10.0, usl=30.0, sigma=1.0)
    assert cap.cpk == pytest.approx(1.15)
    assert cap.cpk_ci == pytest.approx((0.89, 1.41), abs=0.005)
