"""Searching a record list by text: one rule for the list page, its export and the API, and
the indexes that keep it fast at a million rows on either database.

A record type names its `search_fields` (number and title by default); `matching(queryset,
record_type, text)` keeps the records where any of them contains the text, ignoring case:
the meaning of `icontains`, whichever index serves it.

PostgreSQL: each of those columns gets a trigram index (pg_trgm, GIN) on the very
expression `icontains` compares, `UPPER(column::text)`, so the planner reads the index
instead of scanning the table. A module adds them with the migration operation
`TrigramIndexes`.

SQLite: each record table `<table>` gets an FTS5 table `<table>_fts` over its search
columns with the `trigram` tokenizer (the table's rows as external content, kept in step
by AFTER INSERT/UPDATE/DELETE triggers). A text of three characters or more is matched as
one quoted FTS5 string, which the trigram tokenizer answers as "contains, in any case",
restricted to the search columns: `id IN (SELECT rowid FROM <table>_fts WHERE <table>_fts
MATCH '{"number" "title"} : "text"')`. Shorter texts (no trigram to look up) fall back
to `icontains`; a text holding a NUL character finds nothing, on either database.
Everything typed stays inside the quoted string (its double quotes doubled), so no input
is an FTS5 syntax error or reaches the query language.

The results are those of `icontains`: exactly so for ASCII, where both fold case the same
way. For other letters FTS5 folds case by Unicode ("müller" finds "MÜLLER") where SQLite's
LIKE folds ASCII only; that is what `icontains` does on PostgreSQL, so both databases find
the same. Accents stay significant ("Muller" does not find "Müller"), as in `icontains`.

Django's SQLite schema editor rebuilds a table for many ALTERs (copy, drop, rename), which
silently drops its triggers. `TrigramIndexes` makes the FTS table and triggers when a
module's migration runs, and `ensure_indexes`, run after every migrate (the core's
`after_migrate`), puts back whatever is missing or out of date and rebuilds that index
from the table's rows. The search fields must be the model's own text columns with an
integer primary key for FTS5 to serve them; any other record type is searched by
`icontains` alone (`fts_columns` says which).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, migrations, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from qualitas.core.models import User
    from qualitas.core.records import RecordType
    from qualitas.core.registry import SearchSource

log = logging.getLogger(__name__)

# The trigram tokenizer has nothing to look up in fewer characters.
FTS_MIN_CHARS = 3
# Case folded by Unicode (not only ASCII); accents kept, as icontains keeps them.
FTS_TOKENIZER = "trigram case_sensitive 0"


def matching(queryset: QuerySet[Any], record_type: RecordType, text: str) -> QuerySet[Any]:
    """Records of which any search field contains `text` (any case)."""
    text = text.strip()
    if not text:
        return queryset
    if "\x00" in text:
        # No record's text holds a NUL: PostgreSQL cannot store one (and refuses it in a
        # query), and SQLite's LIKE would stop reading the pattern at it.
        return queryset.none()
    columns = fts_columns(record_type)
    if columns and len(text) >= FTS_MIN_CHARS and connections[queryset.db].vendor == "sqlite":
        fts = fts_table(record_type.model._meta.db_table)
        # Only our own table name is written into the SQL; the text is a parameter.
        found = RawSQL(  # noqa: S611
            f'SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s',  # noqa: S608
            [fts_query(columns, text)],
        )
        return queryset.filter(pk__in=found)
    anywhere = Q()
    for name in record_type.search_fields:
        anywhere |= Q(**{f"{name}__icontains": text})
    return queryset.filter(anywhere)


# The global search box shows this many hits of each kind (a source gives one more, so the
# page can tell there are more).
GLOBAL_HITS = 10


def record_source(record_type: RecordType) -> SearchSource:
    """The global search box's source for one record type: what its list's search finds,
    among the records the person may see there, the one whose number is the text first,
    then the newest. A module declares it in its `Module(search=...)`."""
    from qualitas.core import records
    from qualitas.core.registry import SearchSource

    def found(user: User, text: str) -> list[Any]:
        visible = records.visible_to(user, record_type)
        exact = list(visible.filter(number__iexact=text.strip())[:1])
        others = matching(visible, record_type, text).exclude(pk__in=[r.pk for r in exact])
        return exact + list(others.order_by("-created_at", "-id")[: GLOBAL_HITS + 1 - len(exact)])

    def describe(record: Any) -> tuple[str, str, str]:
        where = record.site.name if record.site_id else ""
        subtitle = " · ".join(p for p in (str(record.get_state_display()), where) if p)
        url = reverse("core:record_detail", args=[record_type.resource, record.pk])
        return f"{record.number} {record.title}", subtitle, url

    return SearchSource(record_type.label_plural, found, describe, record_type=record_type.key)


def fts_query(columns: list[str], text: str) -> str:
    """The FTS5 MATCH text: `text` as one string literal (its double quotes doubled), so the
    trigram tokenizer reads it as a substring, limited to the search columns."""
    names = " ".join(f'"{column}"' for column in columns)
    literal = '"' + text.replace('"', '""') + '"'
    return f"{{{names}}} : {literal}"


def fts_columns(record_type: RecordType) -> list[str] | None:
    """The database columns FTS5 indexes for this record type, or None when it cannot
    serve its search (a search field that is not the model's own text column, or a
    primary key that is not the table's integer rowid)."""
    meta = record_type.model._meta
    if not record_type.search_fields or not isinstance(
        meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField
    ):
        return None
    columns = []
    for name in record_type.search_fields:
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:  # a path through a relation ("site__name")
            return None
        if not isinstance(field, models.CharField | models.TextField) or not field.concrete:
            return None
        columns.append(field.column)
    return columns


def fts_table(table: str) -> str:
    return f"{table}_fts"


def trigram_index_name(table: str, column: str) -> str:
    # Index names are at most 63 characters on PostgreSQL.
    return f"{table}_{column}_trgm"[:63]


# --- The SQLite index: one FTS5 table and three triggers per record table ---------------------


@dataclass(frozen=True)
class FtsIndex:
    """The FTS5 table over `columns` of `table` (rowid `rowid`), as SQL statements."""

    table: str
    rowid: str
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return fts_table(self.table)

    def trigger_name(self, event: str) -> str:
        return f"{self.table}_fts_{event}"

    def create_table(self) -> str:
        columns = ", ".join(f'"{column}"' for column in self.columns)
        return (
            f'CREATE VIRTUAL TABLE "{self.name}" USING fts5({columns}, '
            f"content='{self.table}', content_rowid='{self.rowid}', "
            f"tokenize='{FTS_TOKENIZER}')"
        )

    def triggers(self) -> dict[str, str]:
        """Trigger name -> CREATE TRIGGER. An external-content index is told the old values
        to remove them; an update that changes no search column leaves it alone (saving a
        record writes every column, and most saves are a change of state)."""
        listed = ", ".join(f'"{column}"' for column in self.columns)

        def values(row: str) -> str:
            return ", ".join(f'{row}."{column}"' for column in (self.rowid, *self.columns))

        # Only our own table and column names are written into these statements.
        into = f'INSERT INTO "{self.name}"'
        insert = f"{into}(rowid, {listed}) VALUES ({values('new')});"
        delete = f"{into}(\"{self.name}\", rowid, {listed}) VALUES ('delete', {values('old')});"
        changed = " OR ".join(
            f'old."{column}" IS NOT new."{column}"' for column in (self.rowid, *self.columns)
        )
        on = f'ON "{self.table}" FOR EACH ROW'
        return {
            self.trigger_name("insert"): (
                f'CREATE TRIGGER "{self.trigger_name("insert")}" AFTER INSERT {on} '
                f"BEGIN {insert} END"
            ),
            self.trigger_name("delete"): (
                f'CREATE TRIGGER "{self.trigger_name("delete")}" AFTER DELETE {on} '
                f"BEGIN {delete} END"
            ),
            self.trigger_name("update"): (
                f'CREATE TRIGGER "{self.trigger_name("update")}" AFTER UPDATE {on} '
                f"WHEN {changed} BEGIN {delete} {insert} END"
            ),
        }

    def rebuild(self) -> str:
        return f'INSERT INTO "{self.name}"("{self.name}") VALUES (\'rebuild\')'  # noqa: S608

    def drop(self) -> list[str]:
        return [
            *(f'DROP TRIGGER IF EXISTS "{name}"' for name in self.triggers()),
            f'DROP TABLE IF EXISTS "{self.name}"',
        ]

    def create(self) -> list[str]:
        """Everything, from nothing: the table, its triggers, then the rows already there."""
        return [self.create_table(), *self.triggers().values(), self.rebuild()]


def _schema(connection: BaseDatabaseWrapper, table: str) -> dict[str, tuple[str, str]]:
    """name -> (type, sql) of the FTS table and the triggers on `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, type, sql FROM sqlite_master "
            "WHERE (type = 'table' AND name = %s) OR (type = 'trigger' AND tbl_name = %s)",
            [fts_table(table), table],
        )
        return {name: (kind, sql) for name, kind, sql in cursor.fetchall()}


def _table_exists(connection: BaseDatabaseWrapper, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        return cursor.fetchone() is not None


def _indexed_columns(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    """The columns the FTS table of `table` indexes now (none when it has none)."""
    if not _table_exists(connection, fts_table(table)):
        return []
    with connection.cursor() as cursor:
        cursor.execute(f'PRAGMA table_info("{fts_table(table)}")')
        return [row[1] for row in cursor.fetchall()]


def _rowid_column(connection: BaseDatabaseWrapper, table: str) -> str | None:
    """The table's INTEGER PRIMARY KEY (its rowid), or None if it has none."""
    with connection.cursor() as cursor:
        cursor.execute(f'PRAGMA table_info("{table}")')
        keys = [(name, kind) for _, name, kind, _, _, pk in cursor.fetchall() if pk]
    if len(keys) == 1 and keys[0][1].upper() == "INTEGER":
        return str(keys[0][0])
    return None


def repair(connection: BaseDatabaseWrapper, index: FtsIndex) -> str | None:
    """Make `index` exist as declared; returns what was wrong (None when nothing was).

    A missing or different FTS table is made anew; missing, different or stray triggers
    are made anew. Either way the index is rebuilt from the table's rows, since rows
    written while a trigger was missing are not in it."""
    present = _schema(connection, index.table)
    wanted = index.triggers()
    ours = {
        name
        for name, (kind, _) in present.items()
        if kind == "trigger" and name.startswith(f"{index.table}_fts_")
    }
    table_sql = present.get(index.name, ("", ""))[1]
    if table_sql != index.create_table():
        reason = "the search index was missing" if not table_sql else "the search index changed"
        statements = [
            *(f'DROP TRIGGER IF EXISTS "{name}"' for name in sorted(ours)),
            *index.drop(),
            *index.create(),
        ]
    else:
        wrong = sorted(
            name
            for name in ours | set(wanted)
            if present.get(name, ("", ""))[1] != wanted.get(name)
        )
        if not wrong:
            return None
        reason = f"triggers missing or changed: {', '.join(wrong)}"
        statements = [
            *(f'DROP TRIGGER IF EXISTS "{name}"' for name in wrong),
            *(wanted[name] for name in wrong if name in wanted),
            index.rebuild(),
        ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return reason


def declared_indexes(connection: BaseDatabaseWrapper) -> list[FtsIndex]:
    """The FTS index every record type's search needs, for the tables that exist."""
    from qualitas.core import records

    found = []
    for record_type in records.RECORD_TYPES.values():
        columns = fts_columns(record_type)
        meta = record_type.model._meta
        if columns and _table_exists(connection, meta.db_table):
            found.append(FtsIndex(meta.db_table, meta.pk.column, tuple(columns)))
    return found


def ensure_indexes(using: str = "default") -> dict[str, str]:
    """On SQLite, put back any record table's FTS index, or trigger, that a migration
    dropped or left behind: {table: what was wrong}. Nothing to do on PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return {}
    repaired = {}
    with transaction.atomic(using=using):
        for index in declared_indexes(connection):
            reason = repair(connection, index)
            if reason:
                repaired[index.table] = reason
    return repaired


def after_migrate(using: str = "default", verbosity: int = 1, **kwargs: Any) -> None:
    """After every migrate: the SQLite search indexes as the record types declare them."""
    for table, reason in ensure_indexes(using).items():
        log.info("Rebuilt the search index of %s (%s).", table, reason)
        stdout = kwargs.get("stdout")
        if verbosity >= 1 and stdout is not None:
            stdout.write(f"  Rebuilt the search index of {table} ({reason}).\n")


class TrigramIndexes(migrations.operations.base.Operation):
    """The indexes behind a record table's text search, for the columns named.

    PostgreSQL: a trigram index per column (pg_trgm is a trusted extension, PostgreSQL 13+:
    the database owner may create it). SQLite: the table's FTS5 trigram index, over these
    columns and any it already indexes; `ensure_indexes` keeps it in line with the record
    type's search fields after every migrate."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str, columns: list[str]) -> None:
        self.table = table
        self.columns = columns

    def state_forwards(self, app_label: str, state: Any) -> None:
        """The indexes are the database's business; Django's model state does not change."""

    def database_forwards(self, app_label: str, schema_editor: Any, *_: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            indexed = _indexed_columns(schema_editor.connection, self.table)
            self._replace_fts(
                schema_editor, [*indexed, *(c for c in self.columns if c not in indexed)]
            )
            return
        if vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in self.columns:
            name = trigram_index_name(self.table, column)
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{self.table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )

    def database_backwards(self, app_label: str, schema_editor: Any, *_: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            indexed = _indexed_columns(schema_editor.connection, self.table)
            self._replace_fts(schema_editor, [c for c in indexed if c not in self.columns])
            return
        if vendor != "postgresql":
            return
        for column in self.columns:
            schema_editor.execute(
                f'DROP INDEX IF EXISTS "{trigram_index_name(self.table, column)}"'
            )

    def _replace_fts(self, schema_editor: Any, columns: list[str]) -> None:
        """The FTS table over exactly `columns` (none: no FTS table), built from the rows."""
        rowid = _rowid_column(schema_editor.connection, self.table)
        if rowid is None:  # pragma: no cover - every record table has an integer id
            return
        index = FtsIndex(self.table, rowid, tuple(columns))
        statements = index.drop() + (index.create() if columns else [])
        for statement in statements:
            schema_editor.execute(statement, params=None)

    def describe(self) -> str:
        return f"Trigram search indexes on {self.table} ({', '.join(self.columns)})"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [], {"table": self.table, "columns": self.columns})
