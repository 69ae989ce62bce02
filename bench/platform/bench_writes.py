"""Benchmark of record creation: one client and eight, against a bare INSERT of the same rows.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/platform/bench_writes.py                    # 200 creates a client
    .venv/bin/python bench/platform/bench_writes.py --creates 500 --clients 8

The database (DATABASE_URL, default qualitas_bench_writes on the local server) is created and
migrated when missing; the bench's sites and people are `build.py`'s. Measured:

- floor: the nonconformance row and its create event, inserted by plain SQL in one transaction
  per create, into copies of the two tables (same columns and indexes, no foreign keys; made
  for the run and dropped after, so the real trail stays a chain);
- service: `raise_nonconformance`, each client a separate process (django.setup() in each: the
  GIL would serialise threads), each raising `--creates` records as an inspector;
- API: POST /api/v1/nonconformances with a personal access token, over HTTP, against the
  waitress server of `qualitas demo` (`qualitas.core.server`, one process, its thread pool) run
  in a separate process, from client threads in this one (keep-alive connections);
- queries per create (service and API, CaptureQueriesContext);
- how long each create holds the number-sequence lock and the audit chain-head lock: from the
  statement that takes the lock to the commit. Those locks serialise every create, so
  1 / window is the ceiling on creates per second, and window / create time is the serial
  fraction that caps the speed-up of more clients (Amdahl).

After the run the numbers of the year must be gap-free and the audit trail must verify.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import build  # bench/platform/build.py, beside this file

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_writes"
NC_TABLE = "nonconformance_nonconformance"
FLOOR_NC = "bench_floor_nonconformance"
FLOOR_EVENT = "bench_floor_auditevent"


def body_for(site_id: int, n: int) -> dict[str, Any]:
    """What an inspector sends for one nonconformance (the API's payload)."""
    return {
        "title": f"Burr on edge of HSG-4412 ({n})",
        "source": "in_process",
        "part_number": "HSG-4412",
        "lot_number": f"L2649-{n % 1000:03d}",
        "quantity_affected": "40",
        "quantity_nonconforming": "3",
        "severity": "minor",
        "finding": "Burr 0.3 mm on the outer edge, three of forty.",
        "site": site_id,
    }


def service_fields(site: Any, n: int) -> dict[str, Any]:
    from decimal import Decimal

    fields: dict[str, Any] = {**body_for(site.pk, n), "site": site}
    fields["quantity_affected"] = Decimal(fields["quantity_affected"])
    fields["quantity_nonconforming"] = Decimal(fields["quantity_nonconforming"])
    return fields


def setup_django(url: str) -> None:
    """Django on the bench database, in a fresh process (spawned clients, the server)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()


@dataclass
class Run:
    label: str
    clients: int
    creates: int
    seconds: float
    queries: int | None = None

    @property
    def per_second(self) -> float:
        return self.creates / self.seconds


# --- The floor: the same two rows by plain SQL -----------------------------------------------


def floor_rows(nc_id: int) -> tuple[list[str], list[Any], list[str], list[Any]]:
    """A nonconformance the service raised and its create event, as columns and values."""
    import psycopg.types.json
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from qualitas.core.models import AuditEvent
    from qualitas.nonconformance.models import Nonconformance

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {NC_TABLE} WHERE id = %s", [nc_id])  # noqa: S608
        nc_columns = [c.name for c in cursor.description if c.name != "id"]
        row = dict(zip([c.name for c in cursor.description], cursor.fetchone(), strict=True))
    kind = ContentType.objects.get_for_model(Nonconformance)
    event = AuditEvent.objects.get(object_type=kind, object_id=nc_id, action="create")
    event_columns = [f.column for f in AuditEvent._meta.concrete_fields]
    values = [getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields]
    values = [psycopg.types.json.Jsonb(v) if isinstance(v, dict) else v for v in values]
    return nc_columns, [row[c] for c in nc_columns], event_columns, values


def floor_client(url: str, start: Any, results: Any, k: int, creates: int, rows: Any) -> None:
    """One client of the floor: its own connection, one transaction per create."""
    import psycopg

    nc_columns, nc_values, event_columns, event_values = rows
    number_at = nc_columns.index("number")
    id_at, hash_at = event_columns.index("id"), event_columns.index("hash")
    insert_nc = (
        f"INSERT INTO {FLOOR_NC} ({', '.join(nc_columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(nc_columns))}) RETURNING id"
    )
    insert_event = (
        f"INSERT INTO {FLOOR_EVENT} ({', '.join(event_columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(event_columns))})"
    )
    with psycopg.connect(url) as conn:
        start.wait()
        began = time.perf_counter()
        for n in range(creates):
            nc = list(nc_values)
            nc[number_at] = f"FLOOR-{k}-{n}"
            event = list(event_values)
            event[id_at] = (k + 1) * 10_000_000 + n
            event[hash_at] = f"{k}-{n}"
            with conn.transaction():
                conn.execute(insert_nc, nc)
                conn.execute(insert_event, event)
        results.put((began, time.perf_counter()))


def run_floor(url: str, clients: int, creates: int, rows: Any) -> Run:
    from django.db import connection

    with connection.cursor() as cursor:
        for copy, table in ((FLOOR_NC, NC_TABLE), (FLOOR_EVENT, "core_auditevent")):
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
    try:
        return _in_processes("floor: INSERT NC + event", url, clients, creates, floor_client, rows)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_NC}, {FLOOR_EVENT}")


# --- The service, one process per client -----------------------------------------------------


def service_client(url: str, start: Any, results: Any, k: int, creates: int, person: Any) -> None:
    setup_django(url)
    from django.db import connection

    from qualitas.core.models import User
    from qualitas.nonconformance import services

    inspector = User.objects.select_related("site").get(pk=person)
    windows = LockWindows()
    with connection.execute_wrapper(windows):
        start.wait()
        began, cpu = time.perf_counter(), time.process_time()
        for n in range(creates):
            windows.begin()
            services.raise_nonconformance(actor=inspector, **service_fields(inspector.site, n))
            windows.committed()
        ended = time.perf_counter()
    cpu = (time.process_time() - cpu) / creates
    results.put((began, ended, windows.number, windows.chain, windows.total, windows.commit, cpu))


def _in_processes(label: str, url: str, clients: int, creates: int, target: Any, arg: Any) -> Run:
    """Start `clients` processes, release them together, time from the first start to the
    last finish."""
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(clients + 1)
    results = spawn.Queue()
    args = arg if isinstance(arg, list) else [arg] * clients
    procs = [
        spawn.Process(target=target, args=(url, start, results, k, creates, args[k]))
        for k in range(clients)
    ]
    for proc in procs:
        proc.start()
    start.wait(timeout=120)
    outcomes = [results.get(timeout=3600) for _ in procs]
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"{label}: a client failed (exit {proc.exitcode})")
    run = Run(
        label,
        clients,
        clients * creates,
        max(o[1] for o in outcomes) - min(o[0] for o in outcomes),
    )
    run.outcomes = outcomes  # type: ignore[attr-defined]
    return run


# --- Lock windows --------------------------------------------------------------------------


class LockWindows:
    """An execute wrapper noting when a create takes the number and chain-head locks; the
    window is from then to the commit that releases them."""

    def __init__(self) -> None:
        self.number: list[float] = []
        self.chain: list[float] = []
        self.total: list[float] = []
        self.commit: list[float] = []  # from the last statement's answer to the return
        self._began = self._number_at = self._chain_at = self._last = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:  # noqa: FBT001 - Django's wrapper
        result = execute(sql, params, many, context)
        self._last = time.perf_counter()
        locks = "FOR UPDATE" in sql or "DO UPDATE" in sql
        if locks and "core_numbersequence" in sql and not self._number_at:
            self._number_at = time.perf_counter()
        elif locks and "core_auditchainhead" in sql and not self._chain_at:
            self._chain_at = time.perf_counter()
        return result

    def begin(self) -> None:
        self._began = time.perf_counter()
        self._number_at = self._chain_at = 0.0

    def committed(self) -> None:
        now = time.perf_counter()
        self.total.append(now - self._began)
        self.commit.append(now - self._last)
        if self._number_at:
            self.number.append(now - self._number_at)
        if self._chain_at:
            self.chain.append(now - self._chain_at)


# --- The API over HTTP -----------------------------------------------------------------------


def serve(url: str, ready: Any, stop: Any) -> None:
    """The waitress server `qualitas demo` runs, in its own process."""
    setup_django(url)
    import logging

    from qualitas.core import server

    # Eight clients keep a request or two queued: expected here, not worth a line each.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    httpd = server.create("127.0.0.1", 0)
    ready.put(httpd.effective_port)
    threading.Thread(target=httpd.run, daemon=True).start()
    stop.wait()
    httpd.close()


def api_client(port: int, token: str, site: int, creates: int, times: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Host": "localhost",
    }
    times.append(time.perf_counter())
    for n in range(creates):
        conn.request("POST", "/api/v1/nonconformances", json.dumps(body_for(site, n)), headers)
        response = conn.getresponse()
        answer = response.read()
        if response.status != 201:
            raise SystemExit(f"API create answered {response.status}: {answer[:300]!r}")
    times.append(time.perf_counter())
    conn.close()


def run_api(port: int, clients: int, creates: int, tokens: list[tuple[str, int]]) -> Run:
    spans: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=api_client, args=(port, *tokens[k], creates, spans[k]))
        for k in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(len(span) != 2 for span in spans):
        raise SystemExit("an API client failed")
    seconds = max(s[1] for s in spans) - min(s[0] for s in spans)
    return Run("API POST over HTTP (waitress)", clients, clients * creates, seconds)


# --- Queries, and the checks after the run --------------------------------------------------


def queries_per_create(person: Any, token: str) -> tuple[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qualitas.nonconformance import services

    services.raise_nonconformance(actor=person, **service_fields(person.site, 0))  # warm-up
    with CaptureQueriesContext(connection) as service:
        services.raise_nonconformance(actor=person, **service_fields(person.site, 1))
    api = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    for n in range(2):
        with CaptureQueriesContext(connection) as over_api:
            response = api.post(
                "/api/v1/nonconformances",
                json.dumps(body_for(person.site_id, n)),
                content_type="application/json",
            )
        if response.status_code != 201:
            raise SystemExit(f"API create answered {response.status_code}: {response.content!r}")
    return len(service.captured_queries), len(over_api.captured_queries)


def numbers_gap_free() -> str:
    """Every scope's numbers run 1..last with none missing, and the sequence agrees."""
    from qualitas.core.models import NumberSequence
    from qualitas.nonconformance.models import Nonconformance

    lines = []
    for sequence in NumberSequence.objects.filter(scope__startswith="nonconformance:"):
        head = sequence.scope.split(":", 1)[1]
        numbers = Nonconformance.objects.filter(number__startswith=head).values_list(
            "number", flat=True
        )
        seqs = sorted(int(n[len(head) :]) for n in numbers)
        if seqs != list(range(1, sequence.last_value + 1)):
            missing = sorted(set(range(1, sequence.last_value + 1)) - set(seqs))[:10]
            raise SystemExit(f"numbers {head}…: gaps or duplicates (missing {missing})")
        lines.append(f"{head}0001…{seqs[-1] if seqs else 0} ({len(seqs):,}, gap-free)")
    return "; ".join(lines)


def trail_intact() -> str:
    from qualitas.core import auditverify

    result = auditverify.verify()
    if not result.intact:
        raise SystemExit(f"audit trail broken at #{result.first_broken_id}: {result.problem}")
    return f"intact, {result.events_checked:,} events"


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{statistics.median(values) * 1000:.2f} ms (p90 {p90 * 1000:.2f})"


def table(runs: list[Run], floors: dict[int, Run]) -> str:
    ones = {r.label: r for r in runs if r.clients == 1}
    lines = [
        "| work | clients | creates | creates/s | ms per create | x floor | x 1 client | queries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        floor = floors.get(r.clients)
        vs_floor = floor.per_second / r.per_second if floor else float("nan")
        one = ones.get(r.label)
        scale = r.per_second / one.per_second if one else float("nan")
        lines.append(
            f"| {r.label} | {r.clients} | {r.creates:,} | {r.per_second:.1f} | "
            f"{1000 / r.per_second:.2f} | {vs_floor:.1f}x | {scale:.2f}x | "
            f"{r.queries if r.queries is not None else '-'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--creates", type=int, default=200, help="creates per client")
    parser.add_argument("--clients", type=int, default=8, help="the many-clients run")
    parser.add_argument("--database", default=None, help=f"default DATABASE_URL or {DEFAULT_URL}")
    parser.add_argument("--skip-api", action="store_true")
    args = parser.parse_args(argv)
    url = args.database or os.environ.get("DATABASE_URL") or DEFAULT_URL
    build.database_url(url)  # refuses SQLite
    build.prepare_database(url)
    build.configure(url)
    from django.db import connection

    from qualitas.core import services as core_services
    from qualitas.nonconformance import services

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    org = build.organisation()
    people = [p for site in org.sites for p in org.people[site.pk]][: max(args.clients, 1)]
    for person in people:
        person.site = next(s for s in org.sites if s.pk == person.site_id)
    tokens = [
        (core_services.create_token(actor=p, name="bench/platform writes")[1], p.site_id)
        for p in people
    ]
    print(f"PostgreSQL {version}; {os.cpu_count()} CPU cores", file=sys.stderr)

    service_queries, api_queries = queries_per_create(people[0], tokens[0][0])
    sample = services.raise_nonconformance(actor=people[0], **service_fields(people[0].site, 2))
    rows = floor_rows(sample.pk)

    counts = sorted({1, args.clients})
    floors = {n: run_floor(url, n, args.creates, rows) for n in counts}
    runs: list[Run] = list(floors.values())
    windows: dict[int, tuple[list[float], ...]] = {}
    for n in counts:
        run = _in_processes(
            "service raise_nonconformance",
            url,
            n,
            args.creates,
            service_client,
            [p.pk for p in people[:n]],
        )
        run.queries = service_queries
        number = [w for o in run.outcomes for w in o[2]]  # type: ignore[attr-defined]
        chain = [w for o in run.outcomes for w in o[3]]  # type: ignore[attr-defined]
        total = [w for o in run.outcomes for w in o[4]]  # type: ignore[attr-defined]
        commit = [w for o in run.outcomes for w in o[5]]  # type: ignore[attr-defined]
        cpu = [o[6] for o in run.outcomes]  # type: ignore[attr-defined]
        windows[n] = (number, chain, total, commit, cpu)
        runs.append(run)
        print(f"  {run.label}, {n} clients: {run.per_second:.1f}/s", file=sys.stderr, flush=True)
    if not args.skip_api:
        spawn = multiprocessing.get_context("spawn")
        ready, stop = spawn.Queue(), spawn.Event()
        server = spawn.Process(target=serve, args=(url, ready, stop))
        server.start()
        port = ready.get(timeout=120)
        try:
            run_api(port, 1, 5, tokens)  # warm-up: the server's threads open their connections
            for n in counts:
                run = run_api(port, n, args.creates, tokens)
                run.queries = api_queries
                runs.append(run)
                print(f"  {run.label}, {n}: {run.per_second:.1f}/s", file=sys.stderr, flush=True)
        finally:
            stop.set()
            server.join(timeout=30)

    print(table(runs, floors))
    print()
    for n, (number, chain, total, commit, cpu) in windows.items():
        print(
            f"service, {n} client(s): create {_ms(total)}; "
            f"client CPU {statistics.mean(cpu) * 1000:.2f} ms a create"
        )
        print(f"  number lock held     {_ms(number)}")
        print(f"  chain-head lock held {_ms(chain)}")
        print(f"  of which the commit  {_ms(commit)}")
        held = statistics.median(number or [0.0])
        if not held:
            continue
        print(f"  ceiling 1/window {1 / held:,.0f} creates/s")
        if n == 1:  # the serial fraction of an uncontended create (Amdahl)
            serial = held / statistics.median(total)
            cores = os.cpu_count() or 1
            print(
                f"  serial fraction {serial:.1%}: Amdahl speed-up for {args.clients} clients "
                f"{1 / (serial + (1 - serial) / args.clients):.1f}x on {args.clients} free "
                f"cores, {1 / (serial + (1 - serial) / min(args.clients, cores)):.1f}x on "
                f"this machine's {cores}"
            )
    print()
    print(f"numbers: {numbers_gap_free()}")
    print(f"audit trail: {trail_intact()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
