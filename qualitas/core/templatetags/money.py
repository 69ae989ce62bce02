"""`{{ amount|money:currency }}`: every amount on a page, with its currency's decimals."""

from __future__ import annotations

from typing import Any

from django import template

from qualitas.core.money import format_money

register = template.Library()


@register.filter
def money(amount: Any, currency: str = "") -> str:
    return format_money(amount, currency or "")
