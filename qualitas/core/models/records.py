"""The quality record base every module's record type builds on."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class QualityRecordQuerySet(models.QuerySet[Any]):
    """Quality records change one at a time through services, and are never deleted."""

    def delete(self) -> tuple[int, dict[str, int]]:
        from qualitas.core.auditing import DeletionRefused

        raise DeletionRefused("Quality records are never deleted; cancel them with a reason.")

    def update(self, **kwargs: Any) -> int:
        raise RuntimeError(
            "Quality records change through services (one audited save per record), "
            "not through QuerySet.update()"
        )


def record_indexes(short: str) -> list[models.Index]:
    """The indexes every record table needs at a million rows, named `<short>_…` (index
    names are at most 30 characters): the lists' default order (newest first, the API's
    keyset cursor), the common filter "this state at this site" in that order, an owner's
    open records, and due dates. A concrete record type adds `indexes = [*record_indexes("nc"), …]`
    to its Meta."""
    recent = ["-created_at", "-id"]
    return [
        models.Index(fields=recent, name=f"{short}_recent_idx"),
        models.Index(fields=["site", "state", *recent], name=f"{short}_site_state_idx"),
        models.Index(fields=["owner", "state"], name=f"{short}_owner_state_idx"),
        # Due dates: overdue filters and the list sorted by due date.
        models.Index(fields=["due_on"], name=f"{short}_due_idx"),
    ]


class QualityRecord(models.Model):
    """Common fields of every quality record: identity, state, ownership, dates, version.

    `state` is set only by qualitas.core.workflow; `version` rises with every change and
    makes writes from stale copies fail (optimistic locking).
    """

    # The declared RecordType, set by records.register (not a field).
    record_type: ClassVar[Any] = None

    number = models.CharField(max_length=40, unique=True, editable=False)
    title = models.CharField(max_length=200)
    state = models.CharField(max_length=40, editable=False, db_index=True)
    owner = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="%(app_label)s_%(class)s_owned"
    )
    department = models.ForeignKey(
        "core.Department",
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_records",
        null=True,
        blank=True,
    )
    site = models.ForeignKey(
        "core.Site",
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_records",
        null=True,
        blank=True,
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    due_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="%(app_label)s_%(class)s_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="%(app_label)s_%(class)s_updated"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    attachments = GenericRelation(
        "core.Attachment", object_id_field="object_id", content_type_field="object_type"
    )
    actions = GenericRelation(
        "core.ActionItem", object_id_field="object_id", content_type_field="object_type"
    )
    signatures = GenericRelation(
        "core.Signature", object_id_field="object_id", content_type_field="object_type"
    )

    objects = QualityRecordQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_state_display(self) -> str:
        """The state as people read it, from the record type's declared workflow (set on
        the class when the record type is declared, so the model needs no registry)."""
        declared = type(self).record_type
        return declared.workflow.label_of(self.state) if declared else self.state


class NumberSequence(models.Model):
    """The last number handed out in one numbering scope (e.g. NC-2026-); locked per use."""

    scope = models.CharField(max_length=60, unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["scope"]

    def __str__(self) -> str:
        return f"{self.scope}{self.last_value}"
