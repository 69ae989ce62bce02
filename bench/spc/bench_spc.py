"""Benchmark of qualitas.spc against a plain vectorised NumPy floor.

Run from the repository root::

    .venv/bin/python bench/spc/bench_spc.py            # full size
    .venv/bin/python bench/spc/bench_spc.py --scale 0.01   # quick check

Two workloads, each timed through the public API and through the *floor*:
the same statistics, limits and zone tests written as straight NumPy with no
input validation, no dataclasses and no sigma-method dispatch.  The floor uses
the fastest plain-NumPy formulations we know (runs by AND-ing shifted boolean
copies with a doubling span, windowed counts by adding shifted copies), the
same ones the engine uses, so the ratio measures the cost of the API and not a
cleverer algorithm.  The floor produces the same violation indices; the script
checks that before timing.

1. Individuals + moving range with all 8 Nelson rules on both charts,
   10,000,000 values (``--scale`` multiplies the count).
2. X-bar/R with all 8 Nelson rules on both charts, 1,000,000 subgroups of 5.

Peak memory is measured with tracemalloc (NumPy reports its buffers to it)
and given relative to the size of the input array.  A textbook-size case
(25 subgroups of 5) is timed in microseconds per call.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qualitas.spc import individuals_mr, xbar_r
from qualitas.spc.constants import d2, d3

Bool = NDArray[np.bool_]


# ----------------------------------------------------------------------------- the floor


def _last(flags: Bool, length: int) -> Bool:
    """flags[i-length+1..i] all True: AND of shifted copies, doubling the span each pass."""
    out = flags.copy()
    spare = np.empty_like(out)
    span = 1
    while span < length:
        step = min(span, length - span)
        np.logical_and(out[step:], out[:-step], out=spare[step:])
        spare[:step] = False
        out, spare = spare, out
        span += step
    return out


def _count(flags: Bool, window: int) -> NDArray[np.uint8]:
    """Number of True values in the trailing window: sum of shifted copies."""
    out = flags.astype(np.uint8)
    for offset in range(1, window):
        out[offset:] += flags[:-offset]
    return out


def floor_rules(x: NDArray[np.float64], c: float, lcl: float, ucl: float) -> dict[str, Any]:
    """All 8 Nelson tests for constant limits, plain NumPy."""
    s = (ucl - c) / 3.0
    n = x.shape[0]
    out: dict[str, Any] = {}
    out["nelson1"] = np.flatnonzero((x > ucl) | (x < lcl))
    out["nelson2"] = np.flatnonzero(_last(x > c, 9) | _last(x < c, 9))
    up = x[1:] > x[:-1]
    down = x[1:] < x[:-1]
    f3 = np.zeros(n, dtype=np.bool_)
    f3[1:] = _last(up, 5) | _last(down, 5)
    out["nelson3"] = np.flatnonzero(f3)
    f4 = np.zeros(n, dtype=np.bool_)
    f4[2:] = _last((up[1:] & down[:-1]) | (down[1:] & up[:-1]), 12)
    out["nelson4"] = np.flatnonzero(f4)
    a2, b2 = x > c + 2 * s, x < c - 2 * s
    out["nelson5"] = np.flatnonzero((a2 & (_count(a2, 3) >= 2)) | (b2 & (_count(b2, 3) >= 2)))
    a1, b1 = x > c + s, x < c - s
    out["nelson6"] = np.flatnonzero((a1 & (_count(a1, 5) >= 4)) | (b1 & (_count(b1, 5) >= 4)))
    out["nelson7"] = np.flatnonzero(_last(~(a1 | b1), 15))
    out["nelson8"] = np.flatnonzero(_last(a1 | b1, 8))
    return out


def floor_imr(x: NDArray[np.float64]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Individuals and MR charts: statistics, limits and zone tests in plain NumPy."""
    mr = np.empty_like(x)
    mr[0] = np.nan
    np.abs(x[1:] - x[:-1], out=mr[1:])
    mr_bar = mr[1:].mean()
    sigma = mr_bar / 1.1283791670955126
    c = x.mean()
    i_rules = floor_rules(x, c, c - 3 * sigma, c + 3 * sigma)
    k2, k3 = 1.1283791670955126, float(d3(2))
    mr_rules = floor_rules(mr, mr_bar, max(0.0, (k2 - 3 * k3) * sigma), (k2 + 3 * k3) * sigma)
    return i_rules, mr_rules


