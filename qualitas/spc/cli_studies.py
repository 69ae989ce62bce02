"""``qualitas spc`` commands for measurement system and life-data studies (added to cli.py).

    qualitas spc agreement FILE --appraiser-column A --part-column P --rating-column R
                                [--standard-column S] [--json]
    qualitas spc linearity FILE --reference-column R --value-column V
                                [--process-variation PV] [--json]
    qualitas spc type1 FILE --column C --reference X --tolerance T [--json]
    qualitas spc life FILE --time-column T [--censored-column C]
                           [--distribution weibull|lognormal|exponential|compare] [--plot p.png]

A long table: one row per rating (agreement), per measurement (linearity, type 1) or per
unit (life; a censored cell of 1, yes, true or "censored" marks a unit that had not failed).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qualitas.spc import msa, reliability
from qualitas.spc.clitable import CliError, read_table

__all__ = ["add_commands"]

CENSORED_MARKS = {"1", "yes", "y", "true", "censored", "c", "suspended", "s"}


def _cmd_agreement(args: argparse.Namespace) -> int:
    table = read_table(args.file)
    appraisers = table.text(args.appraiser_column)
    parts = table.text(args.part_column)
    ratings = table.text(args.rating_column)
    cells: dict[str, dict[str, list[str]]] = {}
    for k, (who, part, rating) in enumerate(zip(appraisers, parts, ratings, strict=True)):
        if not who or not part or not rating:
            raise CliError(f"{table.path.name}: row {table.lines[k]}: an empty cell")
        cells.setdefault(who, {}).setdefault(part, []).append(rating)
    part_order = list(dict.fromkeys(parts))
    grid: dict[str, list[list[str]]] = {}
    for who, by_part in cells.items():
        missing = [p for p in part_order if p not in by_part]
        if missing:
            raise CliError(f"{table.path.name}: appraiser {who!r} did not rate part {missing[0]!r}")
        grid[who] = [by_part[p] for p in part_order]
    standard = None
    if args.standard_column:
        known: dict[str, str] = {}
        for part, value in zip(parts, table.text(args.standard_column), strict=True):
            if known.setdefault(part, value) != value:
                raise CliError(f"{table.path.name}: part {part!r} has two standard values")
        standard = [known[p] for p in part_order]
    result = msa.attribute_agreement(grid, standard)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(
        f"Attribute agreement: {len(result.appraisers)} appraisers, {result.parts} parts, "
        f"{result.trials} trials, responses {', '.join(result.categories)}"
    )

    def line(label: str, row: Any) -> None:
        print(
            f"  {label:<28}{row.matched:>4} of {row.inspected:<4}{row.percent:7.1f} %"
            f"   ({row.ci_low:.1f} .. {row.ci_high:.1f})"
        )

    for who, row in result.within.items():
        line(f"within {who}", row)
    for who, row in result.vs_standard.items():
        line(f"{who} vs standard", row)
    line("between appraisers", result.between)
    if result.all_vs_standard is not None:
        line("all appraisers vs standard", result.all_vs_standard)
    overall = [k for k in result.between_kappa if k.response is None]
    if overall and overall[0].kappa is not None:
        print(f"  Fleiss' kappa between appraisers: {overall[0].kappa:.4f}")
    return 0


def _cmd_linearity(args: argparse.Namespace) -> int:
    table = read_table(args.file)
    result = msa.bias_linearity(
        table.numbers(args.reference_column),
        table.numbers(args.value_column),
        process_variation=args.process_variation,
    )
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(f"Gage linearity and bias: {result.n} measurements")
    print(
        f"  bias = {result.intercept.estimate:.5g} + {result.slope.estimate:.5g} x reference"
        + (f"   R-sq {result.r_squared:.4f}" if result.r_squared is not None else "")
    )
    if result.slope.p is not None:
        print(f"  slope p-value {result.slope.p:.4f}")
    print(f"  average bias {result.average.bias:.5g}")
    for row in result.biases:
        p = "" if row.p is None else f"  p {row.p:.3f}"
        print(f"  reference {row.reference or 0:g}: bias {row.bias:.5g}{p}")
    return 0


def _cmd_type1(args: argparse.Namespace) -> int:
    table = read_table(args.file)
    result = msa.type1(table.numbers(args.column), args.reference, args.tolerance)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    print(f"Type 1 gauge study: {result.n} measurements of reference {result.reference:g}")
    print(f"  mean {result.mean:.6g}  std dev {result.std_dev:.5g}  bias {result.bias:.5g}")
    print(f"  Cg {result.cg:.3f}  Cgk {result.cgk:.3f}  bias t {result.t:.3f}  p {result.p:.4f}")
    return 0


def _censored(cells: list[str]) -> list[bool]:
    return [c.strip().lower() in CENSORED_MARKS for c in cells]


def _cmd_life(args: argparse.Namespace) -> int:
    table = read_table(args.file)
    times = table.numbers(args.time_column)
    censored = _censored(table.text(args.censored_column)) if args.censored_column else None
    if args.distribution == "compare":
        comparison = reliability.compare(times, censored)
        best = comparison.fit(comparison.preferred)
        payload: dict[str, Any] = {
            "preferred": comparison.preferred,
            "reason": comparison.reason,
            "fits": [f.to_dict() for f in comparison.fits],
        }
        lines = [
            f"  {f.distribution:<12} log-likelihood {f.log_likelihood:10.3f}  AIC {f.aic:9.2f}"
            for f in comparison.fits
        ]
        lines.append(f"  Preferred: {comparison.preferred}. {comparison.reason}")
    else:
        best = reliability.fit(times, censored, distribution=args.distribution)
        payload = best.to_dict()
        lines = [
            f"  {p.name:<10}{p.estimate:12.5g}   ({p.ci[0]:.5g} .. {p.ci[1]:.5g})"
            for p in best.parameters
        ]
    lines.append(f"  B10 life {best.b10:.5g}   ({best.b10_ci[0]:.5g} .. {best.b10_ci[1]:.5g})")
    if args.plot:
        from qualitas.spc.plot_reliability import plot_probability

        plot_probability(times, censored, distribution=best.distribution, path=args.plot)
    if args.json:
        print(json.dumps(payload))
        return 0
    print(
        f"Life data: {best.n} units, {best.failures} failures, {best.censored} censored "
        f"({best.distribution}, {best.confidence * 100:g}% intervals)"
    )
    print("\n".join(lines))
    if args.plot:
        print(f"\nProbability plot written to {args.plot}")
    return 0


def add_commands(sub: Any) -> None:
    """Add the MSA and reliability commands to ``qualitas spc``'s sub-parsers."""
    agree = sub.add_parser("agreement", help="attribute agreement analysis (kappa)")
    agree.add_argument("file")
    agree.add_argument("--appraiser-column", required=True)
    agree.add_argument("--part-column", required=True)
    agree.add_argument("--rating-column", required=True)
    agree.add_argument("--standard-column")
    agree.add_argument("--json", action="store_true")
    agree.set_defaults(func=_cmd_agreement)

    lin = sub.add_parser("linearity", help="gage linearity and bias study")
    lin.add_argument("file")
    lin.add_argument("--reference-column", required=True)
    lin.add_argument("--value-column", required=True)
    lin.add_argument("--process-variation", type=float)
    lin.add_argument("--json", action="store_true")
    lin.set_defaults(func=_cmd_linearity)

    t1 = sub.add_parser("type1", help="type 1 gauge study (Cg, Cgk)")
    t1.add_argument("file")
    t1.add_argument("--column", required=True)
    t1.add_argument("--reference", type=float, required=True)
    t1.add_argument("--tolerance", type=float, required=True)
    t1.add_argument("--json", action="store_true")
    t1.set_defaults(func=_cmd_type1)

    life = sub.add_parser("life", help="life-data fit (Weibull, lognormal, exponential)")
    life.add_argument("file")
    life.add_argument("--time-column", required=True)
    life.add_argument("--censored-column")
    life.add_argument(
        "--distribution",
        choices=("weibull", "lognormal", "exponential", "compare"),
        default="weibull",
    )
    life.add_argument("--plot", help="write a probability plot (.png)")
    life.add_argument("--json", action="store_true")
    life.set_defaults(func=_cmd_life)
