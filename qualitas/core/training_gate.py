"""The training gate: nobody signs work under a procedure they are not trained on.

A workflow step declares the procedures it is worked under (`Transition.works_under`:
controlled document numbers, course codes); the training module, when installed, declares
in its `Module(training_gate=…)` the checker that says which of them a person is not
currently trained on. The core knows nothing of training: with no checker registered the
gate lets everyone through (ISO 9001 7.2, ISO 13485 6.2, 21 CFR 820.25).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualitas.core.models import User


@dataclass(frozen=True)
class Gap:
    """One procedure a person may not work under yet, and why (shown in the refusal)."""

    procedure: str
    reason: str


# (person, procedures) -> the gaps; one per installed module that keeps training records.
Checker = Callable[["User", Sequence[str]], list[Gap]]

CHECKERS: list[Checker] = []


def register(checker: Checker) -> None:
    """Declared through a module's `training_gate=`; modules.install calls this."""
    if checker not in CHECKERS:
        CHECKERS.append(checker)


def missing(user: User, procedures: Sequence[str]) -> list[Gap]:
    """The training `user` lacks to work under `procedures` (none when nothing gates them)."""
    wanted = [p for p in dict.fromkeys(procedures) if p]
    if not wanted:
        return []
    return [gap for checker in CHECKERS for gap in checker(user, wanted)]
