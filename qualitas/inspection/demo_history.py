"""The demo's 18 months of inspection history at production volume: 28 more parts (bought-in
from five suppliers, or machined on the line), their incoming, in-process and final plans,
and ~4,700 lots with ~500,000 measurements, so the lists, the charts and the exports show a
plant's real size. Fixed seed: the same every time.

Signing 4,600 lots one by one through the services would take the demo past its two
minutes, so the history is written in bulk, the way a migration from a previous system
would be: the lots, their checks, batches and measurements inserted in batches, each with
its creation events on the audit chain (reason "Inspection history loaded") and the
inspector's signature over the lot's content. Every historical lot is judged by its real
Ac/Re from the ISO 2859-1 tables and accepted; the stories with rejected lots, the
tightened supplier and the out-of-tolerance gauge are told through the services
(`demo.load`). Each variable characteristic's process drifts slowly and has one special
cause (a shift, or a lot beyond its limits) after its frozen baseline, so the run rules
fire on every chart."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from qualitas.core import audit, numbering, signatures, workflow
from qualitas.core.models import Department, Meaning, Site, User
from qualitas.inspection import ingest, live, services, workflows as w
from qualitas.inspection.models import (
    Characteristic,
    ChartAlarm,
    InspectionLot,
    InspectionPlan,
    LotCheck,
    Measurement,
    MeasurementBatch,
    Part,
    PartRevision,
    Sampling,
    SwitchingState,
    Verdict,
)

HISTORY_REASON = "Inspection history loaded"
SUPPLIERS = {
    "BF": "Brandt Foundry",
    "CW": "Castwell Ltd",
    "NB": "Northbar Metals",
    "PF": "Penn Fasteners",
    "KS": "Kessler Seals",
}


@dataclass(frozen=True)
class Family:
    """Parts of one kind: bought in from `suppliers`, or machined on the line (none)."""

    prefix: str
    name: str
    customer: str
    suppliers: tuple[str, ...]
    count: int
    # number, name, kind, nominal, LSL, USL, unit, decimals, class
    characteristics: tuple[tuple[Any, ...], ...]


def _families() -> tuple[Family, ...]:
    text = (Path(__file__).parent / "demo_content" / "part_families.json").read_text("utf-8")
    return tuple(
        Family(
            prefix=f["prefix"],
            name=f["name"],
            customer=f["customer"],
            suppliers=tuple(f["suppliers"]),
            count=f["count"],
            characteristics=tuple(
                tuple(c[key] for key in CHARACTERISTIC_KEYS) for c in f["characteristics"]
            ),
        )
        for f in json.loads(text)["families"]
    )


CHARACTERISTIC_KEYS = (
    "number",
    "name",
    "kind",
    "nominal",
    "lsl",
    "usl",
    "unit",
    "decimals",
    "class",
)
FAMILIES = _families()
# Machined parts: the first three characteristics at the operation (subgroups of 5, the
# SPC charts' own sampling), the last two at final inspection (AQL).
IN_PROCESS = ("10", "20", "30")
OPERATION = "Op 20 CNC turning"


@dataclass
class Chart:
    """One characteristic's process over the history: where each lot's mean sits."""

    sigma: float
    centre: float
    drift: float  # how far the mean wanders per 150 lots, in sigmas of the subgroup mean
    special: int  # the lot index of its special cause
    shift: bool  # True: a run of lots shifted; False: one lot beyond its limits


def load(people: dict[str, User], site: Site, department: Department) -> None:
    weeks = settings.DEMO_INSPECTION_WEEKS
    if weeks <= 0:
        return
    rng = np.random.default_rng(105)
    engineer, manager = people["acosta"], people["hmarsh"]
    plans = _plans(_parts(engineer), engineer, manager, site, department)
    end = timezone.now() - datetime.timedelta(days=200)  # the services' stories come after
    lots, special = _history(plans, people, rng, end, weeks, actor=engineer, reason=HISTORY_REASON)
    with audit.context(actor=engineer, reason=HISTORY_REASON):
        _switching(lots)
    for characteristic in Characteristic.objects.filter(
        revision__part__number__regex=r"^(VB|BAR|FST|ORG|SHF|FLG|BSH|CVR)-\d"
    ).order_by("pk"):
        live.freeze_baseline(
            characteristic,
            actor=engineer,
            reason="Phase I: the first 25 lots of the history, process in control",
            points=25,
        )
    _alarms(lots, special, engineer)


def _parts(engineer: User) -> list[tuple[Family, PartRevision]]:
    made = []
    with audit.context(actor=engineer, actor_name="Qualitas demo"):
        for family in FAMILIES:
            for k in range(family.count):
                number = f"{family.prefix}-{1100 + 37 * k}"
                part = Part.objects.create(
                    number=number,
                    name=f"{family.name} {number[-4:]}",
                    customer=family.customer,
                )
                revision = PartRevision.objects.create(
                    part=part, revision="B" if k % 2 else "A", is_current=True
                )
                add_characteristics(revision, family.characteristics, owner=engineer)
                made.append((family, revision))
    return made


def add_characteristics(revision: PartRevision, specs: Any, **extra: Any) -> None:
    """The revision's characteristics from their specs (number, name, kind, nominal, LSL,
    USL, unit, decimals, class, and optionally the special characteristic mark)."""
    for number, name, kind, nominal, lsl, usl, unit, decimals, klass, *mark in specs:
        Characteristic.objects.create(
            revision=revision,
            number=number,
            name=name,
            kind=kind,
            nominal=nominal,
            lsl=lsl,
            usl=usl,
            unit=unit,
            decimals=decimals,
            char_class=klass,
            special_mark=mark[0] if mark else "",
            **extra,
        )


def _plans(
    parts: list[tuple[Family, PartRevision]],
    engineer: User,
    manager: User,
    site: Site,
    department: Department,
) -> list[tuple[InspectionPlan, tuple[str, ...]]]:
    """Each part's plans, approved by the quality manager: (plan, suppliers of its lots)."""
    plans = []
    for family, revision in parts:
        number = revision.part.number
        characteristics = {c.number: c for c in revision.characteristics.all()}
        stages = (
            [("incoming", "", list(characteristics))]
            if family.suppliers
            else [
                ("in_process", OPERATION, list(IN_PROCESS)),
                ("final", "", [n for n in characteristics if n not in IN_PROCESS]),
            ]
        )
        for stage, operation, numbers in stages:
            plan = services.create_plan(
                actor=engineer,
                title=f"{dict(INSPECTION_STAGES)[stage]}, {number}",
                part_revision=revision,
                stage=stage,
                operation=operation,
                site=site,
                department=department,
            )
            for c_number in numbers:
                c = characteristics[c_number]
                if stage == "in_process":
                    services.set_item(
                        plan,
                        actor=engineer,
                        characteristic=c,
                        sampling=Sampling.FIXED,
                        sample_size=5,
                        acceptance_number=0,
                        reaction="Stop the machine, segregate since the last good subgroup",
                    )
                else:
                    aql = {"critical": 0.65, "major": 1.5}.get(c.char_class, 2.5)
                    services.set_item(
                        plan,
                        actor=engineer,
                        characteristic=c,
                        aql=aql if c.kind == "variable" else 2.5,
                        reaction="Quarantine the lot; raise an NC",
                    )
            token = signatures.SignatureToken(manager.pk, timezone.now())
            workflow.fire(plan, "approve", actor=manager, signature=token)
            plan.refresh_from_db()
            suppliers = tuple(SUPPLIERS[code] for code in family.suppliers) or ("",)
            plans.append((plan, suppliers))
    return plans


