"""Every write to nonconformances: raising, disposition, costs, the defect taxonomy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from qualitas.core import audit, events, money, records
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.core.validation import clean_or_raise
from qualitas.nonconformance import policy, queries
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
    # Not stated (the API's default 0 too): at least the nonconforming quantity is affected.
    if not fields.get("quantity_affected") and fields.get("quantity_nonconforming"):
        fields["quantity_affected"] = fields["quantity_nonconforming"]
    _containment_defaults(fields, None, actor)
    nc: Nonconformance = records.create(record_type(), actor=actor, **fields)
    events.publish(
        NonconformanceRaised(nc.pk, nc.number, nc.title, nc.severity, nc.site_id, actor.pk)
    )
    return nc


def change_nonconformance(
    nc: Nonconformance,
    *,
    actor: User,
    expected_version: int | None,
    reason: str = "",
    **changes: Any,
) -> Nonconformance:
    """Change a nonconformance's fields (the edit page, the containment page, PATCH): who
    contained it and who verified the containment default to whoever records it."""
    _containment_defaults(changes, nc, actor)
    changed: Nonconformance = records.update(
        nc, actor=actor, expected_version=expected_version, reason=reason, **changes
    )
    return changed


def _containment_defaults(fields: dict[str, Any], nc: Nonconformance | None, actor: User) -> None:
    """Fill who and when for a containment recorded or verified now; a verification taken
    back keeps no verifier."""
    today = timezone.localdate()

    def current(name: str) -> Any:
        return fields[name] if name in fields else getattr(nc, name, None)

    if (current("containment_action") or "").strip():
        if current("contained_by") is None:
            fields["contained_by"] = actor
        if current("contained_on") is None:
            fields["contained_on"] = today
    if current("containment_verified"):
        if current("containment_verified_by") is None:
            fields["containment_verified_by"] = actor
        if current("containment_verified_on") is None:
            fields["containment_verified_on"] = today
    elif "containment_verified" in fields and nc is not None and nc.containment_verified:
        fields["containment_verified_by"] = None
        fields["containment_verified_on"] = None


CONTAINMENT_FIELDS = (
    "containment_action",
    "quantity_quarantined",
    "containment_location",
    "contained_by",
    "contained_on",
    "containment_verified",
    "containment_verified_by",
    "containment_verified_on",
)


def record_containment(
    nc: Nonconformance, *, actor: User, expected_version: int | None, **containment: Any
) -> Nonconformance:
    """Record how the nonconforming output is contained, and whether that was verified."""
    unknown = sorted(set(containment) - set(CONTAINMENT_FIELDS))
    if unknown:
        raise InvalidInput([FieldError(name, "Not a containment field.") for name in unknown])
    return change_nonconformance(nc, actor=actor, expected_version=expected_version, **containment)


def start_containment(nc: Nonconformance, actor: User, comment: str) -> None:
    """What "Start containment" entails: its comment, once only a note on the step, becomes
    the containment action when none was recorded, with who and when."""
    if nc.containment_action.strip() or not comment.strip():
        return
    nc.containment_action = comment.strip()
    changes: dict[str, Any] = {"containment_action": nc.containment_action}
    _containment_defaults(changes, nc, actor)
    for name, value in changes.items():
        setattr(nc, name, value)
    clean_or_raise(nc)
    records.touch(nc, actor)


def containment_text(nc: Nonconformance) -> str:
    """The containment as a CAPA's D3 reads it: what, how much, where, by whom, verified."""
    if not nc.containment_action.strip():
        return ""
    lines = [f"{nc.number}: {nc.containment_action.strip()}"]
    held = []
    if nc.quantity_quarantined is not None:
        held.append(f"{nc.quantity_quarantined.normalize():f} {nc.unit} quarantined")
    if nc.containment_location:
        held.append(f"at {nc.containment_location}")
    if nc.contained_by is not None:
        held.append(f"by {nc.contained_by.printed_name}")
    if nc.contained_on is not None:
        held.append(f"on {nc.contained_on.isoformat()}")
    if held:
        sentence = " ".join(held)
        lines.append(sentence[0].upper() + sentence[1:] + ".")
    if nc.containment_verified:
        who = nc.containment_verified_by.printed_name if nc.containment_verified_by else ""
        when = nc.containment_verified_on.isoformat() if nc.containment_verified_on else ""
        lines.append(
            "Verified" + (f" by {who}" if who else "") + (f" on {when}" if when else "") + "."
        )
    else:
        lines.append("Not verified yet.")
    return "\n".join(lines)


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
    currency = (currency or settings.QUALITAS_CURRENCY).strip().upper()
    line = CostLine(
        nonconformance=nc,
        category=category,
        amount=_money(amount, currency),
        currency=currency,
        incurred_on=incurred_on or timezone.localdate(),
        note=note,
    )
    clean_or_raise(line, exclude=["nonconformance"])
    line.save()
    return line


