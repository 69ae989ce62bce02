"""Benchmark of `qualitas verify-audit-trail` against a raw fetch + SHA-256 floor.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/platform/bench_audit_verify.py                  # 100,000 events
    .venv/bin/python bench/platform/bench_audit_verify.py --events 1000000

The trail: a few hundred events written by the real `audit.record` (creations, changes
with old and new values and labels, transitions, signatures, removals), then their pattern
repeated with the chain computed here (`audit.canonical_row`, the bytes `verify` checks)
and loaded with COPY. Timed: the floor (a server-side cursor over the same columns and one
SHA-256 per row, nothing else), the previous instance-per-event walk, the full verify,
the verify with two workers, and an incremental verify after 1,000 more events.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_verify"
COLUMNS = (
    "id, occurred_at, actor_id, actor_name, action, object_type_id, object_id, object_repr,"
    " changes, reason, request_id, client_address, prev_hash, hash"
)


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.AUDIT_CHECKPOINT_KEY = "b" * 64


def _real_events(count: int) -> None:
    """Start the trail through the application: every kind of event, written as in use."""
    from django.db import connection

    from qualitas.core import audit
    from qualitas.core.models import Role

    with connection.cursor() as cursor:
        # A benchmark database is emptied the way `flush` does (TRUNCATE).
        cursor.execute("TRUNCATE core_auditevent, core_auditchainhead")
    roles = list(Role.objects.all()[:5])
    kinds: list[tuple[str, Callable[[int], dict[str, Any]]]] = [
        (
            "create",
            lambda n: {
                "name": {"old": None, "new": f"Röle {n}"},
                "site": {"old": None, "new": 3, "new_label": "SHF Sheffield Works"},
            },
        ),
        (
            "update",
            lambda n: {
                "description": {
                    "old": f"draft {n}",
                    "new": f"Approved text {n}, rev B (Größe Ø 12)",
                }
            },
        ),
        (
            "transition",
            lambda n: {"state": {"old": "draft", "new": "in_review"}, "transition": "submit"},
        ),
        (
            "signature",
            lambda n: {
                "meaning": "approval",
                "signer": "Helen Marsh",
                "content_hash": hashlib.sha256(str(n).encode()).hexdigest(),
            },
        ),
        ("delete", lambda n: {"role": {"old": 4, "new": None}, "site": {"old": 1, "new": None}}),
    ]
    with audit.context(actor=None, actor_name="Qualitas benchmark", reason="Benchmark data"):
        for n in range(count):
            action, changes = kinds[n % len(kinds)]
            audit.record(roles[n % len(roles)], action, changes(n))


def _load_copies(count: int, pattern_size: int) -> tuple[int, str]:
    """Append `count` events repeating the first `pattern_size`, chained; COPY them in."""
    from django.db import connection

    from qualitas.core import audit
    from qualitas.core.models import AuditChainHead, AuditEvent

    pattern = list(AuditEvent.objects.order_by("id").values_list(*audit.ROW_FIELDS)[:pattern_size])
    head = AuditChainHead.objects.get(pk=1)
    last_id, last_hash = head.last_event_id, head.last_hash
    started = pattern[-1][1]
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(f"COPY core_auditevent ({COLUMNS}) FROM STDIN") as copy:
            for n, template in zip(range(count), itertools.cycle(pattern), strict=False):
                event_id = last_id + 1
                row = (
                    event_id,
                    started + timedelta(seconds=event_id),
                    *template[2:7],
                    f"{template[7]} #{event_id}",
                    template[8],
                    template[9],
                    f"req-{event_id:08d}",
                    "203.0.113.7" if n % 3 == 0 else None,
                    last_hash,
                )
                event_hash = hashlib.sha256(audit.canonical_row((*row, ""))).hexdigest()
                copy.write_row((*row[:8], json.dumps(row[8]), *row[9:], event_hash))
                last_id, last_hash = event_id, event_hash
        cursor.execute(
            "UPDATE core_auditchainhead SET last_event_id = %s, last_hash = %s WHERE id = 1",
            [last_id, last_hash],
        )
    return last_id, last_hash


def _floor() -> int:
    """Fetch the same rows through a server-side cursor and hash each: the least any check
    of every event must cost."""
    from django.db import connection

    connection.ensure_connection()
    rows = 0
    raw = connection.connection
    with raw.transaction(), raw.cursor(name="bench_floor") as cursor:
        cursor.itersize = 5000
        cursor.execute(f"SELECT {COLUMNS} FROM core_auditevent ORDER BY id")  # noqa: S608
        for row in cursor:
            hashlib.sha256("|".join(map(str, row)).encode()).hexdigest()
            rows += 1
    return rows


def _instance_walk() -> int:
    """The verify before issue 12: one model instance per event, hashed with `digest`."""
    from qualitas.core import audit
    from qualitas.core.models import AuditEvent

    prev, checked = audit.GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev or audit.digest(event) != event.hash:
            raise SystemExit(f"the benchmark trail is broken at #{event.pk}")
        prev, checked = event.hash, checked + 1
    return checked


def _timed(label: str, run: Any, floor: float | None = None) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    ratio = f", {elapsed / floor:.2f}x floor" if floor else ""
    count = getattr(result, "events_checked", result)
    print(f"{label:<38} {elapsed:7.2f} s  {count:>9,} events  {count / elapsed:>9,.0f}/s{ratio}")
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--pattern", type=int, default=300, help="events written by audit.record")
    args = parser.parse_args()
    if not args.database.startswith("postgres"):
        sys.exit("PostgreSQL only: the parallel walk and COPY need it")
    _create_database(args.database)
    _setup(args.database)
    from django.db import connection

    started = time.perf_counter()
    _real_events(min(args.pattern, args.events))
    last_id, _ = _load_copies(args.events - min(args.pattern, args.events), args.pattern)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE core_auditevent")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('core_auditevent'))")
        size = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    print(
        f"PostgreSQL {version}; {last_id:,} events ({size}) "
        f"built in {time.perf_counter() - started:.0f} s"
    )

    from qualitas.core import auditverify, checkpoints as signed

    folder = Path(tempfile.mkdtemp(prefix="bench-checkpoints-"))
    signed.write_checkpoint(folder)
    _timed("floor: fetch + SHA-256 per row", _floor)  # warms the cache for every run after it
    floor, _ = _timed("floor: fetch + SHA-256 per row", _floor)
    _timed("instance walk (before issue 12)", _instance_walk, floor)
    _, full = _timed("verify, 1 worker", lambda: auditverify.verify(checkpoint_dir=folder), floor)
    _, two = _timed(
        "verify, 2 workers",
        lambda: auditverify.verify(checkpoint_dir=folder, workers=2),
        floor,
    )
    if not (full.intact and two.intact and two.workers == 2):
        raise SystemExit(f"unexpected verification: {full}, {two}")
    _load_copies(1000, args.pattern)
    _, since = _timed(
        "incremental, after 1,000 more events",
        lambda: auditverify.verify(checkpoint_dir=folder, since_checkpoint=True),
    )
    if not (since.intact and since.events_checked == 1001):
        raise SystemExit(f"unexpected incremental verification: {since}")


if __name__ == "__main__":
    main()
