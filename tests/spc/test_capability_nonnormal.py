"""Capability of non-normal data: Anderson-Darling, Box-Cox, Johnson, Clements' percentiles.

Every expected number is typed from the source named in the test.
"""

import json
import math

import numpy as np
import pytest
from scipy import stats
from spc_data import PISTON_RINGS

from qualitas.spc import SpcInputError, capability
from qualitas.spc.nonnormal import (
    JohnsonFit,
    ad_p_value,
    anderson_darling,
    boxcox,
    boxcox_lambda,
    johnson_fit,
)

# statsmodels' test_statstools.py: "a random array, rounded to 4 decimals", with the
# Anderson-Darling statistic and p-value that R (fBasics adTest, the nortest code) gives.
SM_X = np.array(
    [-0.1184, -1.3403, 0.0063, -0.612, -0.3869, -0.2313, -2.8485, -0.2167, 0.4153, 1.8492,
     -0.3706, 0.9726, -0.1501, -0.0337, -1.4423, 1.2489, 0.9182, -0.2331, -0.6182, 0.183]
)  # fmt: skip

# R's datasets::mtcars$mpg (Henderson and Velleman 1981), row order of the data set.
MTCARS_MPG = [
    21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4,
    10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7,
    15.0, 21.4,
]  # fmt: skip

# DolphinDB manual, function boxcox: the example data and its printed output.
DOLPHIN_X = [1.5, 2.3, 3.1, 4.8, 5.5, 6.7, 8.2, 9.0, 10.1, 12.4]
DOLPHIN_Y = [0.4541, 1.0562, 1.5689, 2.4892, 2.82394, 3.3559, 3.9636, 4.267, 4.6653, 5.4393]


# --- Anderson-Darling ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("transform", "a2", "p"),
    [
        (lambda x: x, 0.5867235358882148, 0.1115380760041617),
        (lambda x: x**2, 2.976266267594575, 8.753003709960645e-08),
        (lambda x: np.log(x**2), 0.4892557856308528, 0.1968040759316307),
        (lambda x: np.exp(-(x**2)), 1.4599014654282669312, 0.0006380009232897535),
    ],
)
def test_anderson_darling_matches_r_values_recorded_by_statsmodels(transform, a2, p) -> None:
    # statsmodels/stats/tests/test_statstools.py::test_adnorm, "tests against R fBasics".
    result = anderson_darling(transform(SM_X))
    assert result.n == 20
    assert result.a2 == pytest.approx(a2, rel=1e-10)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    # Stephens' small-sample adjustment, as documented for nortest::ad.test.
    assert result.a2_adjusted == pytest.approx(a2 * (1 + 0.75 / 20 + 2.25 / 400))


def test_anderson_darling_mtcars_mpg() -> None:
    # finnstats, "Anderson-Darling Test in R" (2021): ad.test(mtcars$mpg) gives A = 0.57968.
    assert anderson_darling(MTCARS_MPG).a2 == pytest.approx(0.57968, abs=5e-6)


@pytest.mark.parametrize(
    ("a2", "n", "p"),
    [
        (0.84479, 100, 0.02864),  # nortest 1.0-4 reference page, rnorm example
        (1.8342, 100, 0.0001015),  # nortest 1.0-4 reference page, runif example
        (0.182, 100, 0.9104),  # gmeans::ad.test reference page (nortest code), rnorm
        (1.3941, 100, 0.001244),  # gmeans::ad.test reference page, runif
        (0.16021, 100, 0.9471),  # Statology, "Anderson-Darling Test in R", rnorm(100)
    ],
)
def test_anderson_darling_p_value_from_published_r_output(a2, n, p) -> None:
    # The p-value depends only on A and n (Stephens 1986 Table 4.9), so R's printed
    # pairs check every branch of the formula that they reach (A* < 0.2 and >= 0.6).
    assert ad_p_value(a2, n) == pytest.approx(p, rel=2e-3)


@pytest.mark.parametrize(("a_star", "alpha"), [(0.631, 0.10), (0.752, 0.05), (1.035, 0.01)])
def test_anderson_darling_p_value_at_stephens_critical_points(a_star, alpha) -> None:
    # D'Agostino and Stephens (1986) Table 4.7, case 3 (mean and variance estimated):
    # upper percentage points of the modified A* = 0.631 (10 %), 0.752 (5 %), 1.035 (1 %).
    # For a huge n the adjustment factor is 1, so A^2 = A*.
    assert ad_p_value(a_star, 10**9) == pytest.approx(alpha, rel=0.03)


