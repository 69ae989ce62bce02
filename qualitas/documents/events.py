"""What document control announces (other modules subscribe in their module.py)."""

from __future__ import annotations

from dataclasses import dataclass

from qualitas.core.events import Event


@dataclass(frozen=True)
class RevisionBecameEffective(Event):
    """An approved revision is now the one people work to; `superseded_id` is the revision
    it replaced, if any. Training (read and understood) reacts to it."""

    revision_id: int
    document_id: int
    number: str
    superseded_id: int | None
    actor_id: int
