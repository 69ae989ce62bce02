"""`{% list_table table %}`: a list's table made from a plan of its columns (core.listrender)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from qualitas.core import listrender

register = template.Library()


@register.simple_tag(takes_context=True)
def list_table(context: Any, table: Any) -> SafeString:
    return listrender.render(table, context["request"])
