"""The training gate's checker (declared as the Module's `training_gate`): which of the
procedures a step is worked under a person is not currently trained on. Only items some
active requirement marks as gating are checked; anyone signing under them must hold a
completed record (for a document, of the revision in force; for a course, not lapsed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from qualitas.core.training_gate import Gap
from qualitas.documents import queries as documents
from qualitas.training.models import OPEN_STATES, Requirement, TrainingRecord
from qualitas.training.workflows import State

if TYPE_CHECKING:
    from qualitas.core.models import User


def gated(procedures: Sequence[str] | None = None) -> tuple[set[str], set[str]]:
    """(document numbers, course codes) that gate, among `procedures` (all when None)."""
    lines = Requirement.objects.filter(active=True, gating=True)
    if procedures is not None:
        lines = lines.filter(Q(document_number__in=procedures) | Q(course__code__in=procedures))
    numbers, codes = set(), set()
    for number, code in lines.values_list("document_number", "course__code"):
        if code:
            codes.add(code)
        else:
            numbers.add(number)
    return numbers, codes


def untrained(user: User, procedures: Sequence[str]) -> list[Gap]:
    """One gap per gating procedure the person may not work under yet, in the given order."""
    numbers, codes = gated(procedures)
    if not numbers and not codes:
        return []
    in_force = documents.controlled_documents(numbers=numbers) if numbers else {}
    rows = list(
        TrainingRecord.objects.filter(person_id=user.pk)
        .filter(Q(document_number__in=numbers) | Q(course__code__in=codes))
        .values(
            "document_number",
            "course__code",
            "revision_id",
            "revision_label",
            "state",
            "expires_on",
            "due_on",
        )
    )
    today = timezone.localdate()
    gaps = []
    for procedure in dict.fromkeys(procedures):
        if procedure in numbers:
            document = in_force.get(procedure)
            revision = document.effective_revision_id if document else None
            mine = [r for r in rows if r["document_number"] == procedure]
            reason = _document_gap(mine, revision, document.effective_label if document else None)
        elif procedure in codes:
            reason = _course_gap([r for r in rows if r["course__code"] == procedure], today)
        else:
            continue
        if reason:
            gaps.append(Gap(procedure, reason))
    return gaps


def _document_gap(mine: list[dict[str, Any]], revision: int | None, label: str | None) -> str:
    done = [r for r in mine if r["state"] == State.COMPLETED]
    if any(r["revision_id"] == revision for r in done) or (revision is None and done):
        return ""
    pending = [r for r in mine if r["state"] in OPEN_STATES and r["revision_id"] == revision]
    if pending:
        due = pending[0]["due_on"]
        return (
            f"revision {label} is assigned to you (due {due:%Y-%m-%d}) and not yet signed "
            "as read and understood."
        )
    if done:
        read = ", ".join(sorted({r["revision_label"] for r in done}))
        return f"you read revision {read}; revision {label} is in force."
    return "there is no training record of it."


def _course_gap(mine: list[dict[str, Any]], today: Any) -> str:
    done = [r for r in mine if r["state"] in (State.COMPLETED, State.EXPIRED)]
    if any(
        r["state"] == State.COMPLETED and (r["expires_on"] is None or r["expires_on"] > today)
        for r in done
    ):
        return ""
    if done:
        lapsed = max((r["expires_on"] for r in done if r["expires_on"]), default=None)
        return f"the certificate lapsed on {lapsed:%Y-%m-%d}." if lapsed else "it lapsed."
    if any(r["state"] in OPEN_STATES for r in mine):
        return "it is assigned to you and not yet completed."
    return "there is no training record of it."


def standing(user: User) -> tuple[list[str], list[Gap]]:
    """What the person may sign work under, and what not and why: every gating item."""
    numbers, codes = gated()
    everything = sorted(numbers | codes)
    gaps = untrained(user, everything)
    missing = {gap.procedure for gap in gaps}
    return [p for p in everything if p not in missing], gaps
