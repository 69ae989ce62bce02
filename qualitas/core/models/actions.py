"""Action items: work with an owner and a due date, on any record."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models

from qualitas.core.auditing import AuditedQuerySet


class ActionState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ActionItem(models.Model):
    """Something a person or department must do for a record, by a date, with evidence."""

    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=40, blank=True, help_text="e.g. containment, corrective, preventive"
    )
    assignee = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="actions", null=True, blank=True
    )
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, related_name="actions", null=True, blank=True
    )
    due_on = models.DateField()
    state = models.CharField(max_length=20, choices=ActionState.choices, default=ActionState.OPEN)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completion_note = models.TextField(blank=True)
    attachments = GenericRelation(
        "core.Attachment", object_id_field="object_id", content_type_field="object_type"
    )

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="action_record_idx"),
            models.Index(fields=["assignee", "state", "due_on"], name="action_assignee_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderLog(models.Model):
    """A reminder that was sent; its unique key makes the reminder job idempotent."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
