"""Who may do what with SPC studies, beyond the review workflow's own transitions: one named
rule per decision. The pages and the API call the `require_…` functions before they work;
raising the study itself is checked once more, at its site, by the core's record service.
The rule book reads top to bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qualitas.core import permissions
from qualitas.studies import workflows as w

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from qualitas.core.models import User

    Person = User | AnonymousUser


def may_record_studies(user: Person) -> bool:
    """A study (measurements, chart, capability) is recorded by those who record SPC studies
    somewhere; which site it belongs to is then checked when it is saved."""
    return permissions.has_perm(user, w.CREATE)


def require_record_studies(user: Person) -> None:
    if not may_record_studies(user):
        permissions.require(user, w.CREATE)


def may_try_analysis(user: Person) -> bool:
    """Analysing measurements without keeping them is open to anyone who may see SPC studies."""
    return permissions.has_perm(user, w.VIEW)


def require_try_analysis(user: Person) -> None:
    if not may_try_analysis(user):
        permissions.require(user, w.VIEW)
