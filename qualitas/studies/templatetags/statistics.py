"""Numbers as a quality engineer reads them on a study page: significant figures, fractions
as percent, and "—" where the engine had no value (never "None" or "nan")."""

from __future__ import annotations

import math
from typing import Any

from django import template

register = template.Library()

MISSING = "—"


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def sig(value: Any, figures: int = 4) -> str:
    """`value` to `figures` significant figures (1234.5 → 1235, 0.000123456 → 0.0001235)."""
    number = _number(value)
    return MISSING if number is None else f"{number:.{int(figures)}g}"


@register.filter
def percent(value: Any, figures: int = 3) -> str:
    """A fraction (0.0123) as a percentage to `figures` significant figures (1.23 %)."""
    number = _number(value)
    return MISSING if number is None else f"{100 * number:.{int(figures)}g} %"


@register.filter
def pvalue(value: Any) -> str:
    """A p-value as statistics packages print it: three decimals, "< 0.001" below that."""
    number = _number(value)
    if number is None:
        return MISSING
    return "< 0.001" if number < 0.001 else f"{number:.3f}"
