"""The HTTP server `qualitas demo` (and a small single-machine site) runs: waitress.

runserver starts a thread per request; with connections kept open (CONN_MAX_AGE) eight busy
clients opened 99 PostgreSQL connections and a quarter of the requests failed with "too many
clients". Waitress answers from a fixed pool of threads, so the database sees at most that
many connections (plus the periodic-job thread), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

# Enough for a team trying the demo; each thread holds at most one database connection.
THREADS = 8


def create(host: str, port: int) -> Any:
    """A waitress server for the Django application (`.run()` serves until interrupted;
    `.close()` stops it). Port 0 picks a free port (`.effective_port`)."""
    from waitress import create_server

    from qualitas.wsgi import application

    return create_server(
        application,
        host=host,
        port=port,
        threads=THREADS,
        ident="Qualitas",
        # Uploads are checked by the app (size limit, zip bombs); the server's own cap sits
        # just above the app's largest attachment, so the app answers with a clear error.
        max_request_body_size=(settings.MAX_ATTACHMENT_MB + 1) * 1024 * 1024,
        channel_timeout=120,
        connection_limit=200,
    )