def test_anderson_darling_needs_eight_varying_values() -> None:
    with pytest.raises(SpcInputError, match="data"):
        anderson_darling([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    with pytest.raises(SpcInputError, match="data"):
        anderson_darling([5.0] * 10)
    with pytest.raises(SpcInputError, match="n"):
        ad_p_value(0.5, 5)


# --- Box-Cox ------------------------------------------------------------------------


def test_boxcox_lambda_and_values_match_dolphindb_manual() -> None:
    # DolphinDB manual, boxcox(data): output (transformed values, 0.5495).
    lam = boxcox_lambda(DOLPHIN_X)
    assert lam == pytest.approx(0.5495, abs=5e-5)
    # The manual prints about four decimals (4.267 for 4.2672), hence the tolerance.
    assert boxcox(DOLPHIN_X, lam) == pytest.approx(DOLPHIN_Y, abs=2.5e-4)
    assert boxcox_lambda(DOLPHIN_X, rounded=True) == 0.5


def test_boxcox_capability_uses_transformed_limits() -> None:
    cap = capability(DOLPHIN_X, lsl=1.0, usl=20.0, method="boxcox")
    assert cap.method == "boxcox"
    t = cap.transformation
    assert t is not None and t.name == "box-cox"
    lam = t.parameters["lambda"]
    assert lam == pytest.approx(0.5495, abs=5e-5)
    # (x^lambda - 1)/lambda at the limits, lambda from the manual's 0.5495.
    assert t.lsl == pytest.approx(0.0, abs=1e-12)
    assert t.usl == pytest.approx((20.0**0.5495 - 1) / 0.5495, rel=1e-3)
    assert "Box-Cox" in cap.method_reason and "lambda" in cap.method_reason
    # Indices are of the transformed data: Pp = (USL' - LSL') / (6 s') on the new scale.
    assert cap.pp == pytest.approx((t.usl - t.lsl) / (6 * t.sigma_overall))
    # The measured-scale summaries are kept.
    assert cap.mean == pytest.approx(np.mean(DOLPHIN_X))
    json.dumps(cap.to_dict(), allow_nan=False)


def test_boxcox_negative_lambda_keeps_limit_order() -> None:
    # (x^lambda - 1)/lambda increases with x for lambda < 0 (Box and Cox 1964), so the
    # transformed LSL stays the lower limit; Minitab's x^lambda would swap them.
    cap = capability(DOLPHIN_X, lsl=1.0, usl=20.0, method="boxcox", boxcox_lambda=-1.0)
    t = cap.transformation
    assert t is not None and t.lsl is not None and t.usl is not None
    assert t.lsl == pytest.approx(0.0) and t.usl == pytest.approx(0.95)  # 1 - 1/20
    assert cap.cpl is not None and cap.cpu is not None and cap.cpl > 0 and cap.cpu > 0


def test_boxcox_lambda_one_is_the_normal_analysis(piston_rings) -> None:
    # lambda = 1 is x - 1, a shift, under which every index is unchanged: the subgroup
    # path of the transformation must give the normal results exactly.
    normal = capability(piston_rings, lsl=73.95, usl=74.05)
    shifted = capability(piston_rings, lsl=73.95, usl=74.05, method="boxcox", boxcox_lambda=1.0)
    for name in ("cp", "cpk", "cpm", "pp", "ppk", "ppm_total_within", "ppm_total_overall"):
        assert getattr(shifted, name) == pytest.approx(getattr(normal, name), rel=1e-9)
    assert shifted.cpk_ci == pytest.approx(normal.cpk_ci, rel=1e-9)


def test_boxcox_needs_positive_values() -> None:
    with pytest.raises(SpcInputError, match=r"data.*positive"):
        capability([3.0, 0.0, 2.0, 5.0, 4.0, 6.0, 2.5, 3.5], usl=10.0, method="boxcox")
    with pytest.raises(SpcInputError, match=r"data.*positive"):
        boxcox_lambda([1.0, -2.0, 3.0])
    with pytest.raises(SpcInputError, match="lsl"):
        capability(DOLPHIN_X, lsl=0.0, usl=20.0, method="boxcox")


# --- Johnson ------------------------------------------------------------------------


def test_johnson_sb_function_of_minitab_example() -> None:
    # Minitab Help, Johnson Transformation, key results: the function
    # 0.762475 + 0.870902 * Ln((X - 46.3174) / (59.6770 - X)) turns X = 50 into -0.07893.
    fit = JohnsonFit("SB", 0.762475, 0.870902, 46.3174, 59.6770 - 46.3174, 0.5, 0.0, 0.0)
    assert float(fit.transform(50.0)) == pytest.approx(-0.07893, abs=5e-6)
    assert float(fit.inverse(-0.07893)) == pytest.approx(50.0, abs=1e-4)


# Curves of Johnson (1949), z = gamma + eta f((x - epsilon) / lambda); data are their exact
# quantiles at the plotting positions (i - 1/2)/n that Chou et al.'s percentile rule uses.
@pytest.mark.parametrize(
    ("family", "gamma", "eta", "epsilon", "lam"),
    [("SL", 0.0, 2.0, 0.0, None), ("SB", 0.5, 1.2, 10.0, 5.0), ("SU", -1.0, 1.5, 3.0, 2.0)],
)
@pytest.mark.parametrize("z", [None, 0.524])
def test_johnson_fit_recovers_the_curve(family, gamma, eta, epsilon, lam, z) -> None:
    n = 2001
    normal = stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n)
    x = JohnsonFit(family, gamma, eta, epsilon, lam, 0.5, 0.0, 0.0).inverse(normal)
    fit = johnson_fit(x, z=z)  # 0.524: Slifker and Shapiro's (1980) fixed spacing
    assert fit.family == family  # QR < 1 gives SB, > 1 SU (Chou et al. 1998)
    assert (fit.gamma, fit.eta, fit.epsilon) == pytest.approx((gamma, eta, epsilon), abs=1e-3)
    if lam is None:
        assert fit.lam is None
    else:
        assert fit.lam == pytest.approx(lam, rel=1e-4)
    if z is not None:
        assert fit.z == 0.524


def test_johnson_capability_on_data_with_negative_values() -> None:
    n = 501
    normal = stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n)
    x = 3.0 + 2.0 * np.sinh((normal + 1.0) / 1.5)  # the SU curve above, long right tail
    x = x - 10.0  # negative values: Box-Cox is impossible, Johnson is not
    cap = capability(x, lsl=-12.0, usl=20.0, method="auto")
    assert cap.method == "johnson"
    assert "not all positive" in cap.method_reason and "Johnson SU" in cap.method_reason
    t = cap.transformation
    assert t is not None and t.parameters["family"] == "SU"
    # The limits go through the same curve: (-12 + 10 - 3)/2 = -2.5 -> -1 + 1.5 asinh(-2.5)
    # = -3.4708, and (20 + 10 - 3)/2 = 13.5 -> -1 + 1.5 asinh(13.5).
    assert t.lsl == pytest.approx(-3.4708, abs=2e-3)
    assert t.usl == pytest.approx(-1 + 1.5 * math.asinh(13.5), abs=2e-3)
    assert cap.normality is not None and cap.normality.p_value < 0.05
    assert t.normality is not None and t.normality.p_value > 0.5


