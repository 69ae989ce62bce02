"""Typed links between any two records: traceability without modules importing each other."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from qualitas.core.auditing import AuditedQuerySet


class LinkKind(models.TextChoices):
    """How the source record relates to the target, read "source <kind> target"."""

    CAUSED_BY = "caused_by", "caused by"
    ADDRESSED_BY = "addressed_by", "addressed by"
    VERIFIES = "verifies", "verifies"
    REFERENCES = "references", "references"
    SUPERSEDES = "supersedes", "supersedes"
    RAISED_FROM = "raised_from", "raised from"
    ESCALATED_TO = "escalated_to", "escalated to"
    IMPLEMENTS = "implements", "implements"
    EVIDENCE_FOR = "evidence_for", "is evidence for"
    AFFECTS = "affects", "affects"


class RecordLink(models.Model):
    """Source --kind--> target, shown on both records."""

    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField()
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=30, choices=LinkKind.choices)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # A link made in error is withdrawn, not deleted, so both records' histories keep it.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removal_reason = models.TextField(blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "target_type", "target_id", "kind"],
                condition=models.Q(removed_at__isnull=True),
                name="unique_current_record_link",
            ),
        ]
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="link_source_idx"),
            models.Index(fields=["target_type", "target_id"], name="link_target_idx"),
        ]

    def __str__(self) -> str:
        source = f"{self.source_type.model}#{self.source_id}"
        return f"{source} {self.kind} {self.target_type.model}#{self.target_id}"
