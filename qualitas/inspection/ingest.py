"""Measurements in: validated row by row, written in one batch, counted into the lot's checks.

A batch is all or nothing: every row is checked before anything is written, and the refusal
lists the rows that are wrong (up to MAX_ERRORS of them). What the trail keeps is the batch
with the SHA-256 of its content, never one event per value; the client's idempotency key
makes a retried upload answer with the batch it already made instead of doubling the data.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Upper
from django.utils import timezone

from qualitas.core import audit, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.inspection import live, workflows as w
from qualitas.inspection.models import (
    CharacteristicKind,
    Gauge,
    InspectionLot,
    LotCheck,
    Measurement,
    MeasurementBatch,
)

# The refusal lists this many rows; a file wrong throughout says so once, not a thousand times.
MAX_ERRORS = 20
# PostgreSQL takes more rows than one INSERT holds by COPY (a 20,000-row batch by INSERTs
# of model instances took 3.7 times a COPY of it; see bench/inspection/README.md).
BATCH_SIZE = 5_000
COPY_FROM = BATCH_SIZE
KEY_LENGTH = 100
# A value this close to its rounding differs from it by binary floating point alone.
NOISE_ULPS = 8


@dataclass(frozen=True)
class Row:
    """One measured value as it arrives: which characteristic (its number on the lot's part
    revision), which sample item, and the value (variable), the pass/fail (attribute) or the
    defect count; `line` is the file's row number, so an error can name it; `gauge` is the
    identifier of the gauge that measured it (an overdue gauge refuses the batch)."""

    characteristic: str
    sample_no: int
    value: float | None = None
    conforming: bool | None = None
    defects: int | None = None
    measured_at: datetime.datetime | None = None
    line: int | None = None
    gauge: str | None = None


@dataclass(frozen=True)
class Recorded:
    """A batch and whether this call made it (False: the same key and content came before)."""

    batch: MeasurementBatch
    created: bool


def record_measurements(
    lot: InspectionLot, *, actor: User, rows: Sequence[Row], key: str, source: str = ""
) -> MeasurementBatch:
    """Record one batch of measurements for an open lot, all or nothing."""
    return record_batch(lot, actor=actor, rows=rows, key=key, source=source).batch


@audit.service
def record_batch(
    lot: InspectionLot, *, actor: User, rows: Sequence[Row], key: str, source: str = ""
) -> Recorded:
    """`record_measurements`, telling a new batch from a repeat (the API answers 201 or 200)."""
    key = (key or "").strip()
    if not key or len(key) > KEY_LENGTH:
        raise InvalidInput.for_field(
            "key", f"Give an idempotency key of 1 to {KEY_LENGTH} characters."
        )
    records.require_for(actor, w.INSPECT, lot)
    digest = content_hash(rows)
    # The lot's row is held until the batch commits: two uploads to one lot are judged one
    # after the other, so "already measured" and the counts stay true.
    with records.locked(lot) as current:
        earlier = MeasurementBatch.objects.filter(key=key).first()
        if earlier is not None:
            if earlier.lot_id == current.pk and earlier.sha256 == digest:
                return Recorded(earlier, created=False)
            raise _key_taken(key, earlier)
        if current.state != w.LotState.OPEN:
            raise Conflict(
                f"{current.number} is {current.get_state_display()}: measurements are "
                "recorded only while the lot is open."
            )
        if not rows:
            raise InvalidInput.for_field("measurements", "There are no measurements to record.")
        checks = {
            c.characteristic.number: c
            for c in LotCheck.objects.filter(lot=current).select_related("characteristic")
        }
        measured_at = timezone.now()
        gauges = _gauges(rows, measured_at)
        values = _validated(current, rows, checks, measured_at, gauges)
        try:
            with transaction.atomic():
                batch = MeasurementBatch.objects.create(
                    lot=current,
                    key=key,
                    sha256=digest,
                    count=len(values),
                    source=source.strip()[:100],
                    created_by=actor,
                )
        except IntegrityError:  # the same key, sent for another lot at the same moment
            raise _key_taken(key, MeasurementBatch.objects.get(key=key)) from None
        try:
            with transaction.atomic():
                _write(current, batch, values)
        except IntegrityError:  # written around the ingest, or counts out of step
            raise Conflict(
                f"Some of these sample items of {current.number} hold measurements already "
                "(recorded other than through a batch): nothing was recorded."
            ) from None
        touched = {v[0] for v in values}
        _count(current, {c for c in checks.values() if c.characteristic_id in touched})
        # The characteristics' control charts judge the new points against their frozen
        # limits: an alarm tells the owner (and raises an NC where configured) in this unit.
        live.after_batch(batch)
    return Recorded(batch, created=True)


def _gauges(rows: Sequence[Row], now: datetime.datetime) -> dict[str, Gauge]:
    """The batch's gauges by identifier (upper case: GA-0012 and ga-0012 are one), in one
    query whatever the rows; a gauge overdue, out of service or retired refuses the whole
    batch (409 naming it): what it measured could not be trusted."""
    from qualitas.inspection import gauges as register

    named = {str(r.gauge).strip().upper() for r in rows if r.gauge is not None}
    named.discard("")
    if not named:
        return {}
    found: dict[str, Gauge] = {
        g.upper: g
        for g in Gauge.objects.annotate(upper=Upper("identifier")).filter(upper__in=named)
    }
    today = timezone.localdate(now)
    for key in sorted(found):
        reason = register.blocked_reason(found[key], today)
        if reason is not None:
            raise Conflict(reason, errors=[FieldError("gauge", reason)])
    return found


def _key_taken(key: str, earlier: MeasurementBatch) -> Conflict:
    message = (
        f"The key '{key}' was already used for another batch ({earlier.count} measurements "
        f"recorded {earlier.created_at:%Y-%m-%d %H:%M} UTC): a new batch needs a new key."
    )
    return Conflict(message, errors=[FieldError("key", message)])


# ----------------------------------------------------------------------------- content hash


def _plain_time(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(datetime.UTC).isoformat()


def content_hash(rows: Iterable[Row]) -> str:
    """SHA-256 of the rows' canonical JSON, sorted by characteristic and sample: the same
    measurements hash the same whatever their order or the file's line numbers."""
    canonical = [
        (
            str(r.characteristic).strip(),
            r.sample_no,
            float(r.value) if r.value.__class__ is int else r.value,  # 74 and 74.0 are one
            r.conforming,
            r.defects,
            None if r.measured_at is None else _plain_time(r.measured_at),
        )
        # The gauge only when named, so a batch without gauges hashes as it always did.
        + (() if r.gauge is None else (str(r.gauge).strip().upper(),))
        for r in rows
    ]
    try:
        canonical.sort()
    except TypeError:  # a sample number that is no number, or one item twice: still an order
        canonical.sort(key=lambda r: (r[0], r[1] if r[1].__class__ is int else -1))
    text = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------- validation


