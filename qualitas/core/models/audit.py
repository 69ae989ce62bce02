"""The audit trail: one append-only, hash-chained stream of events (Part 11 §11.10(e))."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from qualitas.core.auditing import BEFORE_TRAIL_READ


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Removed"
    TRANSITION = "transition", "Transition"
    SIGNATURE = "signature", "Signed"
    SIGNATURE_REFUSED = "signature_refused", "Signature refused"
    ATTACHMENT_ADDED = "attachment_added", "Attachment added"
    ATTACHMENT_REMOVED = "attachment_removed", "Attachment removed"
    LINK_ADDED = "link_added", "Link added"
    LINK_REMOVED = "link_removed", "Link removed"


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    """Bulk changes to the trail are refused by the app (and by a trigger on PostgreSQL)."""

    def update(self, **kwargs: object) -> int:
        raise AppendOnlyViolation("the audit trail is append-only: UPDATE refused")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("the audit trail is append-only: DELETE refused")


class AuditEventManager(models.Manager["AuditEvent"]):
    def get_queryset(self) -> AppendOnlyQuerySet:
        # A running service's events wait to be chained at its end; a read of the trail
        # inside it (or a caller needing an event's id) gets them appended first.
        for hook in BEFORE_TRAIL_READ:
            hook()
        return AppendOnlyQuerySet(self.model, using=self._db)


class AppendOnlyViolation(RuntimeError):
    """Something tried to change or remove an audit event."""


class AuditEvent(models.Model):
    """Who did what to which record, when, from where and why; never changed, never removed.

    Each event carries the SHA-256 of its own canonical content and of the event before it,
    so altering, removing, inserting or reordering events breaks the chain
    (`qualitas verify-audit-trail`).
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventManager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr} by {self.actor_name}"

    def save(self, *args: object, _from_chain: bool = False, **kwargs: object) -> None:
        # Only qualitas.core.audit.record() appends, with the chain head locked.
        if not _from_chain or not self._state.adding:
            raise AppendOnlyViolation("audit events are written by the chain only, once")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyViolation("the audit trail is append-only: DELETE refused")


class AuditChainHead(models.Model):
    """The last event of the chain; locking this one row serialises writers."""

    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_event_id}"
