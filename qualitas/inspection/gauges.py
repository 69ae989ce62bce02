"""The gauge register and its calibrations (ISO 9001 7.1.5.2, ISO 13485 7.6, IATF 16949
7.1.5.2.1). Every write goes through these services (audited, with the actor's permission);
pages, the API, the CLI and the demo call them, never the models.

A gauge is never deleted, only taken out of service or retired: calibrations and
measurements name it. Whether it is due or overdue follows from its next due date, which
only a recorded calibration moves. A calibration that finds the gauge out of tolerance as
found puts every lot measured with it since its last good calibration in doubt: the
calibration lists them and raises one nonconformance for the impact assessment.
"""

from __future__ import annotations

import contextlib
import datetime
import math
from typing import Any

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from qualitas.core import audit, links, permissions, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import Site, User
from qualitas.core.validation import clean_or_raise
from qualitas.inspection import workflows as w
from qualitas.inspection.models import Calibration, Gauge, GaugeStatus, Measurement

GAUGE_FIELDS = frozenset(
    {
        "identifier",
        "name",
        "gauge_type",
        "location",
        "site",
        "owner",
        "range_low",
        "range_high",
        "unit",
        "resolution",
        "interval_days",
        "procedure",
    }
)
# A gauge is "due" this many days before its next due date: time to book the calibration.
DUE_WITHIN_DAYS = 30
CALIBRATION_KEY = "calibration"


class EffectiveStatus(models.TextChoices):
    """What the register shows: the stored status, or due / overdue from the next due date."""

    IN_SERVICE = "in_service", "In use"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"
    OUT_OF_SERVICE = "out_of_service", "Out of service"
    RETIRED = "retired", "Retired"


def calibration_type() -> records.RecordType:
    return records.RECORD_TYPES[CALIBRATION_KEY]


# ----------------------------------------------------------------------------- status


def gauge_status(gauge: Gauge, today: datetime.date | None = None) -> str:
    """The gauge's effective status on `today`: overdue once its next due date has passed
    (the due date itself is still a day it may be used), due within DUE_WITHIN_DAYS of it or
    when never calibrated, else what the register stores."""
    if gauge.status != GaugeStatus.IN_SERVICE:
        return str(gauge.status)
    today = today or timezone.localdate()
    if gauge.next_due_on is None:
        # Never calibrated here: not blocked (its certificate may predate the register),
        # but shown as due so someone books its first calibration.
        return EffectiveStatus.DUE.value
    if gauge.next_due_on < today:
        return EffectiveStatus.OVERDUE.value
    if gauge.next_due_on <= today + datetime.timedelta(days=DUE_WITHIN_DAYS):
        return EffectiveStatus.DUE.value
    return EffectiveStatus.IN_SERVICE.value


def with_status(
    queryset: QuerySet[Gauge], status: str, today: datetime.date | None = None
) -> QuerySet[Gauge]:
    """The gauges whose effective status is `status` (the same rules as gauge_status)."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=DUE_WITHIN_DAYS)
    in_service = queryset.filter(status=GaugeStatus.IN_SERVICE)
    if status == EffectiveStatus.OVERDUE:
        return in_service.filter(next_due_on__lt=today)
    if status == EffectiveStatus.DUE:
        return in_service.filter(
            Q(next_due_on__isnull=True) | Q(next_due_on__gte=today, next_due_on__lte=soon)
        )
    if status == EffectiveStatus.IN_SERVICE:
        return in_service.filter(next_due_on__gt=soon)
    if status in (GaugeStatus.OUT_OF_SERVICE, GaugeStatus.RETIRED):
        return queryset.filter(status=status)
    raise InvalidInput.for_field(
        "status", f"Unknown status '{status}'; one of {', '.join(EffectiveStatus.values)}."
    )


def blocked_reason(gauge: Gauge, today: datetime.date | None = None) -> str | None:
    """Why measuring with this gauge is refused (overdue, out of service, retired), or None."""
    status = gauge_status(gauge, today)
    if status == EffectiveStatus.OVERDUE:
        return (
            f"Gauge {gauge.identifier} was due for calibration on "
            f"{gauge.next_due_on:%Y-%m-%d}: calibrate it before measuring with it."
        )
    if status == EffectiveStatus.OUT_OF_SERVICE:
        return f"Gauge {gauge.identifier} is out of service: it may not be used for measuring."
    if status == EffectiveStatus.RETIRED:
        return f"Gauge {gauge.identifier} is retired: it may not be used for measuring."
    return None


def gauges_listed() -> QuerySet[Gauge]:
    return Gauge.objects.select_related("site", "owner", "procedure")


def search_gauges(queryset: QuerySet[Gauge], text: str) -> QuerySet[Gauge]:
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(identifier__icontains=text)
        | Q(name__icontains=text)
        | Q(gauge_type__icontains=text)
        | Q(location__icontains=text)
    )


# ----------------------------------------------------------------------------- the register


def _site(value: Any) -> Site | None:
    if isinstance(value, Site):
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.for_field("site", "Give the site's id.")
    found: Site | None = Site.objects.filter(pk=value).first()
    if found is None:
        raise InvalidInput.for_field("site", f"No site with id {value}.")
    return found


def _owner(value: Any) -> User | None:
    if value is None or value == "" or isinstance(value, User):
        return value or None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.for_field("owner", "Give the owner's user id.")
    found = User.objects.filter(pk=value, is_active=True).first()
    if found is None:
        raise InvalidInput.for_field("owner", f"No active user with id {value}.")
    return found


def _document(value: Any) -> Any:
    """The calibration procedure, a controlled document given by instance or id."""
    if value is None or value == "":
        return None
    document_model = apps.get_model("documents", "Document")
    if isinstance(value, document_model):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.for_field("procedure", "Give the procedure document's id.")
    found = document_model.objects.filter(pk=value).first()
    if found is None:
        raise InvalidInput.for_field("procedure", f"No document with id {value}.")
    return found


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput.for_field(field, "Give a finite number.")
    return float(value)


def _checked(gauge: Gauge) -> str:
    """The register's rules, each refused on its field; returns the uniqueness message."""
    errors: list[FieldError] = []
    for name, label in (("identifier", "identifier"), ("name", "name"), ("gauge_type", "type")):
        if not str(getattr(gauge, name) or "").strip():
            errors.append(FieldError(name, f"A gauge needs its {label}."))
    interval = gauge.interval_days
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        errors.append(FieldError("interval_days", "The calibration interval is at least 1 day."))
    low, high = gauge.range_low, gauge.range_high
    if low is not None and high is not None and not low < high:
        errors.append(
            FieldError("range_high", "The range's upper end must be above its lower end.")
        )
    if gauge.resolution is not None and not gauge.resolution > 0:
        errors.append(FieldError("resolution", "The resolution must be greater than zero."))
    if errors:
        raise InvalidInput(errors)
    taken = f"Gauge identifier {gauge.identifier} is already used."
    # GA-0012 and ga-0012 are one label on one gauge.
    if Gauge.objects.filter(identifier__iexact=gauge.identifier).exclude(pk=gauge.pk).exists():
        raise InvalidInput.for_field("identifier", taken)
    return taken


