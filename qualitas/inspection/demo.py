"""Demo inspection for Aldermoor Precision (fixed seed: the same every time): two machined
parts with their characteristics, incoming plans for two casting suppliers and a final plan,
and six months of lots measured with realistic spread. One supplier's bore drifts: two of its
lots are rejected (each raising its nonconformance) and its inspection is tightened."""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
from django.utils import timezone

from qualitas.core import audit, signatures, workflow
from qualitas.core.errors import Conflict
from qualitas.core.models import Department, Site, User
from qualitas.inspection import demo_history, ingest, services
from qualitas.inspection.models import Characteristic, Part, PartRevision

PARTS = (
    (
        "HSG-4471",
        "Pump housing, machined casting",
        "Northfield Pumps",
        (
            # number, name, kind, nominal, lsl, usl, unit, decimals, class, mark
            ("10", "Bore Ø74 H7", "variable", 74.015, 74.0, 74.03, "mm", 3, "critical", "CC"),
            ("20", "Face flatness", "variable", 0.02, None, 0.05, "mm", 3, "major", ""),
            ("30", "Thread M8 gauge", "attribute", None, None, None, "", 0, "major", ""),
            ("40", "Casting porosity", "defects", None, None, None, "", 0, "minor", ""),
        ),
    ),
    (
        "SHF-2209",
        "Drive shaft, ground",
        "Northfield Pumps",
        (
            (
                "10",
                "Journal Ø25 g6",
                "variable",
                24.9865,
                24.980,
                24.993,
                "mm",
                4,
                "critical",
                "SC",
            ),
            ("20", "Length", "variable", 182.0, 181.8, 182.2, "mm", 2, "minor", ""),
            ("30", "Surface finish Ra", "variable", 0.4, None, 0.8, "µm", 2, "major", ""),
        ),
    ),
)
SUPPLIERS = ("Brandt Foundry", "Castwell Ltd")


def _sign(person: User, record: Any, name: str) -> Any:
    return workflow.fire(record, name, actor=person, signature=_token(person))


def _token(person: User) -> signatures.SignatureToken:
    """The demo signs as each person (it set their passwords): without re-checking each
    password, which costs a quarter of a second by design (Argon2)."""
    return signatures.SignatureToken(person.pk, timezone.now())


def _master_data() -> list[PartRevision]:
    revisions = []
    with audit.context(actor=None, actor_name="Qualitas demo"):
        for number, name, customer, characteristics in PARTS:
            part = Part.objects.create(number=number, name=name, customer=customer)
            revision = PartRevision.objects.create(part=part, revision="C", is_current=True)
            demo_history.add_characteristics(revision, characteristics)
            revisions.append(revision)
    return revisions


def _values(rng: np.random.Generator, c: Characteristic, n: int, drift: float) -> list[ingest.Row]:
    """One sample of n items: variables around the nominal with the process spread (a
    quarter of the tolerance as 6 sigma) plus `drift` tolerances; attributes rarely fail."""
    if c.kind == "variable":
        drift = drift if c.number == "10" else 0.0
        low = c.lsl if c.lsl is not None else (c.nominal or 0) - (c.usl or 0)
        tolerance = (c.usl or 0) - low
        centre = c.nominal if c.nominal is not None else low + tolerance / 2
        values = rng.normal(centre + drift * tolerance, tolerance / 9, size=n)
        if c.lsl is None:  # flatness, roughness: a one-sided characteristic is never below 0
            values = np.abs(values)
        return [
            ingest.Row(c.number, i + 1, value=round(float(v), c.decimals))
            for i, v in enumerate(values)
        ]
    if c.kind == "attribute":
        passed = rng.random(n) > 0.002
        return [ingest.Row(c.number, i + 1, conforming=bool(p)) for i, p in enumerate(passed)]
    defects = rng.poisson(0.01, size=n)
    return [ingest.Row(c.number, i + 1, defects=int(d)) for i, d in enumerate(defects)]


