import json
import math

import pytest

from qualitas.spc import SpcInputError, gage_rr, pareto


def test_pareto_counts_sorted_with_ties_by_name() -> None:
    rows = pareto(["scratch", "dent", "scratch", "burr", "dent", "scratch", "chip"])
    assert [r.category for r in rows] == ["scratch", "dent", "burr", "chip"]
    assert [r.weight for r in rows] == [3, 2, 1, 1]
    assert rows[0].percent == pytest.approx(300 / 7)
    assert rows[1].cumulative_percent == pytest.approx(500 / 7)
    assert rows[-1].cumulative_percent == 100.0


def test_pareto_weights_aggregate() -> None:
    rows = pareto(["a", "b", "a"], [1.5, 2.0, 1.0])
    assert [(r.category, r.weight) for r in rows] == [("a", 2.5), ("b", 2.0)]
    json.dumps([r.to_dict() for r in rows])
    with pytest.raises(SpcInputError, match="non-negative"):
        pareto(["a"], [-1])
    with pytest.raises(SpcInputError, match="2 weights given for 1"):
        pareto(["a"], [1, 2])
    with pytest.raises(SpcInputError, match="total weight is zero"):
        pareto(["a"], [0])


def test_gage_rr_anova_aiag_msa_example(aiag_long) -> None:
    # AIAG MSA 4th ed., ANOVA method on the 10 x 3 x 3 study (Tables III-B 16 to 18):
    # SS appraiser 3.1673, parts 88.3619, interaction 0.3590 (not significant, pooled),
    # equipment 2.7589, total 94.6471; variance components EV 0.039973, AV 0.051455,
    # GRR 0.09143, PV 1.086447; % total variation EV 18.4, AV 20.9, GRR 27.9, PV 96.0;
    # ndc 4.
    g = gage_rr(*aiag_long)
    rows = {r.source: r for r in g.anova}
    assert g.anova is g.anova_reduced
    assert rows["operator"].ss == pytest.approx(3.1673, abs=1e-4)
    assert rows["part"].ss == pytest.approx(88.3619, abs=1e-4)
    assert rows["repeatability"].ss == pytest.approx(0.3590 + 2.7589, abs=2e-4)
    assert rows["total"].ss == pytest.approx(94.6471, abs=1e-4)
    assert g.interaction_pooled and g.interaction_p > 0.05
    c = g.components
    assert c["repeatability"].variance == pytest.approx(0.039973, abs=1e-6)
    assert c["reproducibility"].variance == pytest.approx(0.051455, abs=1e-6)
    assert c["total_gage_rr"].variance == pytest.approx(0.09143, abs=1e-5)
    assert c["part_to_part"].variance == pytest.approx(1.086447, abs=1e-6)
    assert c["repeatability"].pct_study_var == pytest.approx(18.4, abs=0.05)
    assert c["reproducibility"].pct_study_var == pytest.approx(20.9, abs=0.05)
    assert c["total_gage_rr"].pct_study_var == pytest.approx(27.9, abs=0.05)
    assert c["part_to_part"].pct_study_var == pytest.approx(96.0, abs=0.05)
    assert g.ndc == 4
    json.dumps(g.to_dict(), allow_nan=False)


def test_gage_rr_full_and_reduced_tables_aiag_data(aiag_long) -> None:
    """Both ANOVA tables, as Minitab prints them for the AIAG data (GAGEAIAG.MTW).

    Minitab, "Two-Way ANOVA Table With Interaction": Part 9 88.3619 9.81799 F 492.291,
    Operator 2 3.1673 1.58363 F 79.406, Part * Operator 18 0.3590 0.01994 F 0.434
    P 0.974, Repeatability 60 2.7589 0.04598, Total 89 94.6471. "Without Interaction":
    Part F 245.614, Operator F 39.617, Repeatability 78 3.1179 0.03997. The SS, df, MS and
    the interaction F 0.434 are also AIAG MSA 4th ed. Table III-B 16. The two references
    disagree on the main-effect F of the full table: AIAG divides by MS_equipment (34.44,
    213.52), Minitab by MS_interaction. We follow Minitab: with random parts and
    operators E[MS_part] = s2 + r s2_po + o r s2_p, so MS_interaction is the right
    denominator (Montgomery, Design and Analysis of Experiments, random two-factor model).
    """
    g = gage_rr(*aiag_long)
    full = {r.source: r for r in g.anova_full}
    assert [r.source for r in g.anova_full] == [
        "part",
        "operator",
        "operator_part",
        "repeatability",
        "total",
    ]
    assert (full["part"].df, full["operator"].df, full["operator_part"].df) == (9, 2, 18)
    assert (full["repeatability"].df, full["total"].df) == (60, 89)
    assert full["part"].ms == pytest.approx(9.81799, abs=1e-5)
    assert full["operator"].ms == pytest.approx(1.58363, abs=1e-5)
    assert full["operator_part"].ss == pytest.approx(0.3590, abs=1e-4)
    assert full["operator_part"].ms == pytest.approx(0.01994, abs=1e-5)
    assert full["repeatability"].ss == pytest.approx(2.7589, abs=1e-4)
    assert full["repeatability"].ms == pytest.approx(0.04598, abs=1e-5)
    assert full["part"].f == pytest.approx(492.291, abs=0.05)
    assert full["operator"].f == pytest.approx(79.406, abs=0.01)
    assert full["operator_part"].f == pytest.approx(0.434, abs=5e-4)
    assert full["operator_part"].p == pytest.approx(0.974, abs=5e-4)
    assert full["part"].p < 5e-4 and full["operator"].p < 5e-4
    assert g.interaction_p == full["operator_part"].p
    assert g.interaction_alpha == 0.05
    red = {r.source: r for r in g.anova_reduced}
    assert [r.source for r in g.anova_reduced] == ["part", "operator", "repeatability", "total"]
    assert red["repeatability"].df == 78
    assert red["repeatability"].ss == pytest.approx(3.1179, abs=1e-4)
    assert red["repeatability"].ms == pytest.approx(0.03997, abs=1e-5)
    assert red["part"].f == pytest.approx(245.614, abs=0.05)
    assert red["operator"].f == pytest.approx(39.617, abs=0.01)
    d = g.to_dict()
    assert [r["source"] for r in d["anova_full"]][2] == "operator_part"
    assert d["anova_reduced"] == d["anova"]
    assert d["anova_full"][2]["p"] == pytest.approx(0.974, abs=5e-4)


