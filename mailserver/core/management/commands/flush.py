"""``flush`` that can also empty the append-only change log.

flush removes ALL data, users included; the test suite runs it after each
transactional test. On SQLite it empties each table with DELETE, which the change
log's triggers (migration 0004) refuse, so for the flush they are dropped and then
created again from the very SQL SQLite stored for them, in one transaction: a flush
that fails leaves them in place. PostgreSQL flushes with TRUNCATE, which row triggers
do not see. Anybody who can run manage.py can drop the triggers anyway; what they
stop is the panel, the admin and stray SQL rewriting the log, not the database's owner.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

_TABLE = "core_change"


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [_TABLE]
                )
                triggers = cursor.fetchall()
                for name, _sql in triggers:
                    cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
            super().handle(**options)
            with connection.cursor() as cursor:
                for _name, sql in triggers:
                    cursor.execute(sql)
        return None
