"""Benchmark of the nonconformance list, detail and API at scale, each against its SQL alone.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/platform/bench_lists.py                        # 100,000 NCs
    .venv/bin/python bench/platform/bench_lists.py --sizes 100000,1000000

The table is built (or extended, or kept) by `build.py` in the database named by
DATABASE_URL (default qualitas_bench_platform); the audit trail is verified after each build.

For each piece of work, as a quality manager holding the role at every site (one assignment
per site, so lists carry the "visible to me" filter), through django.test.Client in this
process: one warm-up request, then the median of five. Then the same request once more with
its queries captured, and the main query (the one that fetches the page's rows; for the
detail page the record's row, for the API create the record's INSERT) is re-run alone on a
cursor, also warm-up plus median of five: "SQL ms", the least the request could cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import build  # bench/platform/build.py, beside this file

NC_TABLE = '"nonconformance_nonconformance"'
PAGE = 25  # the list page's rows (ObjectListView.per_page)


@dataclass
class Work:
    label: str
    path: str
    api: bool = False
    body: dict[str, Any] | None = None  # a POST (the API create) when given


@dataclass
class Result:
    label: str
    rows: int
    ours_ms: float
    sql_ms: float
    queries: int
    main_sql: str

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.sql_ms if self.sql_ms else float("nan")


def _median_ms(run: Callable[[], Any], repeats: int) -> float:
    run()  # warm-up: caches, plans, the pages read into shared buffers
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


class Requests:
    """The browser of a signed-in quality manager, and their API token."""

    def __init__(self, manager: Any) -> None:
        from django.test import Client

        from qualitas.core import services

        environ: dict[str, Any] = {
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "REMOTE_ADDR": "10.0.0.7",
        }
        self.browser = Client(**environ)
        self.browser.force_login(manager)
        _, plain = services.create_token(actor=manager, name="bench/platform lists")
        self.api = Client(**environ, HTTP_AUTHORIZATION=f"Bearer {plain}")

    def send(self, work: Work) -> Any:
        client = self.api if work.api else self.browser
        if work.body is not None:
            response = client.post(
                work.path, json.dumps(work.body), content_type="application/json"
            )
            expected = 201
        else:
            response = client.get(work.path)
            expected = 200
        if response.status_code != expected:
            raise SystemExit(f"{work.label}: {work.path} answered {response.status_code}")
        return response


def main_query(captured: list[dict[str, str]], work: Work) -> str:
    """The query that fetches the rows shown (or, for a create, inserts the record)."""
    for query in captured:
        sql = query["sql"]
        if work.body is not None:
            if sql.startswith(f"INSERT INTO {NC_TABLE}"):
                return sql
        elif f"FROM {NC_TABLE}" in sql and not sql.startswith("SELECT COUNT("):
            return sql
    raise SystemExit(f"{work.label}: no main query among {len(captured)}")


def sql_alone(sql: str, work: Work, response: Any, repeats: int) -> float:
    """The main query on a bare cursor, its rows fetched: what the request cannot beat."""
    from django.db import connection, transaction

    if work.body is None:

        def select() -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                cursor.fetchall()

        return _median_ms(select, repeats)
    # The INSERT again, in a transaction rolled back after it: the row the request made
    # is taken out first (nothing refers to a nonconformance just raised).
    created = response.json()["id"]
    times = []
    for _ in range(repeats + 1):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {NC_TABLE} WHERE id = %s", [created])  # noqa: S608
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    return statistics.median(times[1:])


def measure(requests: Requests, work: Work, rows: int, repeats: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ours = _median_ms(lambda: requests.send(work), repeats)
    with CaptureQueriesContext(connection) as captured:
        response = requests.send(work)
    sql = main_query(captured.captured_queries, work)
    floor = sql_alone(sql, work, response, repeats)
    return Result(work.label, rows, ours, floor, len(captured.captured_queries), sql)


def works(requests: Requests, manager: Any, site: Any) -> list[Work]:
    """What a quality manager does with the list at this size, with real parameters."""
    from qualitas.core import records
    from qualitas.nonconformance import services
    from qualitas.nonconformance.models import Nonconformance

    visible = records.visible_to(manager, services.record_type()).count()
    middle = Nonconformance.objects.order_by("pk").values_list("pk", "lot_number")[visible // 2]
    # Halfway down the newest-first list: the cursor a client reading it all would hold there.
    from qualitas.core.pagination import cursor_of

    halfway = cursor_of(
        Nonconformance.objects.order_by("-created_at", "-id").only("created_at")[visible // 2]
    )
    # Page numbers go as deep as the counted rows (QUALITAS_LIST_COUNT_CAP); cursors beyond.
    from django.conf import settings

    cap = settings.QUALITAS_LIST_COUNT_CAP
    deepest_api_page = max(1, min(500, cap // 50))
    body = {
        "title": "Burr on edge of HSG-4412",
        "source": "in_process",
        "part_number": "HSG-4412",
        "lot_number": "L2649-001",
        "quantity_affected": "40",
        "quantity_nonconforming": "3",
        "severity": "minor",
        "finding": "Burr 0.3 mm on the outer edge, three of forty.",
        "site": site.pk,
    }
    return [
        Work("NC list, page 1", "/nonconformances/"),
        Work("NC list, state=open & site", f"/nonconformances/?state=open&site={site.pk}"),
        Work("NC list, sorted by part", "/nonconformances/?sort=part_number"),
        # The deepest page the list offers: the counted rows end there (a page past it is a 404).
        Work("NC list, last page", f"/nonconformances/?page={-(-min(visible, cap) // PAGE)}"),
        Work(f"NC list, search q={middle[1][1:8]}", f"/nonconformances/?q={middle[1][1:8]}"),
        Work("API list, page 1", "/api/v1/nonconformances?page=1", api=True),
        Work(
            f"API list, page {deepest_api_page} (deepest counted)",
            f"/api/v1/nonconformances?page={deepest_api_page}",
            api=True,
        ),
        Work("API list, cursor halfway", f"/api/v1/nonconformances?after={halfway}", api=True),
        Work("NC detail", f"/nonconformances/{middle[0]}/"),
        Work("API create", "/api/v1/nonconformances", api=True, body=body),
    ]


def table(results: list[Result]) -> str:
    lines = [
        "| work | rows | ours ms | SQL ms | ratio | queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.rows:,} | {r.ours_ms:.1f} | {r.sql_ms:.2f} | "
            f"{r.ratio:.1f}x | {r.queries} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sizes", default="", help="comma-separated, e.g. 100000,1000000")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median kept)")
    parser.add_argument(
        "--database", default=None, help=f"default DATABASE_URL or {build.DEFAULT_URL}"
    )
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    parser.add_argument("--show-sql", action="store_true", help="print each main query")
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()} or {args.rows})
    url = build.database_url(args.database)
    build.prepare_database(url, fresh=args.fresh, at_most=sizes[0])
    build.configure(url)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    results: list[Result] = []
    for size in sizes:
        built = build.build(size)
        print(
            f"PostgreSQL {version}: {built.rows:,} nonconformances ({built.added:,} added) "
            f"in {built.seconds:.0f} s",
            file=sys.stderr,
        )
        started = time.perf_counter()
        print(
            build.verify_trail().splitlines()[0],
            f"({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
        )
        requests = Requests(built.manager)
        for work in works(requests, built.manager, built.sites[0]):
            result = measure(requests, work, size, args.repeats)
            results.append(result)
            print(f"  {result.label}: {result.ours_ms:.1f} ms", file=sys.stderr, flush=True)
            if args.show_sql:
                where = result.main_sql.find(" WHERE ")
                print(f"    …{result.main_sql[max(where, 0) :][:600]}", file=sys.stderr)
        if len(sizes) > 1:  # each size's table as soon as it is measured
            print(table([r for r in results if r.rows == size]), "\n", flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
