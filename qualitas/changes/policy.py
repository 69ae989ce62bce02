"""Who may do what to change requests beyond the workflow's own steps: one named rule per
decision, with `require_…` twins the services enforce; the pages use the predicates to show
a control. Rules about a change are decided at its site."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualitas.changes import readiness, workflows as w
from qualitas.core import records
from qualitas.core.errors import Conflict, PermissionDenied

if TYPE_CHECKING:
    from qualitas.changes.models import ChangeRequest
    from qualitas.core.models import User

# The plan is carried out once the board approved the change, or at once in an emergency.
PLANNING = (w.State.APPROVED, w.State.IMPLEMENTING)


def still_assessed(cr: ChangeRequest) -> bool:
    """Until the board has it, the change's content and impact may change: before board
    review, or while an emergency change implemented first awaits its approval."""
    return cr.state in w.ASSESSING or (
        cr.state == w.State.IMPLEMENTING
        and cr.approval_due_on is not None
        and cr.approved_at is None
        and not cr.signatures.filter(transition__in=readiness.APPROVALS).exists()
    )


def may_assess(user: User, cr: ChangeRequest) -> bool:
    """The impact is assessed by the change's owner or a change editor at its site, until
    the board votes: what the board signs does not change under it."""
    return still_assessed(cr) and records.may_edit(user, cr)


def require_assess(user: User, cr: ChangeRequest) -> None:
    if not still_assessed(cr):
        raise Conflict(
            f"{cr.number} is {cr.get_state_display()}: its impact assessment was submitted "
            "to the change board and can no longer change."
        )
    if not records.may_edit(user, cr):
        raise PermissionDenied(f"Only the owner of {cr.number} or a change editor may assess it.")


def may_plan(user: User, cr: ChangeRequest) -> bool:
    """Revisions are started for the change by its owner or a change editor, once it is
    approved (or being implemented as an emergency)."""
    return cr.state in PLANNING and records.may_edit(user, cr)


def require_plan(user: User, cr: ChangeRequest) -> None:
    if cr.state not in PLANNING:
        raise Conflict(
            f"{cr.number} is {cr.get_state_display()}: revisions are started for an approved "
            "change or one being implemented."
        )
    if not records.may_edit(user, cr):
        raise PermissionDenied(
            f"Only the owner of {cr.number} or a change editor may start its revisions."
        )
