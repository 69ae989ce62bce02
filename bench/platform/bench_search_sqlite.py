"""Benchmark of the record list search on SQLite: the FTS5 trigram index against icontains.

Run from the repository root (SQLite; not part of the test suite)::

    .venv/bin/python bench/platform/bench_search_sqlite.py                 # 100,000 NCs
    .venv/bin/python bench/platform/bench_search_sqlite.py --rows 300000 --fresh

The database is a file (default /tmp/qualitas_bench_search.sqlite3), migrated, kept between
runs and extended when it holds fewer rows than asked. A few nonconformances are raised
through the service; the rest are copies of the first with the searched columns (number,
title, lot, serial numbers, finding) and the dates, site and owner made by `build.nc_fields`,
inserted in SQL (the FTS triggers fire for each row; the audit trail is not written).

For each search, as a quality manager holding the role at every site: the first page of the
list as the API reads it (visible to them, newest first, 25 rows) and the list's count, once
through `search.matching` (the FTS5 table for 3+ characters) and once with the same filter
written as icontains (a scan). Warm-up, then the median of five; the ratio is icontains / FTS.
Then the cost of repairing a dropped trigger (a rebuild of the whole index).

Measured on the 2-core development machine (busy with other work; second run, warm cache):

    SQLite 3.40.1; 100,000 nonconformances (filled in 71 s)
    search                         text                 found   FTS ms  icontains   ratio
    a common word                  bore                 4,967     65.3      129.6    2.0x
    a part number                  CVR-7146                65     10.4      291.8   28.2x
    a lot, part of it              L2416-                 651     18.2      482.7   26.5x
    a number's end                 099500                   2      2.0      658.6  326.0x
    a phrase of the finding        found at packing    16,751    180.6      122.6    0.7x
    nothing matches                zz-no-such-text          0      1.2      550.9  475.2x
    two characters (icontains)     zz                       0    763.9      666.2    0.9x
    repair after a dropped trigger (rebuild of the index): 6.7 s
    size: the table 37 MB, its FTS index 63 MB

A text found in a sixth of the rows is slower through the index (every match's trigram
positions are read, then the matches sorted) than a scan that stops at the 25th; the
selective searches people make to find a record are 25 to 475 times faster.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import build  # bench/platform/build.py, beside this file

DEFAULT_PATH = Path("/tmp/qualitas_bench_search.sqlite3")  # noqa: S108 - a scratch database
PAGE = 25
BATCH = 10_000
SEARCHED = ("number", "title", "lot_number", "serial_numbers", "finding")


def configure(path: Path, *, fresh: bool) -> None:
    if fresh and path.exists():
        path.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(rows: int, seed: int) -> tuple[Any, float]:
    """At least `rows` nonconformances; the quality manager who reads them; seconds spent."""
    from django.db import connection, transaction
    from django.utils import timezone

    from qualitas.nonconformance import services
    from qualitas.nonconformance.models import Nonconformance

    started = time.perf_counter()
    org = build.organisation()
    held = Nonconformance.objects.count()
    rng = random.Random(seed + held)
    if held == 0:
        for _ in range(3):
            raiser, fields = build.nc_fields(rng, org, timezone.now())
            services.raise_nonconformance(actor=raiser, **fields)
        held = 3
    if held >= rows:
        return org.manager, 0.0
    table = Nonconformance._meta.db_table
    columns = [f.column for f in Nonconformance._meta.concrete_fields if f.column != "id"]
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY id LIMIT 1')  # noqa: S608
        template = dict(zip(columns, cursor.fetchone(), strict=True))
    insert = (
        f'INSERT INTO "{table}" ({", ".join(columns)}) '  # noqa: S608 - our table
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    year = timezone.localdate().year
    now = timezone.now()
    n = held
    while n < rows:
        batch = []
        for _ in range(min(BATCH, rows - n)):
            n += 1
            created = now - timedelta(seconds=rng.randint(3600, 3 * 365 * 86400))
            raiser, fields = build.nc_fields(rng, org, created)
            row = dict(template)
            row.update({name: fields.get(name, "") for name in SEARCHED[1:]})
            row.update(
                number=f"NC-{year}-B{n:07d}",
                created_at=created,
                updated_at=created,
                site_id=fields["site"].pk,
                owner_id=fields["owner"].pk,
                created_by_id=raiser.pk,
            )
            batch.append([row[c] for c in columns])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, batch)
        print(f"  {n:,} rows", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return org.manager, time.perf_counter() - started


def median_ms(work: Callable[[], Any]) -> float:
    work()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    args = parser.parse_args(argv)
    configure(args.db, fresh=args.fresh)

    import sqlite3

    from django.db import DatabaseError, connection
    from django.db.models import Q

    from qualitas.core import records, search
    from qualitas.nonconformance.models import Nonconformance

    manager, seconds = fill(args.rows, seed=20261207)
    total = Nonconformance.objects.count()
    record_type = records.RECORD_TYPES["nonconformance"]
    table = Nonconformance._meta.db_table
    print(f"SQLite {sqlite3.sqlite_version}; {total:,} nonconformances", end="")
    print(f" (filled in {seconds:.0f} s)" if seconds else " (kept)")

    sample = Nonconformance.objects.order_by("-id").values(*SEARCHED)[500]
    searches = [
        ("a common word", "bore"),
        ("a part number", sample["title"].rsplit(" ", 1)[-1]),
        ("a lot, part of it", sample["lot_number"][:6]),
        ("a number's end", sample["number"][-6:]),
        ("a phrase of the finding", "found at packing"),
        ("nothing matches", "zz-no-such-text"),
        ("two characters (icontains)", "zz"),
    ]
    visible = records.visible_to(manager, record_type)

    def icontains(text: str) -> Any:
        anywhere = Q()
        for name in record_type.search_fields:
            anywhere |= Q(**{f"{name}__icontains": text})
        return visible.filter(anywhere)

    print(f"{'search':30} {'text':18} {'found':>7} {'FTS ms':>8} {'icontains':>10} {'ratio':>7}")
    print(f"{'':30} {'':18} {'':>7} {'page+count':>8} {'page+count':>10}")
    for label, text in searches:
        fts = search.matching(visible, record_type, text)
        plain = icontains(text)
        found = fts.count()
        fts_ms = median_ms(lambda q=fts: list(q.order_by("-created_at", "-id")[:PAGE]))
        fts_ms += median_ms(lambda q=fts: q.count())
        plain_ms = median_ms(lambda q=plain: list(q.order_by("-created_at", "-id")[:PAGE]))
        plain_ms += median_ms(lambda q=plain: q.count())
        ratio = plain_ms / fts_ms if fts_ms else float("nan")
        print(
            f"{label:30} {text[:18]:18} {found:>7,} {fts_ms:>8.1f} {plain_ms:>10.1f} {ratio:>6.1f}x"
        )

    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER "{table}_fts_update"')
    started = time.perf_counter()
    repaired = search.ensure_indexes()
    took = time.perf_counter() - started
    print(f"repair after a dropped trigger (rebuild of the index): {took:.1f} s", repaired)
    # dbstat is compiled into most SQLite builds (Debian's and Python's); skipped if not.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        sizes = []
        for pattern in (table, f"{table}_fts%"):
            cursor.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE %s", [pattern])
            sizes.append(cursor.fetchone()[0] / 2**20)
        print(f"size: the table {sizes[0]:.0f} MB, its FTS index {sizes[1]:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