def _money(value: Any, currency: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput.for_field("amount", f"'{value}' is not an amount.") from None
    if not amount.is_finite():
        raise InvalidInput.for_field("amount", f"'{value}' is not an amount.")
    # An amount finer than the currency's smallest unit cannot be paid: say so, do not round.
    if amount != money.rounded(amount, currency):
        places = money.minor_units(currency)
        raise InvalidInput.for_field(
            "amount",
            f"{currency} amounts have {places or 'no'} decimal{'' if places == 1 else 's'}: "
            f"'{value}' has more.",
        )
    return amount.quantize(Decimal("0.01"))


def cost_total(nc: Nonconformance) -> dict[str, Decimal]:
    """Total cost per currency."""
    rows = nc.cost_lines.values("currency").annotate(total=Sum("amount")).order_by("currency")
    return {row["currency"]: row["total"] for row in rows}


def totals_of(lines: Iterable[CostLine]) -> dict[str, Decimal]:
    """`cost_total` of cost lines already in hand (the NC page lists them anyway)."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.amount
    return dict(sorted(totals.items()))


def is_escalated(nc: Nonconformance) -> bool:
    """Has the nonconformance been escalated to a CAPA (a current escalation link)?"""
    found: bool = (
        Nonconformance.objects.filter(pk=nc.pk)
        .annotate(escalated=queries.escalated())
        .values_list("escalated", flat=True)
        .get()
    )
    return found


def escalation_suggestion(nc: Nonconformance) -> str | None:
    """The escalation rule's reason, while acting on it is still to do: the NC is live and
    not yet escalated (a closed or escalated one needs no prompt)."""
    if nc.state in (State.CLOSED, State.CANCELLED) or is_escalated(nc):
        return None
    return escalation_reason(nc)


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
            # D3 starts from what already protects the customer.
            containment_summary=containment_text(nc),
        )
    links.add(nc, actor=actor, target=capa, kind="escalated_to", note=escalation_reason(nc) or "")
    return capa


def concession_refusal(number: str) -> str | None:
    """Why what nonconformance `number` holds may not be released on concession yet, or None
    when a use-as-is disposition is decided and both its approvals' signatures still hold."""
    from qualitas.core import signatures

    nc = Nonconformance.objects.filter(number=number).first() if number else None
    if nc is None:
        return "There is no nonconformance to grant a concession."
    if nc.state not in (State.DISPOSITION, State.VERIFICATION, State.CLOSED):
        return f"{nc.number} is {nc.get_state_display()}: no disposition is decided yet."
    if not nc.disposition_lines.filter(decision=Decision.USE_AS_IS).exists():
        return f"The disposition of {nc.number} grants no concession (use as is)."
    approvals = {
        s.transition: s
        for s in nc.signatures.filter(
            transition__in=("approve_quality", "approve_engineering")
        ).order_by("signed_at")
    }
    for transition, who in (("approve_quality", "quality"), ("approve_engineering", "engineering")):
        signature = approvals.get(transition)
        if signature is None or not signatures.is_valid(signature, nc):
            return f"The concession on {nc.number} awaits its {who} approval."
    return None


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
