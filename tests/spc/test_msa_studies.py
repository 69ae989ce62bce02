"""Attribute agreement, bias and linearity, and type 1 gauge studies against published examples."""

import json
import math

import numpy as np
import pytest

from qualitas.spc import SpcInputError, msa

# Wikipedia, "Fleiss' kappa", worked example (10 subjects, 14 raters, 5 categories):
# counts of raters per category; kappa 0.210 (P-bar 0.378, P-bar-e 0.213).
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Fleiss (1971) Table 1: psychiatric diagnoses of 30 patients by 6 raters (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other), as R's irr::diagnoses.
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip

# AIAG MSA 4th ed. linearity study (also Minitab's Gage Linearity and Bias example):
# 5 parts, reference 2, 4, 6, 8, 10, 12 measurements each.
AIAG_LINEARITY = {
    2.0: [2.7, 2.5, 2.4, 2.5, 2.7, 2.3, 2.5, 2.5, 2.4, 2.4, 2.6, 2.4],
    4.0: [5.1, 3.9, 4.2, 5.0, 3.8, 3.9, 3.9, 3.9, 3.9, 4.0, 4.1, 3.8],
    6.0: [5.8, 5.7, 5.9, 5.9, 6.0, 6.1, 6.0, 6.1, 6.4, 6.3, 6.0, 6.1],
    8.0: [7.6, 7.7, 7.8, 7.7, 7.8, 7.8, 7.8, 7.7, 7.8, 7.5, 7.6, 7.7],
    10.0: [9.1, 9.3, 9.5, 9.3, 9.4, 9.5, 9.5, 9.5, 9.6, 9.2, 9.3, 9.4],
}


def raters_from_counts(counts: list[list[int]]) -> np.ndarray:
    """raters x subjects labels with the given category counts per subject (Fleiss'
    kappa depends only on the counts, so the assignment to raters is arbitrary)."""
    cols = [np.repeat(np.arange(1, len(row) + 1), row) for row in counts]
    return np.array(cols).T


def kappa_rows(rows):
    return {r.response: r for r in rows}


# ----------------------------------------------------------------------------- kappa


def test_fleiss_kappa_wikipedia_example_between_appraisers() -> None:
    # Wikipedia "Fleiss' kappa" example: kappa = 0.210.
    r = msa.attribute_agreement(raters_from_counts(WIKIPEDIA_FLEISS))
    assert r.trials == 1 and r.within == {}
    assert kappa_rows(r.between_kappa)[None].kappa == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_fleiss_1971_with_se_z() -> None:
    """Fleiss (1971) Table 1 data. Fleiss (1971): overall kappa 0.430; category kappas
    depression 0.245, personality disorder 0.245, schizophrenia 0.520, neurosis 0.471,
    other 0.566. R irr::kappam.fleiss(diagnoses): kappa 0.4302445, z 17.65183 (standard
    error under kappa = 0 of Fleiss, Nee and Landis 1979, the formula Minitab uses)."""
    r = msa.attribute_agreement(np.array(FLEISS_1971).T)
    k = kappa_rows(r.between_kappa)
    assert k[None].kappa == pytest.approx(0.4302445, abs=1e-7)
    assert k[None].z == pytest.approx(17.65183, abs=1e-5)
    assert k[None].p < 1e-12
    for label, value in zip("12345", (0.245, 0.245, 0.520, 0.471, 0.566), strict=True):
        assert k[label].kappa == pytest.approx(value, abs=5e-4)
    assert r.categories == ("1", "2", "3", "4", "5")
    # the same ratings as six trials of one appraiser: within-appraiser kappa is the same
    other = np.ones((30, 6), dtype=int)
    other[::2] = 2
    w = msa.attribute_agreement({"A": FLEISS_1971, "B": other})
    assert kappa_rows(w.within_kappa["A"])[None].kappa == pytest.approx(0.4302445, abs=1e-7)
    json.dumps(w.to_dict(), allow_nan=False)


def test_cohen_kappa_sas_example() -> None:
    """SAS PROC FREQ simple kappa example (table [[0,4,1],[0,8,0],[0,1,5]], as in the
    statsmodels tests): kappa 0.4842, ASE under H0 0.1484, Z 3.2626, one-sided p 0.0006."""
    table = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
    first, second = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [f"c{i}"] * count
            second += [f"c{j}"] * count
    r = msa.attribute_agreement({"A": first, "B": second}, cohen=True)
    k = kappa_rows(r.cohen_between)[None]
    assert k.kappa == pytest.approx(0.4842, abs=5e-5)
    assert k.se == pytest.approx(0.1484, abs=5e-5)
    assert k.z == pytest.approx(3.2626, abs=5e-5)
    assert k.p == pytest.approx(0.0006, abs=5e-5)
    # B never used c0: its c0-vs-rest kappa is 0 with a zero null variance (no test)
    c0 = kappa_rows(r.cohen_between)["c0"]
    assert c0.kappa == 0.0 and c0.se is None and c0.p is None
    assert msa.attribute_agreement({"A": first, "B": second}).cohen_between == []


