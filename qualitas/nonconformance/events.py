"""What the nonconformance module announces (other modules subscribe in their module.py)."""

from __future__ import annotations

from dataclasses import dataclass

from qualitas.core.events import Event


@dataclass(frozen=True)
class NonconformanceRaised(Event):
    """A nonconformance was recorded (from a page, the API, the CLI or another module)."""

    nonconformance_id: int
    number: str
    title: str
    severity: str
    site_id: int | None
    actor_id: int
