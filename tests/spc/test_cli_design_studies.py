"""``qualitas spc`` commands added for issue "Statistics": sampling curves and plan design,
variables plans, ARL, attribute agreement, linearity, type 1, life data; capability methods
and the Gage R&R tables.  The numbers are the published ones the engine's own tests cite."""

import json
from pathlib import Path

import pytest
from spc_data import AIAG_GAGE

from qualitas.spc.cli import main
from tests.spc.test_cli import write
from tests.spc.test_msa_studies import AIAG_LINEARITY
from tests.spc.test_reliability import SHOCK_CENSORED, SHOCK_KM


def run_json(args: list[str], capsys) -> dict:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_oc_of_montgomery_n89_c2(capsys) -> None:
    # Montgomery section 15.2: N 10,000, n 89, c 2 at p = 0.01: Pa 0.9397, AOQ 0.0093, ATI 687
    out = run_json(["oc", "--n", "89", "--ac", "2", "--lot-size", "10000", "--p", "0.01"], capsys)
    assert out["pa"][0] == pytest.approx(0.9397, abs=5e-5)
    assert out["aoq"][0] == pytest.approx(0.0093, abs=5e-5)
    assert out["ati"][0] == pytest.approx(687, abs=0.5)
    assert out["aoql"] == pytest.approx(0.0155, abs=4e-4)


def test_oc_of_a_double_plan_from_the_tables_and_a_plot(tmp_path: Path, capsys) -> None:
    png = tmp_path / "oc.png"
    code = main(
        ["oc", "--lot-size", "2000", "--aql", "0.65", "--scheme", "double", "--plot", str(png)]
    )
    text = capsys.readouterr().out
    assert code == 0 and "ASN" in text and "AOQL" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_find_plan(capsys) -> None:
    out = run_json(["find-plan", "--aql", "1", "--ltpd", "6"], capsys)
    assert (out["n"], out["c"]) == (110, 3)
    assert out["pa_at_aql"] >= 0.95 and out["pa_at_ltpd"] <= 0.10


def test_lq_plan_for_an_isolated_lot(capsys) -> None:
    out = run_json(["lq-plan", "--lot-size", "500", "--lq", "2"], capsys)
    # Hypergeometric, D = 10 of 500: Pa(n = 102) = 0.0998 <= 0.10 (Pa(101) > 0.10).
    assert (out["n"], out["c"]) == (102, 0)
    assert out["pa_at_lq"] == pytest.approx(0.0998, abs=5e-5)


def test_variables_plan_judges_the_mil_std_414_example(tmp_path: Path, capsys) -> None:
    # MIL-STD-414 Example B-1: lot 40, AQL 1 %, level IV -> D, n 5, k 1.53; Q_U 1.59, accept
    data = write(tmp_path / "lot.csv", ["x"], [[v] for v in (197, 188, 184, 205, 201)])
    out = run_json(
        ["variables-plan", "--lot-size", "40", "--aql", "1", str(data), "--column", "x",
         "--usl", "209"],
        capsys,
    )  # fmt: skip
    assert out["plan"]["sample_size"] == 5 and out["plan"]["k"] == pytest.approx(1.53)
    assert out["judgement"]["accepted"] is True
    assert out["judgement"]["q"] == pytest.approx(1.59, abs=0.005)


def test_arl_of_montgomery_cusum(capsys) -> None:
    # Montgomery Table 9.3 (Lucas and Crosier): k 0.5, h 4: ARL 168 on target, 8.38 at 1 sigma
    out = run_json(["arl", "cusum", "--k", "0.5", "--h", "4", "--shifts", "0,1"], capsys)
    assert [round(r["arl"], 2) for r in out["rows"]] == pytest.approx([168, 8.38], abs=0.6)


