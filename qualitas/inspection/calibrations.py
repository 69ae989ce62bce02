"""Calibrations of the gauges (ISO 9001 7.1.5.2, ISO 13485 7.6, IATF 16949 7.1.5.2.1): the
readings as found and as left against their tolerance, the gauge's next due date, and, when a
gauge is found out of tolerance, every lot measured with it since it was last known good,
with one nonconformance for the impact assessment."""

from __future__ import annotations

import contextlib
import datetime
import math
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, Max, Min
from django.utils import timezone

from qualitas.core import audit, links, permissions, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.inspection import workflows as w
from qualitas.inspection.gauges import calibration_type
from qualitas.inspection.models import Calibration, Gauge, GaugeStatus, Measurement


def _readings(value: Any) -> list[dict[str, float]]:
    """The readings, each {nominal, as_found, as_left, tolerance}; refused on "readings"
    naming the reading (from 0) and what is wrong."""
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput.for_field("readings", "Give at least one reading.")
    errors: list[FieldError] = []
    cleaned: list[dict[str, float]] = []
    for index, reading in enumerate(value):
        if not isinstance(reading, dict):
            errors.append(
                FieldError(
                    "readings", f"Reading {index}: give nominal, as_found, as_left and tolerance."
                )
            )
            continue
        row: dict[str, float] = {}
        problems = []
        for key in ("nominal", "as_found", "as_left", "tolerance"):
            number = reading.get(key)
            if isinstance(number, str):
                with contextlib.suppress(ValueError):
                    number = float(number.strip().replace(",", "."))
            if (
                isinstance(number, bool)
                or not isinstance(number, int | float)
                or not math.isfinite(number)
            ):
                problems.append(f"{key} is not a number")
            else:
                row[key] = float(number)
        if "tolerance" in row and not row["tolerance"] > 0:
            problems.append("tolerance must be greater than zero")
        extra = sorted(set(reading) - {"nominal", "as_found", "as_left", "tolerance"})
        if extra:
            problems.append(f"unknown {', '.join(extra)}")
        if problems:
            errors.append(FieldError("readings", f"Reading {index}: {'; '.join(problems)}."))
        else:
            cleaned.append(row)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def within(readings: list[dict[str, float]], which: str) -> bool:
    """Every reading's deviation from nominal within its tolerance (the limit itself is
    within, as a size on its specification limit conforms)."""
    return all(reading_within(r[which], r["nominal"], r["tolerance"]) for r in readings)


def reading_within(reading: float, nominal: float, tolerance: float) -> bool:
    """|reading - nominal| <= tolerance on the numbers as written: in binary floating point
    74.002 - 74.0 is 0.0020000000000095 and a reading on its limit would fail."""
    deviation = Decimal(repr(float(reading))) - Decimal(repr(float(nominal)))
    return abs(deviation) <= Decimal(repr(float(tolerance)))


def _gauge_of(value: Any) -> Gauge:
    if isinstance(value, Gauge):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.for_field("gauge", "Give the gauge's id.")
    found = Gauge.objects.filter(pk=value).first()
    if found is None:
        raise InvalidInput.for_field("gauge", f"No gauge with id {value}.")
    return found


def impact_of(gauge: Gauge, since: datetime.date | None) -> list[dict[str, Any]]:
    """Every lot measured with the gauge on or after `since` (its last good calibration;
    None: ever), with the characteristics and the number of values it measured."""
    measured = Measurement.objects.filter(gauge=gauge)
    if since is not None:
        start = datetime.datetime.combine(since, datetime.time.min)
        measured = measured.filter(measured_at__gte=timezone.make_aware(start))
    rows = (
        measured.values(
            "lot_id",
            "lot__number",
            "lot__lot_number",
            "lot__part_revision__part__number",
            "lot__part_revision__revision",
            "characteristic__number",
        )
        .annotate(count=Count("id"), first=Min("measured_at"), last=Max("measured_at"))
        .order_by("lot__number", "characteristic__number")
    )
    lots: dict[int, dict[str, Any]] = {}
    for row in rows:
        lot = lots.setdefault(
            row["lot_id"],
            {
                "lot": row["lot_id"],
                "number": row["lot__number"],
                "lot_number": row["lot__lot_number"],
                "part_number": row["lot__part_revision__part__number"],
                "part_revision": row["lot__part_revision__revision"],
                "characteristics": [],
                "count": 0,
                "first_measured": row["first"],
                "last_measured": row["last"],
            },
        )
        lot["characteristics"].append(row["characteristic__number"])
        lot["count"] += row["count"]
        lot["first_measured"] = min(lot["first_measured"], row["first"])
        lot["last_measured"] = max(lot["last_measured"], row["last"])
    return [
        {
            **lot,
            "first_measured": lot["first_measured"].isoformat(),
            "last_measured": lot["last_measured"].isoformat(),
        }
        for lot in lots.values()
    ]


