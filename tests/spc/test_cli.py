import json
from pathlib import Path

import pytest
from spc_data import AIAG_GAGE, ORANGE_JUICE, PISTON_RINGS

from qualitas.spc.cli import main


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def rings_csv(tmp_path: Path) -> Path:
    rows = [[i + 1, v] for i, group in enumerate(PISTON_RINGS) for v in group]
    return write(tmp_path / "rings.csv", ["sample", "diameter"], rows)


def test_xbar_r_json(rings_csv: Path, capsys) -> None:
    code = main(
        [
            "chart",
            "xbar-r",
            str(rings_csv),
            "--column",
            "diameter",
            "--subgroup-column",
            "sample",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    xbar, r = out["charts"]
    assert xbar["kind"] == "xbar" and r["kind"] == "R"
    assert xbar["center"] == pytest.approx(74.00118, abs=1e-5)
    assert xbar["ucl"][0] == pytest.approx(74.0146, abs=1e-4)  # Montgomery Example 6.1
    assert len(xbar["statistic"]) == 25


def test_subgroup_size_and_default_column(tmp_path: Path, capsys) -> None:
    rows = [[v] for group in PISTON_RINGS for v in group]
    path = write(tmp_path / "d.csv", ["diameter"], rows)
    assert main(["chart", "xbar-s", str(path), "--subgroup-size", "5"]) == 0
    text = capsys.readouterr().out
    assert "X-bar chart: 25 points" in text and "S chart" in text and "In control" in text


def test_a_short_series_is_not_called_in_control(tmp_path: Path, capsys) -> None:
    """Issue 13: without a signal, 12 samples are too few to judge control (the page and the
    PDF say so too)."""
    rows = [[v] for group in PISTON_RINGS[:12] for v in group]
    path = write(tmp_path / "d.csv", ["diameter"], rows)
    assert main(["chart", "xbar-s", str(path), "--subgroup-size", "5"]) == 0
    text = capsys.readouterr().out
    assert "In control" not in text
    assert "12 samples are too few to judge control" in text


def test_human_output_names_rule_violations(tmp_path: Path, capsys) -> None:
    rows = [[d, 50] for d in ORANGE_JUICE]
    path = write(tmp_path / "oj.csv", ["defectives", "n"], rows)
    assert main(["chart", "p", str(path), "--size-column", "n"]) == 0
    text = capsys.readouterr().out
    assert "Beyond limits: samples 15, 23" in text  # Montgomery Example 7.1


def test_plot_png_and_svg(rings_csv: Path, tmp_path: Path, capsys) -> None:
    png = tmp_path / "chart.png"
    assert (
        main(
            [
                "chart",
                "xbar-r",
                str(rings_csv),
                "--column",
                "diameter",
                "--subgroup-column",
                "sample",
                "--lsl",
                "73.95",
                "--usl",
                "74.05",
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "chart.svg"
    path = write(tmp_path / "c.csv", ["count"], [[c] for c in [3, 4, 2, 15, 3, 2, 4, 3]])
    assert main(["chart", "c", str(path), "--plot", str(svg)]) == 0
    assert "<svg" in svg.read_text()


@pytest.mark.parametrize("kind", ["imr", "ewma", "cusum", "np", "u"])
def test_other_chart_types(kind: str, tmp_path: Path, capsys) -> None:
    rows = [[v, 50] for v in [4, 6, 5, 7, 3, 5, 6, 4, 5, 8, 6, 5]]
    path = write(tmp_path / "x.csv", ["value", "size"], rows)
    args = ["chart", kind, str(path), "--column", "value", "--json"]
    if kind in ("np", "u"):
        args += ["--size-column", "size"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["charts"][0]["kind"]


def test_capability_command(rings_csv: Path, tmp_path: Path, capsys) -> None:
    hist = tmp_path / "hist.png"
    code = main(
        [
            "capability",
            str(rings_csv),
            "--column",
            "diameter",
            "--subgroup-column",
            "sample",
            "--lsl",
            "73.95",
            "--usl",
            "74.05",
            "--json",
            "--plot",
            str(hist),
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cp"] == pytest.approx(0.1 / (6 * 0.02324 / 2.325929), rel=1e-5)
    assert hist.exists()
    assert main(["capability", str(rings_csv), "--column", "diameter", "--usl", "74.05"]) == 0
    assert "Cpu" in capsys.readouterr().out


def test_gage_rr_command(tmp_path: Path, capsys) -> None:
    rows = [
        [part, op, v]
        for op, trials in AIAG_GAGE.items()
        for trial in trials
        for part, v in enumerate(trial, start=1)
    ]
    path = write(tmp_path / "grr.csv", ["part", "operator", "value"], rows)
    base = [
        "gage-rr",
        str(path),
        "--part-column",
        "part",
        "--operator-column",
        "operator",
        "--value-column",
        "value",
    ]
    assert main([*base, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ndc"] == 4  # AIAG MSA 4th ed. ANOVA method
    assert main([*base, "--method", "average_range", "--tolerance", "4"]) == 0
    text = capsys.readouterr().out
    assert "Number of distinct categories: 5" in text


def test_sample_command(capsys) -> None:
    assert main(["sample", "--lot-size", "2000", "--aql", "0.65", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["sample_size"], out["acceptance_number"], out["rejection_number"]) == (125, 2, 3)
    assert main(["sample", "--lot-size", "10", "--aql", "0.10"]) == 0
    assert "100% inspection" in capsys.readouterr().out


def _error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def test_missing_file(tmp_path: Path, capsys) -> None:
    assert main(["chart", "imr", str(tmp_path / "nope.csv")]) == 2
    assert "file not found" in _error_line(capsys)


def test_unknown_column_is_named(rings_csv: Path, capsys) -> None:
    assert main(["chart", "imr", str(rings_csv), "--column", "width"]) == 2
    line = _error_line(capsys)
    assert "'width'" in line and "diameter" in line


def test_non_numeric_cell_names_row_and_column(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "bad.csv", ["x"], [[1.0], [2.0], ["abc"], [4.0]])
    assert main(["chart", "imr", str(path)]) == 2
    line = _error_line(capsys)
    assert "row 4" in line and "'x'" in line and "'abc'" in line


def test_spc_input_error_and_usage_errors(tmp_path: Path, capsys) -> None:
    path = write(tmp_path / "p.csv", ["d", "n"], [[5, 4], [1, 10]])
    assert main(["chart", "p", str(path), "--column", "d", "--size-column", "n"]) == 2
    assert "defectives but a sample size" in _error_line(capsys)
    assert main(["capability", str(path), "--column", "d", "--lsl", "5", "--usl", "1"]) == 2
    assert "LSL" in _error_line(capsys)
    assert main(["sample", "--lot-size", "100", "--aql", "0.7"]) == 2
    assert "unknown AQL" in _error_line(capsys)
    assert main(["chart", "pie", str(path)]) == 2
    _error_line(capsys)
    assert main(["chart", "xbar-r", str(path)]) == 2
    assert "--subgroup-column" in _error_line(capsys)


def test_help_exits_zero(capsys) -> None:
    assert main(["--help"]) == 0
    assert "qualitas spc" in capsys.readouterr().out


def test_decimal_commas_between_semicolons_are_read(tmp_path: Path, capsys) -> None:
    rows = [f"{i + 1};{str(v).replace('.', ',')}" for i, g in enumerate(PISTON_RINGS) for v in g]
    path = tmp_path / "ringe.csv"
    path.write_text("Probe;Durchmesser\n" + "\n".join(rows) + "\n", encoding="utf-8")

    options = ["--column", "Durchmesser", "--subgroup-column", "Probe", "--json"]
    code = main(["chart", "xbar-r", str(path), *options])

    assert code == 0
    assert json.loads(capsys.readouterr().out)["charts"][0]["center"] == pytest.approx(
        74.00118, abs=1e-5
    )


def test_decimal_commas_between_commas_are_refused_with_the_row(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.csv"
    path.write_text("diameter\n74.030\n74,012\n73.995\n", encoding="utf-8")

    assert main(["chart", "imr", str(path)]) == 2
    assert capsys.readouterr().err == (
        "error: d.csv: Use a decimal point: row 3 has '74,012'. Commas separate the columns "
        "here; decimal commas are read when the columns are separated by semicolons or tabs.\n"
    )
