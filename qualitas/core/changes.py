"""How a change in the audit trail reads on a page (the trail page, a record's history).

Exports and the API carry the whole value; a page summarises what would not fit a
1280-pixel screen: measurements as "125 values: 74.012 … 73.998", long text cut with the
whole of it in a tooltip.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html

# A value longer than this is cut on the page.
SHOWN_CHARS = 80


def brief(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, list):
        if not value:
            return "no values"
        if len(value) <= 3:
            return ", ".join(str(v) for v in value)
        return f"{len(value):,} values: {value[0]} … {value[-1]}"
    if isinstance(value, dict):
        return f"{len(value):,} fields"
    text = str(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[:SHOWN_CHARS])
