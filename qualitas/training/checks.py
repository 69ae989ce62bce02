"""The training module's compliance check (declared in training/module.py): nobody is overdue
on training that gates work — the procedures and courses a requirement marks as gating,
without which a person may not sign work under them (ISO 9001 7.2, ISO 13485 6.2)."""

from __future__ import annotations

from django.db.models import Q

from qualitas.core.compliance_checks import Check, CheckContext, Outcome, capped
from qualitas.training.gate import gated
from qualitas.training.models import OPEN_STATES, TrainingRecord


def gating_training_not_overdue(context: CheckContext) -> Outcome:
    numbers, codes = gated()
    if not numbers and not codes:
        return Outcome.ok("No training requirement gates work yet.", {"overdue": 0})
    overdue = TrainingRecord.objects.filter(
        Q(document_number__in=numbers, course__isnull=True) | Q(course__code__in=codes),
        state__in=OPEN_STATES,
        due_on__lt=context.today,
        person__is_active=True,
    )
    if context.site is not None:
        overdue = overdue.filter(site=context.site)
    rows = list(
        overdue.order_by("due_on", "pk").values_list(
            "number", "title", "person__username", "due_on"
        )
    )
    measured = {"overdue": len(rows), "gating_items": len(numbers) + len(codes)}
    if not rows:
        return Outcome.ok("Nobody is overdue on training that gates work.", measured)
    return Outcome.failed(
        f"{len(rows)} overdue training record(s) on items that gate work.",
        capped(
            [
                f"{number} {title} ({person}): due {due:%Y-%m-%d}"
                for number, title, person, due in rows
            ]
        ),
        measured,
    )


CHECKS = (
    Check(
        "gating-training-not-overdue",
        "No overdue training on gating items",
        "Nobody is past the due date of training on a procedure or course that gates work "
        "(a step worked under it is refused until they are trained).",
        gating_training_not_overdue,
        requirements=("iso-9001-2015:7.2", "iso-13485-2016:6.2"),
        site_scoped=True,
    ),
)
