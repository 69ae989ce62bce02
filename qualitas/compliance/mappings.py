"""Correspondences between requirements of two frameworks made by the organisation (its own
customer requirements onto ISO 9001 clauses, an internal policy onto ISO 27001 controls),
beside those shipped with the framework files. Shipped ones change only with their file."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from qualitas.compliance.models import Framework, Relation, Requirement, RequirementMapping
from qualitas.compliance.services import MANAGE
from qualitas.core import audit, permissions
from qualitas.core.errors import Conflict, FieldError, InvalidInput, NotFound
from qualitas.core.models import User


def _named(ref: str, field: str, errors: list[FieldError]) -> Requirement | None:
    key, _, ref_id = (ref or "").partition(":")
    key, ref_id = key.strip(), ref_id.strip()
    if not key or not ref_id:
        errors.append(FieldError(field, "Write it framework-key:ref_id, e.g. iso-9001-2015:8.4."))
        return None
    found = (
        Requirement.objects.select_related("framework")
        .filter(framework__key=key, ref_id=ref_id, retired=False)
        .first()
    )
    if found is None:
        errors.append(FieldError(field, f"No loaded framework has the requirement {key}:{ref_id}."))
    return found


@audit.service
def add_mapping(
    *, actor: User, source: str, target: str, relation: str = Relation.RELATED
) -> RequirementMapping:
    """The organisation says two requirements of different frameworks correspond (evidence
    for one is worth looking at for the other)."""
    permissions.require(actor, MANAGE)
    errors: list[FieldError] = []
    one = _named(source, "source", errors)
    other = _named(target, "target", errors)
    if relation not in Relation.values:
        errors.append(FieldError("relation", f"One of: {', '.join(Relation.values)}."))
    if one is not None and other is not None and one.framework_id == other.framework_id:
        errors.append(
            FieldError("target", "Map to another framework's requirement, not one of the same.")
        )
    if errors or one is None or other is None:
        raise InvalidInput(errors)
    held = RequirementMapping.objects.filter(
        Q(source=one, target=other) | Q(source=other, target=one)
    ).first()
    if held is not None:
        raise InvalidInput.for_field(
            "target",
            f"{one.framework.key}:{one.ref_id} and {other.framework.key}:{other.ref_id} "
            f"correspond already ({held.get_relation_display().lower()}).",
        )
    return RequirementMapping.objects.create(
        source=one, target=other, relation=relation, shipped=False, created_by=actor
    )


@audit.service
def remove_mapping(mapping: RequirementMapping, *, actor: User) -> None:
    """Remove a correspondence the organisation made (the removal stays on the trail)."""
    permissions.require(actor, MANAGE)
    if mapping.shipped:
        raise Conflict(
            "This correspondence ships with the frameworks' mapping file: it changes with a "
            "new version of that file, not by hand."
        )
    mapping.delete()


def get_mapping(pk: int) -> RequirementMapping:
    found: RequirementMapping | None = (
        RequirementMapping.objects.select_related("source__framework", "target__framework")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(f"There is no correspondence {pk}.")
    return found


def listed(*, framework: str | None = None, shipped: bool | None = None) -> QuerySet[Any]:
    """Correspondences, those touching a framework when one is named."""
    found = RequirementMapping.objects.select_related("source__framework", "target__framework")
    if framework:
        if not Framework.objects.filter(key=framework).exists():
            raise InvalidInput.for_field("framework", f"There is no framework '{framework}'.")
        found = found.filter(
            Q(source__framework__key=framework) | Q(target__framework__key=framework)
        )
    if shipped is not None:
        found = found.filter(shipped=shipped)
    return found.order_by("pk")