INSPECTION_STAGES = (
    ("incoming", "Incoming inspection"),
    ("in_process", "In-process inspection"),
    ("final", "Final inspection"),
)


@audit.service
def _history(
    plans: list[tuple[InspectionPlan, tuple[str, ...]]],
    people: dict[str, User],
    rng: np.random.Generator,
    end: datetime.datetime,
    weeks: int,
    *,
    actor: User,
    reason: str,
) -> tuple[list[InspectionLot], set[int]]:
    """The lots, and the indexes of those where a chart's special cause shows."""
    start = end - datetime.timedelta(weeks=weeks)
    lot_type = services.lot_type()
    # Plan by plan: the lots, their checks (sample and Ac/Re as the plan and the normal
    # switching state say) and their sampled values.
    pending: list[tuple[InspectionLot, list[LotCheck], list[tuple[Any, ...]], User]] = []
    special: set[int] = set()
    for plan, suppliers in plans:
        items = list(plan.items.select_related("characteristic"))
        per_week = 2 if plan.stage == "in_process" else 1
        count = weeks * per_week
        inspector = people["jokafor"] if plan.stage != "incoming" else people["mkowalski"]
        charts = {item.characteristic_id: _chart(item.characteristic, count, rng) for item in items}
        # Where each variable chart's special cause shows (new points are judged against
        # the limits for variables): the lot beyond the limits, or the run's 9th to 11th lots.
        special |= {
            len(pending) + chart.special + offset
            for chart in charts.values()
            for offset in ((8, 9, 10) if chart.shift else (0,))
            if chart.sigma and chart.special + offset < count
        }
        for k in range(count):
            supplier = suppliers[k % len(suppliers)]
            when = start + datetime.timedelta(
                days=7 * k / per_week + float(rng.uniform(0, 2)), hours=float(rng.uniform(6, 14))
            )
            if plan.stage == "incoming":
                quantity = int(rng.integers(281, 501))  # code letter H: 50 items
                code = next(c for c, name in SUPPLIERS.items() if name == supplier)
                lot_number = f"{code}-{when:%y%m%d}-{k % 10}"
            elif plan.stage == "in_process":
                quantity, lot_number = int(rng.integers(40, 120)), f"WO-{20000 + 2 * k}"
            else:
                quantity = int(rng.integers(501, 1201))  # code letter J: 80 items
                lot_number = f"FG-{plan.part_revision.part.number[-4:]}-{k:03}"
            lot = InspectionLot(
                title=f"Lot {lot_number}",
                plan=plan,
                part_revision=plan.part_revision,
                stage=plan.stage,
                lot_number=lot_number,
                quantity=quantity,
                supplier_name=supplier,
                work_order=lot_number if plan.stage != "incoming" else "",
                site=plan.site,
                department=plan.department,
                owner=inspector,
                created_by=inspector,
                updated_by=inspector,
                state=w.LotState.ACCEPTED,
                verdict=Verdict.ACCEPT,
                verdict_reason="Every characteristic within its acceptance number.",
            )
            normal = SwitchingState(supplier_name=supplier)
            checks, values = [], []
            for item in items:
                check = services._check_for(item, quantity, normal, k)
                sampled = _sample(
                    item.characteristic, charts[item.characteristic_id], k, check, rng
                )
                check.measured = len(sampled)
                check.nonconforming = sum(1 for _, conforming, _, _ in sampled if not conforming)
                check.result = Verdict.ACCEPT
                checks.append(check)
                values += [(item.characteristic_id, *row, when) for row in sampled]
            pending.append((lot, checks, values, inspector))

    numbers = numbering.next_numbers(
        lot_type.key,
        prefix=lot_type.prefix,
        pattern=numbering.pattern_for(lot_type.key, lot_type.number_pattern),
        count=len(pending),
    )
    for (lot, _, _, _), number in zip(pending, numbers, strict=True):
        lot.number = number
    lots = InspectionLot.objects.bulk_create([p[0] for p in pending], batch_size=500)
    all_checks = []
    for lot, checks, _, _ in pending:
        for check in checks:
            check.lot = lot
            all_checks.append(check)
    LotCheck.objects.bulk_create(all_checks, batch_size=500)
    batches = MeasurementBatch.objects.bulk_create(
        [
            MeasurementBatch(
                lot=lot,
                key=f"history-{lot.number}",
                sha256=_batch_hash(checks, values),
                count=len(values),
                source="history",
                created_by=inspector,
            )
            for lot, checks, values, inspector in pending
        ],
        batch_size=500,
    )
    _write_measurements(pending, batches)
    # Each lot's events are its inspector's, appended to the chain together as this ends.
    for (lot, checks, _, inspector), batch in zip(pending, batches, strict=True):
        with audit.context(actor=inspector, reason=HISTORY_REASON):
            audit.record_created([lot, *checks, batch])
            signatures.sign(
                lot,
                signer=inspector,
                meaning=Meaning.VERIFIED,
                token=signatures.SignatureToken(inspector.pk, timezone.now()),
                transition="sign_inspection",
            )
    return lots, special


