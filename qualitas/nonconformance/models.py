"""Nonconformances, their defect taxonomy, split dispositions and cost of poor quality."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from qualitas.core.auditing import AuditedQuerySet
from qualitas.core.models import QualityRecord, record_indexes


class Source(models.TextChoices):
    INCOMING_INSPECTION = "incoming_inspection", "Incoming inspection"
    IN_PROCESS = "in_process", "In-process inspection"
    FINAL_INSPECTION = "final_inspection", "Final inspection"
    PRODUCTION = "production", "Production"
    INTERNAL_AUDIT = "internal_audit", "Internal audit"
    EXTERNAL_AUDIT = "external_audit", "External audit"
    CUSTOMER_COMPLAINT = "customer_complaint", "Customer complaint"
    SUPPLIER = "supplier", "Supplier"
    IT_INCIDENT = "it_incident", "IT incident"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


SEVERITY_DEFINITIONS = {
    Severity.CRITICAL: (
        "Likely to cause harm, a safety or regulatory failure, or loss of a product's function."
    ),
    Severity.MAJOR: (
        "Likely to cause failure or materially reduce usability; "
        "the product cannot be used as is without a decision."
    ),
    Severity.MINOR: "Departs from a requirement without affecting function, safety or usability.",
}


class DefectCategory(models.Model):
    """A family of defects (dimensional, cosmetic, material, documentation, software …)."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=80, unique=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "defect categories"

    def __str__(self) -> str:
        return self.name