# ------------------------------------------------------------------------ agreement %


def test_vs_standard_exact_intervals_and_kappa_se_minitab_essay() -> None:
    """Minitab Help, Example of Attribute Agreement Analysis (ESSAY.MTW, 15 essays, one
    trial): Each Appraiser vs Standard, # matched / 95% CI: Duncan 8 (26.59, 78.73),
    Hayes 13 (59.54, 98.34), Holmes 15 (81.90, 100.00), Simpson 14 (68.05, 99.83);
    Fleiss' kappa SE per response 0.258199. The appraisers' ratings are not printed, so
    ratings are built to match the published counts (intervals and this SE depend only
    on the counts)."""
    standard = [2, -1, 0, -2, 0, 1, 2, 0, -1, 1, -2, 0, 2, -1, 1]

    def rater(matches: int) -> list[int]:
        return standard[:matches] + [(s + 3) % 5 - 2 for s in standard[matches:]]

    ratings = {"Duncan": rater(8), "Hayes": rater(13), "Holmes": rater(15), "Simpson": rater(14)}
    r = msa.attribute_agreement(ratings, standard)
    expected = {
        "Duncan": (8, 53.33, 26.59, 78.73),
        "Hayes": (13, 86.67, 59.54, 98.34),
        "Holmes": (15, 100.00, 81.90, 100.00),
        "Simpson": (14, 93.33, 68.05, 99.83),
    }
    for name, (matched, pct, lo, hi) in expected.items():
        row = r.vs_standard[name]
        assert (row.inspected, row.matched) == (15, matched)
        assert row.percent == pytest.approx(pct, abs=0.005)
        assert row.ci_low == pytest.approx(lo, abs=0.005)
        assert row.ci_high == pytest.approx(hi, abs=0.005)
    assert r.categories == ("-2", "-1", "0", "1", "2")
    duncan = kappa_rows(r.vs_standard_kappa["Duncan"])
    assert duncan["-2"].se == pytest.approx(0.258199, abs=1e-6)
    assert kappa_rows(r.vs_standard_kappa["Holmes"])[None].kappa == pytest.approx(1.0)
    assert r.all_vs_standard is not None and r.all_vs_standard.matched == 8


def test_within_between_and_all_matching() -> None:
    # Definitions (AIAG MSA 4th ed. III-C; Minitab): within = all trials of the appraiser
    # agree; between = all appraisers and trials agree; vs standard = all trials agree
    # with the standard.
    ratings = {
        "A": [["g", "g"], ["b", "b"], ["g", "b"], ["b", "b"]],
        "B": [["g", "g"], ["b", "b"], ["g", "g"], ["g", "g"]],
    }
    r = msa.attribute_agreement(ratings, ["g", "b", "g", "b"])
    assert (r.within["A"].matched, r.within["B"].matched) == (3, 4)
    assert r.between.matched == 2
    assert (r.vs_standard["A"].matched, r.vs_standard["B"].matched) == (3, 3)
    assert r.all_vs_standard is not None and r.all_vs_standard.matched == 2
    assert r.within["B"].ci_high == 100.0 and r.within["B"].percent == 100.0
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["within"]["A"]["matched"] == 3 and d["between_kappa"][-1]["response"] is None


def test_attribute_agreement_errors() -> None:
    with pytest.raises(SpcInputError, match=r"ratings: .*at least 2 appraisers"):
        msa.attribute_agreement({"A": [["g", "g"], ["b", "b"]]})
    with pytest.raises(SpcInputError, match="ratings: every appraiser"):
        msa.attribute_agreement({"A": [["g", "g"], ["b"]], "B": [["g", "g"], ["b", "b"]]})
    with pytest.raises(SpcInputError, match="standard: 3 standard ratings given for 2 parts"):
        msa.attribute_agreement({"A": ["g", "b"], "B": ["g", "g"]}, ["g", "b", "g"])
    with pytest.raises(SpcInputError, match="ratings: a rating is missing"):
        msa.attribute_agreement({"A": ["g", None], "B": ["g", "g"]})
    with pytest.raises(SpcInputError, match="appraisers: 3 names given for 2"):
        msa.attribute_agreement([["g", "b"], ["g", "g"]], appraisers=["x", "y", "z"])
    with pytest.raises(SpcInputError, match="confidence"):
        msa.attribute_agreement({"A": ["g", "b"], "B": ["g", "g"]}, confidence=95)


