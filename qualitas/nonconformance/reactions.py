"""How the nonconformance module reacts to events (declared in module.py)."""

from __future__ import annotations

from qualitas.capa.events import CapaClosed
from qualitas.core import links, notifications
from qualitas.core.models import User
from qualitas.core.workflow import holders_of
from qualitas.nonconformance import workflows
from qualitas.nonconformance.events import NonconformanceRaised
from qualitas.nonconformance.models import Nonconformance, Severity


def alert_on_critical(event: NonconformanceRaised) -> None:
    """A critical nonconformance reaches the people who verify and close them at its site
    at once, in the app and by e-mail, rather than at the next review of the list."""
    if event.severity != Severity.CRITICAL:
        return
    url = f"/nonconformances/{event.nonconformance_id}/"
    recipients = holders_of(workflows.CLOSE, site=event.site_id) - {event.actor_id}
    for person in User.objects.filter(pk__in=recipients, is_active=True):
        notifications.notify(
            person,
            title=f"Critical nonconformance {event.number} raised",
            body=event.title,
            url=url,
            email=True,
        )


def tell_owners_the_capa_closed(event: CapaClosed) -> None:
    """When a CAPA closes as effective, the owners of the open nonconformances escalated to
    it hear so: their verification and closure was waiting for it."""
    escalated = links.linking_to("capa", event.capa_id, kind="escalated_to", model=Nonconformance)
    for nc in escalated:
        if nc.owner_id is None or nc.state in workflows.WORKFLOW.locked_states:
            continue
        notifications.notify(
            nc.owner,
            title=f"{event.number} closed as effective; {nc.number} may be verified",
            body=nc.title,
            url=f"/nonconformances/{nc.pk}/",
            email=True,
        )
