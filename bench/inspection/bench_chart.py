"""Benchmark of the characteristic's live chart (issue 15): `live.chart_data` and the
characteristic's page against the floor, the raw query of the values plus the same
qualitas.spc call on the same array. Goal: within 2x the floor.

Run from the repository root (PostgreSQL only; not part of the test suite)::

    .venv/bin/python bench/inspection/bench_chart.py                     # 100,000 values
    .venv/bin/python bench/inspection/bench_chart.py --values 20000

The data: one variable characteristic (Ø74 ± 0.05 mm, 3 decimals) measured in lots of 5
(X̄-R), values normal around 74.000 with a standard deviation of 0.01 mm and one shift of
+0.02 mm for 50 lots, so the rules fire. Generated with NumPy, written by COPY; the lots are
clones of one lot opened by the service (bulk-created), each with its check. Timed, best of
--repeat runs after one warm-up:

1. floor: `values_list("value")` of the characteristic in measured order, into a NumPy
   array, reshaped to (lots x 5), `qualitas.spc.xbar_r` on it;
2. `live.chart_data(characteristic)`: the same query with the lot of each value, grouped
   per lot, the chart, every alarm, capability of all the values, the lot numbers;
3. `live.chart_data(characteristic, window=200)`: what the page computes;
4. GET of the characteristic's page (django test Client, signed in): 3 plus the lots
   list, the template and the chart JSON of the window.
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/qualitas_bench_inspection"
SUBGROUP = 5


def _prepare(values: int) -> tuple[Any, Any]:
    """A characteristic with `values` measurements in lots of SUBGROUP; returns it and a
    planner to sign in as."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_ingest import _people  # the same bench people and site
    from django.db import connection

    from qualitas.core import audit, signatures, workflow
    from qualitas.inspection import services
    from qualitas.inspection.models import (
        Characteristic,
        InspectionLot,
        LotCheck,
        MeasurementBatch,
        Part,
        PartRevision,
    )

    people = _people()
    with audit.context(actor=None, actor_name="Qualitas benchmark"):
        part = Part.objects.create(number=f"CHART-{uuid.uuid4().hex[:8]}", name="Piston ring")
        revision = PartRevision.objects.create(part=part, revision="A")
        bore = Characteristic.objects.create(
            revision=revision, number="10", name="Inside diameter", kind="variable",
            nominal=74.0, lsl=73.95, usl=74.05, unit="mm", decimals=3,
        )  # fmt: skip
    plan = services.create_plan(
        actor=people["planner"], title="Chart bench", part_revision=revision, stage="final",
        site=people["site"],
    )  # fmt: skip
    services.set_item(
        plan, actor=people["planner"], characteristic=bore, sampling="fixed",
        sample_size=SUBGROUP, acceptance_number=0,
    )  # fmt: skip
    token = signatures.authenticate(people["qm"], "Bench-Password-2026", subject=plan)
    plan = workflow.fire(plan, "approve", actor=people["qm"], signature=token)
    first = services.open_lot(
        actor=people["inspector"], title="Chart bench lot", plan=plan, lot_number="B000000",
        quantity=100, site=people["site"],
    )  # fmt: skip
    lots_needed = values // SUBGROUP
    check = LotCheck.objects.get(lot=first)
    with audit.context(actor=people["inspector"], reason="benchmark data"):
        clones = []
        stem = uuid.uuid4().hex[:6].upper()
        for i in range(1, lots_needed):
            lot = copy.copy(first)
            lot.pk = lot.id = None
            lot.number = f"LOT-{stem}-{i:06d}"
            lot.lot_number = f"B{i:06d}"
            clones.append(lot)
        made = InspectionLot.objects.bulk_create(clones, batch_size=5000)
        lots = [first, *made]
        checks = []
        for lot in made:
            c = copy.copy(check)
            c.pk = c.id = None
            c.lot_id = lot.pk
            c.measured = SUBGROUP
            checks.append(c)
        LotCheck.objects.bulk_create(checks, batch_size=5000)
        batch = MeasurementBatch.objects.create(
            lot=first, key=f"chart-bench-{uuid.uuid4()}", sha256="0" * 64, count=values,
            created_by=people["inspector"],
        )  # fmt: skip
    rng = np.random.default_rng(15)
    x = rng.normal(74.0, 0.01, size=(lots_needed, SUBGROUP))
    x[lots_needed // 2 : lots_needed // 2 + 50] += 0.02  # a special cause: a shift
    x = np.round(x, 3)
    lot_ids = np.repeat(np.array([lot.pk for lot in lots]), SUBGROUP)
    samples = np.tile(np.arange(1, SUBGROUP + 1), lots_needed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = [(start + timedelta(minutes=i)).isoformat() for i in range(lots_needed)]
    conforming = (x >= 73.95) & (x <= 74.05)
    out = io.StringIO()
    flat, ok = x.ravel().tolist(), conforming.ravel().tolist()
    lot_list, sample_list = lot_ids.tolist(), samples.tolist()
    for i in range(len(flat)):
        out.write(
            f"{lot_list[i]}\t{bore.pk}\t{batch.pk}\t{sample_list[i]}\t{flat[i]!r}\t"
            f"{'t' if ok[i] else 'f'}\t\\N\t{stamps[i // SUBGROUP]}\n"
        )
    columns = (
        "lot_id, characteristic_id, batch_id, sample_no, value, conforming, defects, measured_at"
    )
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY inspection_measurement ({columns}) FROM STDIN") as cp:
            cp.write(out.getvalue())
        cursor.execute("ANALYZE inspection_measurement")
    return bore, people["planner"]


def _best(run: Any, repeat: int) -> float:
    run()  # warm-up: caches, the first query plan, templates
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    from bench_ingest import _create_database, _setup

    _create_database(url)
    _setup(url)
    from django.db import connection
    from django.test import Client

    from qualitas import spc
    from qualitas.inspection import live
    from qualitas.inspection.models import Measurement

    made = time.perf_counter()
    bore, planner = _prepare(args.values)
    print(
        f"data: {args.values:,} values in lots of {SUBGROUP} ({time.perf_counter() - made:.1f} s)"
    )

    def floor() -> Any:
        values = np.array(
            Measurement.objects.filter(characteristic=bore, value__isnull=False)
            .order_by("measured_at", "lot_id", "sample_no")
            .values_list("value", flat=True),
            dtype=np.float64,
        )
        return spc.xbar_r(values.reshape(-1, SUBGROUP))

    client = Client()
    client.force_login(planner)
    page_url = f"/inspection/characteristics/{bore.pk}/"

    def page() -> None:
        response = client.get(page_url)
        if response.status_code != 200:
            raise SystemExit(f"the page answered {response.status_code}")

    check = live.chart_data(bore)
    if check["total_points"] != args.values // SUBGROUP or not check["alarms"]:
        raise SystemExit("the data did not come out as generated")
    figures = [
        ("floor: values_list + spc.xbar_r", _best(floor, args.repeat)),
        ("live.chart_data (all points)", _best(lambda: live.chart_data(bore), args.repeat)),
        (
            "live.chart_data (window 200)",
            _best(lambda: live.chart_data(bore, window=200), args.repeat),
        ),
        ("GET characteristic page", _best(page, args.repeat)),
    ]
    print(connection.cursor().connection.execute("SELECT version()").fetchone()[0].split(" on ")[0])
    base = figures[0][1]
    for name, seconds in figures:
        ratio = "" if name.startswith("floor") else f", {seconds / base:.2f}x floor"
        print(f"{name:40s} {seconds * 1000:8.1f} ms  {args.values:,} values{ratio}")


if __name__ == "__main__":
    main()