@audit.service
def record_calibration(*, actor: User, **fields: Any) -> Calibration:
    """Record a calibration (the RecordType's create service): readings checked, results
    and next due date computed, the gauge's dates moved; an as-found failure lists the lots
    in doubt and raises one nonconformance for the impact assessment."""
    permissions.require(actor, w.CALIBRATE)
    gauge = Gauge.objects.select_for_update().get(pk=_gauge_of(fields.get("gauge")).pk)
    fields["gauge"] = gauge
    if gauge.status == GaugeStatus.RETIRED:
        raise Conflict(f"Gauge {gauge.identifier} is retired: it is calibrated no more.")
    calibrated_on = fields.get("calibrated_on")
    if isinstance(calibrated_on, str):
        try:
            calibrated_on = datetime.date.fromisoformat(calibrated_on)
        except ValueError:
            raise InvalidInput.for_field("calibrated_on", "Give a date (YYYY-MM-DD).") from None
    if isinstance(calibrated_on, datetime.datetime) or not isinstance(calibrated_on, datetime.date):
        raise InvalidInput.for_field("calibrated_on", "Give the calibration's date.")
    if calibrated_on > timezone.localdate():
        raise InvalidInput.for_field(
            "calibrated_on", "A calibration cannot be dated in the future."
        )
    if gauge.last_calibrated_on is not None and calibrated_on < gauge.last_calibrated_on:
        raise InvalidInput.for_field(
            "calibrated_on",
            f"Gauge {gauge.identifier} was last calibrated on "
            f"{gauge.last_calibrated_on:%Y-%m-%d}: record calibrations in their order.",
        )
    fields["calibrated_on"] = calibrated_on
    readings = _readings(fields.get("readings"))
    fields["readings"] = readings
    if fields.get("site") is None and gauge.site_id is not None:
        fields["site"] = gauge.site
    as_found_ok = within(readings, "as_found")
    as_left_ok = within(readings, "as_left")
    next_due_on = calibrated_on + datetime.timedelta(days=gauge.interval_days)
    # Measurements since the last time the gauge was known good are in doubt if it is found
    # out of tolerance now; listed before the gauge's dates move.
    previous_good = gauge.last_good_on
    impact = [] if as_found_ok else impact_of(gauge, previous_good)
    calibration: Calibration = records.create(
        calibration_type(),
        actor=actor,
        computed={
            "as_found_ok": as_found_ok,
            "as_left_ok": as_left_ok,
            "next_due_on": next_due_on,
            "impact": impact,
        },
        **fields,
    )
    gauge.last_calibrated_on = calibrated_on
    gauge.next_due_on = next_due_on
    if as_left_ok:
        # Adjusted into tolerance (or found so): known good from this day.
        gauge.last_good_on = calibrated_on
    elif gauge.status == GaugeStatus.IN_SERVICE:
        # Still out of tolerance as left: it may not measure until repaired and calibrated.
        gauge.status = GaugeStatus.OUT_OF_SERVICE
    gauge.save()
    if not as_found_ok:
        _raise_impact_nonconformance(calibration, gauge, previous_good, actor)
    return calibration


def _differs(current: Any, given: Any) -> bool:
    if isinstance(current, models.Model):
        current = current.pk
    if isinstance(given, models.Model):
        given = given.pk
    if isinstance(current, datetime.date) and isinstance(given, str):
        return current.isoformat() != given
    return bool(current != given)


