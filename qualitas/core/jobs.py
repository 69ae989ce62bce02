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


@periodic("dormant-accounts", "Deactivate accounts unused for QUALITAS_DORMANT_ACCOUNT_DAYS days.")
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


@periodic("sessions-expire", "Mark sessions that timed out as ended; clear expired sessions.")
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
