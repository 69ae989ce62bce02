from django.db import models

from qualitas.core.models import QualityRecord, record_indexes


class DeviationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Deviation(QualityRecord):
    """A planned deviation from a procedure (test-only record type)."""

    description = models.TextField(blank=True)
    impact = models.TextField("impact assessment", blank=True)
    assignee = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta(QualityRecord.Meta):
        app_label = "recordtypes"
        indexes = [*record_indexes("dev")]
