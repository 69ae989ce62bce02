"""Human-readable record numbers (NC-2026-0001): gap-free and unique under concurrency.

A database sequence would leave gaps when a transaction rolls back; an auditor reading
NC-2026-0041 next to NC-2026-0043 asks where 0042 went. So each scope's counter is a row,
locked for the rest of the creating transaction: numbers are handed out in commit order
and a rolled-back creation gives its number back. The lock serialises every creation of
the scope, so the caller takes the number last, just before it saves the record.
"""

from __future__ import annotations

import json
import string

from django.conf import settings
from django.db import connection
from django.utils import timezone

from qualitas.core.models import NumberSequence

_FIELDS = {"prefix", "year", "seq"}


def validate_pattern(pattern: str) -> None:
    """A pattern must contain {seq} and only the known placeholders."""
    names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
    if "seq" not in names:
        raise ValueError(f"number pattern {pattern!r} must contain {{seq}}")
    if unknown := names - _FIELDS:
        raise ValueError(f"number pattern {pattern!r} uses unknown fields {sorted(unknown)}")


def pattern_for(key: str, default: str) -> str:
    """The pattern for a record type: QUALITAS_NUMBER_PATTERNS overrides the module's default."""
    overrides: dict[str, str] = json.loads(settings.NUMBER_PATTERNS or "{}")
    pattern = overrides.get(key, default)
    validate_pattern(pattern)
    return pattern


def next_number(key: str, *, prefix: str, pattern: str) -> str:
    """Hand out the next number; must run inside the transaction that saves the record,
    which holds the scope's lock from here to its commit."""
    return next_numbers(key, prefix=prefix, pattern=pattern, count=1)[0]


def next_numbers(key: str, *, prefix: str, pattern: str, count: int) -> list[str]:
    """Hand out the next `count` numbers in one statement (records loaded in bulk), in
    order; the same lock and transaction rule as `next_number`."""
    if count < 1:
        return []
    # The year where the organisation is (QUALITAS_TIME_ZONE), not in UTC: an NC raised on
    # 31 December evening in Auckland or on 1 January morning in New York keeps its year.
    year = timezone.localdate().year
    # The scope is everything before {seq}: a new year starts a new count when the
    # pattern contains {year}, and never otherwise.
    head = pattern.split("{seq", 1)[0]
    scope = f"{key}:{head.format(prefix=prefix, year=year)}"
    # One statement creates the scope's row or counts on, and locks it until the
    # transaction ends (the same on PostgreSQL and SQLite 3.35+).
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, last_value) VALUES (%s, %s) "  # noqa: S608 - our table
            f"ON CONFLICT (scope) DO UPDATE SET last_value = {table}.last_value + %s "
            "RETURNING last_value",
            [scope, count, count],
        )
        (last,) = cursor.fetchone()
    return [
        pattern.format(prefix=prefix, year=year, seq=seq)
        for seq in range(last - count + 1, last + 1)
    ]
