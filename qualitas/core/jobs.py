"""Periodic jobs: declared by the core and the modules (`Module.jobs`), run by `qualitas tick`,
Celery beat or the demo server.

Each job must be idempotent: running it twice in a row does nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qualitas.core import audit, auditverify, checkpoints


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], str]
    description: str


JOBS: dict[str, PeriodicJob] = {}
CHECKPOINT_JOB = "audit-checkpoint"


def checkpoint_audit_trail() -> str:
    """Verify what was added since the last checkpoint, then sign the verified chain head.

    A checkpoint vouches for the chain up to its event; signing over a broken chain would
    make a tampered trail look anchored, so a failed verification writes no checkpoint."""
    try:
        result = auditverify.verify(since_checkpoint=True)
    except checkpoints.CheckpointForged as exc:
        return f"NO checkpoint written: the latest checkpoint is not genuine ({exc})"
    if not result.intact:
        return (
            f"NO checkpoint written: audit trail broken at event #{result.first_broken_id}: "
            f"{result.problem}"
        )
    signed = checkpoints.write_checkpoint(at=(result.last_event_id, result.last_hash))
    if signed is None:
        return "no events yet"
    return f"checkpoint at event #{signed['last_event_id']}"


def run_all(only: list[str] | None = None) -> dict[str, str]:
    """Run the declared jobs (or the named ones) in the system's audit context; the audit
    checkpoint last, so that it signs what the other jobs wrote."""
    results = {}
    ordered = sorted(JOBS.values(), key=lambda job: job.name == CHECKPOINT_JOB)
    for job in ordered:
        if only and job.name not in only:
            continue
        with audit.context(actor=None, actor_name=f"Qualitas periodic job {job.name}"):
            results[job.name] = job.run()
    return results


def deactivate_dormant_accounts() -> str:
    """Accounts nobody has used for a long time are a risk (ASVS V2.1, Part 11 §11.300(b))."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    from qualitas.core import services
    from qualitas.core.errors import QualitasError
    from qualitas.core.models import User

    if not settings.DORMANT_ACCOUNT_DAYS:
        return "off"
    cutoff = timezone.now() - timedelta(days=settings.DORMANT_ACCOUNT_DAYS)
    dormant = (
        User.objects.filter(is_active=True)
        .exclude(username=services.SYSTEM_USERNAME)
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff))
    )
    system = services.system_user()
    closed = []
    for user in dormant:
        try:
            services.deactivate_user(
                user, actor=system, reason=f"Not used for {settings.DORMANT_ACCOUNT_DAYS} days"
            )
        except QualitasError:
            continue  # the last administrator stays active
        closed.append(user.username)
    return f"{len(closed)} dormant accounts deactivated" + (
        f": {', '.join(closed)}" if closed else ""
    )


def expire_sessions() -> str:
    """Rows of sessions that ended by idling out stay (a history of sign-ins) but stop
    showing as active; Django's own expired session rows are removed."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from qualitas.core import usersessions
    from qualitas.core.models import UserSession

    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE + usersessions.TOUCH_SECONDS)
    now = timezone.now()
    ended = UserSession.objects.filter(ended_at__isnull=True, last_seen_at__lt=now - idle).update(
        ended_at=now, end_reason="Timed out"
    )
    usersessions._store().clear_expired()
    return f"{ended} timed-out session(s) marked ended"
