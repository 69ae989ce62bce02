"""What the PostgreSQL benches share: their own database, Django set up on it, documents
released through the real services, bulk inserts past the audit guard, and timing."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

BATCH = 5000


def database_url(default: str, bench: str, given: str | None = None) -> str:
    url = given or os.environ.get("DATABASE_URL") or default
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"bench/{bench} needs PostgreSQL; got {url!r}")
    return url


def prepare_database(url: str, *, fresh: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or fresh:
            admin.execute(f'CREATE DATABASE "{name}"')


def configure(url: str, *, migrate: bool = True) -> None:
    """Django on the bench database (migrated); call once per process."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def release(revision: Any, approver: Any) -> None:
    """A draft revision made effective through the documents services, approval signed."""
    from qualitas.core import signatures, workflow
    from qualitas.documents import signoffs
    from tests.factories import PASSWORD

    writer = revision.owner
    signoffs.set_signoffs(revision, actor=writer, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=writer)
    token = signatures.authenticate(approver, PASSWORD, subject=None)
    signoffs.approve(revision, actor=approver, signature=token)


def bulk(model: type, rows: list[Any]) -> list[Any]:
    """Insert past the audited manager's guard (the benches' shortcut, said in their
    docstrings: such rows carry no audit events)."""
    from django.db import models

    return models.QuerySet(model=model).bulk_create(rows, batch_size=BATCH)


def median_ms(run: Callable[[], Any], runs: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def answered(response: Any) -> Any:
    if response.status_code != 200:
        sys.exit(f"{response.request['PATH_INFO']} answered {response.status_code}")
    return response


def count_queries(run: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def profile(run: Callable[[], Any], title: str) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(14)
    print(f"\n--- where the time goes: {title} ---\n{out.getvalue()}")