# ---------------------------------------------------------------- bias and linearity


def linearity_long() -> tuple[list[float], list[float]]:
    ref = [r for r, values in AIAG_LINEARITY.items() for _ in values]
    measured = [v for values in AIAG_LINEARITY.values() for v in values]
    return ref, measured


def test_linearity_aiag_msa_example() -> None:
    """AIAG MSA 4th ed. linearity example: bias = 0.7367 - 0.1317 reference, R^2 0.71,
    biases 0.491667, 0.125, 0.025, -0.291667, -0.616667 (also Minitab's example, which
    prints S 0.23954, %Linearity 13.2 with process variation 16.5368). SPC for Excel
    (BPI Consulting) "Example: Linearity and Bias Study" on the same data: R^2 71.43%,
    intercept 0.737 SE 0.0725 95% CI (0.591, 0.882) t 10.16, slope -0.132 SE 0.0109
    (-0.154, -0.110) t -12.04, linearity 2.177 with 6 x process sigma 2.756."""
    ref, measured = linearity_long()
    r = msa.bias_linearity(ref, measured, process_variation=16.5368)
    assert r.slope.estimate == pytest.approx(-0.1317, abs=5e-5)
    assert r.intercept.estimate == pytest.approx(0.7367, abs=5e-5)
    assert r.r_squared == pytest.approx(0.7143, abs=5e-5)
    assert r.s == pytest.approx(0.23954, abs=5e-6)
    assert r.intercept.se == pytest.approx(0.0725, abs=5e-5)
    assert r.slope.se == pytest.approx(0.0109, abs=5e-5)
    assert r.intercept.t == pytest.approx(10.16, abs=5e-3)
    assert r.slope.t == pytest.approx(-12.04, abs=5e-3)
    assert (r.intercept.ci_low, r.intercept.ci_high) == pytest.approx((0.591, 0.882), abs=5e-4)
    assert (r.slope.ci_low, r.slope.ci_high) == pytest.approx((-0.154, -0.110), abs=5e-4)
    assert r.slope.p < 5e-4 and r.intercept.p < 5e-4
    assert r.pct_linearity == pytest.approx(13.2, abs=0.05)
    assert r.linearity == pytest.approx(2.177, abs=5e-4)
    biases = [b.bias for b in r.biases]
    assert biases == pytest.approx([0.491667, 0.125, 0.025, -0.291667, -0.616667], abs=5e-7)
    assert [b.reference for b in r.biases] == [2.0, 4.0, 6.0, 8.0, 10.0]
    json.dumps(r.to_dict(), allow_nan=False)


def test_bias_t_tests_aiag_independent_sample_method() -> None:
    """Per-reference bias t = |bias| / (s / sqrt(n)), n - 1 df (AIAG MSA 4th ed.
    independent-sample method). SPC for Excel's table for the linearity data: %bias
    2.97 0.76 0.15 1.76 3.73, t 13.73 0.968 0.442 10.14 14.56, p 0.000 0.354 0.667 0.000
    0.000; average -0.0533, %bias 0.32, standard error 0.0308, t 1.729, p 0.089.
    Minitab's default (sample range method, d2* and AIAG's degrees of freedom) gives
    other p-values (0.688 at reference 6, 0.040 for the average); we follow AIAG 4th ed.,
    which replaced the range by the standard deviation."""
    ref, measured = linearity_long()
    r = msa.bias_linearity(ref, measured, process_variation=6 * 2.756)
    pct = [0.491667 / 16.536, 0.125 / 16.536, 0.025 / 16.536, 0.291667 / 16.536]
    assert [b.pct_bias for b in r.biases[:4]] == pytest.approx([100 * p for p in pct], rel=1e-4)
    assert [b.pct_bias for b in r.biases] == pytest.approx(
        [2.97, 0.76, 0.15, 1.76, 3.73], abs=0.005
    )
    assert [b.t for b in r.biases] == pytest.approx([13.73, 0.968, 0.442, 10.14, 14.56], abs=5e-3)
    assert [b.p for b in r.biases][1:3] == pytest.approx([0.354, 0.667], abs=5e-4)
    assert max(r.biases[0].p, r.biases[3].p, r.biases[4].p) < 5e-4
    a = r.average
    assert a.reference is None and a.n == 60
    assert a.bias == pytest.approx(-0.0533, abs=5e-5)
    assert a.pct_bias == pytest.approx(0.32, abs=5e-3)
    assert a.std_dev / math.sqrt(60) == pytest.approx(0.0308, abs=5e-5)
    assert a.t == pytest.approx(1.729, abs=5e-4)
    assert a.p == pytest.approx(0.089, abs=5e-4)
    assert msa.bias_linearity(ref, measured).pct_linearity == pytest.approx(13.17, abs=5e-3)
    assert msa.bias_linearity(ref, measured).average.pct_bias is None


