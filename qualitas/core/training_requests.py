"""Training another module asks for: a change request's training impact names who must read
which documents once the change is carried out. The training module, when installed, declares
in its `Module(training_assigner=…)` the function that assigns one reading; the asking module
calls `assign` here and never imports training (the two are independent siblings).

The assigner's contract is the training module's one-off assignment:
`assigner(*, actor, person, document_number, due_on)` returns the training record (a quality
record) it opened for the revision of that document in force, refusing with the core's errors
(PermissionDenied when the actor may not assign training to that person, InvalidInput when the
document has no revision in force). Asking twice is the caller's to avoid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qualitas.core.errors import Conflict

if TYPE_CHECKING:
    from datetime import date

    from qualitas.core.models import User

Assigner = Callable[..., Any]

ASSIGNERS: list[Assigner] = []


def register(assigner: Assigner) -> None:
    """Declared through a module's `training_assigner=`; modules.install calls this."""
    if assigner not in ASSIGNERS:
        ASSIGNERS.append(assigner)


def available() -> bool:
    """Whether an installed module assigns training when asked."""
    return bool(ASSIGNERS)


def assign(*, actor: User, person: User, document_number: str, due_on: date) -> Any:
    """Ask the training module to have `person` read the revision of `document_number` in
    force, due on `due_on`; the training record it opened."""
    if not ASSIGNERS:
        raise Conflict("No installed module assigns training: assign it in the training module.")
    return ASSIGNERS[0](actor=actor, person=person, document_number=document_number, due_on=due_on)
