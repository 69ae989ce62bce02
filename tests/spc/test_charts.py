import json

import numpy as np
import pytest
from spc_data import CIRCUIT_BOARDS, ORANGE_JUICE

from qualitas.spc import (
    SpcInputError,
    c_chart,
    cusum,
    ewma,
    individuals_mr,
    np_chart,
    p_chart,
    u_chart,
    xbar_r,
    xbar_s,
)
from qualitas.spc.constants import c4, d2, d3


def test_piston_rings_xbar_r_montgomery_example_6_1(piston_rings: np.ndarray) -> None:
    # Montgomery (7th ed.) Example 6.1: x-double-bar = 74.001, R-bar = 0.023 (0.581/25),
    # X-bar limits 73.9878 / 74.0146 from 74.00118 +/- A2 * 0.02324, R chart UCL
    # D4 * R-bar = 2.114 * 0.02324 = 0.0491, LCL 0; the process is in control.
    xbar, r = xbar_r(piston_rings)
    assert xbar.center == pytest.approx(74.00118, abs=1e-5)
    assert r.center == pytest.approx(0.02324, abs=1e-6)
    assert xbar.lcl[0] == pytest.approx(73.9878, abs=1e-4)
    assert xbar.ucl[0] == pytest.approx(74.0146, abs=1e-4)
    assert r.ucl[0] == pytest.approx(0.0491, abs=1e-4)
    assert r.lcl[0] == 0.0
    assert xbar.sigma == pytest.approx(0.02324 / 2.326, rel=1e-3)
    assert xbar.beyond_limits.size == 0 and r.beyond_limits.size == 0
    assert len(xbar) == 25 and xbar.sizes[0] == 5


def test_piston_rings_xbar_s(piston_rings: np.ndarray) -> None:
    # Montgomery (7th ed.) Example 6.3: s-bar = 0.0094, X-bar limits 74.001 +/- 1.427 * s-bar
    # = 73.988 / 74.014, S chart UCL = B4 * s-bar = 2.089 * 0.0094 = 0.0196.
    xbar, s = xbar_s(piston_rings)
    assert s.center == pytest.approx(0.0094, abs=5e-5)
    # The book rounds x-double-bar to 74.001 and s-bar to 0.0094 before multiplying.
    assert xbar.lcl[0] == pytest.approx(73.988, abs=1e-3)
    assert xbar.ucl[0] == pytest.approx(74.014, abs=1e-3)
    assert xbar.ucl[0] == pytest.approx(xbar.center + 3 * s.center / c4(5) / np.sqrt(5))
    assert s.ucl[0] == pytest.approx(0.0196, abs=1e-4)
    assert s.lcl[0] == 0.0


def test_orange_juice_p_chart_montgomery_example_7_1() -> None:
    # Montgomery (7th ed.) Example 7.1 / NIST e-Handbook 6.3.3.2: p-bar = 347/1500 = 0.2313,
    # UCL 0.4102, LCL 0.0524, samples 15 and 23 above the UCL.
    chart = p_chart(ORANGE_JUICE, 50)
    assert chart.center == pytest.approx(347 / 1500)
    assert chart.ucl[0] == pytest.approx(0.4102, abs=1e-4)
    assert chart.lcl[0] == pytest.approx(0.0524, abs=1e-4)
    assert chart.beyond_limits.tolist() == [14, 22]
    assert chart.violations["nelson1"].tolist() == [14, 22]


def test_np_chart_same_data() -> None:
    # np chart: centre n p-bar = 11.57, limits 50 * (0.0524, 0.4102) (Montgomery section 7.2.1).
    chart = np_chart(ORANGE_JUICE, 50)
    assert chart.center == pytest.approx(50 * 347 / 1500)
    assert chart.ucl[0] == pytest.approx(20.51, abs=0.01)
    assert chart.lcl[0] == pytest.approx(2.62, abs=0.01)
    assert chart.beyond_limits.tolist() == [14, 22]


