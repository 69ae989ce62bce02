import numpy as np
import pytest
from rules_reference import slow_rules

from qualitas.spc import SpcInputError, c_chart, cusum, individuals_mr, p_chart, run_rules


def chart_for(values, center=0.0, sigma=1.0):
    """Individuals chart with known centre 0 and sigma 1: zones at +/-1, 2, 3."""
    return individuals_mr(values, center=center, sigma=sigma)[0]


def test_rule1_strict_beyond_limits() -> None:
    chart = chart_for([0.0, 3.0, 3.0001, -3.0, -3.5])
    assert chart.violations["nelson1"].tolist() == [2, 4]


def test_rule2_nine_on_one_side_flags_completion_and_continuation() -> None:
    values = [0.5] * 11 + [-0.5]
    assert chart_for(values).violations["nelson2"].tolist() == [8, 9, 10]


def test_point_on_centre_breaks_a_run() -> None:
    values = [0.5] * 5 + [0.0] + [0.5] * 5
    assert chart_for(values).violations["nelson2"].size == 0


def test_run_length_parameter_and_western_electric_default() -> None:
    values = [0.5] * 8
    chart = chart_for(values)
    assert chart.violations["nelson2"].size == 0
    assert run_rules(chart, run_length=7)["nelson2"].tolist() == [6, 7]
    assert run_rules(chart, "western_electric")["we4"].tolist() == [7]


def test_rule3_six_increasing_equal_values_break() -> None:
    up = [-1.0, -0.8, -0.6, -0.4, -0.2, 0.1, 0.3]
    assert chart_for(up).violations["nelson3"].tolist() == [5, 6]
    flat = [-1.0, -0.8, -0.6, -0.6, -0.2, 0.1, 0.3]
    assert chart_for(flat).violations["nelson3"].size == 0


def test_rule4_fourteen_alternating() -> None:
    values = [0.2 * (-1) ** i for i in range(15)]
    assert chart_for(values).violations["nelson4"].tolist() == [13, 14]


def test_rule5_two_of_three_flagged_point_must_be_beyond() -> None:
    values = [0.0, 2.5, 2.6, 0.0, 0.0, 2.5, 0.0, 2.5]
    # index 2: 2 of 3 beyond; index 7: 2.5 at 5 and 7 within 3 points.
    assert chart_for(values).violations["nelson5"].tolist() == [2, 7]
    # opposite sides do not combine
    assert chart_for([0.0, 2.5, -2.5, 0.0]).violations["nelson5"].size == 0
    # exactly 2 sigma is not beyond
    assert chart_for([2.0, 2.0, 2.0]).violations["nelson5"].size == 0


def test_rule6_four_of_five_beyond_one() -> None:
    values = [1.5, 1.5, 0.0, 1.5, 1.5, 1.5, 0.0, 1.5]
    # index 4: points 0..4 have 4 beyond; 5: points 1..5 have 4; 6 is not beyond itself;
    # 7: points 3..7 have 4 beyond.
    assert chart_for(values).violations["nelson6"].tolist() == [4, 5, 7]
    assert chart_for([1.5, 1.5, 0.0, 1.5, 0.0, 1.5]).violations["nelson6"].size == 0


def test_rule7_fifteen_within_one_inclusive() -> None:
    values = [1.0, -1.0] * 7 + [0.0]
    chart = chart_for(values)
    assert chart.violations["nelson7"].tolist() == [14]


def test_rule8_eight_beyond_one_either_side() -> None:
    values = [1.5, -1.5] * 4
    assert chart_for(values).violations["nelson8"].tolist() == [7]


def test_variable_limits_zones_per_point() -> None:
    # p chart with varying sizes: zones follow each point's own sigma.
    rng = np.random.default_rng(11)
    sizes = rng.integers(50, 200, 300)
    defectives = rng.binomial(sizes, 0.1)
    defectives[100:112] = (sizes[100:112] * 0.16).astype(int)
    chart = p_chart(defectives, sizes)
    expected = slow_rules(chart)
    for rule, idx in chart.violations.items():
        assert idx.tolist() == expected[rule], rule


def test_matches_slow_reference_on_random_data() -> None:
    rng = np.random.default_rng(5)
    for shift in (0.0, 0.8):
        x = rng.normal(0, 1, 2000)
        x[500:700] += shift
        x[900:960] = np.cumsum(np.full(60, 0.05))
        chart = individuals_mr(x)[0]
        expected = slow_rules(chart)
        for rule, idx in chart.violations.items():
            assert idx.tolist() == expected[rule], rule


def test_rule_selection_and_errors() -> None:
    chart = c_chart([3, 4, 5, 2, 6])
    assert set(run_rules(chart, ["nelson1", "nelson3"])) == {"nelson1", "nelson3"}
    with pytest.raises(SpcInputError, match="unknown rule set"):
        run_rules(chart, "montgomery")
    with pytest.raises(SpcInputError, match="run_length"):
        run_rules(chart, run_length=1)
    with pytest.raises(SpcInputError, match="CUSUM"):
        run_rules(cusum([1.0, 2.0, 3.0, 2.0]))
