"""Celery tasks: thin wrappers that run the same periodic jobs `qualitas tick` runs, and
list exports too long for the request (qualitas.core.backgroundexports)."""

from __future__ import annotations

from celery import shared_task

from qualitas.core import backgroundexports, jobs


@shared_task(name="qualitas.periodic_jobs")  # type: ignore[untyped-decorator] # celery has no types
def run_periodic_jobs() -> dict[str, str]:
    """Every job is idempotent, so a beat that fires twice sends nothing twice."""
    return jobs.run_all()


@shared_task(name=backgroundexports.EXPORT_TASK)  # type: ignore[untyped-decorator] # celery has no types
def export_list(job_id: int) -> str:
    """Claimed once by the job itself, so a task delivered twice writes one file."""
    return backgroundexports.run(job_id)