def test_circuit_boards_c_chart_montgomery_example_7_3() -> None:
    # Montgomery (7th ed.) Example 7.3: c-bar = 516/26 = 19.85, UCL 33.22, LCL 6.48,
    # samples 6 and 20 outside.
    chart = c_chart(CIRCUIT_BOARDS)
    assert chart.center == pytest.approx(516 / 26)
    assert chart.ucl[0] == pytest.approx(33.22, abs=0.01)
    assert chart.lcl[0] == pytest.approx(6.48, abs=0.01)
    assert chart.beyond_limits.tolist() == [5, 19]
    # Revised limits after removing samples 6 and 20: c-bar 19.67, UCL 32.97, LCL 6.36.
    kept = [c for i, c in enumerate(CIRCUIT_BOARDS) if i not in (5, 19)]
    revised = c_chart(kept)
    assert revised.center == pytest.approx(19.67, abs=0.01)
    assert revised.ucl[0] == pytest.approx(32.97, abs=0.01)
    assert revised.lcl[0] == pytest.approx(6.36, abs=0.01)


def test_nist_wafer_c_chart() -> None:
    # NIST/SEMATECH e-Handbook 6.3.3.1: defects on 25 wafers, c-bar 16, UCL 28, LCL 4.
    counts = [
        16,
        14,
        28,
        16,
        12,
        20,
        10,
        12,
        10,
        17,
        19,
        17,
        14,
        16,
        15,
        13,
        14,
        16,
        11,
        20,
        11,
        19,
        16,
        31,
        13,
    ]
    chart = c_chart(counts)
    assert chart.center == 16.0
    assert chart.ucl[0] == 28.0 and chart.lcl[0] == 4.0
    assert chart.beyond_limits.tolist() == [23]


def test_individuals_mr_nist_example() -> None:
    # NIST/SEMATECH e-Handbook 6.3.2.2 (individuals chart): mean 50.81, MR-bar 1.8778,
    # limits 50.81 +/- 3 * 1.8778 / 1.128 = 45.8159 / 55.8041 (d2 rounded to 1.128 there,
    # hence the tolerance), MR UCL 3.267 * 1.8778 = 6.1349.
    values = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]
    i, mr = individuals_mr(values)
    assert i.center == pytest.approx(50.81)
    assert mr.center == pytest.approx(1.8778, abs=1e-4)
    assert i.ucl[0] == pytest.approx(55.8041, abs=3e-3)
    assert i.lcl[0] == pytest.approx(45.8159, abs=3e-3)
    assert mr.ucl[0] == pytest.approx(6.1349, abs=3e-3)
    assert np.isnan(mr.statistic[0]) and mr.statistic[1] == pytest.approx(2.0)
    assert len(i) == len(mr) == 10


def test_variable_sizes_and_missing_values() -> None:
    groups = [[10.0, 11.0, 9.0], [10.5, 9.5], [10.0, 12.0, 8.0, 10.0], [9.0, np.nan, 11.0]]
    xbar, r = xbar_r(groups)
    sizes = np.array([3, 2, 4, 2])
    assert xbar.sizes.tolist() == sizes.tolist()
    ranges = np.array([2.0, 1.0, 4.0, 2.0])
    # Minitab's "Rbar" estimate for unequal sizes: R_i / d2(n_i) weighted by d2^2 / d3^2, with
    # the tabled constants (Montgomery, Appendix Table VI): d2 = 1.128, 1.693, 2.059 and
    # d3 = 0.853, 0.888, 0.880 for n = 2, 3, 4.
    d2_tab = {2: 1.128, 3: 1.693, 4: 2.059}
    d3_tab = {2: 0.853, 3: 0.888, 4: 0.880}
    f = np.array([(d2_tab[n] / d3_tab[n]) ** 2 for n in sizes])
    sigma = np.sum(f * ranges / np.array([d2_tab[n] for n in sizes])) / f.sum()
    assert xbar.sigma == pytest.approx(sigma, rel=1e-3)
    assert xbar.sigma_method == "rbar"
    grand = (30 + 20 + 40 + 20) / 11
    assert xbar.center == pytest.approx(grand)
    np.testing.assert_allclose(xbar.ucl, grand + 3 * xbar.sigma / np.sqrt(sizes))
    # Minitab: each subgroup's R centre line is d2(n_i) * sigma and its limits
    # (d2(n_i) +/- 3 d3(n_i)) * sigma, so both follow the subgroup's own size.
    np.testing.assert_allclose(
        r.center, np.array([d2_tab[n] for n in sizes]) * xbar.sigma, rtol=1e-3
    )
    expected_ucl = np.array([d2_tab[n] + 3 * d3_tab[n] for n in sizes]) * xbar.sigma
    np.testing.assert_allclose(r.ucl, expected_ucl, rtol=1e-3)
    assert r.center[0] != r.center[1]  # sizes 3 and 2: different centre lines
    assert np.all(r.lcl == 0.0)  # D3 = 0 below n = 7


