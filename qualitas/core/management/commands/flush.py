"""Django's flush, allowed to empty the append-only tables on SQLite (see core/appendonly.py).

PostgreSQL's flush truncates, which the append-only triggers do not see; SQLite's deletes row
by row, which they refuse unless this command is the one deleting.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush

from qualitas.core import appendonly


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        with appendonly.purging():
            super().handle(**options)