def decimals_of(value: float) -> int:
    """Decimals the value is written with (74.0123: 4; 74.010: 2, a trailing zero resolves
    nothing)."""
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _where(row: Row, index: int) -> str:
    return f"row {row.line}" if row.line is not None else f"measurements.{index}"


Value = tuple[int, int, float | None, bool, int | None, datetime.datetime, int | None]


def _validated(
    lot: InspectionLot,
    rows: Sequence[Row],
    checks: dict[str, LotCheck],
    default_time: datetime.datetime,
    gauges: dict[str, Gauge] | None = None,
) -> list[Value]:
    """Every row checked against the lot's checks; the values to write, or the refusal
    listing the rows that are wrong (nothing is written then)."""
    errors: list[FieldError] = []
    refused = 0

    def refuse(row: Row, index: int, message: str) -> None:
        nonlocal refused
        refused += 1
        if len(errors) < MAX_ERRORS:
            errors.append(FieldError(_where(row, index), message))

    known = ", ".join(sorted(checks)) or "none"
    # What each row is checked against, looked up once per characteristic, not per row;
    # an open side of the tolerance is an infinite limit.
    specs = {
        number: (
            check,
            check.characteristic_id,
            check.characteristic.kind,
            check.sample_size,
            check.characteristic.decimals,
            -math.inf if check.characteristic.lsl is None else check.characteristic.lsl,
            math.inf if check.characteristic.usl is None else check.characteristic.usl,
        )
        for number, check in checks.items()
    }
    variable, attribute = CharacteristicKind.VARIABLE.value, CharacteristicKind.ATTRIBUTE.value
    seen: dict[tuple[int, int], int] = {}
    values: list[Value] = []
    for index, row in enumerate(rows):
        spec = specs.get(row.characteristic)
        if spec is None:
            number = str(row.characteristic).strip()
            spec = specs.get(number)
            if spec is None:
                refuse(
                    row, index, f"Characteristic '{number}' is not in this lot's plan ({known})."
                )
                continue
        check, char_id, kind, size, decimals, lsl, usl = spec
        number = check.characteristic.number
        if check.skipped:
            refuse(row, index, f"Characteristic {number} is skipped in this lot (skip-lot).")
            continue
        sample = row.sample_no
        if sample.__class__ is not int and (
            isinstance(sample, bool) or not isinstance(sample, int)
        ):
            refuse(row, index, f"Sample '{sample}' is not a whole number.")
            continue
        if not 1 <= sample <= size:
            refuse(
                row,
                index,
                f"Sample {sample} is outside the sample of characteristic {number} (1 to {size}).",
            )
            continue
        first = seen.setdefault((char_id, sample), index)
        if first != index:
            refuse(
                row,
                index,
                f"Characteristic {number} sample {sample} is twice in this batch "
                f"(also {_where(rows[first], first)}).",
            )
            continue
        value: float | None = None
        defects: int | None = None
        if kind == variable:
            raw = row.value
            if raw.__class__ is not float:  # an int, a NumPy float: as a float; else None
                ok = isinstance(raw, int | float) and not isinstance(raw, bool)
                raw = float(raw) if ok else None  # type: ignore[arg-type]
            # None, or inf or NaN (x - x is NaN for both).
            if raw is None or raw - raw != 0:
                refuse(row, index, f"Characteristic {number} is measured: give its value.")
                continue
            # Rounding to the gauge's decimals changes a value that has more of them; a
            # spreadsheet's sum (72.82600000000001) is off by a few units in the last place
            # of the binary number only, and is the value the gauge read.
            rounded = round(raw, decimals)
            if rounded != raw:
                if abs(rounded - raw) > NOISE_ULPS * math.ulp(raw):
                    refuse(
                        row,
                        index,
                        f"{raw!r} has {decimals_of(raw)} decimals; this characteristic is "
                        f"measured to {decimals}.",
                    )
                    continue
                raw = rounded
            value = raw
            conforming = lsl <= raw <= usl
        elif kind == attribute:
            if row.conforming.__class__ is not bool:
                refuse(row, index, f"Characteristic {number} is pass/fail: give its result.")
                continue
            conforming = row.conforming
        else:
            count = row.defects
            if count.__class__ is not int:
                refuse(row, index, f"Characteristic {number} counts defects: give the count.")
                continue
            if count < 0:
                refuse(row, index, f"A defect count cannot be negative ({count}).")
                continue
            defects, conforming = count, count == 0
        gauge_id: int | None = None
        if row.gauge is not None and str(row.gauge).strip():
            gauge = (gauges or {}).get(str(row.gauge).strip().upper())
            if gauge is None:
                refuse(row, index, f"Gauge '{str(row.gauge).strip()}' is not in the register.")
                continue
            gauge_id = gauge.pk
        at = row.measured_at
        if at is None:
            at = default_time
        elif at.tzinfo is None:
            at = timezone.make_aware(at)
        values.append((char_id, sample, value, conforming, defects, at, gauge_id))
    if not refused:
        refused += _already_measured(lot, rows, values, checks, refuse)
    if refused:
        more = f" (the first {len(errors)} are listed)" if refused > len(errors) else ""
        raise InvalidInput(
            errors,
            detail=f"{refused} of {len(rows)} measurements refused{more}; nothing was recorded. "
            + "; ".join(f"{e.field}: {e.message}" for e in errors[:3]),
        )
    return values


