"""The ISO/IEC 27001 Statement of Applicability as a quality record: one signed revision per
approval, its content a frozen snapshot of the register (each Annex A control's
applicability, justification, implementation, owner and evidence as approved)."""

from __future__ import annotations

from django.db import models

from qualitas.core.models import QualityRecord, record_indexes

__all__ = ["StatementOfApplicability"]


class StatementOfApplicability(QualityRecord):
    """One revision of a scope's Statement of Applicability (ISO/IEC 27001:2022 6.1.3 d).

    `snapshot` is a list of rows, one per Annex A control in the standard's order: ref_id,
    title, theme, applicable, justification, implementation (value and label), owner (the
    printed name), coverage, evidence (kind, reference, label, current, why). It is taken
    from the register when the draft is prepared, refreshed on demand while a draft, and
    covered by the approval signature (a concrete field, so the content hash includes it)."""

    scope = models.ForeignKey(
        "compliance.Scope", on_delete=models.PROTECT, related_name="statements"
    )
    revision = models.PositiveIntegerField()
    snapshot = models.JSONField(default=list, blank=True)
    # When, and by whom, the snapshot was last taken from the register.
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set as the approval is signed; the signature's own time is the authoritative one.
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta(QualityRecord.Meta):
        verbose_name = "statement of applicability"
        verbose_name_plural = "statements of applicability"
        indexes = [*record_indexes("soa")]
        constraints = [
            # A withdrawn draft gives its revision number back to the next draft.
            models.UniqueConstraint(
                fields=["scope", "revision"],
                condition=~models.Q(state="withdrawn"),
                name="compliance_soa_one_revision",
            ),
            models.UniqueConstraint(
                fields=["scope"],
                condition=models.Q(state="draft"),
                name="compliance_soa_one_draft",
            ),
        ]
