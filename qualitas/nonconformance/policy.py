"""Who may do what to nonconformances, beyond the workflow's own transitions: one named rule
per decision. The services enforce them (`require_…`), the pages use the same predicates to
show or hide a control, and the API calls the `require_…` functions. Rules about a record are
decided at the record's site. The rule book reads top to bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualitas.core import permissions, records
from qualitas.core.errors import PermissionDenied
from qualitas.nonconformance import workflows as w
from qualitas.nonconformance.workflows import State

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from qualitas.core.models import User
    from qualitas.nonconformance.models import Nonconformance

    Person = User | AnonymousUser


def _works_on(user: User, nc: Nonconformance) -> bool:
    # Whoever may edit the NC (its owner, an NC editor at its site, while it is not closed or
    # cancelled) or may decide dispositions at its site handles its costs and escalation.
    return records.may_edit(user, nc) or permissions.has_perm(user, w.DISPOSE, site=nc.site)


def may_decide_disposition(user: User, nc: Nonconformance) -> bool:
    """The material review board decides the disposition: the disposition right at the NC's site."""
    return permissions.has_perm(user, w.DISPOSE, site=nc.site)


def require_decide_disposition(user: User, nc: Nonconformance) -> None:
    if not may_decide_disposition(user, nc):
        permissions.require(user, w.DISPOSE, site=nc.site)


def may_record_costs(user: User, nc: Nonconformance) -> bool:
    """Costs of poor quality are recorded by whoever works on the NC or decides its disposition."""
    return _works_on(user, nc)


def require_record_costs(user: User, nc: Nonconformance) -> None:
    if not may_record_costs(user, nc):
        raise PermissionDenied(f"You may not record costs on {nc.number}.")


def may_remove_costs(user: User, nc: Nonconformance) -> bool:
    """A cost line entered in error is taken back by whoever may record costs on the NC."""
    return may_record_costs(user, nc)


def require_remove_costs(user: User, nc: Nonconformance) -> None:
    if not may_remove_costs(user, nc):
        raise PermissionDenied(f"You may not change the costs of {nc.number}.")


def may_escalate(user: User, nc: Nonconformance) -> bool:
    """A live NC is escalated to a CAPA by whoever works on it or decides its disposition."""
    return nc.state != State.CANCELLED and _works_on(user, nc)


def require_escalate(user: User, nc: Nonconformance) -> None:
    if not may_escalate(user, nc):
        if nc.state == State.CANCELLED and _works_on(user, nc):
            raise PermissionDenied(f"You may not escalate {nc.number}: it is cancelled.")
        raise PermissionDenied(f"You may not escalate {nc.number}.")


def may_see_escalation_candidates(user: Person) -> bool:
    """NCs the rules say should become CAPAs are shown to those who work on any NC."""
    return permissions.has_perm(user, w.EDIT)


def may_see_analysis(user: Person) -> bool:
    """Pareto and trends are for anyone who may see nonconformances somewhere."""
    return permissions.has_perm(user, w.VIEW)


def require_see_analysis(user: Person) -> None:
    if not may_see_analysis(user):
        permissions.require(user, w.VIEW)


def may_see_defect_codes(user: Person) -> bool:
    """The defect taxonomy is read by anyone who may see nonconformances somewhere."""
    return permissions.has_perm(user, w.VIEW)


def require_see_defect_codes(user: Person) -> None:
    if not may_see_defect_codes(user):
        permissions.require(user, w.VIEW)


def may_manage_defect_codes(user: Person) -> bool:
    """The defect taxonomy is maintained by those who hold the taxonomy right (quality managers)."""
    return permissions.has_perm(user, w.MANAGE_TAXONOMY)


def require_manage_defect_codes(user: Person) -> None:
    if not may_manage_defect_codes(user):
        permissions.require(user, w.MANAGE_TAXONOMY)
