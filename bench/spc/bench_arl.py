"""Benchmark of the ARL Markov chains in qualitas.spc.arl.

Run from the repository root::

    .venv/bin/python bench/spc/bench_arl.py [--repeat 7]

Times one ARL through the public API with a 400-state chain (CUSUM: one side,
two sides = two chains; EWMA: 401 states, asymptotic limits) and a curve of 11
shifts, best of N.  Goal: under 50 ms for one 400-state chain.  Figures only,
no assertions on time (the machine may be shared).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qualitas.spc import arl


def best_ms(func: Callable[[], object], repeat: int) -> float:
    func()  # warm up (imports, BLAS threads)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    curve = np.array([0, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5])
    cases: list[tuple[str, Callable[[], object]]] = [
        ("CUSUM k=0.5 h=5, one side, 400 states", lambda: arl.cusum(0.5, 5, 0.0, sided="upper")),
        ("CUSUM k=0.5 h=5, two-sided (2 chains)", lambda: arl.cusum(0.5, 5, 0.0)),
        ("CUSUM two-sided, head start (4 chains)", lambda: arl.cusum(0.5, 5, 0.0, fir=2.5)),
        ("CUSUM two-sided, 11 shifts (22 chains)", lambda: arl.cusum(0.5, 5, curve)),
        ("EWMA lam=0.1 L=2.814, 401 states", lambda: arl.ewma(0.1, 2.814, 0.0)),
        ("EWMA 11 shifts (11 chains)", lambda: arl.ewma(0.1, 2.814, curve)),
        ("EWMA exact limits lam=0.1 (65 steps)", lambda: arl.ewma(0.1, 2.814, 0.0, limits="exact")),
        ("cusum_h(k=0.5, arl0=370)", lambda: arl.cusum_h(0.5, 370.0)),
        ("ewma_L(lam=0.1, arl0=500)", lambda: arl.ewma_L(0.1, 500.0)),
    ]
    print(f"best of {repeat}; numpy {np.__version__}")
    for label, func in cases:
        print(f"{label:42s} {best_ms(func, repeat):9.1f} ms")


if __name__ == "__main__":
    main()