def _correction(calibration: Calibration, changes: dict[str, Any]) -> dict[str, Any]:
    """The derived fields after a corrected date or readings, or a refusal naming the field.

    A recorded (unverified) calibration that is still its gauge's latest may be corrected:
    its next due date, results and the gauge's dates follow. A correction that would turn the
    as-found result is refused: the impact list and its NC follow from that result, so the
    calibration is withdrawn and recorded anew."""
    if "gauge" in changes and _differs(calibration.gauge, changes["gauge"]):
        raise InvalidInput.for_field(
            "gauge", "A calibration stays with its gauge: withdraw it and record it anew."
        )
    dated = "calibrated_on" in changes and _differs(
        calibration.calibrated_on, changes["calibrated_on"]
    )
    measured = "readings" in changes and _differs(calibration.readings, changes["readings"])
    if not (dated or measured):
        return {}
    field = "calibrated_on" if dated else "readings"
    gauge = calibration.gauge
    later = gauge.calibrations.filter(calibrated_on__gt=calibration.calibrated_on)
    if (
        calibration.state != w.CalibrationState.RECORDED
        or later.exclude(pk=calibration.pk).exists()
    ):
        raise InvalidInput.for_field(
            field,
            "Only a recorded calibration that is still the gauge's latest is corrected: "
            "withdraw it and record it anew.",
        )
    derived: dict[str, Any] = {}
    if dated:
        day = changes["calibrated_on"]
        if isinstance(day, str):
            try:
                day = datetime.date.fromisoformat(day)
            except ValueError:
                raise InvalidInput.for_field("calibrated_on", "Give a date (YYYY-MM-DD).") from None
        before = (
            gauge.calibrations.exclude(pk=calibration.pk)
            .filter(calibrated_on__lte=calibration.calibrated_on)
            .order_by("-calibrated_on")
            .first()
        )
        if day > timezone.localdate() or (before is not None and day < before.calibrated_on):
            raise InvalidInput.for_field(
                "calibrated_on", "Not in the future, nor before the gauge's previous calibration."
            )
        derived["calibrated_on"] = day
        derived["next_due_on"] = day + datetime.timedelta(days=gauge.interval_days)
    if measured:
        readings = _readings(changes["readings"])
        if within(readings, "as_found") != calibration.as_found_ok:
            raise InvalidInput.for_field(
                "readings",
                "These readings change the as-found result, and the lots in doubt with it: "
                "withdraw the calibration and record it anew.",
            )
        derived["readings"] = readings
        derived["as_left_ok"] = within(readings, "as_left")
    return derived


@audit.service
def change_calibration(
    calibration: Calibration,
    *,
    actor: User,
    expected_version: int | None,
    reason: str = "",
    **changes: Any,
) -> Calibration:
    """The RecordType's update service: the lab, certificate, notes and title are corrected
    freely; the date and readings while the calibration is recorded and its gauge's latest
    (its results and the gauge's due date follow); the gauge never."""
    derived = _correction(calibration, changes)
    plain = {k: v for k, v in changes.items() if k not in ("gauge", "calibrated_on", "readings")}
    changed: Calibration = records.update(
        calibration, actor=actor, expected_version=expected_version, reason=reason, **plain
    )
    if derived:
        with records.locked(changed) as current:
            for name, value in derived.items():
                setattr(current, name, value)
            records.touch(current, actor)
        gauge = Gauge.objects.select_for_update().get(pk=current.gauge_id)
        gauge.last_calibrated_on = current.calibrated_on
        gauge.next_due_on = current.next_due_on
        if current.as_left_ok:
            gauge.last_good_on = current.calibrated_on
        gauge.save()
        changed = current
    return changed


def _raise_impact_nonconformance(
    calibration: Calibration, gauge: Gauge, since: datetime.date | None, actor: User
) -> None:
    from qualitas.nonconformance import services as nonconformance

    with records.locked(calibration) as current:
        if current.nonconformance_number:  # once per calibration
            return
        failing = [
            f"nominal {r['nominal']:g}: as found {r['as_found']:g} "
            f"(deviation {r['as_found'] - r['nominal']:+g}, tolerance ±{r['tolerance']:g})"
            for r in current.readings
            if not reading_within(r["as_found"], r["nominal"], r["tolerance"])
        ]
        period = f"since {since:%Y-%m-%d}" if since else "since it was registered"
        if current.impact:
            lots = "; ".join(
                f"{lot['number']} (lot {lot['lot_number']}, {lot['part_number']} rev "
                f"{lot['part_revision']}, characteristics {', '.join(lot['characteristics'])}, "
                f"{lot['count']} values)"
                for lot in current.impact
            )
            measured = f"Lots measured with it {period}: {lots}."
        else:
            measured = f"No lot recorded in Qualitas was measured with it {period}."
        nc = nonconformance.raise_nonconformance(
            actor=actor,
            title=f"Gauge {gauge.identifier} out of tolerance as found ({current.number}): "
            "impact assessment",
            source="other",
            severity="major",
            requirement=f"{gauge.identifier} {gauge.name} within its calibration tolerance",
            finding=f"{current.number} on {current.calibrated_on:%Y-%m-%d} found gauge "
            f"{gauge.identifier} out of tolerance: {'; '.join(failing)}. {measured}",
            site=current.site,
        )
        current.nonconformance_number = nc.number
        records.touch(current, actor)
        links.add(
            nc, actor=actor, target=current, kind="raised_from", note="Out-of-tolerance calibration"
        )
        calibration.nonconformance_number = nc.number
        calibration.version = current.version


def impact(calibration: Calibration) -> dict[str, Any]:
    """What the impact endpoint and the detail panel show."""
    return {
        "calibration": calibration.number,
        "gauge": calibration.gauge.identifier,
        "as_found_ok": calibration.as_found_ok,
        "lots": calibration.impact,
        "nonconformance": calibration.nonconformance_number or None,
    }


__all__ = [
    "change_calibration",
    "impact",
    "impact_of",
    "record_calibration",
    "within",
]