def _batch_hash(checks: list[LotCheck], values: list[tuple[Any, ...]]) -> str:
    """The batch's hash as `ingest` takes it: of the rows as they arrive (a value, a
    pass/fail or a defect count, each by its characteristic's number)."""
    numbers = {check.characteristic_id: check.characteristic for check in checks}
    rows = []
    for c, s, ok, v, d, at in values:
        kind = numbers[c].kind
        rows.append(
            ingest.Row(
                numbers[c].number,
                s,
                value=v,
                conforming=ok if kind == "attribute" else None,
                defects=d,
                measured_at=at,
            )
        )
    return ingest.content_hash(rows)


def _chart(characteristic: Characteristic, lots: int, rng: np.random.Generator) -> Chart:
    if characteristic.kind != "variable":
        return Chart(0.0, 0.0, 0.0, _special(lots, rng), shift=False)
    usl = characteristic.usl or 0.0
    lsl = characteristic.lsl if characteristic.lsl is not None else 0.0
    centre = characteristic.nominal if characteristic.nominal is not None else lsl + (usl - lsl) / 2
    # A capable process: Cpk about 1.4 to 1.8 on the nearer limit.
    room = min(usl - centre, centre - lsl) if characteristic.lsl is not None else usl - centre
    sigma = room / float(rng.uniform(4.2, 5.4))
    return Chart(
        sigma=sigma,
        centre=centre,
        # Most processes hold their centre; one in three wanders a little.
        drift=float(rng.uniform(-0.5, 0.5)) if rng.random() < 1 / 3 else 0.0,
        special=_special(lots, rng),
        shift=bool(rng.integers(0, 2)),
    )


