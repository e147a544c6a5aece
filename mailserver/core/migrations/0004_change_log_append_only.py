"""Database triggers that refuse UPDATE and DELETE on the change log (core_change).

The model and its queryset already refuse both; the triggers also stop a raw SQL
statement, a bulk tool or a future code path that bypasses the ORM. SQLite and
PostgreSQL get them; on any other database only the ORM guard applies.

SQLite drops a table's triggers when Django rebuilds the table (most AlterField on
SQLite), so a later migration that alters core_change must run this one's SQL again;
tests/core/test_change_log_append_only.py fails if the triggers are gone.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQL = {
    "sqlite": (
        [
            "CREATE TRIGGER core_change_no_update BEFORE UPDATE ON core_change BEGIN "
            "SELECT RAISE(ABORT, 'the change log is append-only: UPDATE of core_change is refused'); END",
            "CREATE TRIGGER core_change_no_delete BEFORE DELETE ON core_change BEGIN "
            "SELECT RAISE(ABORT, 'the change log is append-only: DELETE from core_change is refused'); END",
            # INSERT OR REPLACE deletes the old row without firing DELETE triggers.
            "CREATE TRIGGER core_change_no_replace BEFORE INSERT ON core_change "
            "WHEN EXISTS (SELECT 1 FROM core_change WHERE id = NEW.id) BEGIN "
            "SELECT RAISE(ABORT, 'the change log is append-only: REPLACE in core_change is refused'); END",
        ],
        [
            "DROP TRIGGER IF EXISTS core_change_no_update",
            "DROP TRIGGER IF EXISTS core_change_no_delete",
            "DROP TRIGGER IF EXISTS core_change_no_replace",
        ],
    ),
    "postgresql": (
        [
            "CREATE FUNCTION core_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION USING ERRCODE = 'restrict_violation', "
            "MESSAGE = 'the change log is append-only: ' || TG_OP || ' of core_change is refused'; END $$",
            "CREATE TRIGGER core_change_append_only BEFORE UPDATE OR DELETE ON core_change "
            "FOR EACH ROW EXECUTE FUNCTION core_change_append_only()",
        ],
        [
            "DROP TRIGGER IF EXISTS core_change_append_only ON core_change",
            "DROP FUNCTION IF EXISTS core_change_append_only()",
        ],
    ),
}


def _run(schema_editor: BaseDatabaseSchemaEditor, which: int) -> None:
    for statement in SQL.get(schema_editor.connection.vendor, ([], []))[which]:
        schema_editor.execute(statement, params=None)  # None: no %-formatting of the SQL


def create_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, 0)


def drop_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_mail_groups")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
