"""Action items on any record: assign, complete with a note and evidence, cancel."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone

from qualitas.core import audit, events, notifications, records
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import ActionItem, ActionState
from qualitas.core.validation import clean_or_raise

if TYPE_CHECKING:
    from qualitas.core.models import Department, QualityRecord, User


def actions_of(record: QualityRecord) -> QuerySet[ActionItem]:
    """The record's actions with what their page shows, evidence files included."""
    from django.db.models import Prefetch

    from qualitas.core.models import Attachment

    current_files = Attachment.objects.filter(removed_at__isnull=True).select_related("uploaded_by")
    return (
        ActionItem.objects.filter(
            object_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        )
        .select_related("assignee", "department", "completed_by")
        .prefetch_related(Prefetch("attachments", queryset=current_files, to_attr="evidence"))
    )


def open_actions_of(record: QualityRecord) -> QuerySet[ActionItem]:
    return actions_of(record).filter(state=ActionState.OPEN)


def all_actions_done(record: QualityRecord) -> str | None:
    """A workflow guard: refuse while actions are open."""
    count = open_actions_of(record).count()
    return f"{count} action(s) are still open." if count else None


def record_of(action: ActionItem) -> Any:
    return action.object_type.get_object_for_this_type(pk=action.object_id)


@audit.service
def assign(
    record: QualityRecord,
    *,
    actor: User,
    title: str,
    due_on: date,
    assignee: User | None = None,
    department: Department | None = None,
    description: str = "",
    kind: str = "",
) -> ActionItem:
    """Give someone (or a department) something to do for this record, by a date."""
    if not records.may_edit(actor, record):
        raise PermissionDenied(f"You may not add actions to {record.number}.")
    if assignee is None and department is None:
        raise InvalidInput.for_field("assignee", "Assign the action to a person or a department.")
    if assignee is not None and not assignee.is_active:
        raise InvalidInput.for_field("assignee", f"{assignee.printed_name} is deactivated.")
    if due_on is None:
        raise InvalidInput.for_field("due_on", "An action needs a due date.")
    if due_on < timezone.localdate():
        raise InvalidInput.for_field("due_on", "The due date is in the past.")
    action = ActionItem(
        object_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        title=title,
        description=description,
        kind=kind,
        assignee=assignee,
        department=department,
        due_on=due_on,
        created_by=actor,
    )
    clean_or_raise(action)
    action.save()
    if assignee is not None and assignee.pk != actor.pk:
        notifications.notify(
            assignee,
            title=f"New action on {record.number}: {title}",
            body=f"Due {due_on:%Y-%m-%d}. {description}".strip(),
            url=notifications.action_url(action),
            email=True,
        )
    events.publish(events.ActionAssigned(action.pk, assignee.pk if assignee else None))
    return action


def may_complete(actor: User, action: ActionItem, record: Any = None) -> bool:
    """The assignee, their department (when no one is named), or whoever may edit the record."""
    if action.assignee_id == actor.pk:
        return True
    team = action.department_id
    if action.assignee_id is None and team is not None and team == actor.department_id:
        return True
    return records.may_edit(actor, record if record is not None else record_of(action))


def _finish(
    action: ActionItem, *, actor: User, state: str, note: str, field: str, ask: str
) -> ActionItem:
    """Close an open action as done or cancelled, with the words that say why."""
    if action.state != ActionState.OPEN:
        raise InvalidInput.for_field(
            "state", f"The action is already {action.get_state_display()}."
        )
    if not note.strip():
        raise InvalidInput.for_field(field, ask)
    action.state = state
    action.completed_by = actor
    action.completed_at = timezone.now()
    action.completion_note = note
    action.save()
    return action


@audit.service
def complete(action: ActionItem, *, actor: User, note: str) -> ActionItem:
    """Mark the action done, saying what was done (attach evidence to the action)."""
    if not may_complete(actor, action):
        raise PermissionDenied("Only the assignee or the record's owner may complete this action.")
    return _finish(
        action,
        actor=actor,
        state=ActionState.DONE,
        note=note,
        field="note",
        ask="Say what was done.",
    )


@audit.service
def cancel(action: ActionItem, *, actor: User, reason: str) -> ActionItem:
    """Cancel an action that is no longer needed, with the reason."""
    if not records.may_edit(actor, record_of(action)):
        raise PermissionDenied("Only the record's owner may cancel its actions.")
    return _finish(
        action,
        actor=actor,
        state=ActionState.CANCELLED,
        note=reason,
        field="reason",
        ask="Say why the action is cancelled.",
    )


def visible_action(user: User, action_id: int) -> tuple[ActionItem, Any]:
    """An action the user may see (assigned to them, or on a record they may see), and its
    record; NotFound otherwise, so its existence is not revealed."""
    from qualitas.core.errors import NotFound

    action = ActionItem.objects.select_related("object_type").filter(pk=action_id).first()
    if action is None:
        raise NotFound(f"No action with id {action_id}.")
    record = record_of(action)
    if action.assignee_id != user.pk:
        records.get_visible(user, records.type_of(record), record.pk)
    return action, record


def my_open_actions(user: User) -> QuerySet[ActionItem]:
    """Open actions assigned to me, or to my department when nobody is named."""
    from django.db.models import Q

    mine = Q(assignee=user)
    if user.department_id:
        mine |= Q(assignee__isnull=True, department_id=user.department_id)
    return (
        ActionItem.objects.filter(mine, state=ActionState.OPEN)
        .select_related("object_type", "assignee", "department")
        .order_by("due_on", "id")
    )


def is_overdue(action: ActionItem) -> bool:
    return action.state == ActionState.OPEN and action.due_on < timezone.localdate()
