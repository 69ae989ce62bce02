"""What the CAPA module announces (other modules subscribe in their module.py)."""

from __future__ import annotations

from dataclasses import dataclass

from qualitas.core.events import Event


@dataclass(frozen=True)
class CapaClosed(Event):
    """A CAPA was closed: its actions done and found effective, signed by quality."""

    capa_id: int
    number: str
    actor_id: int