def test_sigma_methods_unequal_sizes() -> None:
    groups = [[1.0, 2.0, 4.0], [2.0, 3.0], [5.0, 1.0, 2.0, 3.0, 4.0], [2.0, 2.5]]
    n = np.array([3, 2, 5, 2])
    r = np.array([3.0, 1.0, 4.0, 0.5])
    s = np.array([np.std(g, ddof=1) for g in groups])
    w = (np.array([d2(k) for k in n]) / np.array([d3(k) for k in n])) ** 2
    mvlue_r = np.sum(w * r / np.array([d2(k) for k in n])) / w.sum()
    assert xbar_r(groups, sigma_method="mvlue-r")[0].sigma == pytest.approx(mvlue_r)
    assert xbar_r(groups, sigma_method="uwave-r")[0].sigma == pytest.approx(
        np.mean(r / np.array([d2(k) for k in n]))
    )
    assert xbar_r(groups)[0].sigma == pytest.approx(mvlue_r)  # Minitab's Rbar, the default
    c = np.array([c4(k) for k in n])
    assert xbar_s(groups, sigma_method="uwave-sd")[0].sigma == pytest.approx(np.mean(s / c))
    wsd = c**2 / (1 - c**2)
    sbar = np.sum(wsd * s / c) / wsd.sum()
    assert xbar_s(groups, sigma_method="mvlue-sd")[0].sigma == pytest.approx(sbar)
    # Minitab's Sbar (the default): the same weights; S centre c4(n_i) * sigma per subgroup,
    # limits (c4 +/- 3 sqrt(1 - c4^2)) * sigma.
    x, schart = xbar_s(groups)
    assert x.sigma == pytest.approx(sbar) and x.sigma_method == "sbar"
    np.testing.assert_allclose(schart.center, c * sbar)
    np.testing.assert_allclose(schart.ucl, (c + 3 * np.sqrt(1 - c**2)) * sbar)
    dof = n - 1
    pooled = np.sqrt(np.sum(dof * s**2) / dof.sum()) / c4(dof.sum() + 1)
    assert xbar_s(groups, sigma_method="pooled")[0].sigma == pytest.approx(pooled)
    with pytest.raises(SpcInputError, match="sigma_method"):
        xbar_r(groups, sigma_method="guess")


def test_phase_two_known_values(piston_rings: np.ndarray) -> None:
    xbar, r = xbar_r(piston_rings, center=74.0, sigma=0.01)
    assert xbar.center == 74.0 and xbar.sigma == 0.01
    assert xbar.ucl[0] == pytest.approx(74.0 + 3 * 0.01 / np.sqrt(5))
    assert r.center == pytest.approx(d2(5) * 0.01)
    assert r.ucl[0] == pytest.approx((d2(5) + 3 * d3(5)) * 0.01)
    p = p_chart(ORANGE_JUICE, 50, center=0.1)
    assert p.center == 0.1 and p.ucl[0] == pytest.approx(0.1 + 3 * np.sqrt(0.09 / 50))