def load() -> None:
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["acosta", "hmarsh", "mkowalski", "jokafor"])
    }
    site = Site.objects.get(code="SHF")
    operations = Department.objects.get(code="OPS")
    rng = np.random.default_rng(2859)
    demo_history.load(people, site, operations)
    housing, shaft = _master_data()

    plans = {}
    for revision, stage, title in (
        (housing, "incoming", "Incoming inspection, HSG-4471 castings"),
        (shaft, "final", "Final inspection, SHF-2209"),
    ):
        plan = services.create_plan(
            actor=people["acosta"],
            title=title,
            part_revision=revision,
            stage=stage,
            site=site,
            department=operations,
        )
        for c in revision.characteristics.all():
            if c.char_class == "critical":
                services.set_item(plan, actor=people["acosta"], characteristic=c, aql=0.65)
            elif c.kind == "defects":
                services.set_item(
                    plan,
                    actor=people["acosta"],
                    characteristic=c,
                    sampling="fixed",
                    sample_size=13,
                    acceptance_number=1,
                )
            else:
                services.set_item(
                    plan,
                    actor=people["acosta"],
                    characteristic=c,
                    aql=1.5,
                    reaction="Quarantine the lot; raise an NC",
                )
        plans[stage] = _sign(people["hmarsh"], plan, "approve")

    start = timezone.now() - datetime.timedelta(days=180)
    for k in range(30):
        supplier = SUPPLIERS[k % 2]
        # Two of Castwell's deliveries come with the bore near its upper limit (a worn
        # boring bar, found in the 8D): both rejected, and Castwell goes to tightened.
        drift = 0.35 if k in (21, 23) else 0.0
        _inspect(
            people["mkowalski"],
            plans["incoming"],
            f"C{2400 + k}",
            quantity=int(rng.integers(300, 1200)),
            supplier=supplier,
            drift=drift,
            rng=rng,
            when=start + datetime.timedelta(days=6 * k),
        )
    for k in range(12):
        _inspect(
            people["jokafor"],
            plans["final"],
            f"WO-{7100 + k}",
            quantity=int(rng.integers(150, 500)),
            supplier="",
            drift=0.0,
            rng=rng,
            when=start + datetime.timedelta(days=15 * k),
        )
    load_gauges(people, site)


def _inspect(
    inspector: User,
    plan: Any,
    lot_number: str,
    *,
    quantity: int,
    supplier: str,
    drift: float,
    rng: np.random.Generator,
    when: datetime.datetime,
) -> None:
    try:
        lot = services.open_lot(
            actor=inspector,
            title=f"Lot {lot_number}",
            plan=plan,
            lot_number=lot_number,
            quantity=quantity,
            supplier_name=supplier,
            site=plan.site,
        )
    except Conflict:  # inspection discontinued for this supplier
        return
    rows: list[ingest.Row] = []
    for check in lot.checks.select_related("characteristic"):
        if not check.skipped:
            sampled = _values(rng, check.characteristic, check.sample_size, drift)
            rows += [
                ingest.Row(
                    r.characteristic,
                    r.sample_no,
                    value=r.value,
                    conforming=r.conforming,
                    defects=r.defects,
                    measured_at=when,
                )
                for r in sampled
            ]
    ingest.record_measurements(
        lot, actor=inspector, rows=rows, key=f"demo-{lot.number}", source="demo"
    )
    workflow.fire(lot, "sign_inspection", actor=inspector, signature=_token(inspector))


# ----------------------------------------------------------------------------- gauges

GAUGE_TYPES = (
    # type, name, range low, range high, unit, resolution, interval days
    ("Micrometer", "Digital micrometer", 25.0, 50.0, "mm", 0.0001, 365),
    ("Caliper", "Digital caliper", 0.0, 150.0, "mm", 0.01, 365),
    ("Bore gauge", "Bore gauge", 50.0, 100.0, "mm", 0.001, 180),
    ("Height gauge", "Height gauge", 0.0, 300.0, "mm", 0.001, 365),
    ("Thread plug gauge", "Thread plug gauge M8", None, None, "", None, 180),
    ("Roughness tester", "Surface roughness tester", 0.0, 10.0, "µm", 0.01, 365),
)