def _sb_data(n: int = 1001) -> np.ndarray:
    """Exact quantiles of the SB curve gamma 0.5, eta 1.2 on 10 < x < 15 (Johnson 1949)."""
    normal = stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n)
    return JohnsonFit("SB", 0.5, 1.2, 10.0, 5.0, 0.5, 0.0, 0.0).inverse(normal)


def test_johnson_limit_outside_a_bounded_curve_is_left_out() -> None:
    # LSL 9 is below the SB support (10, 15): nothing can fall below it.  USL 14 maps to
    # 0.5 + 1.2 ln((14 - 10) / (15 - 14)) = 2.16355.
    cap = capability(_sb_data(), lsl=9.0, usl=14.0, method="johnson")
    t = cap.transformation
    assert t is not None and t.parameters["family"] == "SB"
    assert t.lsl is None and t.usl == pytest.approx(2.16355, abs=2e-3)
    assert cap.ppm_below_within == 0.0 and cap.ppm_below_overall == 0.0
    assert cap.cp is None and cap.cpk == cap.cpu
    # Expected ppm above: 1 - Phi(2.16355) = 0.015250 of the fitted curve.
    assert cap.ppm_above_overall == pytest.approx(15250, rel=0.02)
    assert "LSL 9 lies outside the range" in cap.method_reason
    with pytest.raises(SpcInputError, match="lsl, usl"):
        capability(_sb_data(), lsl=9.0, usl=16.0, method="johnson")
    fit = johnson_fit(_sb_data())
    assert (fit.cdf(9.0), fit.cdf(16.0)) == (0.0, 1.0)
    assert fit.cdf(14.0) == pytest.approx(1 - 0.015250, abs=5e-4)


