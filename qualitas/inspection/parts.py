"""Master data of the production floor: parts, their revisions and the characteristics each
revision is checked for. Every write goes through these services (audited, permission
`inspection.manage_parts`); views, the API and the CLI call them, never the models.

A part is never deleted, only taken out of use: plans, lots and nonconformances name it.
What a characteristic specifies (kind, nominal, limits, unit) is frozen once an approved
inspection plan checks it: lots were judged against it, so a new specification is a new part
revision (and a new plan revision), never an edit behind the approved plan's back.
"""

from __future__ import annotations

import math
from typing import Any

from django.apps import apps
from django.db import IntegrityError, models, transaction

from qualitas.core import audit, permissions
from qualitas.core.errors import Conflict, FieldError, InvalidInput
from qualitas.core.models import User
from qualitas.core.validation import clean_or_raise
from qualitas.inspection import workflows as w
from qualitas.inspection.models import (
    Characteristic,
    CharacteristicKind,
    InspectionPlan,
    Part,
    PartRevision,
)

PART_FIELDS = frozenset({"number", "name", "customer", "description", "is_active"})
REVISION_FIELDS = frozenset({"revision", "description", "drawing", "is_current", "released_on"})
CHARACTERISTIC_FIELDS = frozenset(
    {
        "number",
        "name",
        "kind",
        "char_class",
        "special_mark",
        "nominal",
        "lsl",
        "usl",
        "unit",
        "decimals",
        "gauge_type",
        "method",
        "is_active",
    }
)
# What a characteristic specifies: lots were accepted or rejected against these, so they stay
# as they are while an approved plan checks the characteristic.
SPECIFICATION_FIELDS = ("kind", "nominal", "lsl", "usl", "unit")
LIMIT_FIELDS = ("nominal", "lsl", "usl")
MAX_DECIMALS = 6


def _require(actor: User) -> None:
    permissions.require(actor, w.MANAGE_PARTS)


