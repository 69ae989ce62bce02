"""Who may do what to CAPAs, beyond the 8D workflow's own transitions: one named rule per
decision. The services enforce them (`require_…`), the pages use the same predicates to show
or hide a control, and the API calls the `require_…` functions. Rules about a CAPA are
decided at its site. The rule book reads top to bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualitas.capa import workflows as w
from qualitas.core import permissions, records
from qualitas.core.errors import Conflict, PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from qualitas.capa.models import Capa
    from qualitas.core.models import User


def may_work_on(user: User, capa: Capa) -> bool:
    """The team, the 5 Whys and the fishbone of an open CAPA are worked on by its owner or a
    CAPA editor at its site."""
    return records.may_edit(user, capa)


def require_work_on(user: User, capa: Capa) -> None:
    if not may_work_on(user, capa):
        # A closed or cancelled CAPA is final for everyone: say so rather than "not you".
        if capa.state in w.WORKFLOW.locked_states:
            raise records.RecordLocked(f"{capa.number} is {capa.get_state_display()}.")
        raise PermissionDenied(f"You may not change {capa.number}.")


def _owner_or_editor(user: User, capa: Capa) -> bool:
    return capa.owner_id == user.pk or records.has_perm_for(user, w.EDIT, capa)


def may_record_effectiveness(user: User, capa: Capa) -> bool:
    """The effectiveness check is recorded at its own step, once the actions are implemented,
    by the CAPA's owner or a CAPA editor at its site (closing is the quality manager's
    signature, separately)."""
    return capa.state == w.State.EFFECTIVENESS and _owner_or_editor(user, capa)


def require_record_effectiveness(user: User, capa: Capa) -> None:
    if not _owner_or_editor(user, capa):
        raise PermissionDenied(
            f"Only the owner of {capa.number} or a CAPA editor at its site may record its "
            "effectiveness check."
        )
    if capa.state != w.State.EFFECTIVENESS:
        raise Conflict(
            f"{capa.number} is {capa.get_state_display()}: the effectiveness check is recorded "
            "at the Effectiveness check step, after the actions are implemented."
        )


def may_see_metrics(user: User | AnonymousUser) -> bool:
    """CAPA metrics (ageing, on-time closure, effectiveness) are for anyone who may see CAPAs
    somewhere; the figures count only the CAPAs they may see."""
    return permissions.has_perm(user, w.VIEW)


def require_see_metrics(user: User | AnonymousUser) -> None:
    if not may_see_metrics(user):
        permissions.require(user, w.VIEW)
