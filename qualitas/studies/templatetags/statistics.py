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
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    # Fixed notation between a millionth and ten million (0.000106, not 1.06e-04), as a
    # reader compares a bias with its interval; trailing zeros dropped, as "g" drops them.
    if 1e-6 <= abs(number) < 1e7:
        decimals = max(0, int(figures) - 1 - math.floor(math.log10(abs(number))))
        text = f"{number:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{number:.{int(figures)}g}"


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


CAPABILITY_METHODS = {
    "normal": "normal distribution",
    "percentile": "Clements' percentile method, no distribution assumed",
    "boxcox": "Box-Cox transformation to normality",
    "johnson": "Johnson transformation to normality",
}


@register.filter
def capability_method(value: Any) -> str:
    """A capability method's key as a sentence fragment a reader understands."""
    return CAPABILITY_METHODS.get(str(value), str(value))