def _apply(instance: models.Model, changes: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    """Set the allowed fields that really change; refuse unknown ones by name."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput([FieldError(name, "This field cannot be changed.") for name in unknown])
    changed = []
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _save(instance: models.Model, field: str, taken: str) -> None:
    """Save; two people creating the same number at once meet the database's constraint,
    which is refused on the field like the check before it."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise InvalidInput.for_field(field, taken) from None


# ----------------------------------------------------------------------------- parts


def _check_part_number(part: Part) -> str:
    taken = f"Part number {part.number} is already used."
    # Case does not make a different part on a drawing or a delivery note.
    if Part.objects.filter(number__iexact=part.number).exclude(pk=part.pk).exists():
        raise InvalidInput.for_field("number", taken)
    return taken


@audit.service
def create_part(
    *, actor: User, number: str, name: str, customer: str = "", description: str = ""
) -> Part:
    """A new part, in use; what is checked on it belongs to its revisions."""
    _require(actor)
    part = Part(
        number=(number or "").strip(),
        name=(name or "").strip(),
        customer=(customer or "").strip(),
        description=description or "",
    )
    if not part.number:
        raise InvalidInput.for_field("number", "A part needs its number.")
    taken = _check_part_number(part)
    clean_or_raise(part)
    _save(part, "number", taken)
    return part


@audit.service
def change_part(part: Part, *, actor: User, reason: str = "", **changes: Any) -> Part:
    """Change a part's details, or take it out of use (is_active=False): parts are never
    deleted, as plans, lots and nonconformances name them."""
    _require(actor)
    part = Part.objects.select_for_update().get(pk=part.pk)
    if _apply(part, changes, PART_FIELDS):
        if not part.number:
            raise InvalidInput.for_field("number", "A part needs its number.")
        taken = _check_part_number(part)
        clean_or_raise(part)
        _save(part, "number", taken)
    return part


# ----------------------------------------------------------------------------- revisions


def _document(value: Any, field: str) -> Any:
    """A controlled document given by instance or id (documents are not imported here)."""
    if value is None or value == "":
        return None
    document_model = apps.get_model("documents", "Document")
    if isinstance(value, document_model):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.for_field(field, "Give the document's id.")
    found = document_model.objects.filter(pk=value).first()
    if found is None:
        raise InvalidInput.for_field(field, f"No document with id {value}.")
    return found


def _clear_other_current(revision: PartRevision) -> None:
    """One revision of a part is current: the one just marked so."""
    for other in (
        PartRevision.objects.select_for_update()
        .filter(part_id=revision.part_id, is_current=True)
        .exclude(pk=revision.pk)
    ):
        other.is_current = False
        other.save(update_fields=["is_current"])


def _check_revision_label(revision: PartRevision) -> str:
    taken = f"{revision.part.number} already has a revision {revision.revision}."
    same = PartRevision.objects.filter(
        part_id=revision.part_id, revision__iexact=revision.revision
    ).exclude(pk=revision.pk)
    if same.exists():
        raise InvalidInput.for_field("revision", taken)
    return taken


@audit.service
def add_revision(
    part: Part,
    *,
    actor: User,
    revision: str,
    description: str = "",
    drawing: Any = None,
    is_current: bool = True,
    released_on: Any = None,
) -> PartRevision:
    """A new revision of a part's design; marked current (the default), it replaces the
    revision current so far for new inspection plans."""
    _require(actor)
    part = Part.objects.select_for_update().get(pk=part.pk)
    new = PartRevision(
        part=part,
        revision=(revision or "").strip(),
        description=(description or "").strip(),
        drawing=_document(drawing, "drawing"),
        is_current=bool(is_current),
        released_on=released_on,
    )
    if not new.revision:
        raise InvalidInput.for_field("revision", "A revision needs its letter or number.")
    taken = _check_revision_label(new)
    clean_or_raise(new)
    _save(new, "revision", taken)
    if new.is_current:
        _clear_other_current(new)
    return new


@audit.service
def change_revision(revision: PartRevision, *, actor: User, **changes: Any) -> PartRevision:
    """Change a revision's details; marking it current clears the others."""
    _require(actor)
    revision = PartRevision.objects.select_for_update().select_related("part").get(pk=revision.pk)
    if "drawing" in changes:
        changes["drawing"] = _document(changes["drawing"], "drawing")
    if _apply(revision, changes, REVISION_FIELDS):
        if not revision.revision:
            raise InvalidInput.for_field("revision", "A revision needs its letter or number.")
        taken = _check_revision_label(revision)
        clean_or_raise(revision)
        _save(revision, "revision", taken)
        if revision.is_current:
            _clear_other_current(revision)
    return revision


# ----------------------------------------------------------------------------- characteristics


def _check_specification(ch: Characteristic) -> None:
    """The kind decides what a characteristic carries: a measured (variable) one at least
    one limit, ordered, with the nominal between them; a pass/fail or a defect count none."""
    for name in LIMIT_FIELDS:
        value = getattr(ch, name)
        if value is not None and not math.isfinite(value):
            raise InvalidInput.for_field(name, "Give a finite number.")
    if ch.kind == CharacteristicKind.VARIABLE:
        if ch.lsl is None and ch.usl is None:
            raise InvalidInput.for_field(
                "usl", "A measured characteristic needs at least one specification limit."
            )
        if ch.lsl is not None and ch.usl is not None and not ch.lsl < ch.usl:
            raise InvalidInput.for_field(
                "usl", f"The upper limit ({ch.usl:g}) must be above the lower ({ch.lsl:g})."
            )
        if ch.nominal is not None:
            if ch.lsl is not None and ch.nominal < ch.lsl:
                raise InvalidInput.for_field(
                    "nominal", f"The nominal {ch.nominal:g} is below the lower limit {ch.lsl:g}."
                )
            if ch.usl is not None and ch.nominal > ch.usl:
                raise InvalidInput.for_field(
                    "nominal", f"The nominal {ch.nominal:g} is above the upper limit {ch.usl:g}."
                )
    elif ch.kind in (CharacteristicKind.ATTRIBUTE, CharacteristicKind.DEFECTS):
        for name in LIMIT_FIELDS:
            if getattr(ch, name) is not None:
                raise InvalidInput.for_field(
                    name,
                    f"A {CharacteristicKind(ch.kind).label.lower()} characteristic has no "
                    "nominal or limits; only a measured (variable) one does.",
                )
    else:
        raise InvalidInput.for_field(
            "kind", f"Unknown kind '{ch.kind}': use {', '.join(CharacteristicKind.values)}."
        )
    decimals = ch.decimals
    if (
        isinstance(decimals, bool)
        or not isinstance(decimals, int)
        or not (0 <= decimals <= MAX_DECIMALS)
    ):
        raise InvalidInput.for_field(
            "decimals", f"Decimals run from 0 to {MAX_DECIMALS} (what a gauge resolves)."
        )


def _check_characteristic_number(ch: Characteristic) -> str:
    taken = f"Revision {ch.revision.revision} already has a characteristic {ch.number}."
    same = Characteristic.objects.filter(
        revision_id=ch.revision_id, number__iexact=ch.number
    ).exclude(pk=ch.pk)
    if same.exists():
        raise InvalidInput.for_field("number", taken)
    return taken


def _validate(ch: Characteristic) -> str:
    if not ch.number:
        raise InvalidInput.for_field("number", "A characteristic needs its (balloon) number.")
    _check_specification(ch)
    taken = _check_characteristic_number(ch)
    clean_or_raise(ch)
    return taken


def approved_plan_checking(ch: Characteristic) -> InspectionPlan | None:
    """The approved inspection plan that checks this characteristic, if any."""
    return (
        InspectionPlan.objects.filter(items__characteristic=ch, state=w.PlanState.APPROVED)
        .order_by("pk")
        .first()
    )


@audit.service
def add_characteristic(
    revision: PartRevision, *, actor: User, number: str, name: str, kind: str, **fields: Any
) -> Characteristic:
    """What is checked on a part revision (a drawing balloon) and its specification."""
    _require(actor)
    extra = sorted(set(fields) - CHARACTERISTIC_FIELDS)
    if extra:
        raise InvalidInput([FieldError(n, "No such field.") for n in extra])
    if "method" in fields:
        fields["method"] = _document(fields["method"], "method")
    ch = Characteristic(
        revision=PartRevision.objects.select_related("part").get(pk=revision.pk),
        number=(number or "").strip(),
        name=(name or "").strip(),
        kind=kind,
    )
    for key, value in fields.items():
        setattr(ch, key, value.strip() if isinstance(value, str) else value)
    taken = _validate(ch)
    _save(ch, "number", taken)
    return ch


@audit.service
def change_characteristic(
    characteristic: Characteristic, *, actor: User, **changes: Any
) -> Characteristic:
    """Change a characteristic, or take it out of use (is_active=False). Its specification
    (kind, nominal, limits, unit) stays fixed while an approved plan checks it: revise the
    part instead."""
    _require(actor)
    ch = (
        Characteristic.objects.select_for_update()
        .select_related("revision__part")
        .get(pk=characteristic.pk)
    )
    if "method" in changes:
        changes["method"] = _document(changes["method"], "method")
    changed = _apply(ch, changes, CHARACTERISTIC_FIELDS)
    if not changed:
        return ch
    specification = [name for name in SPECIFICATION_FIELDS if name in changed]
    if specification:
        plan = approved_plan_checking(ch)
        if plan is not None:
            raise Conflict(
                f"{ch.number} {ch.name} is checked by the approved inspection plan "
                f"{plan.number}: its {', '.join(specification)} cannot change. Revise the "
                f"part (add a revision of {ch.revision.part.number} with the new "
                "specification) and revise the plan for it.",
                errors=[FieldError(name, "Fixed by an approved plan.") for name in specification],
            )
    taken = _validate(ch)
    _save(ch, "number", taken)
    return ch


# ----------------------------------------------------------------------------- reading


def parts_listed() -> models.QuerySet[Part]:
    """Parts with their current revision's label, in one query whatever the page size."""
    current = PartRevision.objects.filter(part=models.OuterRef("pk"), is_current=True)
    return Part.objects.annotate(
        current_revision=models.Subquery(current.order_by("-pk").values("revision")[:1])
    ).order_by("number", "pk")


def characteristics_listed() -> models.QuerySet[Characteristic]:
    """Characteristics with their revision and part at hand (no query per row)."""
    return Characteristic.objects.select_related("revision__part").order_by(
        "revision__part__number", "revision__revision", "number", "pk"
    )


def search_parts(queryset: models.QuerySet[Part], text: str) -> models.QuerySet[Part]:
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(
        models.Q(number__icontains=text)
        | models.Q(name__icontains=text)
        | models.Q(customer__icontains=text)
    )


def current_revision(part: Part) -> PartRevision | None:
    """The revision new plans are written for (the latest marked current)."""
    return part.revisions.filter(is_current=True).order_by("-pk").first()


__all__ = [
    "add_characteristic",
    "add_revision",
    "approved_plan_checking",
    "change_characteristic",
    "change_part",
    "change_revision",
    "characteristics_listed",
    "create_part",
    "current_revision",
    "parts_listed",
    "search_parts",
]
