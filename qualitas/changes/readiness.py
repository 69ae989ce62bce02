"""What a change request still lacks before its next step: unanswered impact items, the
board's outstanding approvals, open actions, revisions not yet effective. Pure reads,
shared by the workflow's guards, the services and the pages."""

from __future__ import annotations

from itertools import permutations
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from qualitas.changes import checklists
from qualitas.core import actions, records
from qualitas.core.models import LinkKind, RecordLink, RoleAssignment

if TYPE_CHECKING:
    from qualitas.changes.models import ChangeRequest
    from qualitas.core.models import Signature

# The board's votes are transitions signed with the password: approvals while the change
# waits in board review, or afterwards for an emergency change implemented first.
APPROVALS = ("board_approve", "approve_retrospectively")
REJECTION = "board_reject"
# A revision implements the change once it is in force (or was, and is superseded since).
IN_FORCE = ("effective", "superseded")
REVISION_TYPE = "docrevision"


def missing_items(cr: ChangeRequest) -> list[str]:
    """The checklist items of the change's type that are not answered yet."""
    answered = {answer.item for answer in cr.impact_answers.all()}
    return [
        checklists.ITEMS[item][0]
        for item in checklists.checklist(cr.change_type)
        if item not in answered
    ]


def board_roles(cr: ChangeRequest, people: set[int] | None = None) -> dict[int, set[str]]:
    """The board roles each active person holds where the change belongs."""
    board = checklists.board(cr.change_type)
    held = RoleAssignment.objects.filter(role__code__in=board.roles, user__is_active=True).filter(
        Q(site__isnull=True) | Q(site_id=cr.site_id)
    )
    if people is not None:
        held = held.filter(user_id__in=people)
    roles: dict[int, set[str]] = {}
    for user_id, code in held.values_list("user_id", "role__code"):
        roles.setdefault(user_id, set()).add(code)
    return roles


def board_members(cr: ChangeRequest) -> set[int]:
    """Who may vote on the change: holders of a role its board asks for, at its site."""
    return set(board_roles(cr))


def votes(cr: ChangeRequest) -> list[Signature]:
    return [s for s in cr.signatures.all() if s.transition in (*APPROVALS, REJECTION)]


def board_outstanding(cr: ChangeRequest) -> str | None:
    """What the board's rule still needs, or None once every role it asks for has approved
    (each by a different person) and the minimum number of approvals is reached."""
    board = checklists.board(cr.change_type)
    approvers = {s.signer_id for s in votes(cr) if s.transition in APPROVALS}
    roles = board_roles(cr, approvers)
    covered = _covering(board.roles, roles)
    missing = [checklists.role_name(r) for r in board.roles if r not in covered]
    needs = []
    if missing:
        needs.append(f"the approval of {' and '.join(missing)}")
    if len(approvers) < board.minimum:
        needs.append(f"{board.minimum} approvals ({len(approvers)} so far)")
    return f"The change board needs {' and '.join(needs)}." if needs else None


def _covering(wanted: tuple[str, ...], roles: dict[int, set[str]]) -> set[str]:
    """The most roles that distinct approvers can stand for (one role per person)."""
    people = list(roles)
    best: set[str] = set()
    for size in range(min(len(wanted), len(people)), 0, -1):
        for chosen in permutations(people, size):
            for order in permutations(wanted, size):
                covered = {
                    role
                    for person, role in zip(chosen, order, strict=True)
                    if role in roles[person]
                }
                if len(covered) > len(best):
                    best = covered
                    if len(best) == len(wanted):
                        return best
        if best:
            return best
    return best


def linked_revisions(cr: ChangeRequest) -> list[Any]:
    """Document revisions that implement the change (linked `implements` to it)."""
    model = records.RECORD_TYPES[REVISION_TYPE].model
    ids = RecordLink.objects.filter(
        kind=LinkKind.IMPLEMENTS,
        target_type=ContentType.objects.get_for_model(type(cr)),
        target_id=cr.pk,
        source_type=ContentType.objects.get_for_model(model),
        removed_at__isnull=True,
    ).values_list("source_id", flat=True)
    return list(model.objects.filter(pk__in=list(ids)).order_by("number"))


def plan_unfinished(cr: ChangeRequest) -> list[str]:
    """Each open action and each revision not yet in force, named, in one list."""
    open_actions = [
        f"action '{a.title}' ({a.assignee.printed_name if a.assignee else a.department}, "
        f"due {a.due_on:%Y-%m-%d}) is open"
        for a in actions.open_actions_of(cr).order_by("due_on", "id")
    ]
    revisions = [
        f"{r.number} is {r.get_state_display().lower()}, not effective"
        for r in linked_revisions(cr)
        if r.state not in IN_FORCE
    ]
    return open_actions + revisions