def _save(gauge: Gauge, taken: str) -> None:
    clean_or_raise(gauge, exclude=["site", "owner", "procedure"])
    try:
        with transaction.atomic():
            gauge.save()
    except IntegrityError:  # two people registering one identifier at once
        raise InvalidInput.for_field("identifier", taken) from None


def _prepared(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - GAUGE_FIELDS)
    if unknown:
        raise InvalidInput([FieldError(name, "This field cannot be changed.") for name in unknown])
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "site":
            value = _site(value)
        elif name == "owner":
            value = _owner(value)
        elif name == "procedure":
            value = _document(value)
        elif name in ("range_low", "range_high", "resolution"):
            value = _number(value, name)
        elif isinstance(value, str):
            value = value.strip()
        elif value is None and name in ("location", "unit"):
            value = ""
        out[name] = value
    return out


def _require_manage(actor: User, gauge: Gauge) -> None:
    permissions.require(actor, w.MANAGE_GAUGES)
    if gauge.site_id is not None:
        permissions.require(actor, w.MANAGE_GAUGES, site=gauge.site)


@audit.service
def create_gauge(*, actor: User, **fields: Any) -> Gauge:
    """Register a gauge, in use; its due date comes with its first calibration."""
    permissions.require(actor, w.MANAGE_GAUGES)
    gauge = Gauge(**_prepared({"interval_days": 365, **fields}))
    _require_manage(actor, gauge)
    taken = _checked(gauge)
    _save(gauge, taken)
    return gauge


@audit.service
def change_gauge(gauge: Gauge, *, actor: User, reason: str = "", **changes: Any) -> Gauge:
    """Change a gauge's details. A new interval moves the next due date from the last
    calibration: the interval is what the due date is computed from."""
    _require_manage(actor, gauge)
    current = Gauge.objects.select_for_update().get(pk=gauge.pk)
    prepared = _prepared(changes)
    changed = False
    for name, value in prepared.items():
        if getattr(current, name) != value:
            setattr(current, name, value)
            changed = True
    if changed:
        _require_manage(actor, current)  # also where it is moved to
        if "interval_days" in prepared and current.last_calibrated_on is not None:
            interval = current.interval_days
            if isinstance(interval, int) and not isinstance(interval, bool) and interval >= 1:
                current.next_due_on = current.last_calibrated_on + datetime.timedelta(days=interval)
        taken = _checked(current)
        _save(current, taken)
    return current


@audit.service
def set_gauge_status(gauge: Gauge, *, actor: User, status: str, reason: str = "") -> Gauge:
    """Take a gauge out of service, retire it, or put it back in use, with the reason (kept
    in the trail). A retired gauge stays retired."""
    _require_manage(actor, gauge)
    if status not in GaugeStatus.values:
        raise InvalidInput.for_field(
            "status", f"Unknown status '{status}'; one of {', '.join(GaugeStatus.values)}."
        )
    if not (reason or "").strip():
        raise InvalidInput.for_field("reason", "Say why the gauge's status changes.")
    current = Gauge.objects.select_for_update().get(pk=gauge.pk)
    if current.status == status:
        raise Conflict(f"Gauge {current.identifier} is already {current.get_status_display()}.")
    if current.status == GaugeStatus.RETIRED:
        raise Conflict(f"Gauge {current.identifier} is retired: register it anew to use it again.")
    current.status = status
    current.save(update_fields=["status"])
    return current


# ----------------------------------------------------------------------------- calibrations


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
    return all(abs(r[which] - r["nominal"]) <= r["tolerance"] for r in readings)


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
            if abs(r["as_found"] - r["nominal"]) > r["tolerance"]
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
    "DUE_WITHIN_DAYS",
    "EffectiveStatus",
    "blocked_reason",
    "change_calibration",
    "change_gauge",
    "create_gauge",
    "gauge_status",
    "impact",
    "impact_of",
    "record_calibration",
    "set_gauge_status",
    "with_status",
]
