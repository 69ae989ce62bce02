"""Run rules (tests for special causes) on a control chart, fully vectorised.

Eight Nelson rules (``nelson1`` ... ``nelson8``) and four Western Electric
rules (``we1`` ... ``we4``).  The flagging convention is Minitab's: the point
that completes a pattern is flagged, and so is every later point while the
pattern still holds.  For "2 of 3" and "4 of 5" the flagged point must itself
be beyond the zone (and on the same side).  "Beyond k sigma" is strict,
"within 1 sigma" is inclusive, and a point exactly on the centre line breaks a
run on one side.  Zones are measured for every point from that point's own
centre and limits, so charts with variable limits work.

=========  =====================================================  ============
rule id    pattern                                                default run
=========  =====================================================  ============
nelson1    one point beyond a control limit                       1
nelson2    ``run_length`` points in a row on one side of centre   9
nelson3    six points in a row steadily increasing or decreasing  6
nelson4    fourteen points in a row alternating up and down       14
nelson5    two of three points beyond 2 sigma, same side          3
nelson6    four of five points beyond 1 sigma, same side          5
nelson7    fifteen points in a row within 1 sigma of centre       15
nelson8    eight points in a row beyond 1 sigma, either side      8
we1        one point beyond a control limit                       1
we2        two of three points beyond 2 sigma, same side          3
we3        four of five points beyond 1 sigma, same side          5
we4        ``run_length`` points in a row on one side of centre   8
=========  =====================================================  ============
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from qualitas.spc.errors import SpcInputError

# Fewer samples than this give preliminary limits (AIAG SPC manual: 20 to 25 subgroups):
# no signal in them is not yet evidence that the process is in control.
SAMPLES_TO_JUDGE_CONTROL = 20

if TYPE_CHECKING:
    from qualitas.spc.charts import ControlChart

__all__ = ["NELSON_RULES", "RULE_DESCRIPTIONS", "WESTERN_ELECTRIC_RULES", "run_rules"]

BoolArray = NDArray[np.bool_]

NELSON_RULES: tuple[str, ...] = tuple(f"nelson{i}" for i in range(1, 9))
WESTERN_ELECTRIC_RULES: tuple[str, ...] = ("we1", "we2", "we3", "we4")

RULE_DESCRIPTIONS: dict[str, str] = {
    "nelson1": "1 point beyond a control limit",
    "nelson2": "{run} points in a row on one side of the centre line",
    "nelson3": "6 points in a row steadily increasing or decreasing",
    "nelson4": "14 points in a row alternating up and down",
    "nelson5": "2 of 3 points beyond 2 sigma on one side",
    "nelson6": "4 of 5 points beyond 1 sigma on one side",
    "nelson7": "15 points in a row within 1 sigma of the centre line",
    "nelson8": "8 points in a row beyond 1 sigma on either side",
    "we1": "1 point beyond a control limit",
    "we2": "2 of 3 points beyond 2 sigma on one side",
    "we3": "4 of 5 points beyond 1 sigma on one side",
    "we4": "{run} points in a row on one side of the centre line",
}


def _all_last(flags: BoolArray, length: int) -> BoolArray:
    """out[i] is True when flags[i - length + 1 .. i] are all True (window doubling)."""
    n = flags.shape[0]
    if length <= 1:
        return flags.copy()
    if length > n:
        return np.zeros(n, dtype=np.bool_)
    current = flags.copy()
    spare = np.empty_like(current)
    span = 1
    while span < length:
        step = min(span, length - span)
        np.logical_and(current[step:], current[:-step], out=spare[step:])
        spare[:step] = False
        current, spare = spare, current
        span += step
    return current


def _count_last(flags: BoolArray, window: int) -> NDArray[np.uint8]:
    """Number of True values among flags[i - window + 1 .. i] (fewer at the start)."""
    count = flags.astype(np.uint8)
    for offset in range(1, window):
        count[offset:] += flags[:-offset]
    return count


def _k_of_window(beyond: BoolArray, window: int, needed: int) -> BoolArray:
    return beyond & (_count_last(beyond, window) >= needed)


def _constant(values: float | NDArray[np.float64]) -> float | None:
    """The single value of a scalar or a stride-0 (broadcast) array, else None."""
    if isinstance(values, np.ndarray):
        if values.ndim == 1 and values.size > 0 and values.strides == (0,):
            return float(values[0])
        return None
    return float(values)


class _Zones:
    """Zone membership of every point, measured from that point's own limits."""

    def __init__(self, chart: ControlChart) -> None:
        self.x = chart.statistic
        self.lcl = chart.lcl
        self.ucl = chart.ucl
        center = _constant(chart.center)
        lcl = _constant(chart.lcl)
        ucl = _constant(chart.ucl)
        nsigmas = float(chart.nsigmas)
        self._cache: dict[tuple[float, int], BoolArray] = {}
        self.scalar = center is not None and lcl is not None and ucl is not None
        if center is not None and lcl is not None and ucl is not None:
            self.center: float | NDArray[np.float64] = center
            self.se = max(ucl - center, center - lcl) / nsigmas
            self.z: NDArray[np.float64] | None = None
            self.lcl_value, self.ucl_value = lcl, ucl
        else:
            c = np.asarray(chart.center, dtype=np.float64)
            self.center = np.broadcast_to(c, self.x.shape)
            se = np.maximum(chart.ucl - c, c - chart.lcl) / nsigmas
            with np.errstate(divide="ignore", invalid="ignore"):
                self.z = (self.x - c) / se
            self.se = 0.0
            self.lcl_value = self.ucl_value = 0.0

    def beyond(self, k: float, side: int) -> BoolArray:
        """Points strictly beyond k sigma on the upper (+1) or lower (-1) side."""
        key = (k, side)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if self.z is None:
            c = float(self.center)
            result = self.x > c + k * self.se if side > 0 else self.x < c - k * self.se
        else:
            result = self.z > k if side > 0 else self.z < -k
        self._cache[key] = result
        return result

    def beyond_limits(self) -> BoolArray:
        """Points strictly above the UCL or strictly below the LCL."""
        if self.scalar:
            return (self.x > self.ucl_value) | (self.x < self.lcl_value)
        return (self.x > self.ucl) | (self.x < self.lcl)

    def side_runs(self, length: int) -> BoolArray:
        """Runs of ``length`` points strictly on one side of the centre line."""
        above = self.x > self.center
        flags = _all_last(above, length)
        del above
        below = self.x < self.center
        flags |= _all_last(below, length)
        return flags


