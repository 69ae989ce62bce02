"""A CAPA's action carried out by a change request: "action 'Revise the torque SOP' of
CAPA-2026-0003 is implemented by CR-2026-0007". The action's row says which change; a
record link `CR implements CAPA` shows it in both records' links. When the change is
verified and closed its actions are marked done (or, where the verifier may not complete
them, their people are told to); the CAPA's page shows the change's state beside each.

The CAPA module knows nothing of changes: the notes beside its actions come through the
core's registry (`Module(action_notes=…)`), the actions through the core's services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from qualitas.changes import workflows as w
from qualitas.changes.models import ChangeRequest, ImplementedAction
from qualitas.core import actions, audit, links, notifications, records
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import ActionState, LinkKind, RecordLink
from qualitas.core.registry import ActionNote

if TYPE_CHECKING:
    from qualitas.core.models import ActionItem, User

# Whose actions a change request may implement.
ACTION_RECORD_TYPES = ("capa",)
# A change that will not happen any more implements nothing new.
ENDED = (w.State.CLOSED, w.State.REJECTED, w.State.WITHDRAWN)


def _change_url(cr: ChangeRequest) -> str:
    return f"/{records.type_of(cr).resource}/{cr.pk}/"


def _has_link(cr: ChangeRequest, record: Any) -> bool:
    return RecordLink.objects.filter(
        source_type=ContentType.objects.get_for_model(type(cr)),
        source_id=cr.pk,
        target_type=ContentType.objects.get_for_model(type(record)),
        target_id=record.pk,
        kind=LinkKind.IMPLEMENTS,
        removed_at__isnull=True,
    ).exists()


def require_linkable(actor: User, action: ActionItem, record: Any) -> None:
    """Whether the actor may say what implements this action: an open action of a CAPA
    they may edit."""
    if records.type_of(record).key not in ACTION_RECORD_TYPES:
        raise InvalidInput.for_field(
            "action", "Only the actions of a CAPA are implemented by a change request."
        )
    if action.state != ActionState.OPEN:
        raise InvalidInput.for_field(
            "action", f"The action '{action.title}' is {action.get_state_display().lower()}."
        )
    if not records.may_edit(actor, record):
        raise PermissionDenied(
            f"Only the owner of {record.number} or a CAPA editor may say what implements "
            "its actions."
        )


def require_link(actor: User, cr: ChangeRequest, action: ActionItem, record: Any) -> None:
    """The refusals of `implement_action`, before anything is written."""
    require_linkable(actor, action, record)
    if cr.state in ENDED:
        raise Conflict(
            f"{cr.number} is {cr.get_state_display()}: choose a change request still open."
        )


@audit.service
def implement_action(cr: ChangeRequest, *, actor: User, action_id: int) -> ImplementedAction:
    """Say that the change carries out an open action of a CAPA (linked `implements` to
    the CAPA); the action is done when the change is verified and closed."""
    action, record = actions.visible_action(actor, action_id)
    records.get_visible(actor, records.type_of(cr), cr.pk)
    require_link(actor, cr, action, record)
    row = ImplementedAction(action=action, change_request=cr, linked_by=actor)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        current = ImplementedAction.objects.select_related("change_request").get(
            action=action, removed_at__isnull=True
        )
        raise Conflict(
            f"The action '{action.title}' is implemented by {current.change_request.number} "
            "already."
        ) from None
    if not _has_link(cr, record):
        links.add(cr, actor=actor, target=record, kind=LinkKind.IMPLEMENTS)
    return row


@audit.service
def withdraw_implementation(row: ImplementedAction, *, actor: User, reason: str) -> Any:
    """Take back a link made in error; it stays in the history."""
    record = actions.record_of(row.action)
    if row.removed_at is not None:
        raise Conflict("This link was withdrawn already.")
    if not records.may_edit(actor, record):
        raise PermissionDenied(
            f"Only the owner of {record.number} or a CAPA editor may change what implements "
            "its actions."
        )
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the link is withdrawn.")
    row.removed_at = timezone.now()
    row.removed_by = actor
    row.removal_reason = reason.strip()
    row.save()
    return row


def implementing(cr: ChangeRequest) -> list[ImplementedAction]:
    """The actions the change carries out, with their records' numbers (for its page)."""
    rows = list(
        cr.implemented_actions.filter(removed_at__isnull=True).select_related(
            "action", "action__assignee", "action__object_type"
        )
    )
    for row in rows:
        record = actions.record_of(row.action)
        row.record = record
        row.record_url = f"/{records.type_of(record).resource}/{record.pk}/"
    return rows


def complete_on_close(cr: ChangeRequest, actor: User, comment: str) -> None:
    """What closing the change brings: the actions it implemented are done, by the verifier
    where they may complete them; otherwise their people are asked to mark them done."""
    for row in implementing(cr):
        action = row.action
        if action.state != ActionState.OPEN:
            continue
        record = row.record  # type: ignore[attr-defined]
        note = f"Implemented by {cr.number} ({cr.title}), verified and closed: {comment}"
        if actions.may_complete(actor, action, record):
            actions.complete(action, actor=actor, note=note[:2000])
            continue
        for person in {p.pk: p for p in (action.assignee, record.owner) if p is not None}.values():
            notifications.notify(
                person,
                title=f"{cr.number} is closed: mark '{action.title}' of {record.number} done",
                body=note,
                url=notifications.action_url(action),
                email=True,
            )


def tell_not_implemented(cr: ChangeRequest, actor: User, comment: str) -> None:
    """A change rejected or withdrawn will not carry out its actions: their people hear it."""
    for row in implementing(cr):
        action, record = row.action, row.record  # type: ignore[attr-defined]
        if action.state != ActionState.OPEN:
            continue
        for person in {p.pk: p for p in (action.assignee, record.owner) if p is not None}.values():
            if person.pk == actor.pk:
                continue
            notifications.notify(
                person,
                title=f"{cr.number} will not implement '{action.title}' of {record.number}",
                body=f"{cr.number} is {cr.get_state_display().lower()}: {comment}",
                url=notifications.action_url(action),
                email=True,
            )


def action_notes(record: Any, shown: Sequence[Any], viewer: User) -> dict[int, list[ActionNote]]:
    """Beside each action of a CAPA: the change request implementing it and its state (if
    the viewer may see it), or, for those who may edit the CAPA, a way to name one."""
    ids = [a.pk for a in shown]
    rows = ImplementedAction.objects.filter(action_id__in=ids, removed_at__isnull=True).values_list(
        "action_id", "change_request_id"
    )
    by_action = dict(rows)
    visible = {
        cr.pk: cr
        for cr in records.visible_to(viewer, records.type_of(ChangeRequest)).filter(
            pk__in=set(by_action.values())
        )
    }
    may_edit = records.may_edit(viewer, record)
    notes: dict[int, list[ActionNote]] = {}
    for action in shown:
        cr = visible.get(by_action.get(action.pk, 0))
        if cr is not None:
            notes[action.pk] = [
                ActionNote(
                    f"Implemented by {cr.number} {cr.title}",
                    _change_url(cr),
                    cr.get_state_display(),
                )
            ]
        elif action.pk not in by_action and may_edit and action.state == ActionState.OPEN:
            notes[action.pk] = [
                ActionNote(
                    "Implemented by a change request…",
                    reverse("changes:implement_action", args=[action.pk]),
                )
            ]
    return notes