def floor_xbar_r(data: NDArray[np.float64]) -> tuple[dict[str, Any], dict[str, Any]]:
    """X-bar and R charts for equal subgroups: statistics, limits and zone tests."""
    n = data.shape[1]
    means = data.mean(axis=1)
    ranges = data.max(axis=1) - data.min(axis=1)
    k2, k3 = float(d2(n)), float(d3(n))
    sigma = ranges.mean() / k2
    c = means.mean()
    h = 3 * sigma / np.sqrt(n)
    x_rules = floor_rules(means, c, c - h, c + h)
    r_rules = floor_rules(
        ranges, ranges.mean(), max(0.0, (k2 - 3 * k3) * sigma), (k2 + 3 * k3) * sigma
    )
    return x_rules, r_rules


# ----------------------------------------------------------------------------- measuring


def best_time(func: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_bytes(func: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak


def same(api: Any, floor: Any) -> bool:
    return all(np.array_equal(api.violations[k], floor[k]) for k in floor)


def bench_imr(x: NDArray[np.float64], repeats: int) -> str:
    """Individuals + MR with all 8 Nelson rules on both charts, against the floor."""
    api_i, api_mr = individuals_mr(x)
    f_i, f_mr = floor_imr(x)
    if not (same(api_i, f_i) and same(api_mr, f_mr)):
        raise RuntimeError("API and floor disagree (I-MR)")
    t_api = best_time(lambda: individuals_mr(x), repeats)
    t_floor = best_time(lambda: floor_imr(x), repeats)
    peak = peak_bytes(lambda: individuals_mr(x))
    return (
        f"I-MR, 8 Nelson rules, {x.shape[0]:,} values: api {t_api:.3f} s, floor "
        f"{t_floor:.3f} s, ratio {t_api / t_floor:.2f}x; peak memory {peak / x.nbytes:.2f}x "
        f"input ({peak / 2**20:.0f} MiB for {x.nbytes / 2**20:.0f} MiB)"
    )


def bench_xbar_r(data: NDArray[np.float64], repeats: int) -> str:
    """X-bar/R with all 8 Nelson rules on both charts, against the floor."""
    api_x, api_r = xbar_r(data)
    f_x, f_r = floor_xbar_r(data)
    if not (same(api_x, f_x) and same(api_r, f_r)):
        raise RuntimeError("API and floor disagree (X-bar/R)")
    t_api = best_time(lambda: xbar_r(data), repeats)
    t_floor = best_time(lambda: floor_xbar_r(data), repeats)
    peak = peak_bytes(lambda: xbar_r(data))
    return (
        f"X-bar/R, 8 Nelson rules, {data.shape[0]:,} subgroups of {data.shape[1]}: api "
        f"{t_api:.3f} s, floor {t_floor:.3f} s, ratio {t_api / t_floor:.2f}x; peak memory "
        f"{peak / data.nbytes:.2f}x input ({peak / 2**20:.0f} MiB for "
        f"{data.nbytes / 2**20:.0f} MiB)"
    )


def bench_textbook(rng: np.random.Generator) -> str:
    """X-bar/R with rules on 25 subgroups of 5, microseconds per call."""
    small = rng.normal(74.0, 0.01, (25, 5))
    xbar_r(small)
    calls = 2000
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            xbar_r(small)
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return f"X-bar/R, 8 Nelson rules, textbook size (25 x 5): {statistics.median(samples):.0f} us"


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements and print one line each."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (best is kept)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(20240601)
    n_values = max(100, int(10_000_000 * args.scale))
    n_groups = max(100, int(1_000_000 * args.scale))
    print(f"numpy {np.__version__}; scale {args.scale}; best of {args.repeats}")
    x = rng.normal(10.0, 2.0, n_values)
    x[n_values // 2 : n_values // 2 + 20] += 3.0  # a shift so that rules fire
    print(bench_imr(x, args.repeats))
    x = np.empty(0)
    data = rng.normal(74.0, 0.01, (n_groups, 5))
    data[n_groups // 3 : n_groups // 3 + 10] += 0.02
    print(bench_xbar_r(data, args.repeats))
    data = np.empty((0, 5))
    print(bench_textbook(rng))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
