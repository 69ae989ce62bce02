"""Full-text index over `documents_searchentry`, in each database's own engine.

PostgreSQL: a stored generated column `search` (tsvector; number and title weighted A, the
body B) with a GIN index. SQLite: an FTS5 table with the search entries as external
content, kept in step by triggers. Neither is known to the model: `qualitas.documents.search`
queries them in SQL, and the ORM reads and writes `SearchEntry` as if they were not there.

Keep in mind when a later migration touches `SearchEntry`:
- SQLite rebuilds a table to alter it (copy, drop, rename), which drops its triggers: run
  `drop_search_index` before such an operation and `create_search_index` after it.
- PostgreSQL refuses to change the type of a column a generated column reads: drop
  `search` first (`drop_search_index`) and create it again afterwards.

Two adjustments on PostgreSQL:
- A hyphen before a digit is read as a space (and `search.py` reads queries the same way).
  PostgreSQL's parser reads "SOP-0042" as "sop" and the signed integer "-0042", so "0042"
  alone would not find the document.
- to_tsvector fails when a text's distinct words and their positions exceed 1 MB, and a
  failing generated column would refuse the row: no revision with a large file could be
  saved. That size reaches 1.7 times the text's own for text made of distinct short
  tokens (tables of serial numbers or measurements), so the body is cut to about 600,000
  bytes: 600,000 characters of Latin text, fewer of Cyrillic or Chinese (the share of
  the first 600,000 characters that fits in 600,000 bytes). Words only after that point
  are not found; the number and title always are.
"""

from django.db import migrations

BODY_BYTES = 600_000

_BODY = "coalesce(body, '')"
_FIRST = f"left({_BODY}, {BODY_BYTES})"
_CAPPED = (
    f"left({_BODY}, ({BODY_BYTES}::bigint * length({_FIRST}) "
    f"/ greatest(octet_length({_FIRST}), 1))::integer)"
)
_HEAD = "coalesce(number, '') || ' ' || coalesce(title, '')"


def _normalised(expression: str) -> str:
    return rf"regexp_replace({expression}, '-(\d)', ' \1', 'g')"


POSTGRESQL_FORWARD = [
    f"""
    ALTER TABLE documents_searchentry ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, {_normalised(_HEAD)}), 'A')
        || setweight(to_tsvector('english'::regconfig, {_normalised(_CAPPED)}), 'B')
    ) STORED
    """,
    "CREATE INDEX documents_searchentry_search ON documents_searchentry USING gin (search)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS documents_searchentry_search",
    "ALTER TABLE documents_searchentry DROP COLUMN IF EXISTS search",
]

_FTS_COLUMNS = "rowid, number, title, body"
_FTS_DELETE = (
    "INSERT INTO documents_search_fts(documents_search_fts, rowid, number, title, body) "
    "VALUES ('delete', old.revision_id, old.number, old.title, old.body);"
)
_FTS_INSERT = (
    f"INSERT INTO documents_search_fts({_FTS_COLUMNS}) "
    "VALUES (new.revision_id, new.number, new.title, new.body);"
)
SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE documents_search_fts USING fts5(
        number, title, body,
        content='documents_searchentry',
        content_rowid='revision_id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER documents_searchentry_fts_insert AFTER INSERT ON documents_searchentry
    BEGIN {_FTS_INSERT} END
    """,
    f"""
    CREATE TRIGGER documents_searchentry_fts_delete AFTER DELETE ON documents_searchentry
    BEGIN {_FTS_DELETE} END
    """,
    f"""
    CREATE TRIGGER documents_searchentry_fts_update AFTER UPDATE ON documents_searchentry
    BEGIN {_FTS_DELETE} {_FTS_INSERT} END
    """,
    # Entries written before this migration.
    "INSERT INTO documents_search_fts(documents_search_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS documents_searchentry_fts_insert",
    "DROP TRIGGER IF EXISTS documents_searchentry_fts_delete",
    "DROP TRIGGER IF EXISTS documents_searchentry_fts_update",
    "DROP TABLE IF EXISTS documents_search_fts",
]


def _run(schema_editor, statements_by_vendor):
    statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_search_index(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD})


def drop_search_index(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index, elidable=False),
    ]