def _special(lots: int, rng: np.random.Generator) -> int:
    """Where the special cause comes: after the 25 lots of the baseline, clear of the end."""
    low = 26 if lots < 45 else 30
    return int(rng.integers(low, max(low + 1, lots - 12)))


def _draw(rng: np.random.Generator, mean: float, sigma: float, n: int, *, one_sided: bool) -> Any:
    values = rng.normal(mean, sigma, size=n)
    # Flatness, runout, roughness: a one-sided characteristic is never below 0.
    return np.abs(values) if one_sided else values


def _sample(
    c: Characteristic, chart: Chart, k: int, check: LotCheck, rng: np.random.Generator
) -> list[tuple[int, bool, float | None, int | None]]:
    """The lot's sample: (sample no, conforming, value, defects) per item."""
    n = check.sample_size
    if c.kind == "variable":
        step = chart.sigma / np.sqrt(n)  # one sigma of the subgroup mean
        mean = chart.centre + chart.drift * step * k / 150
        if chart.shift and chart.special <= k < chart.special + 12:
            mean += 2.5 * step  # a run on one side: a new bar stock heat, a tool change
        elif not chart.shift and k == chart.special:
            mean += 4.5 * step  # one lot beyond its limits
        low = c.lsl if c.lsl is not None else -np.inf
        high = c.usl if c.usl is not None else np.inf
        values = np.round(_draw(rng, mean, chart.sigma, n, one_sided=c.lsl is None), c.decimals)
        # The history's lots are all accepted: an item out of specification beyond Ac is
        # measured again from the process (the rejected lots are the stories' own).
        for _ in range(20):
            outside = np.flatnonzero((values < low) | (values > high))
            if outside.shape[0] <= check.acceptance_number:
                break
            values[outside] = np.round(
                _draw(rng, mean, chart.sigma, outside.shape[0], one_sided=c.lsl is None), c.decimals
            )
        return [
            (i + 1, bool(low <= v <= high), float(v), None) for i, v in enumerate(values.tolist())
        ]
    # The special cause: a lot with several nonconforming items (still within Ac), or two
    # items with two defects each; otherwise about 1 item in 125 fails, 1 defect in 100.
    special = k == chart.special
    if c.kind == "attribute":
        failed = int(rng.binomial(n, 0.008)) + (3 if special else 0)
        failed = min(failed, check.acceptance_number)
        return [(i + 1, i >= failed, None, None) for i in range(n)]
    defects = rng.poisson(0.01, size=n)
    if special:
        defects[:2] += 2
    # A defect count judges items with defects as nonconforming: keep within Ac.
    over = np.flatnonzero(defects)[check.acceptance_number :]
    defects[over] = 0
    return [(i + 1, d == 0, None, int(d)) for i, d in enumerate(defects.tolist())]


