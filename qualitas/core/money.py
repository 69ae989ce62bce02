"""Amounts of money as people read them: with the currency's own decimals (ISO 4217)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# ISO 4217 minor units of the currencies that do not use two decimals; every other code
# (GBP, EUR, USD, CHF …) has two.
_MINOR_UNITS = {
    # no decimals
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # three decimals
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # four decimals
    "CLF": 4,
    "UYW": 4,
}


def minor_units(currency: str) -> int:
    """How many decimals the currency is written with."""
    return _MINOR_UNITS.get(currency.strip().upper(), 2)


def rounded(amount: Decimal, currency: str) -> Decimal:
    """The amount to the currency's smallest unit (half up, as invoices round)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def format_money(amount: Any, currency: str = "") -> str:
    """'772.50 GBP', '1,500 JPY': grouped thousands and the currency's decimals."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    text = f"{rounded(value, currency):,f}"
    return f"{text} {currency.upper()}" if currency else text
