"""Periodic job: remind owners of effectiveness checks that are due."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qualitas.capa.models import Capa
from qualitas.capa.workflows import State
from qualitas.core import notifications


def remind_effectiveness_checks() -> str:
    soon = timezone.localdate() + timedelta(days=3)
    sent = 0
    due = Capa.objects.filter(
        state=State.EFFECTIVENESS, effectiveness_due_on__lte=soon
    ).select_related("owner")
    for capa in due:
        if notifications.once(
            f"capa:{capa.pk}:effectiveness:{capa.effectiveness_due_on}:{capa.version}"
        ):
            notifications.notify(
                capa.owner,
                title=f"Effectiveness check of {capa.number} due {capa.effectiveness_due_on}",
                body=capa.effectiveness_criteria,
                url=f"/capas/{capa.pk}/",
                email=True,
            )
            sent += 1
    return f"{sent} reminders sent"
