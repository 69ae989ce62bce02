"""Command line of the statistical engine: ``qualitas spc ...`` (no Django needed).

    qualitas spc chart TYPE FILE.csv [--column C] [--subgroup-column G | --subgroup-size N]
                                     [--size-column S] [--lsl L] [--usl U] [--target T]
                                     [--rules nelson|western_electric] [--json] [--plot out.png]
    qualitas spc capability FILE.csv [--column C] [--subgroup-column G | --subgroup-size N]
                                     --lsl L / --usl U [--target T] [--json] [--plot hist.png]
    qualitas spc gage-rr FILE.csv --part-column P --operator-column O --value-column V
                                  [--tolerance T] [--method anova|average_range] [--json]
    qualitas spc sample --lot-size N --aql A [--level II] [--inspection normal] [--json]
    qualitas spc oc | find-plan | variables-plan | arl ...   (cli_design.py)
    qualitas spc agreement | linearity | type1 | life ...    (cli_studies.py)

Bad input gives exit status 2 and one line on stderr starting with "error: ".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from qualitas.spc import cli_design, cli_studies
from qualitas.spc.capability import capability
from qualitas.spc.charts import (
    ControlChart,
    c_chart,
    individuals_mr,
    np_chart,
    p_chart,
    u_chart,
    xbar_r,
    xbar_s,
)
from qualitas.spc.clitable import CliError, Table, read_table
from qualitas.spc.errors import SpcInputError
from qualitas.spc.msa import gage_rr
from qualitas.spc.rules import SAMPLES_TO_JUDGE_CONTROL, describe_rule
from qualitas.spc.sampling import sampling_plan
from qualitas.spc.timeweighted import cusum, ewma

__all__ = ["main"]

CHART_TYPES = ("xbar-r", "xbar-s", "imr", "p", "np", "c", "u", "ewma", "cusum")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def _default_column(table: Table, used: Sequence[str | None]) -> str:
    taken = {table.header[table.index(u)] for u in used if u}
    for name in table.header:
        if name not in taken:
            return name
    raise CliError(f"{table.path.name}: no column left for the measurements; use --column")


def _subgroups(table: Table, args: argparse.Namespace, values: NDArray[np.float64]) -> Any:
    if args.subgroup_column:
        labels = np.asarray(table.text(args.subgroup_column))
        _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first))[inverse]  # group number in order of appearance
        order = np.argsort(rank, kind="stable")
        bounds = np.flatnonzero(np.diff(rank[order])) + 1
        return np.split(values[order], bounds)
    if args.subgroup_size:
        n = int(args.subgroup_size)
        if n < 1:
            raise CliError("--subgroup-size must be at least 1")
        m = -(-values.shape[0] // n)
        padded = np.full(m * n, np.nan)
        padded[: values.shape[0]] = values
        return padded.reshape(m, n)
    return None


def _sizes(table: Table, args: argparse.Namespace, kind: str) -> Any:
    if args.size_column:
        return table.numbers(args.size_column)
    if args.subgroup_size:
        return float(args.subgroup_size)
    raise CliError(f"a {kind} chart needs --size-column or --subgroup-size (the sample size)")


def _build_charts(args: argparse.Namespace) -> tuple[list[ControlChart], str]:
    table = read_table(args.file)
    column = args.column or _default_column(table, [args.subgroup_column, args.size_column])
    values = table.numbers(column)
    kind = args.type
    rules = args.rules
    if kind in ("xbar-r", "xbar-s"):
        groups = _subgroups(table, args, values)
        if groups is None:
            raise CliError(f"{kind} needs --subgroup-column or --subgroup-size")
        func = xbar_r if kind == "xbar-r" else xbar_s
        return list(func(groups, rules=rules, run_length=args.run_length)), column
    if kind == "imr":
        return list(individuals_mr(values, rules=rules, run_length=args.run_length)), column
    if kind in ("ewma", "cusum"):
        groups = _subgroups(table, args, values)
        data = values if groups is None else groups
        return [ewma(data) if kind == "ewma" else cusum(data)], column
    if np.isnan(values).any():
        row = int(np.flatnonzero(np.isnan(values))[0]) + 2
        raise CliError(f"{table.path.name}: row {row}, column {column!r} is empty")
    if kind == "c":
        return [c_chart(values, rules=rules, run_length=args.run_length)], column
    sizes = _sizes(table, args, kind)
    func2 = {"p": p_chart, "np": np_chart, "u": u_chart}[kind]
    return [func2(values, sizes, rules=rules, run_length=args.run_length)], column


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _limits_text(values: Any) -> str:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        return _fmt(float(arr))
    finite = arr[np.isfinite(arr)]
    if finite.size and np.all(finite == finite[0]):
        return _fmt(float(finite[0]))
    return f"{_fmt(float(finite.min()))} .. {_fmt(float(finite.max()))} (varies)"


def _chart_text(chart: ControlChart) -> str:
    from qualitas.spc.plot import TITLES

    lines = [
        f"{TITLES.get(chart.kind, chart.kind)}: {len(chart)} points, sigma {_fmt(chart.sigma)}"
        + (f" ({chart.sigma_method})" if chart.sigma_method else ""),
        f"  {'CL':<4}{_limits_text(chart.center)}",
        f"  {'LCL':<4}{_limits_text(chart.lcl)}",
        f"  {'UCL':<4}{_limits_text(chart.ucl)}",
    ]
    if chart.beyond_limits.size == 0 and not any(v.size for v in chart.violations.values()):
        if len(chart) < SAMPLES_TO_JUDGE_CONTROL:
            lines.append(
                f"  No point beyond the limits, no run rule violated; {len(chart)} samples are "
                f"too few to judge control (limits preliminary until {SAMPLES_TO_JUDGE_CONTROL})"
            )
        else:
            lines.append("  In control: no point beyond the limits, no run rule violated")
        return "\n".join(lines)
    if chart.beyond_limits.size:
        pts = ", ".join(str(i + 1) for i in chart.beyond_limits.tolist())
        lines.append(f"  Beyond limits: samples {pts}")
    for rule, idx in chart.violations.items():
        if idx.size and rule not in ("nelson1", "we1", "ewma", "cusum"):
            pts = ", ".join(str(i + 1) for i in idx.tolist()[:50])
            more = f" (+{idx.size - 50} more)" if idx.size > 50 else ""
            lines.append(f"  {rule} ({describe_rule(rule, chart.run_length)}): samples {pts}{more}")
    return "\n".join(lines)


def _cmd_chart(args: argparse.Namespace) -> int:
    charts, column = _build_charts(args)
    if args.plot:
        from qualitas.spc.plot import plot_charts

        plot_charts(charts, args.plot, title=f"{column} ({args.type})", lsl=args.lsl, usl=args.usl)
    if args.json:
        print(json.dumps({"column": column, "charts": [c.to_dict() for c in charts]}))
    else:
        print("\n\n".join(_chart_text(c) for c in charts))
        if args.plot:
            print(f"\nChart written to {args.plot}")
    return 0


def _cmd_capability(args: argparse.Namespace) -> int:
    table = read_table(args.file)
    column = args.column or _default_column(table, [args.subgroup_column])
    values = table.numbers(column)
    groups = _subgroups(table, args, values)
    result = capability(
        values if groups is None else groups,
        lsl=args.lsl,
        usl=args.usl,
        target=args.target,
        confidence=args.confidence,
        method=args.method,
        bound=args.bound,
    )
    if args.plot:
        from qualitas.spc.plot import plot_capability

        plot_capability(values, result, args.plot, title=f"Capability of {column}")
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    rows = [
        ("n", str(result.n)),
        ("mean", _fmt(result.mean)),
        ("sigma (within)", _fmt(result.sigma_within)),
        ("sigma (overall)", _fmt(result.sigma_overall)),
    ]
    lower = result.bound == "lower"
    pct = f"{result.confidence * 100:g}% " + ("lower bound" if lower else "CI")
    for name in ("cp", "cpl", "cpu", "cpk", "cpm"):
        value = getattr(result, name)
        if value is not None:
            ci = getattr(result, f"{name}_ci")
            span = f"{ci[0]:.3f}" if lower else f"{ci[0]:.3f} .. {ci[1]:.3f}"
            rows.append((name.capitalize(), f"{value:.3f}   {pct} {span}"))
    for name in ("pp", "ppk"):
        value = getattr(result, name)
        if value is not None:
            rows.append((name.capitalize(), f"{value:.3f}"))
    rows += [
        ("ppm within", f"{result.ppm_total_within:.1f}"),
        ("ppm overall", f"{result.ppm_total_overall:.1f}"),
        ("ppm observed", f"{result.ppm_total_observed:.1f}"),
    ]
    print(f"Process capability of {column} ({result.method}: {result.method_reason})")
    for label, text in rows:
        print(f"  {label:<16}{text}")
    return 0


def _cmd_gage(args: argparse.Namespace) -> int:
    table = read_table(args.file)
    result = gage_rr(
        table.text(args.part_column),
        table.text(args.operator_column),
        table.numbers(args.value_column),
        method=args.method,
        tolerance=args.tolerance,
        study_var=args.study_var,
    )
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(
        f"Gage R&R ({result.method}): {result.parts} parts, {result.operators} operators, "
        f"{result.replicates} replicates"
    )
    # As Minitab prints it: the full two-way table with the part x operator interaction, then
    # the table without it when the interaction was pooled (its p above the pooling alpha).
    tables = [("Two-way ANOVA table with interaction", result.anova_full)]
    if result.anova_reduced is not None:
        alpha = result.interaction_alpha
        tables.append(
            (
                "Two-way ANOVA table without interaction"
                + (f" (interaction pooled: p > {alpha:g})" if alpha is not None else ""),
                result.anova_reduced,
            )
        )
    for heading, rows in tables:
        if not rows:
            continue
        print(f"  {heading}")
        print(f"  {'Source':<16}{'DF':>4}{'SS':>12}{'MS':>12}{'F':>10}{'P':>8}")
        for row in rows:
            ms = "" if row.ms is None else f"{row.ms:12.5f}"
            f = "" if row.f is None else f"{row.f:10.3f}"
            p = "" if row.p is None else f"{row.p:8.3f}"
            print(f"  {row.source:<16}{row.df:>4}{row.ss:12.5f}{ms:>12}{f:>10}{p:>8}")
    head = f"  {'Source':<16}{'VarComp':>10}{'%Contrib':>10}{'StdDev':>10}{'%StudyVar':>11}"
    print(head + ("%Tol".rjust(8) if result.tolerance else ""))
    for name, comp in result.components.items():
        tol = f"{comp.pct_tolerance:8.2f}" if comp.pct_tolerance is not None else ""
        print(
            f"  {name:<16}{comp.variance:10.5f}{comp.pct_contribution:10.2f}"
            f"{comp.std_dev:10.5f}{comp.pct_study_var:11.2f}{tol}"
        )
    print(f"  Number of distinct categories: {result.ndc}")
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    plan = sampling_plan(
        args.lot_size,
        args.aql,
        level=args.level,
        inspection=args.inspection,
        standard=args.standard,
    )
    if args.json:
        print(json.dumps(plan.to_dict()))
        return 0
    print(
        f"Single sampling plan ({plan.standard}, {plan.inspection} inspection, level {plan.level})"
    )
    print(f"  Lot size          {plan.lot_size}")
    print(f"  AQL               {plan.aql:g}")
    print(
        f"  Code letter       {plan.code_letter}"
        + (f" (plan of letter {plan.plan_letter})" if plan.plan_letter != plan.code_letter else "")
    )
    print(
        f"  Sample size       {plan.sample_size}"
        + ("  (100% inspection: sample size reaches the lot size)" if plan.hundred_percent else "")
    )
    print(f"  Accept (Ac)       {plan.acceptance_number}")
    print(f"  Reject (Re)       {plan.rejection_number}")
    return 0


def _parser() -> _Parser:
    parser = _Parser(prog="qualitas spc", description="Statistical quality engine")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def data_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--column", help="column with the measurements or counts")
        group = p.add_mutually_exclusive_group()
        group.add_argument("--subgroup-column", help="column naming the subgroup of each row")
        group.add_argument("--subgroup-size", type=int, help="consecutive rows per subgroup")
        p.add_argument("--lsl", type=float, help="lower specification limit")
        p.add_argument("--usl", type=float, help="upper specification limit")
        p.add_argument("--target", type=float, help="target value")
        p.add_argument("--json", action="store_true", help="machine-readable JSON output")

    chart = sub.add_parser("chart", help="control chart with run rules")
    chart.add_argument("type", choices=CHART_TYPES, metavar="TYPE", help=", ".join(CHART_TYPES))
    chart.add_argument("file", help="CSV file (or XLSX with openpyxl)")
    data_options(chart)
    chart.add_argument("--size-column", help="sample sizes for p, np and u charts")
    chart.add_argument("--rules", choices=("nelson", "western_electric"), default="nelson")
    chart.add_argument("--run-length", type=int, help="points in a row on one side (9/8)")
    chart.add_argument("--plot", help="write the chart image (.png, .svg, .pdf)")
    chart.set_defaults(func=_cmd_chart)

    cap = sub.add_parser("capability", help="process capability")
    cap.add_argument("file")
    data_options(cap)
    cap.add_argument("--confidence", type=float, default=0.95)
    cap.add_argument(
        "--method", choices=("normal", "percentile", "boxcox", "johnson", "auto"), default="normal"
    )
    cap.add_argument("--bound", choices=("two-sided", "lower"), default="two-sided")
    cap.add_argument("--plot", help="write a histogram with spec limits")
    cap.set_defaults(func=_cmd_capability)

    gage = sub.add_parser("gage-rr", help="crossed Gage R&R study")
    gage.add_argument("file")
    gage.add_argument("--part-column", required=True)
    gage.add_argument("--operator-column", required=True)
    gage.add_argument("--value-column", required=True)
    gage.add_argument("--tolerance", type=float)
    gage.add_argument("--method", choices=("anova", "average_range"), default="anova")
    gage.add_argument("--study-var", type=float, default=6.0)
    gage.add_argument("--json", action="store_true")
    gage.set_defaults(func=_cmd_gage)

    sample = sub.add_parser("sample", help="single sampling plan (Z1.4 / ISO 2859-1)")
    sample.add_argument("--lot-size", type=int, required=True)
    sample.add_argument("--aql", required=True)
    sample.add_argument("--level", default="II")
    sample.add_argument(
        "--inspection", choices=("normal", "tightened", "reduced"), default="normal"
    )
    sample.add_argument(
        "--standard",
        default="iso2859-1",
        help="iso2859-1 (ISO 2859-1:1999, default) or z1.4 (MIL-STD-105E, ANSI/ASQ Z1.4)",
    )
    sample.add_argument("--json", action="store_true")
    sample.set_defaults(func=_cmd_sample)
    cli_design.add_commands(sub)
    cli_studies.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``qualitas spc`` with ``argv`` (default: sys.argv[1:]); return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args))
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except (CliError, SpcInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
