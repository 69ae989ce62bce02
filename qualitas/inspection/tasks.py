"""Celery tasks of inspection: a thin wrapper around a long recalculation (a characteristic's
baseline frozen over a long history), so the request does not wait for it."""

from __future__ import annotations

from celery import shared_task

from qualitas.inspection import live


@shared_task(name=live.FREEZE_TASK)  # type: ignore[untyped-decorator] # celery has no types
def freeze_baseline(characteristic_id: int, actor_id: int, reason: str, points: int | None) -> int:
    """Frozen by the worker in the requester's name, with the reason they gave."""
    return live.freeze_from_task(characteristic_id, actor_id, reason, points)