def test_attribute_limits_are_clipped_and_vary() -> None:
    chart = p_chart([0, 1, 0, 2], [10, 20, 40, 10])
    assert np.all(chart.lcl == 0.0)
    assert np.all(chart.ucl <= 1.0)
    assert chart.ucl[0] > chart.ucl[2]  # smaller samples get wider limits
    high = p_chart([9, 10, 8], 10)
    assert high.ucl[0] == 1.0
    npc = np_chart([1, 2, 3], [10, 20, 30])
    np.testing.assert_allclose(npc.center, np.array([10, 20, 30]) * 6 / 60)
    assert np.all(npc.ucl <= np.array([10, 20, 30]))
    u = u_chart([3, 4, 2], [1.5, 2.0, 1.0])
    assert u.center == pytest.approx(9 / 4.5)
    np.testing.assert_allclose(u.ucl, 2 + 3 * np.sqrt(2 / np.array([1.5, 2.0, 1.0])))
    assert np.all(u.lcl >= 0)


def test_point_on_limit_is_in_control() -> None:
    # c-bar = 4, UCL = 4 + 3 * 2 = 10: a count of exactly 10 is in control.
    chart = c_chart([10, 1, 1, 4], center=4.0)
    assert chart.ucl[0] == 10.0
    assert chart.beyond_limits.size == 0


def test_ewma_against_recursion() -> None:
    x = np.array([10.0, 11.0, 9.5, 12.0, 13.0, 12.5, 14.0])
    chart = ewma(x, lambda_=0.3, center=10.0, sigma=1.0)
    z, expected = 10.0, []
    for v in x:
        z = 0.3 * v + 0.7 * z
        expected.append(z)
    np.testing.assert_allclose(chart.statistic, expected)
    i = np.arange(1, 8)
    half = 3 * np.sqrt(0.3 / 1.7 * (1 - 0.7 ** (2 * i)))
    np.testing.assert_allclose(chart.ucl, 10 + half)
    assert chart.beyond_limits.tolist() == [
        k for k in range(7) if expected[k] > 10 + half[k] or expected[k] < 10 - half[k]
    ]


def test_cusum_against_recursion() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 1, 30), rng.normal(1.5, 1, 20)])
    chart = cusum(x, center=0.0, sigma=1.0)
    cp = cm = 0.0
    up, lo = [], []
    for v in x:
        cp = max(0.0, cp + v - 0.5)
        cm = max(0.0, cm - v - 0.5)
        up.append(cp)
        lo.append(-cm)
    np.testing.assert_allclose(chart.upper, up)
    np.testing.assert_allclose(chart.lower, lo)
    expected = [k for k in range(50) if up[k] > 5 or lo[k] < -5]
    assert chart.beyond_limits.tolist() == expected and expected
    assert chart.ucl[0] == 5.0 and chart.lcl[0] == -5.0


def test_cusum_subgroups_use_standard_error(piston_rings: np.ndarray) -> None:
    chart = cusum(piston_rings)
    xbar, _ = xbar_r(piston_rings)
    z = (xbar.statistic - xbar.center) / (xbar.sigma / np.sqrt(5))
    np.testing.assert_allclose(chart.standardized, z)
    # the chart itself is in data units: the subgroup means about the process centre
    np.testing.assert_allclose(chart.statistic, xbar.statistic)
    assert chart.center == pytest.approx(xbar.center)


MONTGOMERY_TABLE_9_1 = [
    9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34,
    9.03, 11.47, 10.51, 9.40, 10.08, 9.37, 10.62, 10.31, 8.52, 10.84,
    10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31, 10.52,
]  # fmt: skip


def test_cusum_montgomery_example_9_1() -> None:
    """Montgomery, Introduction to Statistical Quality Control (6th ed.), Example 9.1 and
    Table 9.2: target 10, sigma 1, K = 0.5, H = 5.  C+ reaches 5.28 at sample 29 and 5.30 at 30
    (the first signal), C- is 1.56 at sample 2 and 1.77 at 3; the chart's centre is the target
    in data units, not 0 (issue "Statistics": qcc reports it so)."""
    chart = cusum(MONTGOMERY_TABLE_9_1, center=10.0, sigma=1.0)
    assert chart.center == 10.0
    np.testing.assert_allclose(chart.statistic, MONTGOMERY_TABLE_9_1)
    np.testing.assert_allclose(
        chart.upper[[3, 4, 22, 27, 28, 29]], [1.16, 2.82, 1.79, 4.47, 5.28, 5.30], atol=0.005
    )
    np.testing.assert_allclose(chart.lower[[1, 2, 6]], [-1.56, -1.77, -1.46], atol=0.005)
    assert chart.beyond_limits.tolist() == [28, 29]
    assert not np.signbit(chart.lower[chart.lower == 0]).any()  # no -0.0 in the output
    data = chart.to_dict()
    assert data["center"] == 10.0 and len(data["standardized"]) == 30


