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


# --- Where a framework applies, and what shows it is met ---------------------------------------


class Scope(models.Model):
    """A framework the organisation works to at one site (or everywhere): what coverage, the
    Statement of Applicability and audits against it are about."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="scopes")
    # Empty: the whole organisation.
    site = models.ForeignKey(
        "core.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    statement = models.TextField(
        blank=True, help_text="What is in scope: products, processes, locations, exclusions"
    )
    certified = models.BooleanField(default=False)
    certification_body = models.CharField(max_length=120, blank=True)
    certificate_number = models.CharField(max_length=60, blank=True)
    certified_until = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["framework__name", "site__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "site"], name="compliance_one_scope_per_site"
            ),
            models.UniqueConstraint(
                fields=["framework"],
                condition=models.Q(site__isnull=True),
                name="compliance_one_scope_everywhere",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework.name} — {self.site.name if self.site else 'whole organisation'}"


class Implementation(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    PLANNED = "planned", "Planned"
    PARTLY = "partly", "Partly implemented"
    IMPLEMENTED = "implemented", "Implemented"


class Applicability(models.Model):
    """Whether a requirement applies within a scope, why (or why not), how far it is
    implemented and who answers for it. No row: applicable, nothing said yet."""

    scope = models.ForeignKey(Scope, on_delete=models.PROTECT, related_name="applicability")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="applicability"
    )
    applicable = models.BooleanField(default=True)
    # Required for an exclusion (ISO 9001 4.3, ISO 27001 6.1.3 d); the reason for inclusion
    # on an SoA.
    justification = models.TextField(blank=True)
    implementation = models.CharField(
        max_length=12, choices=Implementation.choices, default=Implementation.NOT_STARTED
    )
    owner = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["scope", "requirement__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "requirement"], name="compliance_one_applicability"
            )
        ]

    def __str__(self) -> str:
        word = "applicable" if self.applicable else "not applicable"
        return f"{self.requirement.ref_id} {word} in {self.scope}"


class EvidenceKind(models.TextChoices):
    DOCUMENT = "document", "Controlled document"
    RECORD = "record", "Quality record"
    JUSTIFICATION = "justification", "Justification"


class Evidence(models.Model):
    """Something that shows a requirement is met: a controlled document (evidence while it is
    in force), a quality record of any type (an SPC study, a closed CAPA, an audit …) or a
    written justification. Automated checks are evidence for the requirements they declare
    (ComplianceCheck.requirements) while they pass on time. Withdrawn, never deleted. Modules
    are not imported: a document and a record are named by id and number."""

    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="evidence")
    # Empty: evidence wherever the framework applies.
    scope = models.ForeignKey(
        Scope, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    kind = models.CharField(max_length=14, choices=EvidenceKind.choices)
    document_id = models.PositiveBigIntegerField(null=True, blank=True)
    record_type = models.CharField(max_length=40, blank=True)
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The document's or record's number, as it was named.
    reference = models.CharField(max_length=80, blank=True)
    note = models.TextField(blank=True, help_text="What it shows (the justification itself)")
    added_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removal_reason = models.TextField(blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["requirement__order", "added_at", "pk"]
        indexes = [
            models.Index(fields=["requirement", "removed_at"], name="compliance_evidence_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} for {self.requirement.ref_id}"


from qualitas.compliance.check_models import *  # noqa: E402, F403  (checks live in their own file)
from qualitas.compliance.soa_models import *  # noqa: E402, F403  (the SoA record type)
