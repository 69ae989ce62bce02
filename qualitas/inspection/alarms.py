"""Control chart alarms worked as records, the reaction plan of ISO 9001 8.5.1 and IATF 16949
9.1.1.1: live.py records each alarm as a new point breaks a run rule; here someone who plans
the inspection at the lot's site acknowledges it with the assignable cause found and the
action taken, and later closes it. Every change is on the audit trail (ChartAlarm is audited).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from qualitas.core import audit, notifications, permissions, records
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.inspection import workflows as w
from qualitas.inspection.models import Characteristic, ChartAlarm, ChartAlarmState

# The same permission that freezes the limits an alarm is judged against: whoever answers
# for the chart answers for its alarms.
WORK = w.PLAN
# A characteristic's page shows this many alarms; the list has them all.
PAGE_CAP = 50
# Enough for a reaction's cause and action; a longer story belongs in the NC or a CAPA.
TEXT_LIMIT = 4000


def page_url(alarm: ChartAlarm) -> str:
    """Where the alarm is worked: its row on the characteristic's page."""
    page = reverse("inspection:characteristic_chart", args=[alarm.characteristic_id])
    return f"{page}#alarm-{alarm.pk}"


def alarms_listed(user: User) -> QuerySet[ChartAlarm]:
    """Alarms of lots at the sites where the user sees inspection, with what a row shows at
    hand: those still to work first, then the closed ones, the latest first."""
    found = ChartAlarm.objects.select_related(
        "characteristic__revision__part", "lot__site", "acknowledged_by", "closed_by"
    )
    sites = permissions.sites_with_perm(user, w.VIEW)
    if sites is not None:
        found = found.filter(lot__site_id__in=sites)
    return found.order_by(F("closed_at").desc(nulls_first=True), "-raised_at", "-pk")


def may_work(user: User, alarm: ChartAlarm) -> bool:
    return records.has_perm_for(user, WORK, alarm.lot)


@dataclass(frozen=True)
class AlarmRow:
    alarm: ChartAlarm
    may_work: bool


@dataclass(frozen=True)
class CharacteristicAlarms:
    rows: list[AlarmRow]
    # More than the page shows: the page links the full list.
    more: bool


def characteristic_alarms(user: User, characteristic: Characteristic) -> CharacteristicAlarms:
    """The alarms a characteristic's page shows: every one still open or acknowledged (up to
    PAGE_CAP), then the most recently closed; two queries on the characteristic's indexes."""
    mine = alarms_listed(user).filter(characteristic=characteristic)
    found = list(mine.exclude(state=ChartAlarmState.CLOSED)[: PAGE_CAP + 1])
    if len(found) <= PAGE_CAP:
        found += mine.filter(state=ChartAlarmState.CLOSED)[: PAGE_CAP + 1 - len(found)]
    return CharacteristicAlarms(
        [AlarmRow(alarm, may_work(user, alarm)) for alarm in found[:PAGE_CAP]],
        more=len(found) > PAGE_CAP,
    )


def _locked(alarm: ChartAlarm) -> ChartAlarm:
    # Two engineers acting on one alarm at once: the second sees the first one's state.
    current: ChartAlarm = (
        ChartAlarm.objects.select_for_update(of=("self",))
        .select_related("lot__site", "characteristic__owner")
        .get(pk=alarm.pk)
    )
    return current


@audit.service
def acknowledge(alarm: ChartAlarm, *, actor: User, cause: str, action: str) -> ChartAlarm:
    """Record the reaction to an open alarm: the assignable cause found (or that none was)
    and the action taken. Both are required; the owner's notification of it is then done."""
    current = _locked(alarm)
    records.require_for(actor, WORK, current.lot)
    if current.state != ChartAlarmState.OPEN:
        raise Conflict(
            f"This alarm is {current.get_state_display().lower()}: only an open alarm is "
            "acknowledged.",
            errors=[FieldError("state", "Only an open alarm can be acknowledged.")],
        )
    cause, action = (cause or "").strip(), (action or "").strip()
    wrong = []
    if not cause:
        wrong.append(FieldError("cause", "Say what assignable cause was found (or none)."))
    if not action:
        wrong.append(FieldError("action", "Say what action was taken on the process."))
    wrong += [
        FieldError(name, f"At most {TEXT_LIMIT} characters.")
        for name, text in (("cause", cause), ("action", action))
        if len(text) > TEXT_LIMIT
    ]
    if wrong:
        raise InvalidInput(wrong)
    current.state = ChartAlarmState.ACKNOWLEDGED
    current.acknowledged_by = actor
    current.acknowledged_at = timezone.now()
    current.cause = cause
    current.action = action
    current.save()
    owner = current.characteristic.owner
    if owner is not None:
        notifications.mark_done([owner], url=page_url(current))
    return current


@audit.service
def close(alarm: ChartAlarm, *, actor: User, comment: str = "") -> ChartAlarm:
    """Close an acknowledged alarm (the reaction is done and the process back in control),
    with an optional comment."""
    current = _locked(alarm)
    records.require_for(actor, WORK, current.lot)
    if current.state != ChartAlarmState.ACKNOWLEDGED:
        raise Conflict(
            f"This alarm is {current.get_state_display().lower()}: only an acknowledged alarm "
            "is closed (record the cause and the action first).",
            errors=[FieldError("state", "Only an acknowledged alarm can be closed.")],
        )
    comment = (comment or "").strip()
    if len(comment) > TEXT_LIMIT:
        raise InvalidInput.for_field("comment", f"At most {TEXT_LIMIT} characters.")
    current.state = ChartAlarmState.CLOSED
    current.closed_by = actor
    current.closed_at = timezone.now()
    current.close_comment = comment
    current.save()
    return current


__all__ = [
    "PAGE_CAP",
    "TEXT_LIMIT",
    "acknowledge",
    "alarms_listed",
    "characteristic_alarms",
    "close",
    "may_work",
    "page_url",
]
