"""The CAPA module's compliance check (declared in capa/module.py): corrective action is
taken in time — no CAPA still open more than 30 days past its due date (ISO 9001 10.2.1,
ISO 13485 8.5.2)."""

from __future__ import annotations

from datetime import timedelta

from qualitas.capa.models import Capa
from qualitas.capa.workflows import OPEN_STATES
from qualitas.core.compliance_checks import Check, CheckContext, Outcome, capped

# Late by a few weeks is a planning matter; later than this, the CAPA process is not working.
GRACE_DAYS = 30


def capas_not_long_overdue(context: CheckContext) -> Outcome:
    limit = context.today - timedelta(days=GRACE_DAYS)
    late = Capa.objects.filter(state__in=OPEN_STATES, due_on__lt=limit)
    if context.site is not None:
        late = late.filter(site=context.site)
    rows = list(late.order_by("due_on", "pk").values_list("number", "title", "due_on"))
    measured = {"overdue_beyond_grace": len(rows), "grace_days": GRACE_DAYS}
    if not rows:
        return Outcome.ok(
            f"No open CAPA is more than {GRACE_DAYS} days past its due date.", measured
        )
    return Outcome.failed(
        f"{len(rows)} open CAPA(s) more than {GRACE_DAYS} days past their due date.",
        capped(
            [
                f"{number} {title}: due {due:%Y-%m-%d}, {(context.today - due).days} days late"
                for number, title, due in rows
            ]
        ),
        measured,
    )


CHECKS = (
    Check(
        "capa-not-long-overdue",
        "No CAPA overdue more than 30 days",
        "Every open CAPA is at most 30 days past its due date: corrective action is taken "
        "in time, not left open.",
        capas_not_long_overdue,
        requirements=("iso-9001-2015:10.2.1", "iso-13485-2016:8.5.2"),
        site_scoped=True,
    ),
)
