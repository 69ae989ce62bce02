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