def load_gauges(people: dict[str, User], site: Site) -> None:
    """60 gauges with their calibration history (a few due, two overdue, one out of
    service), and GA-0001, the micrometer of the shaft's journal, found out of tolerance
    today: its impact list names the lots measured with it since its last good calibration
    and its nonconformance. Call after `load()` (it inspects lots on the final plan)."""
    from qualitas.inspection import calibrations, gauges
    from qualitas.inspection.models import InspectionPlan

    manager, calibrator = people["hmarsh"], people["jokafor"]
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    rng = np.random.default_rng(7152)
    register = []
    for n in range(1, 61):
        kind, name, low, high, unit, resolution, interval = GAUGE_TYPES[(n - 1) % 6]
        register.append(
            gauges.create_gauge(
                actor=manager,
                identifier=f"GA-{n:04}",
                name=f"{name} #{n}",
                gauge_type=kind,
                location=f"Cell {1 + n % 5}" if n % 7 else "Gauge crib",
                site=site,
                owner=manager,
                range_low=low,
                range_high=high,
                unit=unit,
                resolution=resolution,
                interval_days=interval,
            )
        )
    for gauge in register:
        n = int(gauge.identifier[3:])
        # The last calibration between 20 and ~interval days ago: some due, a few overdue.
        last = today - int(rng.integers(20, gauge.interval_days - 10)) * day
        if n in (17, 44):
            last = today - (gauge.interval_days + 12 + n % 5) * day
        if n == 1:
            last = today - 150 * day
        for on in (last - gauge.interval_days * day, last):
            nominal = gauge.range_high or 10.0
            tolerance = gauge.resolution * 4 if gauge.resolution else 0.01
            calibrations.record_calibration(
                actor=calibrator,
                title=f"Calibration of {gauge.identifier}",
                gauge=gauge,
                calibrated_on=on,
                external_lab="Sheffield Metrology Ltd" if n % 3 == 0 else "",
                certificate_number=f"SML-{on:%y}{n:04}" if n % 3 == 0 else "",
                readings=[
                    {
                        "nominal": nominal,
                        "as_found": round(nominal + float(rng.normal(0, tolerance / 4)), 6),
                        "as_left": nominal,
                        "tolerance": tolerance,
                    }
                ],
                site=site,
            )
        if n == 30:
            gauges.set_gauge_status(
                gauge, actor=manager, status="out_of_service", reason="Dropped; anvil chipped"
            )

    # Shaft lots measured with GA-0001: two before its last good calibration (150 days
    # ago), three since, which the out-of-tolerance finding today puts in doubt.
    plan = InspectionPlan.objects.filter(
        state="approved", part_revision__part__number="SHF-2209"
    ).first()
    if plan is None:
        return
    now = timezone.now()
    for k, days_ago in enumerate((190, 170, 120, 75, 30)):
        lot = services.open_lot(
            actor=calibrator,
            title=f"Lot WO-{7300 + k}",
            plan=plan,
            lot_number=f"WO-{7300 + k}",
            quantity=int(rng.integers(150, 400)),
            site=plan.site,
        )
        when = now - days_ago * day
        rows: list[ingest.Row] = []
        for check in lot.checks.select_related("characteristic"):
            if check.skipped:
                continue
            journal = check.characteristic.number == "10"
            rows += [
                ingest.Row(
                    r.characteristic,
                    r.sample_no,
                    value=r.value,
                    conforming=r.conforming,
                    defects=r.defects,
                    measured_at=when,
                    gauge="GA-0001" if journal else None,
                )
                for r in _values(rng, check.characteristic, check.sample_size, 0.0)
            ]
        ingest.record_measurements(
            lot, actor=calibrator, rows=rows, key=f"demo-{lot.number}", source="demo"
        )
        workflow.fire(lot, "sign_inspection", actor=calibrator, signature=_token(calibrator))
    calibrations.record_calibration(
        actor=calibrator,
        title=f"Calibration of {register[0].identifier}",
        gauge=register[0],
        calibrated_on=today,
        external_lab="Sheffield Metrology Ltd",
        certificate_number=f"SML-{today:%y}0001-R",
        readings=[
            {"nominal": 25.0, "as_found": 25.0003, "as_left": 25.0, "tolerance": 0.0004},
            # The spindle worn at the range's end: 6 µm off a ±4 µm tolerance.
            {"nominal": 50.0, "as_found": 50.0006, "as_left": 50.0001, "tolerance": 0.0004},
        ],
        notes="Spindle lapped and re-set by the lab.",
        site=site,
    )
    _gage_studies(calibrator, register, rng)


# Gauge, part, characteristic, title, part spread and gauge error as shares of the
# tolerance (parts, repeatability, operator): one capable gauge, two marginal, one not.
GAGE_STUDIES = (
    ("GA-0001", "SHF-2209", "10", "Journal micrometer, annual MSA", 0.16, 0.012, 0.006),
    ("GA-0003", "HSG-4471", "10", "Bore gauge on the housing bore", 0.15, 0.02, 0.012),
    ("GA-0009", "HSG-4471", "10", "Second bore gauge on the housing bore", 0.17, 0.022, 0.01),
    ("GA-0002", "SHF-2209", "20", "Caliper on shaft length: resolution check", 0.12, 0.07, 0.04),
)


def _gage_studies(engineer: User, register: list[Any], rng: np.random.Generator) -> None:
    """Four crossed Gage R&R studies (10 parts x 3 operators x 3 trials) on the gauges that
    check critical characteristics, with the verdicts an MSA usually finds."""
    from qualitas.inspection import gagestudies

    gauges = {g.identifier: g for g in register}
    today = timezone.localdate()
    for k, (gauge_id, part, number, title, spread, repeat, operator) in enumerate(GAGE_STUDIES):
        characteristic = Characteristic.objects.get(
            revision__part__number=part, revision__is_current=True, number=number
        )
        tolerance = (characteristic.usl or 0.0) - (characteristic.lsl or 0.0)
        centre = characteristic.nominal or (characteristic.usl or 0.0) - tolerance / 2
        truth = centre + rng.normal(0, spread * tolerance, size=10)
        bias = rng.normal(0, operator * tolerance, size=3)
        parts, operators, values = [], [], []
        for _trial in range(3):
            for o, name in enumerate(("Okafor", "Chen", "Kowalski")):
                for p_index, true_value in enumerate(truth):
                    parts.append(f"P{p_index + 1:02}")
                    operators.append(name)
                    noise = rng.normal(0, repeat * tolerance)
                    values.append(round(float(true_value + bias[o] + noise), 5))
        gagestudies.record_gage_study(
            actor=engineer,
            gauge=gauges[gauge_id],
            characteristic=characteristic,
            parts=parts,
            operators=operators,
            values=values,
            title=title,
            studied_on=today - datetime.timedelta(days=20 + 45 * k),
        )
