"""Personal access tokens for the REST API."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from qualitas.core.auditing import AuditedQuerySet


class ApiToken(models.Model):
    """A personal access token: shown once, stored only as a SHA-256 hash, expiring, revocable."""

    user = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. 'CI upload'")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        """Usable now: neither revoked nor expired."""
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