def test_bias_linearity_errors() -> None:
    with pytest.raises(SpcInputError, match="measured: 2 measurements given for 3"):
        msa.bias_linearity([2, 4, 6], [2.1, 4.0])
    with pytest.raises(SpcInputError, match=r"reference: .*2 different reference values"):
        msa.bias_linearity([2, 2, 2], [2.1, 2.0, 1.9])
    with pytest.raises(SpcInputError, match="process_variation must be a positive"):
        msa.bias_linearity([2, 4, 6], [2.1, 4.0, 6.2], process_variation=0)
    with pytest.raises(SpcInputError, match="reference: value 2 is missing"):
        msa.bias_linearity([2, math.nan, 6], [2.1, 4.0, 6.2])


# --------------------------------------------------------------------------- type 1


def test_type1_minitab_shaft_example() -> None:
    """Minitab Help, Example of Type 1 Gage Study (SHAFT.MTW): reference 12.305,
    tolerance 0.05, 50 measurements; bias -0.00231, T 4.506892, p 0.000, Cg 0.46,
    Cgk 0.25, %Var (repeatability) 43.49%, %Var (repeatability and bias) 81%.
    The 50 values are not printed in the help, so this test rebuilds a sample with the
    published mean (12.305 - 0.00231) and the standard deviation that the published
    %Var (repeatability) implies (%Var = 100 * 6 s / tolerance, s = 43.49 * 0.05 / 600);
    Cg, Cgk, %Var (repeatability and bias) and T are then checked against the print."""
    s = 43.49 * 0.05 / 600
    half = s * math.sqrt(49 / 50)
    mean = 12.305 - 0.00231
    r = msa.type1([mean - half] * 25 + [mean + half] * 25, 12.305, 0.05)
    assert r.bias == pytest.approx(-0.00231, abs=1e-9)
    assert r.cg == pytest.approx(0.46, abs=0.005)
    assert r.cgk == pytest.approx(0.25, abs=0.005)
    assert r.pct_var_repeatability == pytest.approx(43.49, abs=0.005)
    assert r.pct_var_repeatability_bias == pytest.approx(81, abs=0.5)
    assert r.t == pytest.approx(4.506892, abs=0.01)
    assert r.p < 5e-4 and r.df == 49
    assert r.study_var == pytest.approx(6 * r.std_dev)
    json.dumps(r.to_dict(), allow_nan=False)


def test_type1_bias_t_test_real_data() -> None:
    # The 12 measurements of the reference-6 part of the AIAG linearity study as a type 1
    # study: SPC for Excel prints bias 0.025, t 0.442, p 0.667 (n - 1 = 11 df).
    r = msa.type1(AIAG_LINEARITY[6.0], 6.0, 2.0)
    assert r.bias == pytest.approx(0.025, abs=1e-12)
    assert r.t == pytest.approx(0.442, abs=5e-4)
    assert r.p == pytest.approx(0.667, abs=5e-4)
    assert r.bias_ci[0] < 0 < r.bias_ci[1]
    # Cgk <= 0: %Var (repeatability and bias) is not defined
    assert msa.type1(AIAG_LINEARITY[2.0], 2.0, 0.5).pct_var_repeatability_bias is None


def test_type1_errors() -> None:
    with pytest.raises(SpcInputError, match="tolerance must be a positive"):
        msa.type1([1.0, 1.1, 0.9], 1.0, 0)
    with pytest.raises(SpcInputError, match="tolerance must be a positive"):
        msa.type1([1.0, 1.1, 0.9], 1.0, -0.5)
    with pytest.raises(SpcInputError, match="measurements: at least 2 values"):
        msa.type1([1.0], 1.0, 0.5)
    with pytest.raises(SpcInputError, match="measurements: all values are equal"):
        msa.type1([1.0, 1.0, 1.0], 1.0, 0.5)
    with pytest.raises(SpcInputError, match="measurements: all values are equal"):
        msa.type1([6.002] * 10, 6.002, 0.03)  # whose float mean is not 6.002 exactly
    with pytest.raises(SpcInputError, match="k is a percentage"):
        msa.type1([1.0, 1.1, 0.9], 1.0, 0.5, k=120)
    with pytest.raises(SpcInputError, match="reference must be a finite number"):
        msa.type1([1.0, 1.1, 0.9], math.inf, 0.5)