def _trend(x: NDArray[np.float64], length: int) -> BoolArray:
    n = x.shape[0]
    flags = np.zeros(n, dtype=np.bool_)
    if n < 2:
        return flags
    up = x[1:] > x[:-1]
    flags[1:] = _all_last(up, length - 1)
    del up
    down = x[1:] < x[:-1]
    flags[1:] |= _all_last(down, length - 1)
    return flags


def _alternating(x: NDArray[np.float64], length: int) -> BoolArray:
    n = x.shape[0]
    flags = np.zeros(n, dtype=np.bool_)
    if n < 3:
        return flags
    up = x[1:] > x[:-1]
    down = x[1:] < x[:-1]
    alternate = (up[1:] & down[:-1]) | (down[1:] & up[:-1])
    del up, down
    flags[2:] = _all_last(alternate, length - 2)
    return flags


def _same_side_k_of(zones: _Zones, k: float, window: int, needed: int) -> BoolArray:
    upper = _k_of_window(zones.beyond(k, 1), window, needed)
    upper |= _k_of_window(zones.beyond(k, -1), window, needed)
    return upper


def _within_one(zones: _Zones) -> BoolArray:
    return _all_last(~(zones.beyond(1.0, 1) | zones.beyond(1.0, -1)), 15)


def _beyond_one(zones: _Zones) -> BoolArray:
    return _all_last(zones.beyond(1.0, 1) | zones.beyond(1.0, -1), 8)


def _resolve(rules: str | Iterable[str]) -> tuple[tuple[str, ...], bool]:
    if isinstance(rules, str):
        key = rules.strip().lower().replace("-", "_").replace(" ", "_")
        if key == "nelson":
            return NELSON_RULES, True
        if key in ("western_electric", "we", "weco"):
            return WESTERN_ELECTRIC_RULES, False
        if key in RULE_DESCRIPTIONS:
            return (key,), key.startswith("nelson")
        raise SpcInputError(
            f"unknown rule set {rules!r}: use 'nelson', 'western_electric' or a rule id "
            "such as 'nelson2' or 'we4'"
        )
    ids = tuple(str(r).strip().lower() for r in rules)
    unknown = [r for r in ids if r not in RULE_DESCRIPTIONS]
    if unknown:
        raise SpcInputError(f"unknown rule id(s) {', '.join(unknown)}")
    return ids, all(r.startswith("nelson") for r in ids)


def run_rules(
    chart: ControlChart,
    rules: str | Iterable[str] = "nelson",
    *,
    run_length: int | None = None,
) -> dict[str, NDArray[np.intp]]:
    """Apply run rules to a Shewhart chart and return rule id -> 0-based point indices.

    ``rules`` is ``"nelson"`` (rules nelson1 ... nelson8), ``"western_electric"``
    (we1 ... we4) or an iterable of rule ids.  ``run_length`` is the number of
    points in a row on one side of the centre line (nelson2 / we4); it defaults
    to 9 for Nelson and 8 for Western Electric (7 is the AIAG / qcc habit).
    """
    if chart.kind in ("ewma", "cusum"):
        raise SpcInputError(
            f"zone run rules do not apply to a {chart.kind.upper()} chart, whose points are "
            "not independent; use its beyond_limits signals"
        )
    ids, nelson = _resolve(rules)
    if run_length is None:
        run_length = 9 if nelson else 8
    if int(run_length) != run_length or run_length < 2:
        raise SpcInputError(f"run_length must be a whole number of at least 2, got {run_length}")
    run_length = int(run_length)
    zones = _Zones(chart)
    x = chart.statistic
    tests: dict[str, Callable[[], BoolArray]] = {
        "nelson1": zones.beyond_limits,
        "nelson2": lambda: zones.side_runs(run_length),
        "nelson3": lambda: _trend(x, 6),
        "nelson4": lambda: _alternating(x, 14),
        "nelson5": lambda: _same_side_k_of(zones, 2.0, 3, 2),
        "nelson6": lambda: _same_side_k_of(zones, 1.0, 5, 4),
        "nelson7": lambda: _within_one(zones),
        "nelson8": lambda: _beyond_one(zones),
        "we1": zones.beyond_limits,
        "we2": lambda: _same_side_k_of(zones, 2.0, 3, 2),
        "we3": lambda: _same_side_k_of(zones, 1.0, 5, 4),
        "we4": lambda: zones.side_runs(run_length),
    }
    return {rule: np.flatnonzero(tests[rule]()) for rule in ids}


def describe_rule(rule: str, run_length: int | None = None) -> str:
    """Human-readable description of a rule id."""
    text = RULE_DESCRIPTIONS.get(rule, rule)
    if "{run}" in text:
        default = 9 if rule.startswith("nelson") else 8
        text = text.format(run=run_length or default)
    return text
