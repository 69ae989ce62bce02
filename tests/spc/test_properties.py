"""Hypothesis property tests for invariants of the engine."""

import numpy as np
from hypothesis import given, settings, strategies as st
from rules_reference import slow_rules
from test_constants import C4, D2

from qualitas.spc import individuals_mr, pareto, xbar_r
from qualitas.spc.constants import c4, d2

subgroup_data = st.integers(min_value=3, max_value=40).flatmap(
    lambda m: st.lists(
        st.lists(st.integers(-1000, 1000), min_size=4, max_size=4), min_size=m, max_size=m
    )
)


def _has_variation(data: list[list[int]]) -> bool:
    return any(len(set(row)) > 1 for row in data)


@settings(max_examples=60, deadline=None)
@given(subgroup_data)
def test_xbar_limits_symmetric_about_center(data: list[list[int]]) -> None:
    if not _has_variation(data):
        return
    xbar, r = xbar_r(np.array(data, dtype=float))
    np.testing.assert_allclose(xbar.ucl - xbar.center, xbar.center - xbar.lcl, rtol=1e-9, atol=1e-9)
    assert np.all(r.lcl >= 0)


@settings(max_examples=60, deadline=None)
@given(subgroup_data, st.sampled_from([0.5, 2.0, 4.0, 8.0]), st.integers(-(10**6), 10**6))
def test_rules_invariant_to_shift_and_positive_scale(data, scale, shift) -> None:
    if not _has_variation(data):
        return
    base = np.array(data, dtype=float)
    a = xbar_r(base)
    b = xbar_r(base * scale + shift)
    for ca, cb in zip(a, b, strict=True):
        assert ca.beyond_limits.tolist() == cb.beyond_limits.tolist()
        for rule in ca.violations:
            assert ca.violations[rule].tolist() == cb.violations[rule].tolist(), rule


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=80))
def test_vectorised_rules_match_slow_reference(values) -> None:
    x = np.array(values)
    if np.ptp(x) == 0 or np.abs(np.diff(x)).mean() == 0:
        return
    for chart in individuals_mr(x):
        expected = slow_rules(chart)
        for rule, idx in chart.violations.items():
            assert idx.tolist() == expected[rule], rule


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(list("ABCDEFG")), min_size=1, max_size=200),
    st.none() | st.lists(st.floats(0.01, 1e6), min_size=200, max_size=200),
)
def test_pareto_percentages_sum_to_100(categories, weights) -> None:
    w = None if weights is None else weights[: len(categories)]
    rows = pareto(categories, w)
    assert abs(sum(r.percent for r in rows) - 100.0) < 1e-9
    assert rows[-1].cumulative_percent == 100.0
    totals = [r.weight for r in rows]
    assert totals == sorted(totals, reverse=True)


@given(st.integers(2, 25))
def test_constants_match_table(n: int) -> None:
    assert abs(d2(n) - D2[n - 2]) < 6e-4
    assert abs(c4(n) - C4[n - 2]) < 6e-5