class DefectCode(models.Model):
    """One kind of defect, the unit of Pareto analysis and escalation rules."""

    category = models.ForeignKey(DefectCategory, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Nonconformance(QualityRecord):
    """A product, process or service output that did not meet a requirement (ISO 9001 8.7)."""

    source = models.CharField(max_length=30, choices=Source.choices)
    detection_stage = models.CharField(
        max_length=80, blank=True, help_text="e.g. machining, packing, go-live"
    )
    part_number = models.CharField("part / product number", max_length=60, blank=True)
    part_revision = models.CharField(max_length=20, blank=True)
    lot_number = models.CharField("lot / batch", max_length=60, blank=True)
    serial_numbers = models.TextField(blank=True)
    quantity_affected = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    quantity_nonconforming = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    unit = models.CharField(max_length=20, default="pcs")
    defect_code = models.ForeignKey(
        DefectCode, on_delete=models.PROTECT, related_name="nonconformances", null=True, blank=True
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    requirement = models.TextField("what was required", blank=True)
    finding = models.TextField("what was found", blank=True)
    customer_name = models.CharField("customer", max_length=120, blank=True)
    supplier_name = models.CharField("supplier", max_length=120, blank=True)
    detected_by = models.ForeignKey(
        "core.User",
        on_delete=models.PROTECT,
        related_name="detected_nonconformances",
        null=True,
        blank=True,
    )
    detected_on = models.DateField(db_index=True)
    # Containment (ISO 9001 8.7.1): what keeps the nonconforming output from use or delivery
    # until the disposition, and whether someone checked that it holds.
    containment_action = models.TextField(
        blank=True,
        help_text="What was done to stop use or shipment: quarantine, hold, 100% sort, recall",
    )
    quantity_quarantined = models.DecimalField(
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    containment_location = models.CharField(
        "quarantine location", max_length=120, blank=True, help_text="e.g. bonded store, cage B2"
    )
    contained_by = models.ForeignKey(
        "core.User",
        on_delete=models.PROTECT,
        related_name="contained_nonconformances",
        null=True,
        blank=True,
        help_text="Who put the containment in place (default: whoever records it)",
    )
    contained_on = models.DateField(
        null=True, blank=True, help_text="When the containment was put in place (default: today)"
    )
    containment_verified = models.BooleanField(
        default=False, help_text="Someone checked that the containment holds"
    )
    containment_verified_by = models.ForeignKey(
        "core.User",
        on_delete=models.PROTECT,
        related_name="verified_containments",
        null=True,
        blank=True,
        help_text="Default: whoever marks it verified",
    )
    containment_verified_on = models.DateField(
        null=True, blank=True, help_text="Default: the day it is marked verified"
    )

    class Meta(QualityRecord.Meta):
        verbose_name = "nonconformance"
        indexes = [
            *record_indexes("nc"),
            models.Index(
                fields=["defect_code", "part_number", "detected_on"], name="nc_repeat_idx"
            ),
            # The list sorted by part: a page of 25 read in order, not a sort of every row.
            models.Index(fields=["part_number"], name="nc_part_idx"),
        ]

    def clean(self) -> None:
        """Refuse quantities and dates that cannot be true, naming the field (the page, the
        API and the CLI all validate through here)."""
        super().clean()
        errors: dict[str, str] = {}
        today = timezone.localdate()
        affected, nonconforming = self.quantity_affected, self.quantity_nonconforming
        if affected is not None and nonconforming is not None and nonconforming > affected:
            errors["quantity_nonconforming"] = (
                f"The nonconforming quantity ({nonconforming.normalize():f} {self.unit}) cannot "
                f"be larger than the quantity affected ({affected.normalize():f} {self.unit})."
            )
        detected = self.detected_on
        if detected is not None and detected > today:
            errors["detected_on"] = (
                f"The detection date cannot be in the future (today is {today.isoformat()})."
            )
        if self.due_on is not None and detected is not None and self.due_on < detected:
            errors["due_on"] = (
                f"The due date cannot be before the detection date ({detected.isoformat()})."
            )
        contained, verified = self.contained_on, self.containment_verified_on
        if contained is not None and contained > today:
            errors["contained_on"] = "The containment date cannot be in the future."
        elif contained is not None and detected is not None and contained < detected:
            errors["contained_on"] = (
                f"Containment cannot start before the detection ({detected.isoformat()})."
            )
        if verified is not None and verified > today:
            errors["containment_verified_on"] = "The verification date cannot be in the future."
        elif verified is not None and contained is not None and verified < contained:
            errors["containment_verified_on"] = (
                f"The containment cannot be verified before it was put in place "
                f"({contained.isoformat()})."
            )
        if errors:
            raise ValidationError(errors)


class Decision(models.TextChoices):
    USE_AS_IS = "use_as_is", "Use as is (concession)"
    REWORK = "rework", "Rework"
    REPAIR = "repair", "Repair"
    SCRAP = "scrap", "Scrap"
    RETURN_TO_SUPPLIER = "return_to_supplier", "Return to supplier"

    @classmethod
    def concessions(cls) -> set[str]:
        """Decisions that accept something short of the requirement: two approvals needed."""
        return {cls.USE_AS_IS, cls.REPAIR}

    @classmethod
    def to_verify(cls) -> set[str]:
        return {cls.REWORK, cls.REPAIR}


class DispositionLine(models.Model):
    """Part of the nonconforming quantity and what is done with it."""

    nonconformance = models.ForeignKey(
        Nonconformance, on_delete=models.PROTECT, related_name="disposition_lines"
    )
    decision = models.CharField(max_length=30, choices=Decision.choices)
    quantity = models.DecimalField(
        max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    instructions = models.TextField(blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.get_decision_display()}"


class CostCategory(models.TextChoices):
    SCRAP = "scrap", "Scrap"
    REWORK = "rework", "Rework"
    SORTING = "sorting", "Sorting"
    REINSPECTION = "reinspection", "Re-inspection"
    CONCESSION = "concession", "Concession"
    EXPEDITED_FREIGHT = "expedited_freight", "Expedited freight"
    OTHER = "other", "Other"


class CostLine(models.Model):
    """A cost of poor quality caused by a nonconformance."""

    nonconformance = models.ForeignKey(
        Nonconformance, on_delete=models.PROTECT, related_name="cost_lines"
    )
    category = models.CharField(max_length=30, choices=CostCategory.choices)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3)
    incurred_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["incurred_on", "id"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.get_category_display()}"
