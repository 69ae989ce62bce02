"""Password history: the hashes of a person's recent passwords, so they are not reused."""

from __future__ import annotations

from django.db import models


class PasswordHistory(models.Model):
    """One password a person has had, as its hash (never the password itself).

    Written when a password is set (the history validator's `password_changed` hook) and
    pruned to the configured depth; read only to refuse reuse.
    """

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="password_history")
    password_hash = models.CharField(max_length=128, editable=False)
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name_plural = "password history"

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.set_at:%Y-%m-%d %H:%M}"
