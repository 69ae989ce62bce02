# Audit events and signatures are append-only on SQLite too (issue 10, finding 10), as they are
# on PostgreSQL since 0002 and 0005. The DELETE triggers let only Django's flush through: see
# qualitas/core/appendonly.py. SQLite drops a table's triggers when a migration rebuilds the
# table (most AlterField/AddField on it): such a migration must run SQLITE_FORWARD again after.
from django.db import migrations

TABLES = ("core_auditevent", "core_signature")

SQLITE_FORWARD = "".join(
    f"""
CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused on {table}'); END;
CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
WHEN NOT qualitas_purging()
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused on {table}'); END;
"""
    for table in TABLES
)
SQLITE_BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS {table}_no_update; DROP TRIGGER IF EXISTS {table}_no_delete;"
    for table in TABLES
)


def add_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":  # PostgreSQL has had its own since 0002
        for statement in SQLITE_FORWARD.split("END;")[:-1]:
            schema_editor.execute(statement + "END;", params=None)


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD.split(";")[:-1]:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_sso")]

    operations = [migrations.RunPython(add_sqlite_triggers, drop_sqlite_triggers)]
