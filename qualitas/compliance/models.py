"""Frameworks of requirements (ISO 9001, ISO 27001 Annex A, NIST CSF, 21 CFR 11 …) as data:
a versioned tree of requirements loaded from a file, one object per clause or control that
audits, evidence and automated checks point at, and the correspondences between frameworks.
"""

from __future__ import annotations

from django.db import models

from qualitas.core.auditing import AuditedQuerySet


class FrameworkKind(models.TextChoices):
    STANDARD = "standard", "Standard"
    REGULATION = "regulation", "Regulation"
    FRAMEWORK = "framework", "Framework"
    CUSTOMER = "customer", "Customer requirements"
    INTERNAL = "internal", "Internal policy"


class Framework(models.Model):
    """One edition of a standard, regulation or set of requirements (a new edition is a new
    framework with its own key: ISO 27001:2013 and :2022 are two)."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    version = models.CharField(max_length=40)
    publisher = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=12, choices=FrameworkKind.choices)
    # Shipped with Qualitas (loaded after each migrate) or the organisation's own.
    shipped = models.BooleanField(default=False)
    # SHA-256 of the file last loaded: loading the same file again changes nothing.
    file_sha256 = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField()
    loaded_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    """A clause, control or subcategory, as the framework numbers it (`ref_id`: 8.5.6,
    A.5.15, PR.AA-01, 11.10(a))."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="requirements")
    ref_id = models.CharField(max_length=60)
    title = models.CharField(max_length=300)
    # Our own words: what an auditor looks for (never the standard's copyrighted text).
    guidance = models.TextField(blank=True)
    # Headings that only group others are not audited or evidenced themselves.
    auditable = models.BooleanField(default=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    order = models.PositiveIntegerField(default=0)
    # Left out of a newer version of the framework's file: kept (evidence, audits and
    # mappings refer to it), no longer shown as a requirement to meet.
    retired = models.BooleanField(default=False)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "ref_id"], name="compliance_one_ref_id")
        ]
        indexes = [models.Index(fields=["framework", "order"], name="compliance_req_order_idx")]

    def __str__(self) -> str:
        return f"{self.ref_id} {self.title}"


class Relation(models.TextChoices):
    EQUIVALENT = "equivalent", "Equivalent"
    RELATED = "related", "Related"


class RequirementMapping(models.Model):
    """A correspondence between requirements of two frameworks (ISO 27001 A.5.15 ↔ NIST CSF
    PR.AA-05): evidence for one is worth looking at for the other."""

    source = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="mapped_to")
    target = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="mapped_from")
    relation = models.CharField(max_length=12, choices=Relation.choices)
    # Shipped with Qualitas (from a mappings file) or made by the organisation.
    shipped = models.BooleanField(default=False)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["source__framework", "source__order", "target__order"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="compliance_one_mapping")
        ]

    def __str__(self) -> str:
        return f"{self.source.ref_id} ↔ {self.target.ref_id}"
