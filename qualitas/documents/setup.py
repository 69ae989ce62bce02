"""What document control needs after every migrate: the document types every quality
system has (created when missing; never changed once they exist, since an administrator
may have tuned them)."""

from __future__ import annotations

from typing import Any

from qualitas.core import audit

# code, name, prefix, revision scheme, review interval (months), approval order
TYPES = [
    ("quality-manual", "Quality manual", "QM", "letters", 12, "sequential"),
    ("policy", "Policy", "POL", "letters", 24, "parallel"),
    ("procedure", "Procedure", "SOP", "letters", 24, "parallel"),
    ("work-instruction", "Work instruction", "WI", "letters", 24, "parallel"),
    ("form", "Form or template", "FRM", "letters", 36, "parallel"),
    ("specification", "Specification", "SPEC", "numbers", 24, "sequential"),
    ("drawing", "Drawing", "DWG", "letters", 36, "parallel"),
    ("external", "External document", "EXT", "letters", 12, "parallel"),
    ("record", "Record", "REC", "letters", 36, "parallel"),
]


def after_migrate(**_kwargs: Any) -> None:
    from qualitas.documents.models import DocumentType

    with audit.context(actor=None, actor_name="Qualitas setup (migrate)"):
        for position, (code, name, prefix, scheme, months, order) in enumerate(TYPES, start=1):
            DocumentType.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "prefix": prefix,
                    "revision_scheme": scheme,
                    "review_interval_months": months,
                    "approval_order": order,
                    "position": position,
                },
            )
