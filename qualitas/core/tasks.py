"""Celery tasks: thin wrappers that run the same periodic jobs `qualitas tick` runs."""

from __future__ import annotations

from celery import shared_task

from qualitas.core import jobs


@shared_task(name="qualitas.periodic_jobs")  # type: ignore[untyped-decorator] # celery has no types
def run_periodic_jobs() -> dict[str, str]:
    """Every job is idempotent, so a beat that fires twice sends nothing twice."""
    return jobs.run_all()
