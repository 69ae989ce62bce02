"""Benchmark of measurements in (issue 15): `ingest.record_measurements` and
`POST /api/v1/measurements` against a raw COPY of the same rows into the same table.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/inspection/bench_ingest.py                      # 1,000,000 rows
    .venv/bin/python bench/inspection/bench_ingest.py --rows 200000 --api-rows 20000

The data: one part revision with 10 variable characteristics (Ø74 ± 0.05 mm, 3 decimals), an
approved plan inspecting each 100 %, and lots of rows/10 items, so a batch holds every
characteristic's whole sample; values are normal around 74.000 (standard deviation
0.02 mm: some 1 % out of tolerance), rounded to the gauge's 3 decimals. Before each timing
the measurement table is emptied (TRUNCATE), so every writer starts from the same empty
table and indexes. Timed, each including its commit:

1. COPY of the rows (lot, characteristic, batch, sample, value, conformity, time) from
   tuples already in memory (psycopg's `write_row`), and the floor: the same COPY from the
   rows' text already formatted, the database's work alone;
2. record_measurements on the same rows: the content hash, every row validated, the batch
   and its audit event, COPY, the checks counted;
3. the API, for --api-rows (a JSON body stays under Django's 5 MB request limit): the
   request parsed and validated by django-ninja, then 2; beside the floor for as many rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_inspection"
CHARACTERISTICS = 10


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
    settings.AUDIT_CHECKPOINT_KEY = "c" * 64
    settings.ALLOWED_HOSTS = ["*"]


def _people() -> dict[str, Any]:
    from qualitas.core import audit
    from qualitas.core.models import Role, RoleAssignment, Site, User

    with audit.context(actor=None, actor_name="Qualitas benchmark"):
        site, _ = Site.objects.get_or_create(code="BENCH", defaults={"name": "Bench plant"})
        people: dict[str, Any] = {}
        for username, role in (
            ("bench-planner", "approver"),
            ("bench-qm", "quality-manager"),
            ("bench-inspector", "contributor"),
        ):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, first_name=username, last_name="Bench", site=site)
                user.set_password("Bench-Password-2026")
                user.save()
                RoleAssignment.objects.create(user=user, role=Role.objects.get(code=role))
            people[username.removeprefix("bench-")] = user
    people["site"] = site
    return people


def _plan(people: dict[str, Any]) -> Any:
    """A part revision with 10 variable characteristics, each inspected 100 %."""
    from qualitas.core import audit, signatures, workflow
    from qualitas.inspection import services
    from qualitas.inspection.models import Characteristic, Part, PartRevision

    with audit.context(actor=None, actor_name="Qualitas benchmark"):
        part = Part.objects.create(number=f"BENCH-{uuid.uuid4().hex[:8]}", name="Pump housing")
        revision = PartRevision.objects.create(part=part, revision="A")
        chars = [
            Characteristic.objects.create(
                revision=revision,
                number=str(10 * (n + 1)),
                name=f"Bore {n + 1}",
                kind="variable",
                nominal=74.0,
                lsl=73.95,
                usl=74.05,
                unit="mm",
                decimals=3,
            )
            for n in range(CHARACTERISTICS)
        ]
    plan = services.create_plan(
        actor=people["planner"],
        title="Bench plan",
        part_revision=revision,
        stage="final",
        site=people["site"],
    )
    for char in chars:
        services.set_item(plan, actor=people["planner"], characteristic=char, sampling="100")
    token = signatures.authenticate(people["qm"], "Bench-Password-2026", subject=plan)
    return workflow.fire(plan, "approve", actor=people["qm"], signature=token)


def _lot(people: dict[str, Any], plan: Any, quantity: int) -> Any:
    from qualitas.inspection import services

    return services.open_lot(
        actor=people["inspector"],
        title="Bench lot",
        plan=plan,
        lot_number=uuid.uuid4().hex[:10],
        quantity=quantity,
        site=people["site"],
    )


def _rows(count: int, seed: int = 15) -> list[Any]:
    from qualitas.inspection.ingest import Row

    per = count // CHARACTERISTICS
    draw = random.Random(seed)
    return [
        Row(str(10 * (c + 1)), n, value=round(draw.gauss(74.0, 0.02), 3))
        for c in range(CHARACTERISTICS)
        for n in range(1, per + 1)
    ]


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inspection_measurement")


def _floor(lot: Any, batch_id: int, rows: list[Any], *, text: bool = False) -> float:
    """COPY the rows from tuples in memory (psycopg adapts each value), or from their text
    already formatted (`text`: the database's own cost alone)."""
    from django.db import connection, transaction

    from qualitas.inspection.ingest import COLUMNS

    ids = {c.characteristic.number: c.characteristic_id for c in lot.checks.all()}
    stamp = datetime.now(UTC)
    tuples = [
        (
            lot.pk,
            ids[r.characteristic],
            batch_id,
            r.sample_no,
            r.value,
            73.95 <= r.value <= 74.05,
            None,
            stamp,
        )
        for r in rows
    ]
    chunks = []
    if text:
        at = stamp.isoformat()
        lines = [
            f"{t[0]}\t{t[1]}\t{t[2]}\t{t[3]}\t{t[4]!r}\t{'t' if t[5] else 'f'}\t\\N\t{at}\n"
            for t in tuples
        ]
        chunks = ["".join(lines[n : n + 5000]) for n in range(0, len(lines), 5000)]
    copying = f"COPY inspection_measurement ({', '.join(COLUMNS)}) FROM STDIN"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(copying) as copy:
        if text:
            for chunk in chunks:
                copy.write(chunk)
        else:
            for row in tuples:
                copy.write_row(row)
    return time.perf_counter() - started


def _floor_batch(people: dict[str, Any], lot: Any) -> int:
    from qualitas.core import audit
    from qualitas.inspection.models import MeasurementBatch

    with audit.context(actor=people["inspector"]):
        return MeasurementBatch.objects.create(
            lot=lot,
            key=f"floor-{uuid.uuid4().hex}",
            sha256="0" * 64,
            count=0,
            created_by=people["inspector"],
        ).pk


def _line(label: str, seconds: float, rows: int, floor: float | None = None) -> str:
    ratio = f", {seconds / floor:.2f}x floor" if floor else ""
    return f"{label:<40} {seconds:7.2f} s {rows:>10,} rows {rows / seconds:>11,.0f}/s{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--api-rows", type=int, default=50_000)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    if not args.url.startswith("postgres"):
        sys.exit("PostgreSQL only: COPY is the floor")
    _create_database(args.url)
    _setup(args.url)
    from django.db import connection
    from django.test import Client

    from qualitas.core import services as core_services
    from qualitas.inspection import ingest
    from qualitas.inspection.models import LotCheck

    people = _people()
    plan = _plan(people)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}")

    # --- the service, 1M rows --------------------------------------------------------------
    rows = _rows(args.rows)
    quantity = len(rows) // CHARACTERISTICS
    floor_lot = _lot(people, plan, quantity)
    _truncate()
    slow_floor = _floor(floor_lot, _floor_batch(people, floor_lot), rows)
    print(_line("COPY from tuples (write_row)", slow_floor, len(rows)))
    floor_lot = _lot(people, plan, quantity)
    _truncate()
    floor = _floor(floor_lot, _floor_batch(people, floor_lot), rows, text=True)
    print(_line("floor: COPY from formatted text", floor, len(rows)))

    lot = _lot(people, plan, quantity)
    _truncate()
    started = time.perf_counter()
    batch = ingest.record_measurements(
        lot, actor=people["inspector"], rows=rows, key=f"bench-{uuid.uuid4().hex}"
    )
    took = time.perf_counter() - started
    print(_line("record_measurements", took, batch.count, floor))
    measured = sum(LotCheck.objects.filter(lot=lot).values_list("measured", flat=True))
    if measured != len(rows):
        raise SystemExit(f"the checks count {measured} measurements of {len(rows)}")

    # --- the API, fewer rows ---------------------------------------------------------------
    api_rows = _rows(args.api_rows, seed=16)
    quantity = len(api_rows) // CHARACTERISTICS
    floor_lot = _lot(people, plan, quantity)
    _truncate()
    small_floor = _floor(floor_lot, _floor_batch(people, floor_lot), api_rows, text=True)
    print(_line("floor: COPY from formatted text", small_floor, len(api_rows)))

    lot = _lot(people, plan, quantity)
    _truncate()
    started = time.perf_counter()
    ingest.record_measurements(
        lot, actor=people["inspector"], rows=api_rows, key=f"bench-{uuid.uuid4().hex}"
    )
    print(_line("record_measurements", time.perf_counter() - started, len(api_rows), small_floor))

    _token, plain = core_services.create_token(actor=people["inspector"], name="bench")
    client = Client(headers={"Authorization": f"Bearer {plain}"})
    # A first request builds the URLs and the API's schemas: a process does that once.
    warm = {"lot": _lot(people, plan, 1).pk, "key": f"warm-{uuid.uuid4().hex}"}
    warm["measurements"] = [{"characteristic": "10", "sample_no": 1, "value": 74.0}]
    client.post("/api/v1/measurements", json.dumps(warm), content_type="application/json")
    lot = _lot(people, plan, quantity)
    body = json.dumps(
        {
            "lot": lot.pk,
            "key": f"bench-{uuid.uuid4().hex}",
            "measurements": [
                {"characteristic": r.characteristic, "sample_no": r.sample_no, "value": r.value}
                for r in api_rows
            ],
        }
    )
    _truncate()
    started = time.perf_counter()
    answer = client.post("/api/v1/measurements", body, content_type="application/json")
    took = time.perf_counter() - started
    if answer.status_code != 201:
        raise SystemExit(f"the API answered {answer.status_code}: {answer.content[:500]!r}")
    print(
        _line(
            f"POST /api/v1/measurements ({len(body) / 1e6:.1f} MB)",
            took,
            len(api_rows),
            small_floor,
        )
    )
    _truncate()


if __name__ == "__main__":
    main()