def _already_measured(
    lot: InspectionLot,
    rows: Sequence[Row],
    values: list[Value],
    checks: dict[str, LotCheck],
    refuse: Any,
) -> int:
    """Rows whose sample item the lot already holds a value for (one query: each
    characteristic's range of sample numbers in this batch). Only characteristics the lot
    has counted measurements of are looked up; the unique constraint stays the last word."""
    measured = {c.characteristic_id for c in checks.values() if c.measured}
    if not measured:
        return 0
    spans: dict[int, tuple[int, int]] = {}
    for char_id, sample, *_ in values:
        if char_id in measured:
            low, high = spans.get(char_id, (sample, sample))
            spans[char_id] = (min(low, sample), max(high, sample))
    wanted = Q()
    for char_id, (low, high) in spans.items():
        wanted |= Q(characteristic_id=char_id, sample_no__gte=low, sample_no__lte=high)
    if not wanted:
        return 0
    taken = set(
        Measurement.objects.filter(Q(lot=lot) & wanted).values_list(
            "characteristic_id", "sample_no"
        )
    )
    found = 0
    if taken:
        for index, (row, value) in enumerate(zip(rows, values, strict=True)):
            if (value[0], value[1]) in taken:
                found += 1
                refuse(
                    row,
                    index,
                    f"Characteristic {row.characteristic.strip()} sample {value[1]} is already "
                    "measured in this lot.",
                )
    return found