def _write_measurements(
    pending: list[tuple[InspectionLot, list[LotCheck], list[tuple[Any, ...]], User]],
    batches: list[MeasurementBatch],
) -> None:
    rows = [
        (lot.pk, c, batch.pk, s, v, ok, d, at, None)
        for (lot, _, values, _), batch in zip(pending, batches, strict=True)
        for c, s, ok, v, d, at in values
    ]
    table = connection.ops.quote_name(Measurement._meta.db_table)
    columns = ", ".join(ingest.COLUMNS)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    field = Measurement._meta.get_field("measured_at")
    stamps: dict[datetime.datetime, Any] = {}
    prepared = []
    for lot, c, batch, s, v, ok, d, at, g in rows:
        if at not in stamps:
            stamps[at] = field.get_db_prep_save(at, connection)
        prepared.append((lot, c, batch, s, v, ok, d, stamps[at], g))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 9)})",  # noqa: S608
            prepared,
        )


def _alarms(lots: list[InspectionLot], special: set[int], engineer: User) -> None:
    """The special causes' lots judged against the frozen limits, as a new batch is: each
    broken rule an alarm for the characteristic's owner. Those older than the last 200 days of
    history are worked (cause found, action taken, mostly closed); the latest wait."""
    from qualitas.inspection import alarms

    for index in sorted(special):
        live.after_batch(MeasurementBatch.objects.get(lot=lots[index]))
    recent = timezone.now() - datetime.timedelta(days=400)
    worked = Measurement.objects.filter(lot_id=OuterRef("lot_id"), measured_at__lt=recent)
    for alarm in ChartAlarm.objects.filter(Exists(worked)).order_by("pk"):
        alarms.acknowledge(
            alarm,
            actor=engineer,
            cause=CAUSES[alarm.pk % len(CAUSES)],
            action="Process re-centred; the lot's sample re-measured and within limits.",
        )
        if alarm.pk % 4:
            alarms.close(alarm, actor=engineer, comment="Next 10 subgroups in control.")


CAUSES = (
    "Tool wear: insert changed late.",
    "New bar stock heat, harder than the last.",
    "Gauge re-zeroed after a shift change.",
    "Coolant concentration low after the weekend.",
)


def _switching(lots: list[InspectionLot]) -> None:
    """Each AQL check's switching state, fed the history's lots (all accepted: normal)."""
    states: dict[tuple[int, str], list[dict[str, Any]]] = {}
    checks = (
        LotCheck.objects.filter(lot__in=lots, sampling=Sampling.AQL)
        .select_related("lot")
        .order_by("lot_id", "characteristic_id")
    )
    for check in checks:
        states.setdefault((check.characteristic_id, check.lot.supplier_name), []).append(
            {
                "lot": check.lot.number,
                "accepted": True,
                "nonconforming": check.nonconforming,
                "acceptance_number": check.acceptance_number,
                "accepted_at_tighter_aql": check.tighter_acceptance_number is not None
                and check.nonconforming <= check.tighter_acceptance_number,
            }
        )
    for (characteristic_id, supplier), history in states.items():
        SwitchingState.objects.create(
            characteristic_id=characteristic_id,
            supplier_name=supplier,
            history=history,
            reason="History: every lot accepted on normal inspection",
        )


__all__ = ["load"]
