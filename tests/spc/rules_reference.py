"""Slow, obviously-correct run-rule reference (plain Python loops) for the tests."""

from __future__ import annotations

import numpy as np


def zone_values(chart):
    """Per point: statistic, centre, sigma of the statistic, lcl, ucl (as Python floats)."""
    x = [float(v) for v in chart.statistic]
    n = len(x)
    c = np.broadcast_to(np.asarray(chart.center, dtype=float), (n,))
    lcl = [float(v) for v in chart.lcl]
    ucl = [float(v) for v in chart.ucl]
    se = [max(ucl[i] - c[i], c[i] - lcl[i]) / chart.nsigmas for i in range(n)]
    return x, [float(v) for v in c], se, lcl, ucl


def slow_rules(chart, run: int = 9) -> dict[str, list[int]]:
    x, c, se, lcl, ucl = zone_values(chart)
    n = len(x)
    constant = len(set(c)) == 1 and len(set(se)) == 1

    def beyond(i: int, k: float, side: int) -> bool:
        if constant:  # the same comparisons as the engine makes for constant limits
            return x[i] > c[i] + k * se[i] if side > 0 else x[i] < c[i] - k * se[i]
        z = (x[i] - c[i]) / se[i]
        return z > k if side > 0 else z < -k

    out: dict[str, list[int]] = {f"nelson{k}": [] for k in range(1, 9)}
    for i in range(n):
        if x[i] > ucl[i] or x[i] < lcl[i]:
            out["nelson1"].append(i)
        if i >= run - 1:
            window = range(i - run + 1, i + 1)
            if all(x[j] > c[j] for j in window) or all(x[j] < c[j] for j in window):
                out["nelson2"].append(i)
        if i >= 5:
            steps = range(i - 4, i + 1)
            if all(x[j] > x[j - 1] for j in steps) or all(x[j] < x[j - 1] for j in steps):
                out["nelson3"].append(i)
        if i >= 13 and all((x[j] - x[j - 1]) * (x[j + 1] - x[j]) < 0 for j in range(i - 12, i)):
            out["nelson4"].append(i)
        for side in (1, -1):
            if (
                beyond(i, 2, side)
                and sum(beyond(j, 2, side) for j in range(max(0, i - 2), i + 1)) >= 2
            ):
                out["nelson5"].append(i)
                break
        for side in (1, -1):
            if (
                beyond(i, 1, side)
                and sum(beyond(j, 1, side) for j in range(max(0, i - 4), i + 1)) >= 4
            ):
                out["nelson6"].append(i)
                break
        if i >= 14 and all(
            not beyond(j, 1, 1) and not beyond(j, 1, -1) for j in range(i - 14, i + 1)
        ):
            out["nelson7"].append(i)
        if i >= 7 and all(beyond(j, 1, 1) or beyond(j, 1, -1) for j in range(i - 7, i + 1)):
            out["nelson8"].append(i)
    return out
