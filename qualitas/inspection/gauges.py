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

import datetime
import math
from typing import Any

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from qualitas.core import audit, permissions, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import Site, User
from qualitas.core.validation import clean_or_raise
from qualitas.inspection import workflows as w
from qualitas.inspection.models import Gauge, GaugeStatus

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


__all__ = [
    "DUE_WITHIN_DAYS",
    "EffectiveStatus",
    "blocked_reason",
    "calibration_type",
    "change_gauge",
    "create_gauge",
    "gauge_status",
    "set_gauge_status",
    "with_status",
]
