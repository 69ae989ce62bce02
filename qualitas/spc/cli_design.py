"""``qualitas spc`` commands for acceptance sampling and chart design (added to cli.py's parser).

qualitas spc oc (--n N --ac C | --lot-size N --aql A [--scheme single|double|multiple])
                [--lot-size N] [--method binomial|poisson|hypergeometric] [--p 0.01,0.05]
                [--inspection ...] [--standard ...] [--json] [--plot curves.png]
qualitas spc find-plan --aql 1 --alpha 0.05 --ltpd 6 --beta 0.10 [--variables] [--json]
qualitas spc lq-plan --lot-size N --lq 2 [--beta 0.10] [--ac 0] [--json]
qualitas spc variables-plan --lot-size N --aql A [--level IV] [FILE --column C --lsl|--usl]
qualitas spc arl (shewhart|cusum|ewma) [--k 0.5 --h 5 | --lam 0.2 --L 3] [--shifts 0,0.5,1]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from qualitas.spc import arl, multiple, sampling, variables
from qualitas.spc.clitable import CliError, read_table

__all__ = ["add_commands"]

DEFAULT_SHIFTS = "0,0.25,0.5,0.75,1,1.5,2,2.5,3,4"


def _floats(text: str, option: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise CliError(f"{option}: give numbers separated by commas, got {text!r}") from None
    if not values:
        raise CliError(f"{option}: give at least one number")
    return values


def _plan(args: argparse.Namespace) -> Any:
    if args.n is not None or args.ac is not None:
        if args.n is None or args.ac is None:
            raise CliError("--n and --ac go together (or give --lot-size and --aql)")
        return (args.n, args.ac)
    if args.lot_size is None or args.aql is None:
        raise CliError("give a plan: --n and --ac, or --lot-size and --aql")
    options = {"level": args.level, "inspection": args.inspection, "standard": args.standard}
    if args.scheme == "double":
        return multiple.double_plan(args.lot_size, args.aql, **options)
    if args.scheme == "multiple":
        return multiple.multiple_plan(args.lot_size, args.aql, **options)
    return sampling.sampling_plan(args.lot_size, args.aql, **options)


def _plan_text(plan: Any) -> str:
    if isinstance(plan, tuple):
        return f"single plan n = {plan[0]}, Ac = {plan[1]}"
    if isinstance(plan, sampling.SamplingPlan):
        return (
            f"single plan n = {plan.sample_size}, Ac = {plan.acceptance_number}, "
            f"Re = {plan.rejection_number} (letter {plan.code_letter})"
        )
    return f"{type(plan).__name__}: " + json.dumps(plan.to_dict())


def _cmd_oc(args: argparse.Namespace) -> int:
    plan = _plan(args)
    p = np.asarray(_floats(args.p, "--p"), dtype=np.float64) if args.p else None
    if p is None:
        p = np.round(np.linspace(0.0, 0.2, 21), 4)
    lot = args.lot_size
    pa = sampling.oc_curve(plan, p, method=args.method, lot_size=lot)
    result: dict[str, Any] = {"plan": _plan_text(plan), "p": p.tolist(), "pa": pa.tolist()}
    if lot is not None:
        result["aoq"] = sampling.aoq(plan, p, lot, method=args.method).tolist()
        result["ati"] = sampling.ati(plan, p, lot, method=args.method).tolist()
        result["aoql"], result["aoql_at"] = sampling.aoql(plan, lot, method=args.method)
    if not isinstance(plan, (tuple, sampling.SamplingPlan)):
        result["asn"] = multiple.asn(plan, p, method=args.method, lot_size=lot).tolist()
    if args.plot:
        from qualitas.spc.plot_sampling import plot_oc

        plot_oc(result, args.plot)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Operating characteristic ({args.method}) of the {result['plan']}")
    columns = [c for c in ("pa", "aoq", "ati", "asn") if c in result]
    print("  " + f"{'p':>8}" + "".join(f"{c.upper():>12}" for c in columns))
    for i, q in enumerate(result["p"]):
        cells = "".join(f"{result[c][i]:>12.4f}" for c in columns)
        print(f"  {q:>8.4f}{cells}")
    if "aoql" in result:
        print(f"  AOQL {result['aoql']:.4f} at p = {result['aoql_at']:.4f}")
    if args.plot:
        print(f"\nCurves written to {args.plot}")
    return 0


def _cmd_find_plan(args: argparse.Namespace) -> int:
    if args.variables:
        n, k = variables.find_variables_plan(args.aql, args.alpha, args.ltpd, args.beta)
        result: dict[str, Any] = {"n": n, "k": k}
        text = f"Variables plan (s-method): n = {n}, k = {k:.4f}"
    else:
        n, c = sampling.find_plan(args.aql, args.alpha, args.ltpd, args.beta, method=args.method)
        pa1 = float(sampling.oc_curve(n, c, args.aql / 100, method=args.method))
        pa2 = float(sampling.oc_curve(n, c, args.ltpd / 100, method=args.method))
        result = {"n": n, "c": c, "pa_at_aql": pa1, "pa_at_ltpd": pa2}
        text = (
            f"Single plan n = {n}, c = {c}: Pa = {pa1:.4f} at AQL {args.aql:g} %, "
            f"{pa2:.4f} at LTPD {args.ltpd:g} %"
        )
    print(json.dumps(result) if args.json else text)
    return 0


def _cmd_lq_plan(args: argparse.Namespace) -> int:
    n, c = sampling.lq_plan(args.lot_size, args.lq, beta=args.beta, ac=args.ac)
    pa = float(
        sampling.oc_curve(n, c, args.lq / 100, method="hypergeometric", lot_size=args.lot_size)
    )
    result = {"n": n, "c": c, "pa_at_lq": pa}
    text = (
        f"Isolated lot of {args.lot_size}: n = {n}, Ac = {c}; Pa = {pa:.4f} at LQ {args.lq:g} % "
        "(hypergeometric; ISO 2859-2 procedure A's principle, not its printed table)"
    )
    print(json.dumps(result) if args.json else text)
    return 0


def _cmd_variables_plan(args: argparse.Namespace) -> int:
    plan = variables.variables_plan(
        args.lot_size, args.aql, level=args.level, inspection=args.inspection
    )
    result: dict[str, Any] = {"plan": plan.to_dict()}
    if args.file:
        if not args.column:
            raise CliError("--column names the measurements to judge the lot by")
        values = read_table(args.file).numbers(args.column)
        result["judgement"] = variables.judge_lot(
            plan, values, lsl=args.lsl, usl=args.usl
        ).to_dict()
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"Variables plan ({plan.standard}, s-method, {plan.inspection} inspection)")
    print(f"  Code letter  {plan.code_letter}  sample size {plan.sample_size}  k {plan.k:g}")
    if "judgement" in result:
        print(f"  {result['judgement']['reason']}")
    return 0


def _cmd_arl(args: argparse.Namespace) -> int:
    shifts = np.asarray(_floats(args.shifts, "--shifts"), dtype=np.float64)
    if args.chart == "shewhart":
        values = arl.shewhart(shifts, nsigmas=args.L)
        label = f"Shewhart chart, limits at {args.L:g} sigma"
    elif args.chart == "cusum":
        values = arl.cusum(args.k, args.h, shifts, fir=args.fir)
        label = f"CUSUM k = {args.k:g}, h = {args.h:g}" + (
            f", head start {args.fir:g}" if args.fir else ""
        )
    else:
        values = arl.ewma(args.lam, args.L, shifts)
        label = f"EWMA lambda = {args.lam:g}, L = {args.L:g}"
    table = [
        {"shift": float(s), "arl": float(v)}
        for s, v in zip(shifts, np.atleast_1d(values), strict=True)
    ]
    if args.json:
        print(json.dumps({"chart": args.chart, "rows": table}))
        return 0
    print(f"Average run length, {label}")
    print(f"  {'shift (sigma)':>14}{'ARL':>12}")
    for row in table:
        print(f"  {row['shift']:>14g}{row['arl']:>12.2f}")
    return 0


def add_commands(sub: Any) -> None:
    """Add the sampling and design commands to ``qualitas spc``'s sub-parsers."""
    oc = sub.add_parser("oc", help="OC, AOQ, ATI and ASN curves of a sampling plan")
    oc.add_argument("--n", type=int, help="sample size of a single plan")
    oc.add_argument("--ac", type=int, help="acceptance number of a single plan")
    oc.add_argument("--lot-size", type=int)
    oc.add_argument("--aql")
    oc.add_argument("--scheme", choices=("single", "double", "multiple"), default="single")
    oc.add_argument("--level", default="II")
    oc.add_argument("--inspection", choices=("normal", "tightened", "reduced"), default="normal")
    oc.add_argument("--standard", default=sampling.DEFAULT_STANDARD)
    oc.add_argument("--method", choices=sampling.OC_METHODS, default="binomial")
    oc.add_argument("--p", help="fractions nonconforming, e.g. 0,0.01,0.05 (default 0..0.2)")
    oc.add_argument("--plot", help="write the curves (.png, .svg, .pdf)")
    oc.add_argument("--json", action="store_true")
    oc.set_defaults(func=_cmd_oc)

    find = sub.add_parser("find-plan", help="plan through producer's and consumer's risk points")
    find.add_argument("--aql", type=float, required=True, help="percent nonconforming")
    find.add_argument("--alpha", type=float, default=0.05)
    find.add_argument("--ltpd", type=float, required=True, help="percent nonconforming")
    find.add_argument("--beta", type=float, default=0.10)
    find.add_argument("--method", choices=sampling.OC_METHODS[:2], default="binomial")
    find.add_argument("--variables", action="store_true", help="a variables (s-method) plan")
    find.add_argument("--json", action="store_true")
    find.set_defaults(func=_cmd_find_plan)

    lq = sub.add_parser("lq-plan", help="plan for an isolated lot at its limiting quality")
    lq.add_argument("--lot-size", type=int, required=True)
    lq.add_argument("--lq", type=float, required=True, help="percent nonconforming")
    lq.add_argument("--beta", type=float, default=0.10)
    lq.add_argument("--ac", type=int, default=0)
    lq.add_argument("--json", action="store_true")
    lq.set_defaults(func=_cmd_lq_plan)

    var = sub.add_parser("variables-plan", help="variables sampling plan (s-method, MIL-STD-414)")
    var.add_argument("--lot-size", type=int, required=True)
    var.add_argument("--aql", required=True)
    var.add_argument("--level", default=None)
    var.add_argument("--inspection", choices=("normal", "tightened"), default="normal")
    var.add_argument("file", nargs="?", help="measurements of the sample to judge the lot by")
    var.add_argument("--column")
    var.add_argument("--lsl", type=float)
    var.add_argument("--usl", type=float)
    var.add_argument("--json", action="store_true")
    var.set_defaults(func=_cmd_variables_plan)

    run = sub.add_parser("arl", help="average run length of a chart for given shifts")
    run.add_argument("chart", choices=("shewhart", "cusum", "ewma"))
    run.add_argument("--shifts", default=DEFAULT_SHIFTS, help="shifts in sigma units")
    run.add_argument("--k", type=float, default=0.5, help="CUSUM reference value")
    run.add_argument("--h", type=float, default=5.0, help="CUSUM decision interval")
    run.add_argument("--fir", type=float, default=0.0, help="CUSUM head start")
    run.add_argument("--lam", type=float, default=0.2, help="EWMA weight lambda")
    run.add_argument("--L", type=float, default=3.0, help="limit width in sigma")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=_cmd_arl)
