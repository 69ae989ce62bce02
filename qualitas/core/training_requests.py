"""Training another module asks for: a change request's training impact names who must read
which documents once the change is carried out. The training module, when installed, declares
in its `Module(training_assigner=…)` the function that assigns one reading; the asking module
calls `assign` here and never imports training (the two are independent siblings).

The assigner's contract is the training module's one-off assignment:
`assigner(*, actor, person, document_number, due_on)` returns the training record (a quality
record) it opened for the revision of that document in force, and
`assigner(*, actor, person, course_code, due_on)` the one for a course (a change to a
machine trains its operators on a course, not a document), refusing with the core's errors
(PermissionDenied when the actor may not assign training to that person, InvalidInput when the
document has no revision in force or the course is unknown); `assigner.unknown_courses(codes)`
says which codes it does not keep. Asking twice is the caller's to avoid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from qualitas.core.errors import Conflict

if TYPE_CHECKING:
    from qualitas.core.models import User
    from qualitas.core.signatures import SignatureToken

Assigner = Callable[..., Any]

ASSIGNERS: list[Assigner] = []


def register(assigner: Assigner) -> None:
    """Declared through a module's `training_assigner=`; modules.install calls this."""
    if assigner not in ASSIGNERS:
        ASSIGNERS.append(assigner)


def available() -> bool:
    """Whether an installed module assigns training when asked."""
    return bool(ASSIGNERS)


def assign(
    *, actor: User, person: User, due_on: date, document_number: str = "", course_code: str = ""
) -> Any:
    """Ask the training module to have `person` read the revision of `document_number` in
    force, or take the course `course_code`, due on `due_on`; the training record it opened."""
    if not ASSIGNERS:
        raise Conflict("No installed module assigns training: assign it in the training module.")
    if course_code:
        return ASSIGNERS[0](actor=actor, person=person, course_code=course_code, due_on=due_on)
    return ASSIGNERS[0](actor=actor, person=person, document_number=document_number, due_on=due_on)


def unknown_courses(codes: Iterable[str]) -> list[str]:
    """Of these course codes, those the training module does not keep (all of them when no
    module assigns training, or its assigner cannot tell)."""
    codes = list(codes)
    tell = getattr(ASSIGNERS[0], "unknown_courses", None) if ASSIGNERS else None
    return list(tell(codes)) if tell is not None else codes


# --- Read and understood ---------------------------------------------------------------------
# The documents module decides who must read a revision in force (its audience by role and
# department) and shows who has; the training module keeps each reading as a training record
# (one kind of training, so a person on a revision's audience and on a curriculum for the same
# document is asked once). Documents reaches the records only through this register.


@dataclass(frozen=True)
class Reading:
    """One person's reading of one revision, in the documents module's words."""

    record_id: int  # the training record
    record_number: str
    document_id: int
    document_number: str
    revision_id: int
    revision_label: str
    title: str
    person_id: int
    person_name: str
    department: str
    # pending (asked, not signed), acknowledged (signed read and understood), withdrawn.
    state: str
    due_on: date | None
    acknowledged_at: datetime | None
    signature_id: int | None
    url: str


@dataclass(frozen=True)
class ReadingSummary:
    total: int = 0
    done: int = 0
    pending: int = 0
    overdue: int = 0


class ReadingRegister(Protocol):
    def ask(
        self,
        *,
        document_id: int,
        revision_id: int,
        people: Iterable[User],
        due_on: date,
        actor: User,
    ) -> int:
        """Ask these people to read the revision in force; the number newly asked. Whoever
        already read it or is already asked is not asked again."""

    def withdraw(self, *, revision_id: int, actor: User, reason: str) -> int:
        """Nobody need read this revision any more: open requests are cancelled."""

    def readings(self, *, revision_id: int) -> list[Reading]:
        """Everyone asked to read the revision, withdrawn requests included."""

    def summary(self, *, revision_id: int) -> ReadingSummary: ...

    def completion(self, *, revision_ids: Any) -> ReadingSummary:
        """Totals over revisions (ids, or a query of them), withdrawn requests left out."""

    def pending_for(self, person: User) -> list[Reading]: ...

    def done_for(
        self, person: User, *, limit: int = 50, revision_id: int | None = None
    ) -> list[Reading]:
        """The person's signed readings, newest first (of one revision, when named)."""

    def acknowledge(self, *, revision_id: int, actor: User, signature: SignatureToken) -> Reading:
        """The reader signs read and understood; NotFound when they were not asked."""


REGISTERS: list[ReadingRegister] = []


def register_reading(register_: ReadingRegister) -> None:
    """Declared through a module's `reading_register=`; modules.install calls this."""
    if register_ not in REGISTERS:
        REGISTERS.append(register_)


def reading_register() -> ReadingRegister | None:
    """The installed register of readings; None: nobody is asked to read anything."""
    return REGISTERS[0] if REGISTERS else None
