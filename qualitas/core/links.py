"""Typed links between records, shown on both sides ("NC-2026-0004 escalated to CAPA-2026-0002")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q

from qualitas.core import audit, records
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import LinkKind, RecordLink

if TYPE_CHECKING:
    from qualitas.core.models import QualityRecord, User


@dataclass(frozen=True)
class LinkView:
    """A link as seen from one of its two records."""

    link: RecordLink
    phrase: str
    other: Any
    outgoing: bool
    other_resource: str


@audit.service
def add(
    source: QualityRecord, *, actor: User, target: QualityRecord, kind: str, note: str = ""
) -> RecordLink:
    """Link two records (source <kind> target)."""
    if kind not in LinkKind.values:
        raise InvalidInput.for_field("kind", f"Unknown link kind '{kind}'.")
    if not records.may_link(actor, source):
        raise PermissionDenied(f"You may not add links to {source.number}.")
    # Linking must not reveal, or depend on, a record the actor may not see.
    records.get_visible(actor, records.type_of(target), target.pk)
    if type(source) is type(target) and source.pk == target.pk:
        raise InvalidInput.for_field("target", "A record cannot be linked to itself.")
    link = RecordLink(
        source_type=ContentType.objects.get_for_model(type(source)),
        source_id=source.pk,
        target_type=ContentType.objects.get_for_model(type(target)),
        target_id=target.pk,
        kind=kind,
        note=note,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError:
        raise Conflict(f"{source.number} is already linked to {target.number} that way.") from None
    return link


@audit.service
def remove(link: RecordLink, *, actor: User, reason: str) -> RecordLink:
    """Withdraw a link made in error; it stays in both records' histories."""
    from django.utils import timezone

    source: Any = link.source_type.get_object_for_this_type(pk=link.source_id)
    if not records.may_link(actor, source):
        raise PermissionDenied(f"You may not change the links of {source.number}.")
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the link is removed.")
    link.removed_at = timezone.now()
    link.removed_by = actor
    link.removal_reason = reason
    link.save()
    return link


_INVERSE = {
    LinkKind.CAUSED_BY: "caused",
    LinkKind.ADDRESSED_BY: "addresses",
    LinkKind.VERIFIES: "is verified by",
    LinkKind.REFERENCES: "is referenced by",
    LinkKind.SUPERSEDES: "is superseded by",
    LinkKind.RAISED_FROM: "gave rise to",
    LinkKind.ESCALATED_TO: "was escalated from",
    LinkKind.IMPLEMENTS: "is implemented by",
    LinkKind.EVIDENCE_FOR: "has evidence",
    LinkKind.AFFECTS: "is affected by",
}


def links_of(record: QualityRecord, *, viewer: User) -> list[LinkView]:
    """Both directions, hiding records the viewer may not see."""
    own_type = ContentType.objects.get_for_model(type(record))
    rows = RecordLink.objects.filter(
        Q(source_type=own_type, source_id=record.pk) | Q(target_type=own_type, target_id=record.pk),
        removed_at__isnull=True,
    ).select_related("source_type", "target_type", "created_by")
    views = []
    for link in rows:
        outgoing = link.source_type_id == own_type.pk and link.source_id == record.pk
        other_type, other_id = (
            (link.target_type, link.target_id) if outgoing else (link.source_type, link.source_id)
        )
        model = other_type.model_class()
        try:
            other_record_type = records.type_of(model)
        except LookupError:
            continue
        other = records.visible_to(viewer, other_record_type).filter(pk=other_id).first()
        if other is None:
            continue
        phrase = LinkKind(link.kind).label if outgoing else _INVERSE[LinkKind(link.kind)]
        views.append(LinkView(link, phrase, other, outgoing, other_record_type.resource))
    return views


def linked(record: QualityRecord, *, kind: str, model: type[Any]) -> list[Any]:
    """Records of `model` this record links to with `kind` (for module code)."""
    ids = RecordLink.objects.filter(
        source_type=ContentType.objects.get_for_model(type(record)),
        source_id=record.pk,
        kind=kind,
        target_type=ContentType.objects.get_for_model(model),
        removed_at__isnull=True,
    ).values_list("target_id", flat=True)
    return list(model.objects.filter(pk__in=list(ids)))


def linking_to(record_type_key: str, record_id: int, *, kind: str, model: type[Any]) -> list[Any]:
    """Records of `model` that link to the given record with `kind` (for a module reacting
    to another module's event, which names the record by type and id)."""
    from qualitas.core import records

    target_model = records.RECORD_TYPES[record_type_key].model
    ids = RecordLink.objects.filter(
        source_type=ContentType.objects.get_for_model(model),
        kind=kind,
        target_type=ContentType.objects.get_for_model(target_model),
        target_id=record_id,
        removed_at__isnull=True,
    ).values_list("source_id", flat=True)
    return list(model.objects.filter(pk__in=list(ids)).select_related("owner"))
