"""Every write to nonconformances: raising, disposition, costs, the defect taxonomy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from qualitas.core import audit, events, records
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.core.validation import clean_or_raise
from qualitas.nonconformance import policy
from qualitas.nonconformance.events import NonconformanceRaised
from qualitas.nonconformance.models import (
    CostLine,
    Decision,
    DefectCategory,
    DefectCode,
    DispositionLine,
    Nonconformance,
    Severity,
)
from qualitas.nonconformance.workflows import State


def record_type() -> records.RecordType:
    return records.RECORD_TYPES["nonconformance"]


def raise_nonconformance(*, actor: User, **fields: Any) -> Nonconformance:
    """Record a nonconformance (ISO 9001 8.7): numbered, open, audited."""
    # Left empty (the form's blank, the API's null): found today, by whoever records it.
    if fields.get("detected_on") is None:
        fields["detected_on"] = timezone.localdate()
    if fields.get("detected_by") is None:
        fields["detected_by"] = actor
    nc: Nonconformance = records.create(record_type(), actor=actor, **fields)
    events.publish(
        NonconformanceRaised(nc.pk, nc.number, nc.title, nc.severity, nc.site_id, actor.pk)
    )
    return nc


@dataclass(frozen=True)
class DispositionInput:
    decision: str
    quantity: Decimal
    instructions: str = ""


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput.for_field(field, f"'{value}' is not a quantity.") from None
    if number <= 0:
        raise InvalidInput.for_field(field, "Quantities must be above zero.")
    return number


@audit.service
def set_disposition(
    nc: Nonconformance, *, actor: User, lines: list[DispositionInput], expected_version: int | None
) -> Nonconformance:
    """Decide what happens to the nonconforming quantity, split over several decisions.

    The lines must add up to the nonconforming quantity exactly; the decision is made during
    material review, and signed when it is a concession.
    """
    with records.locked(nc, expected_version) as current:
        policy.require_decide_disposition(actor, current)
        if current.state != State.REVIEW:
            raise InvalidInput.for_field(
                "state", "The disposition is decided during material review."
            )
        errors = []
        parsed = []
        for number, line in enumerate(lines, start=1):
            if line.decision not in Decision.values:
                errors.append(
                    FieldError(f"lines[{number}].decision", f"Unknown decision '{line.decision}'.")
                )
                continue
            try:
                parsed.append((line, _decimal(line.quantity, f"lines[{number}].quantity")))
            except InvalidInput as exc:
                errors.extend(exc.errors)
        if not lines:
            errors.append(FieldError("lines", "Give at least one disposition line."))
        if errors:
            raise InvalidInput(errors)
        if (
            any(line.decision == Decision.RETURN_TO_SUPPLIER for line, _ in parsed)
            and not current.supplier_name
        ):
            raise InvalidInput.for_field(
                "supplier_name",
                "Returning to the supplier needs the supplier: fill it in on the nonconformance.",
            )
        total = sum((quantity for _, quantity in parsed), Decimal(0))
        if total != current.quantity_nonconforming:
            raise InvalidInput.for_field(
                "lines",
                f"The lines add up to {total.normalize():f} {current.unit}, but "
                f"{current.quantity_nonconforming.normalize():f} {current.unit} are nonconforming.",
            )
        for old in current.disposition_lines.all():
            old.delete()
        for line, quantity in parsed:
            DispositionLine.objects.create(
                nonconformance=current,
                decision=line.decision,
                quantity=quantity,
                instructions=line.instructions,
            )
        # The lines are part of the record: a stale copy must not overwrite them unnoticed.
        records.touch(current, actor)
        return current


@audit.service
def add_cost(
    nc: Nonconformance,
    *,
    actor: User,
    category: str,
    amount: Any,
    currency: str = "",
    incurred_on: date | None = None,
    note: str = "",
) -> CostLine:
    """Record a cost of poor quality against the nonconformance (while it is open: the
    costs of a closed or cancelled one are final, as removing them is refused too)."""
    if nc.state in (State.CLOSED, State.CANCELLED):
        raise records.RecordLocked(f"{nc.number} is {nc.get_state_display()}: its costs are final.")
    policy.require_record_costs(actor, nc)
    line = CostLine(
        nonconformance=nc,
        category=category,
        amount=_money(amount),
        currency=(currency or settings.QUALITAS_CURRENCY).upper(),
        incurred_on=incurred_on or timezone.localdate(),
        note=note,
    )
    clean_or_raise(line, exclude=["nonconformance"])
    line.save()
    return line


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise InvalidInput.for_field("amount", f"'{value}' is not an amount.") from None


def cost_total(nc: Nonconformance) -> dict[str, Decimal]:
    """Total cost per currency."""
    rows = nc.cost_lines.values("currency").annotate(total=Sum("amount")).order_by("currency")
    return {row["currency"]: row["total"] for row in rows}


def escalation_reason(nc: Nonconformance) -> str | None:
    """Why this nonconformance should go to a CAPA, by the configured rules (or None)."""
    if nc.state == State.CANCELLED:
        return None
    if nc.severity == Severity.CRITICAL:
        return "Critical severity: a corrective action (CAPA) is expected."
    if nc.defect_code_id is None or not nc.part_number:
        return None
    repeats, days = settings.QUALITAS_ESCALATION_REPEATS, settings.QUALITAS_ESCALATION_DAYS
    since = nc.detected_on - timedelta(days=days)
    similar = (
        Nonconformance.objects.filter(
            defect_code_id=nc.defect_code_id,
            part_number=nc.part_number,
            detected_on__gt=since,
            detected_on__lte=nc.detected_on,
        )
        .exclude(state=State.CANCELLED)
        .count()
    )
    if similar >= repeats:
        return (
            f"{nc.defect_code} has occurred {similar} times on part {nc.part_number} within "
            f"{days} days (rule: {repeats} in {days}): look for a systemic cause with a CAPA."
        )
    return None


@audit.service
def add_defect_code(*, actor: User, category: DefectCategory, code: str, name: str) -> DefectCode:
    """Extend the defect taxonomy."""
    policy.require_manage_defect_codes(actor)
    defect = DefectCode(category=category, code=code.strip().upper(), name=name.strip())
    clean_or_raise(defect)
    defect.save()
    return defect


@audit.service
def add_defect_category(*, actor: User, code: str, name: str) -> DefectCategory:
    policy.require_manage_defect_codes(actor)
    category = DefectCategory(code=code, name=name)
    clean_or_raise(category)
    category.save()
    return category


@audit.service
def remove_cost(line: CostLine, *, actor: User) -> None:
    """Take back a cost line entered in error (the removal stays in the audit trail)."""
    nc = line.nonconformance
    if nc.state in (State.CLOSED, State.CANCELLED):
        raise records.RecordLocked(f"{nc.number} is {nc.get_state_display()}: its costs are final.")
    policy.require_remove_costs(actor, nc)
    line.delete()


@audit.service
def escalate_to_capa(nc: Nonconformance, *, actor: User, capa: Any = None) -> Any:
    """Open a CAPA for this nonconformance (or link an existing one): NC escalated to CAPA."""
    from qualitas.capa import services as capa_services
    from qualitas.core import links

    policy.require_escalate(actor, nc)
    if capa is None:
        facts = [
            f"{nc.number}: {nc.finding or nc.title}",
            f"Required: {nc.requirement}" if nc.requirement else "",
            f"Part {nc.part_number}" + (f" rev {nc.part_revision}" if nc.part_revision else "")
            if nc.part_number
            else "",
            f"Lot {nc.lot_number}" if nc.lot_number else "",
            f"{nc.quantity_nonconforming.normalize():f} {nc.unit} nonconforming",
        ]
        what = nc.defect_code.name if nc.defect_code else nc.title
        capa = capa_services.open_capa(
            actor=actor,
            title=f"{what} on {nc.part_number or nc.title}"[:200],
            problem_statement="\n".join(f for f in facts if f),
            site=nc.site,
            department=nc.department,
            priority="high" if nc.severity == Severity.CRITICAL else "medium",
        )
    links.add(nc, actor=actor, target=capa, kind="escalated_to", note=escalation_reason(nc) or "")
    return capa


def disposition_content(nc: Nonconformance) -> list[dict[str, Any]]:
    """What a concession approval signs, beyond the record's fields: the disposition lines."""
    return [
        {
            "decision": line.decision,
            "quantity": str(line.quantity),
            "instructions": line.instructions,
        }
        for line in nc.disposition_lines.order_by("id")
    ]