def test_gage_rr_interaction_kept_when_significant(aiag_long) -> None:
    g = gage_rr(*aiag_long, interaction_alpha=1.0)
    assert not g.interaction_pooled
    assert g.anova_reduced is None and g.anova == g.anova_full
    assert g.to_dict()["anova_reduced"] is None
    rows = {r.source: r for r in g.anova}
    assert rows["operator_part"].ss == pytest.approx(0.3590, abs=1e-4)
    assert rows["operator_part"].df == 18
    assert rows["repeatability"].ss == pytest.approx(2.7589, abs=1e-4)
    assert rows["repeatability"].ms == pytest.approx(2.7589 / 60, abs=1e-5)
    # interaction MS (0.01994) < error MS (0.04598): its variance component is 0.
    assert g.components["operator_part"].variance == 0.0
    assert rows["operator"].f == pytest.approx(1.58363 / 0.019946, rel=1e-3)


def test_gage_rr_average_range_aiag_msa_example(aiag_long) -> None:
    # AIAG MSA 4th ed. Figure III-B 15 (average and range method): EV 0.20188, AV 0.22963,
    # GRR 0.30575, PV 1.10456, TV 1.14610, %EV 17.62, %AV 20.04, %GRR 26.68, %PV 96.38,
    # ndc 5. The manual rounds R-double-bar (0.3417) and K1/K2/K3 to 4 decimals, hence
    # the tolerances.
    g = gage_rr(*aiag_long, method="average_range", tolerance=4.0)
    c = g.components
    assert c["repeatability"].std_dev == pytest.approx(0.20188, abs=1e-4)
    assert c["reproducibility"].std_dev == pytest.approx(0.22963, abs=2e-4)
    assert c["total_gage_rr"].std_dev == pytest.approx(0.30575, abs=2e-4)
    assert c["part_to_part"].std_dev == pytest.approx(1.10456, abs=3e-4)
    assert c["total"].std_dev == pytest.approx(1.14610, abs=3e-4)
    assert c["repeatability"].pct_study_var == pytest.approx(17.62, abs=0.05)
    assert c["reproducibility"].pct_study_var == pytest.approx(20.04, abs=0.05)
    assert c["total_gage_rr"].pct_study_var == pytest.approx(26.68, abs=0.05)
    assert c["part_to_part"].pct_study_var == pytest.approx(96.38, abs=0.05)
    assert g.ndc == 5
    assert c["total_gage_rr"].pct_tolerance == pytest.approx(
        100 * 6 * c["total_gage_rr"].std_dev / 4.0
    )
    assert c["repeatability"].pct_contribution == pytest.approx(
        100 * c["repeatability"].variance / c["total"].variance
    )
    assert math.isclose(sum(c[k].pct_contribution for k in ("total_gage_rr", "part_to_part")), 100)
    assert g.anova == g.anova_full == [] and g.anova_reduced is None


def test_gage_rr_errors(aiag_long) -> None:
    parts, operators, values = aiag_long
    with pytest.raises(SpcInputError, match="balanced"):
        gage_rr(parts[:-1], operators[:-1], values[:-1])
    with pytest.raises(SpcInputError, match="same length"):
        gage_rr(parts, operators[:-1], values)
    with pytest.raises(SpcInputError, match="unknown gage R&R method"):
        gage_rr(parts, operators, values, method="guess")
    with pytest.raises(SpcInputError, match="replicate"):
        gage_rr([1, 2, 1, 2], ["a", "a", "b", "b"], [1.0, 2.0, 1.1, 2.1])