def test_auto_uses_johnson_for_a_limit_at_zero_and_falls_back_to_normal() -> None:
    # x^2 is positive (R: p = 8.75e-08) but LSL 0 cannot be Box-Cox transformed.
    cap = capability(SM_X**2, lsl=0.0, usl=5.0, method="auto")
    assert cap.method == "johnson"
    # Heavily tied values leave no spread between Chou et al.'s quantiles: no curve fits.
    tied = [-1.0] * 30 + [0.0] * 3 + [8.0] * 2
    cap = capability(tied, usl=10.0, method="auto")
    assert cap.method == "normal" and "no Johnson curve fits" in cap.method_reason
    with pytest.raises(SpcInputError, match="data"):
        capability(tied, usl=10.0, method="johnson")


def test_johnson_bad_input() -> None:
    with pytest.raises(SpcInputError, match="johnson_z"):
        capability(MTCARS_MPG, usl=40.0, method="johnson", johnson_z=5.0)
    with pytest.raises(SpcInputError, match="data"):
        johnson_fit([1.0, 2.0, 3.0])


# --- Clements' percentile method ----------------------------------------------------


def test_percentile_method_on_lognormal_curve() -> None:
    # Lognormal (Johnson SL, gamma 0, eta 2): P0.135 = e^-1.5 = 0.223130, P50 = 1,
    # P99.865 = e^1.5 = 4.481689.  Clements (1989) with LSL 0.1, USL 6:
    # Pp = 5.9 / 4.258559 = 1.385445, Ppl = 0.9 / 0.776870 = 1.158495,
    # Ppu = 5 / 3.481689 = 1.436085.
    n = 2001
    x = np.exp(stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n) / 2.0)
    cap = capability(x, lsl=0.1, usl=6.0, method="percentile")
    assert cap.percentiles == pytest.approx(
        {"p0.135": 0.223130, "p50": 1.0, "p99.865": 4.481689}, rel=1e-4
    )
    assert cap.pp == pytest.approx(1.385445, rel=1e-4)
    assert cap.ppl == pytest.approx(1.158495, rel=1e-4)
    assert cap.ppu == pytest.approx(1.436085, rel=1e-4)
    assert cap.ppk == cap.ppl
    assert cap.cp is None and cap.cpk is None and cap.cpk_ci is None
    # Expected ppm: lognormal tails, Phi(2 ln 0.1) and 1 - Phi(2 ln 6) (sigma of ln x 0.5).
    assert cap.ppm_below_overall == pytest.approx(stats.norm.cdf(2 * math.log(0.1)) * 1e6, rel=1e-2)
    assert "Clements" in cap.method_reason
    json.dumps(cap.to_dict(), allow_nan=False)


# --- automatic choice, reasons, bad input ---------------------------------------------


@pytest.mark.parametrize(
    ("data", "method"),
    [
        (SM_X, "normal"),  # R: p = 0.1115
        (np.log(SM_X**2), "normal"),  # R: p = 0.1968
        (SM_X**2, "boxcox"),  # R: p = 8.75e-08, all values positive
        (np.exp(-(SM_X**2)), "boxcox"),  # R: p = 0.000638, all positive
        (SM_X**2 - 1.0, "johnson"),  # same p (A is shift invariant), negatives
    ],
)
def test_auto_follows_the_anderson_darling_p_value(data, method) -> None:
    cap = capability(data, usl=5.0, method="auto")
    assert cap.method == method
    assert cap.method_reason.startswith("Method chosen automatically")


def test_normal_method_reports_normality_and_warns_in_reason() -> None:
    cap = capability(SM_X**2, usl=10.0)
    assert cap.method == "normal" and cap.transformation is None
    assert cap.normality is not None
    assert cap.normality.p_value == pytest.approx(8.753003709960645e-08, rel=1e-9)
    assert "may not be normal" in cap.method_reason
    small = capability([1.0, 2.0, 3.0], usl=10.0, method="auto")
    assert small.method == "normal" and small.normality is None
    assert "too few" in small.method_reason


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "weibull"}, "method"),
        ({"method": "boxcox", "sigma": 1.0}, "sigma"),
        ({"bound": "upper"}, "bound"),
    ],
)
def test_bad_method_and_bound(kwargs, message) -> None:
    with pytest.raises(SpcInputError, match=message):
        capability(PISTON_RINGS, lsl=73.95, usl=74.05, **kwargs)
