"""`{{ value|brief }}`: an audit-trail value as a page shows it (core.changes.brief)."""

from __future__ import annotations

from typing import Any

from django import template

from qualitas.core.changes import brief as brief_value

register = template.Library()


@register.filter
def brief(value: Any) -> str:
    return brief_value(value)