def test_cusum_fast_initial_response_head_start() -> None:
    """Lucas and Crosier (1982): with a head start the sums start at it instead of 0, so a
    process already off target at start-up signals sooner; on target the head start decays."""
    x = [11.0] * 6  # one sigma above target from the first sample
    plain = cusum(x, center=10.0, sigma=1.0)
    fir = cusum(x, center=10.0, sigma=1.0, fir=2.5)
    np.testing.assert_allclose(plain.upper, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    np.testing.assert_allclose(fir.upper, [3.0, 3.5, 4.0, 4.5, 5.0, 5.5])
    assert plain.beyond_limits.size == 0 and fir.beyond_limits.tolist() == [5]
    # the lower sum starts at the head start too and falls to 0 on an upward shift
    np.testing.assert_allclose(fir.lower[:3], [-1.0, 0.0, 0.0])
    with pytest.raises(SpcInputError, match="head start"):
        cusum(x, center=10.0, sigma=1.0, fir=5.0)


def test_to_dict_is_json(piston_rings: np.ndarray) -> None:
    for chart in (
        *xbar_r(piston_rings),
        *individuals_mr([1.0, 3.0, 2.0, 5.0]),
        cusum([1.0, 2.0, 3.0, 2.5]),
    ):
        d = json.loads(json.dumps(chart.to_dict()))
        assert set(d) >= {
            "kind",
            "statistic",
            "center",
            "lcl",
            "ucl",
            "sigma",
            "sizes",
            "beyond_limits",
            "violations",
        }
    mr = individuals_mr([1.0, 3.0, 2.0])[1].to_dict()
    assert mr["statistic"][0] is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: xbar_r([[1.0, 2.0]]), "at least 2 subgroups"),
        (lambda: xbar_r([[1.0, 2.0], [3.0]]), "subgroup 2 has 1"),
        (lambda: xbar_r(np.ones((5, 3))), "no variation"),
        (lambda: xbar_r([[1.0, np.inf], [1.0, 2.0]]), "infinite"),
        (lambda: xbar_r([[1.0, "a"], [1.0, 2.0]]), "numbers"),
        (lambda: p_chart([1, -1], 10), "negative"),
        (lambda: p_chart([1, 12], 10), "12 defectives but a sample size of only 10"),
        (lambda: p_chart([1, 2], [10, 10, 10]), "3 sample sizes given for 2 samples"),
        (lambda: p_chart([1.5, 2], 10), "whole number"),
        (lambda: p_chart([1, 2], 10, center=1.5), r"\[0, 1\]"),
        (lambda: c_chart([]), "at least 1"),
        (lambda: u_chart([1, 2], [1, 0]), "must be positive"),
        (lambda: individuals_mr([1.0]), "at least 2"),
        (lambda: individuals_mr([2.0, 2.0, 2.0]), "sigma is zero"),
        (lambda: ewma([1.0, 2.0, 3.0], lambda_=0.0), "lambda"),
        (lambda: cusum([1.0, 2.0, 3.0], decision_interval=-1), "decision interval"),
        (lambda: xbar_r(np.ones((3, 3)), nsigmas=0), "nsigmas"),
    ],
)
def test_bad_input_raises_spc_input_error(call, message: str) -> None:
    with pytest.raises(SpcInputError, match=message):
        call()


def test_spc_input_error_is_value_error() -> None:
    assert issubclass(SpcInputError, ValueError)
