"""Change requests and the answers of their impact assessment."""

from __future__ import annotations

from django.db import models

from qualitas.core.auditing import AuditedQuerySet
from qualitas.core.models import QualityRecord, record_indexes


class ChangeType(models.TextChoices):
    DOCUMENT = "document", "Document"
    PROCESS = "process", "Process"
    PRODUCT_DESIGN = "product_design", "Product or design"
    SUPPLIER = "supplier", "Supplier"
    EQUIPMENT = "equipment", "Equipment"
    IT_RELEASE = "it_release", "IT system or software release"
    ORGANISATION = "organisation", "Organisation"


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    MINOR = "minor", "Minor"
    EMERGENCY = "emergency", "Emergency (retrospective approval)"


class ChangeRequest(QualityRecord):
    """A planned change to a document, process, product, supplier, equipment, IT system or
    the organisation (ISO 9001 6.3 and 8.5.6, ISO 27001 8.32, 21 CFR 820.70(b)). Its
    originator is whoever raised it (`created_by`)."""

    change_type = models.CharField("type", max_length=20, choices=ChangeType.choices)
    reason_for_change = models.TextField(blank=True)
    expected_benefit = models.TextField(blank=True)
    scope_sites = models.CharField(
        "sites affected", max_length=200, blank=True, help_text="e.g. SHF, LDS"
    )
    scope_departments = models.CharField(
        "departments affected", max_length=200, blank=True, help_text="e.g. Operations, IT"
    )
    scope_parts = models.TextField(
        "parts / products affected", blank=True, help_text="Part numbers or product names"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.STANDARD)
    # An emergency change implemented before its board approval must be approved by then.
    approval_due_on = models.DateField("board approval due", null=True, blank=True)
    # When the board's rule was met (every role it asks for, enough approvals).
    approved_at = models.DateTimeField("board approved at", null=True, blank=True)

    class Meta(QualityRecord.Meta):
        verbose_name = "change request"
        indexes = [*record_indexes("cr")]


class Answer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_APPLICABLE = "n_a", "Not applicable"


class ImpactAnswer(models.Model):
    """One answered item of a change request's impact assessment.

    A row per item rather than a JSON field on the change request: each answer changed is
    its own audit event with old and new value, and "which changes affect this document"
    stays one query."""

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.PROTECT, related_name="impact_answers"
    )
    item = models.CharField(max_length=30)
    answer = models.CharField(max_length=5, choices=Answer.choices)
    comment = models.TextField(blank=True)
    # Ids of the controlled documents affected (the register's), for the documents item.
    documents = models.JSONField(default=list, blank=True)
    # Roles and departments who must be trained, as text for now, for the training item.
    audiences = models.JSONField(default=list, blank=True)
    # Codes of the courses they take, for the training item (a new machine's operators
    # trained on it: a change no document revision carries).
    courses = models.JSONField(default=list, blank=True)
    answered_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(auto_now=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_request", "item"], name="unique_change_impact_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.answer}"


class ImplementedAction(models.Model):
    """A CAPA's action item carried out by a change request: the action is done when the
    change is verified and closed. One change per action; withdrawn links are kept."""

    action = models.ForeignKey("core.ActionItem", on_delete=models.PROTECT, related_name="+")
    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.PROTECT, related_name="implemented_actions"
    )
    linked_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removal_reason = models.CharField(max_length=300, blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["action"],
                condition=models.Q(removed_at__isnull=True),
                name="one_change_per_action",
            )
        ]

    def __str__(self) -> str:
        return f"action {self.action_id} implemented by change {self.change_request_id}"


class ChangeTraining(models.Model):
    """A reading (of a revised document) or a course the change's training impact asked of
    one person, and the training record the training module opened for it (the record may be
    cancelled and asked again when a newer revision takes effect). Asking again for the same
    person and item finds this row: the assignment is idempotent."""

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.PROTECT, related_name="training"
    )
    person = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    document_id = models.PositiveBigIntegerField(null=True, blank=True)
    document_number = models.CharField(max_length=40, blank=True)
    course_code = models.CharField(max_length=30, blank=True)
    # The training module's record (read through the core's record registry).
    training_record_id = models.PositiveBigIntegerField()
    training_record_number = models.CharField(max_length=40)
    assigned_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["document_number", "person__last_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_request", "person", "document_id"],
                name="unique_change_training_reading",
            ),
            models.UniqueConstraint(
                fields=["change_request", "person", "course_code"],
                condition=~models.Q(course_code=""),
                name="unique_change_training_course",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} for {self.person_id}"

    @property
    def item(self) -> str:
        return f"course {self.course_code}" if self.course_code else self.document_number
