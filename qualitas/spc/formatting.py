"""Numbers as a report prints them: each quantity with the digits it can vouch for.

Control limits and centre lines are told apart by about three significant digits of their
span; capability indices and their confidence intervals by two decimals (an index is judged
against 1.33 or 1.67, and its interval is wider than a hundredth); ppm by two significant
digits; specification limits exactly as they were given.
"""

from __future__ import annotations

import math

__all__ = ["decimals_for_span", "format_index", "format_limit", "format_ppm", "format_spec"]


def decimals_for_span(span: float) -> int:
    """Enough decimals to tell the limits apart: about three significant digits of their span.

    A fixed significant-digit format prints 74.0000 as "74" and hides the precision the
    chart is about.
    """
    if not math.isfinite(span) or span <= 0:
        return 4
    return int(min(10, max(0, 2 - math.floor(math.log10(span)))))


def format_limit(value: float, span: float) -> str:
    """A control limit, centre line or mean, with the decimals the limits' span warrants."""
    return f"{value:.{decimals_for_span(span)}f}"


def format_index(value: float) -> str:
    """Cp, Cpk, Pp, Ppk, Cpm and the ends of their confidence intervals."""
    return f"{value:.2f}"


def format_ppm(value: float) -> str:
    """Expected parts per million: two significant digits, whole numbers from 100 up."""
    if not math.isfinite(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    decimals = max(0, 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def format_spec(value: float | None) -> str:
    """A specification limit or target as the engineer entered it (74.05, not 74.0500)."""
    return "—" if value is None else f"{value:.10g}"
