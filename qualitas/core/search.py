"""Searching a record list by text: one rule for the list page, its export and the API, and
the indexes that keep it fast on PostgreSQL at a million rows.

A record type names its `search_fields` (number and title by default); `matching(queryset,
record_type, text)` keeps the records where any of them contains the text, ignoring case.
On PostgreSQL each of those columns gets a trigram index (pg_trgm, GIN) on the very
expression `icontains` compares, `UPPER(column::text)`, so a search reads the index instead
of scanning the table. A module adds them with the migration operation `TrigramIndexes`;
on SQLite it does nothing (the demo's lists are small, and documents have FTS5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import migrations
from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from qualitas.core.records import RecordType


def matching(queryset: QuerySet[Any], record_type: RecordType, text: str) -> QuerySet[Any]:
    """Records of which any search field contains `text` (any case)."""
    text = text.strip()
    if not text:
        return queryset
    found = Q()
    for name in record_type.search_fields:
        found |= Q(**{f"{name}__icontains": text})
    return queryset.filter(found)


def trigram_index_name(table: str, column: str) -> str:
    # Index names are at most 63 characters on PostgreSQL.
    return f"{table}_{column}_trgm"[:63]


class TrigramIndexes(migrations.operations.base.Operation):
    """Trigram indexes for a record table's search columns, on PostgreSQL only.

    pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, columns: list[str]) -> None:
        self.table = table
        self.columns = columns

    def state_forwards(self, app_label: str, state: Any) -> None:
        """The indexes are the database's business; Django's model state does not change."""

    def database_forwards(self, app_label: str, schema_editor: Any, *_: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in self.columns:
            name = trigram_index_name(self.table, column)
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{self.table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )

    def database_backwards(self, app_label: str, schema_editor: Any, *_: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in self.columns:
            schema_editor.execute(
                f'DROP INDEX IF EXISTS "{trigram_index_name(self.table, column)}"'
            )

    def describe(self) -> str:
        return f"Trigram search indexes on {self.table} ({', '.join(self.columns)})"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"table": self.table, "columns": self.columns})
