"""Files attached to any quality record."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from qualitas.core.auditing import AuditedQuerySet


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under a random name: the original name is data, never a path.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file on a record, with the SHA-256 it had when uploaded (checked on every download)."""

    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    media_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removal_reason = models.TextField(blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="attachment_record_idx")]

    def __str__(self) -> str:
        return self.original_name
