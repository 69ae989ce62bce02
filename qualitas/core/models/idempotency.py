"""The answers to API writes sent with an `Idempotency-Key` (qualitas.api.idempotency)."""

from __future__ import annotations

from django.db import models


class IdempotentRequest(models.Model):
    """One person's `Idempotency-Key`, the request it was first used for and the answer given.

    Not on the audit trail: the record the request created is. The row holds a copy of a
    response body, so it lives 24 hours and is then removed (job `idempotency-keys-expire`).
    `completed_at` is empty while the first request is still running.
    """

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key for another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.BinaryField(default=b"")
    content_type = models.CharField(max_length=200, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"idempotency key {self.key!r} of {self.user_id}"
