"""The documents module's compliance check (declared in documents/module.py): every effective
controlled document has been reviewed within its interval (ISO 9001 7.5.2, ISO 13485 4.2.4:
documents are reviewed and updated as necessary)."""

from __future__ import annotations

from django.db.models import Q

from qualitas.core.compliance_checks import Check, CheckContext, Outcome, capped
from qualitas.documents.models import Document, DocumentStatus


def documents_reviewed_in_time(context: CheckContext) -> Outcome:
    overdue = Document.objects.filter(
        status=DocumentStatus.EFFECTIVE, next_review_on__lt=context.today
    )
    if context.site is not None:
        # A document with no sites applies everywhere, so it applies at this site too.
        overdue = overdue.filter(Q(sites=context.site) | Q(sites__isnull=True)).distinct()
    rows = list(
        overdue.order_by("next_review_on", "number").values_list(
            "number", "title", "next_review_on"
        )
    )
    measured = {"overdue_reviews": len(rows)}
    if not rows:
        return Outcome.ok("Every effective document was reviewed within its interval.", measured)
    return Outcome.failed(
        f"{len(rows)} effective document(s) past their periodic review date.",
        capped([f"{number} {title}: review was due {due:%Y-%m-%d}" for number, title, due in rows]),
        measured,
    )


CHECKS = (
    Check(
        "documents-reviewed-in-time",
        "Effective documents reviewed within their interval",
        "No effective controlled document is past its periodic review date.",
        documents_reviewed_in_time,
        requirements=("iso-9001-2015:7.5.2", "iso-13485-2016:4.2.4"),
        site_scoped=True,
    ),
)
