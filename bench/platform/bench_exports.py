"""Benchmark of list exports (CSV, XLSX) of nonconformances against PostgreSQL's COPY.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qualitas_bench_exports \\
        .venv/bin/python bench/platform/bench_exports.py            # 100,000 NCs
    .venv/bin/python bench/platform/bench_exports.py --rows 10000   # quicker
    .venv/bin/python bench/platform/bench_exports.py --legacy       # also the old path

The database named by DATABASE_URL (default qualitas_bench_exports on
postgres://postgres@127.0.0.1:5432) is dropped, recreated, migrated, and dropped at the end.

Data: a handful of nonconformances raised through the service (numbered, audited), the rest
bulk-inserted as varied copies of them (owners, sites, defect codes, severities, states,
dates, quantities). The bulk rows have no audit events: a shortcut of the bench only.

Measured, for the quality manager (sees every site), no filter, default sort:

1. the floor: `COPY (SELECT <the same 13 columns, joined and ordered>) TO STDOUT (CSV)`,
   read to the end through psycopg;
2. `GET /nonconformances/?export=csv` and `?export=xlsx` through the Django test client,
   streamed to the end (the file's bytes counted, not kept);
3. peak Python memory of each export (tracemalloc, a separate run: tracing slows Python)
   and the growth of the process's maximum resident set size;
4. with --legacy, the former path (`table.as_values()` over model instances, into one
   in-memory response), for comparison.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DEFAULT_ROWS = 100_000
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/qualitas_bench_exports"
RAISED = 8  # through the service; the rest are bulk copies
BATCH = 5000


def configure(url: str, data_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["QUALITAS_DATA_DIR"] = data_dir
    _recreate(url, drop_only=False)
    os.environ["DATABASE_URL"] = url
    import django
    from django.core.management import call_command

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)  # 'testserver' allowed; no query log kept
    call_command("migrate", verbosity=0)


def _recreate(url: str, *, drop_only: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            admin.execute(f'CREATE DATABASE "{name}"')


def build(rows: int, rng: random.Random) -> Any:
    """People, sites, defect codes and `rows` nonconformances; returns the quality manager."""
    from django.utils import timezone

    from qualitas.core import audit, permissions
    from qualitas.nonconformance import services
    from qualitas.nonconformance.models import DefectCategory, DefectCode, Nonconformance
    from qualitas.nonconformance.workflows import State
    from tests.factories import SiteFactory, UserFactory, with_role

    manager = with_role(UserFactory(username="qm"), permissions.QUALITY_MANAGER)
    owners = [
        with_role(UserFactory(username=f"inspector{n}"), permissions.CONTRIBUTOR) for n in range(20)
    ]
    with audit.context(actor=None, actor_name="bench"):
        sites = [SiteFactory(code=f"S{n}", name=f"Plant {n}") for n in range(4)]
        category = DefectCategory.objects.create(code="dimensional", name="Dimensional")
        codes = [
            DefectCode.objects.create(category=category, code=f"DIM-{n:02d}", name=f"Defect {n}")
            for n in range(12)
        ]
    raised = [
        services.raise_nonconformance(
            actor=owners[n],
            title=f"Bore oversize on HSG-{4400 + n}",
            source="in_process",
            part_number=f"HSG-{4400 + n}",
            quantity_affected=Decimal(50),
            quantity_nonconforming=Decimal(10),
            defect_code=codes[n % len(codes)],
            severity="major",
            finding="Ø74.041 measured, 74.035 max",
        )
        for n in range(min(RAISED, rows))
    ]
    templates = list(Nonconformance.objects.filter(pk__in=[nc.pk for nc in raised]))
    states = [s.value for s in State]
    today = timezone.localdate()
    made = len(templates)
    while made < rows:
        batch = []
        for _ in range(min(BATCH, rows - made)):
            copy = Nonconformance(**_fields(rng.choice(templates)))
            copy.number = f"NC-B{made:07d}"
            copy.title = f"{rng.choice(TITLES)} on lot L{rng.randint(1000, 9999)}"
            copy.owner = rng.choice(owners)
            copy.site = rng.choice([*sites, None])
            copy.defect_code = rng.choice([*codes, None])
            copy.severity = rng.choice(["critical", "major", "minor", ""])
            copy.state = rng.choice(states)
            copy.detected_on = today - timedelta(days=rng.randint(0, 1500))
            copy.quantity_nonconforming = Decimal(rng.randint(1, 5000)) / 10
            copy.lot_number = f"L{rng.randint(1000, 9999)}"
            copy.supplier_name = rng.choice(["", "Acme Castings", "Müller GmbH", "=evil()"])
            batch.append(copy)
            made += 1
        Nonconformance.objects.bulk_create(batch)
    return manager


TITLES = ["Bore oversize", "Scratch on face", "Wrong label", "Burr on edge", "Porosity"]


def _fields(template: Any) -> dict[str, Any]:
    return {
        f.attname: getattr(template, f.attname)
        for f in template._meta.concrete_fields
        if not f.primary_key
    }


def copy_floor() -> tuple[float, int]:
    """The same columns as the export, straight out of PostgreSQL."""
    from django.db import connection

    from qualitas.core.models import Site, User
    from qualitas.nonconformance.models import DefectCode, Nonconformance

    # Table names come from the models' meta: nothing from outside goes into the SQL.
    sql = f"""
        COPY (
            SELECT nc.number, nc.title, nc.state, nc.severity, dc.code, nc.part_number,
                   nc.lot_number, nc.quantity_nonconforming || ' ' || nc.unit, nc.source,
                   nc.supplier_name, s.code, u.first_name || ' ' || u.last_name, nc.detected_on
            FROM {Nonconformance._meta.db_table} nc
            LEFT JOIN {DefectCode._meta.db_table} dc ON dc.id = nc.defect_code_id
            LEFT JOIN {Site._meta.db_table} s ON s.id = nc.site_id
            JOIN {User._meta.db_table} u ON u.id = nc.owner_id
            ORDER BY nc.detected_on DESC, nc.created_at DESC, nc.id DESC
        ) TO STDOUT (FORMAT csv, HEADER)
    """  # noqa: S608
    size = 0
    start = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for data in copy:
            size += len(data)
    return time.perf_counter() - start, size


def export(client: Any, export_format: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.get("/nonconformances/", {"export": export_format})
    if response.status_code != 200:
        raise RuntimeError(f"export answered {response.status_code}")
    size = sum(len(piece) for piece in response.streaming_content)
    response.close()
    return time.perf_counter() - start, size


def legacy(manager: Any, export_format: str) -> tuple[float, int]:
    """The former path: every row as a model instance through `table.as_values()`."""
    from django.test import RequestFactory
    from django.urls import resolve

    from qualitas.core import exports

    start = time.perf_counter()
    request = RequestFactory().get("/nonconformances/")
    request.user = manager
    match = resolve("/nonconformances/")
    view = match.func.view_class(**match.func.view_initkwargs)  # type: ignore[attr-defined]
    view.setup(request, *match.args, **match.kwargs)
    table, _ = view.filtered_table(request)
    rows = list(table.as_values())
    if export_format == "csv":
        response = exports.csv_response("nc", rows)
    else:
        response = exports.xlsx_response("nc", rows, title="NC")
    return time.perf_counter() - start, len(response.content)


def peak(run: Callable[[], Any]) -> tuple[float, float]:
    """Peak traced Python memory and the growth of max RSS, both in MiB."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    run()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return top / 2**20, (rss_after - rss_before) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (best kept)")
    parser.add_argument("--legacy", action="store_true", help="also time the old path")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = DEFAULT_POSTGRES
    with tempfile.TemporaryDirectory(prefix="qualitas-bench-") as data_dir:
        configure(url, data_dir)
        try:
            run(args)
        finally:
            from django.db import connections

            connections.close_all()
            _recreate(url, drop_only=True)
    return 0


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        engine = cursor.fetchone()[0].split(" on ")[0]
    start = time.perf_counter()
    manager = build(args.rows, random.Random(20261207))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{engine}; {args.rows:,} nonconformances built in {time.perf_counter() - start:.0f} s")
    client = Client()
    client.force_login(manager)
    client.get("/nonconformances/")  # warm: session, permissions, templates

    floor, floor_size = min(copy_floor() for _ in range(args.repeats))
    print(f"COPY ... TO STDOUT (CSV)   {floor:7.2f} s   {floor_size / 2**20:6.1f} MiB")
    for export_format in ("csv", "xlsx"):
        took, size = min(export(client, export_format) for _ in range(args.repeats))
        traced, rss = peak(lambda f=export_format: export(client, f))  # type: ignore[misc]
        print(
            f"export {export_format:<4} (streamed)   {took:7.2f} s   {size / 2**20:6.1f} MiB   "
            f"{took / floor:5.1f}x COPY   peak traced {traced:6.1f} MiB, max RSS +{rss:.0f} MiB"
        )
        if args.legacy:
            took, size = legacy(manager, export_format)
            traced, rss = peak(lambda f=export_format: legacy(manager, f))  # type: ignore[misc]
            print(
                f"export {export_format:<4} (old path)   {took:7.2f} s   {size / 2**20:6.1f} MiB"
                f"   {took / floor:5.1f}x COPY   peak traced {traced:6.1f} MiB, "
                f"max RSS +{rss:.0f} MiB"
            )


if __name__ == "__main__":
    raise SystemExit(main())
