"""Every write to CAPAs: opening, the workflow steps, the team, the 5 Whys, the Ishikawa
causes."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import Max
from django.utils import timezone

from qualitas.capa import policy
from qualitas.capa.events import CapaClosed
from qualitas.capa.models import (
    Capa,
    Cause,
    CauseCategory,
    EffectivenessResult,
    TeamMember,
    WhyStep,
)
from qualitas.core import audit, events, records
from qualitas.core.errors import Conflict, InvalidInput
from qualitas.core.models import User
from qualitas.core.validation import clean_or_raise


def record_type() -> records.RecordType:
    return records.RECORD_TYPES["capa"]


def open_capa(*, actor: User, **fields: Any) -> Capa:
    """Open a corrective or preventive action."""
    capa: Capa = records.create(record_type(), actor=actor, **fields)
    return capa


def _reset_effectiveness(capa: Capa, actor: User, comment: str) -> None:
    """The next effectiveness check starts afresh; the failed one stays in the history."""
    capa.effectiveness_result = EffectivenessResult.PENDING
    capa.effectiveness_evidence = ""
    capa.effectiveness_checked_by = None
    capa.effectiveness_checked_on = None
    records.touch(capa, actor)


# What the effectiveness check (D7) records, in its own step rather than the edit form: the
# plan approval does not cover them (`fields_signed_from`), the closing signature does.
EFFECTIVENESS_FIELDS = (
    "effectiveness_result",
    "effectiveness_evidence",
    "effectiveness_checked_by",
    "effectiveness_checked_on",
)


@audit.service
def record_effectiveness(
    capa: Capa,
    *,
    actor: User,
    result: str,
    evidence: str,
    checked_on: datetime.date | None = None,
    expected_version: int | None = None,
    reason: str = "Effectiveness check recorded",
) -> Capa:
    """Record the effectiveness check (8D D7): effective or not, the evidence, and who checked
    it on which day (the person recording it). Closing then needs an effective result; a
    result of not effective sends the CAPA back to root cause."""
    with (
        audit.context(actor=actor, reason=reason),  # the default reason too, in the trail
        records.locked(capa, expected_version) as current,
    ):
        policy.require_record_effectiveness(actor, current)
        if result not in (EffectivenessResult.PASSED, EffectivenessResult.FAILED):
            raise InvalidInput.for_field(
                "result",
                f"Choose {EffectivenessResult.PASSED} (effective) or "
                f"{EffectivenessResult.FAILED} (not effective).",
            )
        evidence = (evidence or "").strip()
        if not evidence:
            raise InvalidInput.for_field(
                "evidence", "Say what shows the result (data, period, audit, records)."
            )
        today = timezone.localdate()
        checked_on = checked_on or today
        if checked_on > today:
            raise InvalidInput.for_field("checked_on", "The check cannot be dated in the future.")
        if checked_on < timezone.localtime(current.created_at).date():
            raise InvalidInput.for_field(
                "checked_on", f"The check cannot be dated before {current.number} was opened."
            )
        current.effectiveness_result = result
        current.effectiveness_evidence = evidence
        current.effectiveness_checked_by = actor
        current.effectiveness_checked_on = checked_on
        clean_or_raise(current)
        records.touch(current, actor)
    events.publish(
        events.RecordChanged(record_type().key, current.pk, actor.pk, EFFECTIVENESS_FIELDS)
    )
    return current


def _announce_closed(capa: Capa, actor: User, comment: str) -> None:
    events.publish(CapaClosed(capa.pk, capa.number, actor.pk))


# What a step entails besides the change of state (the record type's `entails`): found not
# effective, the CAPA goes back to root cause with a fresh effectiveness check; closed, it is
# announced (`CapaClosed`) to whoever waits for it.
ENTAILS: dict[str, Callable[[Capa, User, str], None]] = {
    "not_effective": _reset_effectiveness,
    "close": _announce_closed,
}


@audit.service
def add_team_member(capa: Capa, *, actor: User, member: User, role: str = "") -> TeamMember:
    """Put someone on the cross-functional team (8D D1)."""
    policy.require_work_on(actor, capa)
    if capa.team.filter(member=member).exists():
        raise Conflict(f"{member} is already on the team.")
    entry = TeamMember(capa=capa, member=member, role=role)
    clean_or_raise(entry, exclude=["capa", "member"])
    entry.save()
    return entry


@audit.service
def add_why(capa: Capa, *, actor: User, why: str, because: str) -> WhyStep:
    """Add the next step of the 5 Whys."""
    policy.require_work_on(actor, capa)
    if not why.strip() or not because.strip():
        raise InvalidInput.for_field("because", "Give both the why and the because.")
    last = capa.whys.aggregate(n=Max("position"))["n"] or 0
    step = WhyStep(capa=capa, position=last + 1, why=why.strip(), because=because.strip())
    clean_or_raise(step, exclude=["capa"])
    step.save()
    return step


@audit.service
def add_cause(capa: Capa, *, actor: User, category: str, text: str) -> Cause:
    """Put a possible cause on the fishbone, under one of the 6M."""
    policy.require_work_on(actor, capa)
    if category not in CauseCategory.values:
        raise InvalidInput.for_field(
            "category", f"Choose one of {', '.join(CauseCategory.values)}."
        )
    cause = Cause(capa=capa, category=category, text=text.strip())
    clean_or_raise(cause, exclude=["capa"])
    cause.save()
    return cause


@audit.service
def mark_root_cause(item: WhyStep | Cause, *, actor: User, verified: bool = True) -> Any:
    """Mark a why or a cause as the verified root cause (or take the mark back)."""
    policy.require_work_on(actor, item.capa)
    item.is_root_cause = verified
    item.save()
    return item


def root_cause_statistics(user: User) -> list[tuple[str, int]]:
    """Closed and open CAPAs per root-cause category (for management review)."""
    from django.db.models import Count

    rows = (
        records.visible_to(user, record_type())
        .exclude(root_cause_category="")
        .values("root_cause_category")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    labels = dict(CauseCategory.choices)
    return [(str(labels[r["root_cause_category"]]), r["n"]) for r in rows]