# ----------------------------------------------------------------------------- writing

COLUMNS = (
    "lot_id",
    "characteristic_id",
    "batch_id",
    "sample_no",
    "value",
    "conforming",
    "defects",
    "measured_at",
    "gauge_id",
)


def _write(lot: InspectionLot, batch: MeasurementBatch, values: list[Value]) -> None:
    """The measurements, the fastest way the database has: COPY on PostgreSQL for a large
    batch; otherwise INSERTs (SQLite: one statement run for every row)."""
    if connection.vendor == "postgresql" and len(values) > COPY_FROM:
        _copy(lot, batch, values)
    elif connection.vendor == "postgresql":
        Measurement.objects.bulk_create(
            (
                Measurement(
                    lot_id=lot.pk,
                    characteristic_id=c,
                    batch_id=batch.pk,
                    sample_no=s,
                    value=v,
                    conforming=ok,
                    defects=d,
                    measured_at=at,
                    gauge_id=g,
                )
                for c, s, v, ok, d, at, g in values
            ),
            batch_size=BATCH_SIZE,
        )
    else:
        # bulk_create would split the rows by SQLite's 999 variables (124 rows a statement).
        field = Measurement._meta.get_field("measured_at")
        adapted: dict[datetime.datetime, Any] = {}

        def stamp(moment: datetime.datetime) -> Any:
            if moment not in adapted:
                adapted[moment] = field.get_db_prep_save(moment, connection)
            return adapted[moment]

        table = connection.ops.quote_name(Measurement._meta.db_table)
        sql = (
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608 - our table, columns
            f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                sql,
                [
                    (lot.pk, c, batch.pk, s, v, ok, d, stamp(at), g)
                    for c, s, v, ok, d, at, g in values
                ],
            )


NULL = "\\N"  # COPY's text format: a missing value


def _copy(lot: InspectionLot, batch: MeasurementBatch, values: list[Value]) -> None:
    """COPY … FROM STDIN in PostgreSQL's text format, in chunks of BATCH_SIZE rows."""
    table = connection.ops.quote_name(Measurement._meta.db_table)
    head = f"{lot.pk}\t"
    tail = f"\t{batch.pk}\t"
    times: dict[datetime.datetime, str] = {}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, (c, s, v, ok, d, at, g) in enumerate(values, start=1):
                text_time = times.get(at)
                if text_time is None:
                    text_time = times[at] = at.isoformat()
                buffer.write(
                    f"{head}{c}{tail}{s}\t{NULL if v is None else repr(v)}\t{'t' if ok else 'f'}"
                    f"\t{NULL if d is None else d}\t{text_time}\t{NULL if g is None else g}\n"
                )
                if n % BATCH_SIZE == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())


def _count(lot: InspectionLot, checks: set[LotCheck]) -> None:
    """Each touched check's measured and nonconforming items, counted by the database in
    one query; saved per check (a few audited changes, not one per value)."""
    counts = {
        row["characteristic_id"]: row
        for row in Measurement.objects.filter(
            lot=lot, characteristic_id__in=[c.characteristic_id for c in checks]
        )
        .values("characteristic_id")
        .annotate(measured=Count("id"), nonconforming=Count("id", filter=Q(conforming=False)))
        .order_by()
    }
    for check in sorted(checks, key=lambda c: c.characteristic.number):
        found = counts.get(check.characteristic_id, {"measured": 0, "nonconforming": 0})
        if (check.measured, check.nonconforming) != (found["measured"], found["nonconforming"]):
            check.measured, check.nonconforming = found["measured"], found["nonconforming"]
            check.save(update_fields=["measured", "nonconforming"])


__all__ = [
    "Recorded",
    "Row",
    "content_hash",
    "record_batch",
    "record_measurements",
]
