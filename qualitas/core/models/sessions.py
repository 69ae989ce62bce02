"""The signed-in sessions of each person, so they can see and end them."""

from __future__ import annotations

from django.db import models


class UserSession(models.Model):
    """One browser session of a person: where and when it started, when it was last seen.

    Django keeps the session itself; this row makes a person's sessions listable. The
    session key is a bearer secret: it never leaves the server (pages and the API use `id`).
    """

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True, editable=False)
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"
