"""Audit events and signatures are append-only in the database itself, on SQLite as on PostgreSQL.

On PostgreSQL a row trigger raises on UPDATE or DELETE (migrations 0002 and 0005). Django's
flush (which the tests run between transactional tests, and ``qualitas flush``) empties tables
there with TRUNCATE, which fires no row trigger and is left to the table's owner.

SQLite has no TRUNCATE: its flush is ``DELETE FROM`` each table. So its triggers (migration
0009) refuse every UPDATE, and a DELETE unless ``qualitas_purging()`` answers true: a function
registered on each connection Django opens that is true only inside ``purging()``, which only
the ``flush`` command enters (core/management/commands/flush.py), in its own thread. Outside
Django (the sqlite3 shell), the function does not exist, and the DELETE fails all the same.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_state = threading.local()


def purging_now() -> bool:
    return bool(getattr(_state, "purging", False))


@contextmanager
def purging() -> Iterator[None]:
    """While inside, this thread's flush may empty the append-only tables on SQLite."""
    _state.purging = True
    try:
        yield
    finally:
        _state.purging = False


def on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Give each SQLite connection the function the append-only triggers consult."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "qualitas_purging", 0, lambda: int(purging_now()), deterministic=False
        )
