"""In-app notifications shown under the bell."""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """A message to one person about something that needs their attention."""

    recipient = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title