def test_linearity_of_the_aiag_study(tmp_path: Path, capsys) -> None:
    rows = [[ref, v] for ref, values in AIAG_LINEARITY.items() for v in values]
    data = write(tmp_path / "lin.csv", ["reference", "measured"], rows)
    out = run_json(
        ["linearity", str(data), "--reference-column", "reference", "--value-column", "measured"],
        capsys,
    )
    assert out["slope"]["estimate"] == pytest.approx(-0.1317, abs=5e-5)
    assert out["intercept"]["estimate"] == pytest.approx(0.7367, abs=5e-5)


def test_agreement_and_type1_and_life(tmp_path: Path, capsys) -> None:
    rows = [
        [who, part, rating]
        for who in ("Ann", "Bob")
        for part, rating in (("p1", "G"), ("p2", "NG"), ("p3", "G"), ("p4", "G"))
    ]
    rows[-1][2] = "NG"  # Bob calls part 4 no good
    agree = write(tmp_path / "agree.csv", ["appraiser", "part", "rating"], rows)
    code = main(
        ["agreement", str(agree), "--appraiser-column", "appraiser", "--part-column", "part",
         "--rating-column", "rating"]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0 and "between appraisers" in text and "3 of 4" in text

    t1 = write(tmp_path / "t1.csv", ["x"], [[10.0 + 0.001 * (k % 5 - 2)] for k in range(25)])
    out = run_json(
        ["type1", str(t1), "--column", "x", "--reference", "10", "--tolerance", "0.1"], capsys
    )
    assert out["cg"] > 1.33 and out["bias"] == pytest.approx(0.0, abs=1e-12)

    life = write(
        tmp_path / "life.csv",
        ["km", "censored"],
        [[t, "yes" if c else "no"] for t, c in zip(SHOCK_KM, SHOCK_CENSORED, strict=True)],
    )
    # Meeker and Escobar's shock absorbers (weibulltools): exponential rejected, Weibull preferred
    out = run_json(
        ["life", str(life), "--time-column", "km", "--censored-column", "censored",
         "--distribution", "compare"],
        capsys,
    )  # fmt: skip
    assert out["preferred"] == "weibull"


def test_capability_methods_and_lower_bound(tmp_path: Path, capsys) -> None:
    values = [1.2, 0.8, 2.5, 1.1, 3.9, 0.6, 1.7, 2.2, 0.9, 5.1, 1.4, 1.0, 2.8, 0.7, 1.9, 1.3]
    data = write(tmp_path / "skewed.csv", ["x"], [[v] for v in values])
    out = run_json(
        ["capability", str(data), "--column", "x", "--usl", "12", "--method", "boxcox",
         "--bound", "lower"],
        capsys,
    )  # fmt: skip
    assert out["method"] == "boxcox" and out["bound"] == "lower"
    assert out["cpu_ci"][1] is None  # a lower bound has no upper end
    assert main(["capability", str(data), "--column", "x", "--usl", "12", "--method", "auto"]) == 0
    assert "Process capability of x (" in capsys.readouterr().out


def test_gage_rr_prints_the_full_and_the_reduced_table(tmp_path: Path, capsys) -> None:
    data = write(
        tmp_path / "gage.csv",
        ["part", "operator", "value"],
        [
            [part + 1, operator, value]
            for operator, trials in AIAG_GAGE.items()
            for trial in trials
            for part, value in enumerate(trial)
        ],
    )
    code = main(
        ["gage-rr", str(data), "--part-column", "part", "--operator-column", "operator",
         "--value-column", "value"]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "with interaction" in text and "without interaction" in text
    assert text.index("with interaction") < text.index("without interaction")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["oc", "--n", "10"], "--n and --ac"),
        (["oc", "--lot-size", "0", "--aql", "1"], "lot size"),
        (["find-plan", "--aql", "6", "--ltpd", "1"], "ltpd"),
        (["arl", "cusum", "--h", "-1"], "h"),
        (["variables-plan", "--lot-size", "40", "--aql", "0.7"], "aql: 0.7"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], needle: str, capsys) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and needle in err and err.count("\n") == 1
