"""Periodic jobs: registered by the core and the modules, run by `qualitas tick` or Celery beat.

Each job must be idempotent: running it twice in a row does nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qualitas.core import audit


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], str]
    description: str


JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, description: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register a function as a periodic job; it returns a one-line summary of what it did."""

    def register(func: Callable[[], str]) -> Callable[[], str]:
        JOBS[name] = PeriodicJob(name, func, description)
        return func

    return register


@periodic("audit-checkpoint", "Sign the audit trail's chain head into the checkpoint folder.")
def checkpoint_audit_trail() -> str:
    signed = audit.write_checkpoint()
    if signed is None:
        return "no events yet"
    return f"checkpoint at event #{signed['last_event_id']}"


def run_all(only: list[str] | None = None) -> dict[str, str]:
    """Run the registered jobs (or the named ones) in the system's audit context."""
    results = {}
    for job in JOBS.values():
        if only and job.name not in only:
            continue
        with audit.context(actor=None, actor_name=f"Qualitas periodic job {job.name}"):
            results[job.name] = job.run()
    return results
