"""Audit programmes, audits, their checklists and findings (ISO 9001 9.2, ISO 19011, ISO/IEC
27001 9.2, ISO 13485 8.2.4).

Three record types: the programme (a site's year of planned audits, approved by signature),
the audit (AUD-…) and the finding (AF-…, graded; an NC finding raises a nonconformance and
its CAPA). Criteria are the compliance module's requirements, named by foreign key (the
module's models are not imported: its services and queries are)."""

from __future__ import annotations

from typing import Any

from django.db import models

from qualitas.core.auditing import AuditedQuerySet
from qualitas.core.models import QualityRecord, record_indexes


class AuditType(models.TextChoices):
    INTERNAL = "internal", "Internal"
    EXTERNAL = "external", "External / certification"
    SUPPLIER = "supplier", "Supplier"
    CUSTOMER = "customer", "Customer"
    PROCESS = "process", "Process"
    PRODUCT = "product", "Product"
    ISMS = "isms", "IT / ISMS"


# Audits led by another party: the lead auditor here is who hosts and records it.
EXTERNAL_TYPES = (AuditType.EXTERNAL, AuditType.CUSTOMER)


class Risk(models.TextChoices):
    """How much a process or area needs auditing (ISO 19011 5.3: the programme's extent
    follows the risks and the results of earlier audits)."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# Audits per year a programme line plans by its risk: a low-risk area every other year.
AUDITS_PER_YEAR = {Risk.HIGH: 2, Risk.MEDIUM: 1, Risk.LOW: 0.5}


class SubjectKind(models.TextChoices):
    PROCESS = "process", "Process"
    CLAUSE = "clause", "Clause or control"
    DEPARTMENT = "department", "Department"
    SUPPLIER = "supplier", "Supplier"
    PRODUCT = "product", "Product"


class AuditProgramme(QualityRecord):
    """A site's audit programme for one year: what is audited, how often and why; approved
    by signature, revised as a new revision that supersedes it."""

    year = models.PositiveSmallIntegerField()
    revision = models.PositiveSmallIntegerField(default=1)
    # How the programme was put together: risks, earlier results, changes, certification cycle.
    approach = models.TextField(
        blank=True, help_text="Risks, results of earlier audits and changes that shaped it."
    )
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta(QualityRecord.Meta):
        verbose_name = "audit programme"
        indexes = [*record_indexes("aprog")]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "year"],
                condition=models.Q(state="draft"),
                name="audits_one_draft_programme",
            ),
            # One approved per site and year is kept by approval itself: approving a
            # revision supersedes the earlier one in the same transaction (a unique index
            # would refuse the moment both are approved, before the earlier is superseded).
        ]


class ProgrammeEntry(models.Model):
    """A line of the programme: a subject audited in the planned months of the year."""

    programme = models.ForeignKey(AuditProgramme, on_delete=models.PROTECT, related_name="entries")
    order = models.PositiveSmallIntegerField(default=0)
    subject_kind = models.CharField(
        "audited", max_length=12, choices=SubjectKind.choices, default=SubjectKind.PROCESS
    )
    subject = models.CharField(max_length=200)
    audit_type = models.CharField(max_length=10, choices=AuditType.choices)
    risk = models.CharField(max_length=6, choices=Risk.choices, default=Risk.MEDIUM)
    # Months of the year (1-12) an audit of this subject is planned in.
    planned_months = models.JSONField(default=list, blank=True)
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requirements = models.ManyToManyField("compliance.Requirement", blank=True, related_name="+")
    lead_auditor = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "programme entry"
        verbose_name_plural = "programme entries"

    def __str__(self) -> str:
        return self.subject


class Audit(QualityRecord):
    """One audit: its scope, criteria, team, checklist, findings and report."""

    audit_type = models.CharField("type", max_length=10, choices=AuditType.choices)
    programme_entry = models.ForeignKey(
        ProgrammeEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audits",
        help_text="The programme line this audit carries out; none for an unplanned audit.",
    )
    scope = models.TextField(blank=True, help_text="Processes, areas, sites and period audited.")
    objectives = models.TextField(blank=True)
    # The organisation audited when it is not ours: a supplier, a customer, a certification
    # body's client (text until customers and suppliers are records).
    audited_organisation = models.CharField(max_length=200, blank=True)
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    lead_auditor = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Auditors of another party (a certification body's, a customer's): not people here, so
    # neither qualification nor independence is ours to check (EXTERNAL_TYPES).
    external_team = models.CharField(
        max_length=300,
        blank=True,
        help_text="The other party's auditors, e.g. a certification body's.",
    )
    auditee_departments = models.ManyToManyField("core.Department", blank=True, related_name="+")
    auditee_contact = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Through AuditCriterion rows, so each criterion added or removed is its own audit event.
    criteria: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "compliance.Requirement", through="AuditCriterion", blank=True, related_name="+"
    )
    # The report (ISO 19011 6.5): summary and conclusion; signed by the lead auditor.
    summary = models.TextField(blank=True)
    conclusion = models.TextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    distribution = models.ManyToManyField("core.User", blank=True, related_name="+")
    distribution_external = models.TextField(
        "external recipients", blank=True, help_text="One per line: name and e-mail address."
    )
    # A quality manager's signed decision that an auditor may audit their own department.
    independence_justification = models.TextField(blank=True)
    independence_signature = models.ForeignKey(
        "core.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(QualityRecord.Meta):
        verbose_name = "audit"
        indexes = [*record_indexes("aud")]


class AuditCriterion(models.Model):
    """A requirement the audit is held against."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="criterion_rows")
    requirement = models.ForeignKey(
        "compliance.Requirement", on_delete=models.PROTECT, related_name="+"
    )
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "requirement"], name="unique_audit_criterion")
        ]

    def __str__(self) -> str:
        return f"audit {self.audit_id}: requirement {self.requirement_id}"


class TeamRole(models.TextChoices):
    AUDITOR = "auditor", "Auditor"
    TECHNICAL_EXPERT = "technical_expert", "Technical expert"
    TRAINEE = "trainee", "Auditor in training"
    OBSERVER = "observer", "Observer"


class TeamMember(models.Model):
    """A member of the audit team besides the lead auditor."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="team")
    person = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=TeamRole.choices, default=TeamRole.AUDITOR)
    removed_at = models.DateTimeField(null=True, blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["audit", "person"],
                condition=models.Q(removed_at__isnull=True),
                name="unique_audit_team_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} ({self.role})"


class QuestionBank(models.Model):
    """Reusable audit questions (a process's, a supplier audit's, an ISMS control's)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    audit_type = models.CharField(max_length=10, choices=AuditType.choices, blank=True)
    active = models.BooleanField(default=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BankQuestion(models.Model):
    bank = models.ForeignKey(QuestionBank, on_delete=models.PROTECT, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    guidance = models.TextField(blank=True)
    # Asked whenever this requirement is among an audit's criteria (else only when the
    # bank is added to the checklist).
    requirement = models.ForeignKey(
        "compliance.Requirement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired = models.BooleanField(default=False)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["bank", "order", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Answer(models.TextChoices):
    CONFORMING = "conforming", "Conforming"
    MINOR_NC = "minor_nc", "Minor nonconformity"
    MAJOR_NC = "major_nc", "Major nonconformity"
    OBSERVATION = "observation", "Observation"
    OFI = "ofi", "Opportunity for improvement"
    NOT_AUDITED = "not_audited", "Not audited"


class ChecklistItem(models.Model):
    """A question of the audit's checklist and its answer. `revision` rises with every
    answer, so an answer written offline on an older copy is refused, not lost silently."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="checklist")
    order = models.PositiveIntegerField(default=0)
    requirement = models.ForeignKey(
        "compliance.Requirement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    bank_question = models.ForeignKey(
        BankQuestion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    question = models.TextField()
    guidance = models.TextField(blank=True)
    answer = models.CharField(max_length=12, choices=Answer.choices, blank=True)
    notes = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.question[:60]


class Grade(models.TextChoices):
    MAJOR_NC = "major_nc", "Major nonconformity"
    MINOR_NC = "minor_nc", "Minor nonconformity"
    OBSERVATION = "observation", "Observation"
    OFI = "ofi", "Opportunity for improvement"


NC_GRADES = (Grade.MAJOR_NC, Grade.MINOR_NC)


class Finding(QualityRecord):
    """A graded finding of an audit. A major or minor nonconformity raises a nonconformance
    and its CAPA, owned by the auditee; observations and OFIs are tracked to a response.
    The nonconformance and CAPA are other modules' records: named by id and number."""

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    checklist_item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    grade = models.CharField(max_length=12, choices=Grade.choices)
    requirement = models.ForeignKey(
        "compliance.Requirement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    statement = models.TextField(help_text="What does not meet which requirement.")
    objective_evidence = models.TextField(blank=True)
    response = models.TextField(blank=True, help_text="The auditee's answer to the finding.")
    nonconformance_id = models.PositiveBigIntegerField(null=True, blank=True)
    nonconformance_number = models.CharField(max_length=40, blank=True)
    capa_id = models.PositiveBigIntegerField(null=True, blank=True)
    capa_number = models.CharField(max_length=40, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(blank=True)

    class Meta(QualityRecord.Meta):
        verbose_name = "audit finding"
        indexes = [*record_indexes("afind")]


class ChecklistEvidence(models.Model):
    """A file (a photo taken on the floor, a record seen) kept as objective evidence for one
    checklist answer. The file itself is an attachment of the audit, served and verified like
    any other; this row says which question it supports."""

    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="evidence")
    attachment = models.ForeignKey("core.Attachment", on_delete=models.PROTECT, related_name="+")
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = "checklist evidence"
        verbose_name_plural = "checklist evidence"
        constraints = [
            models.UniqueConstraint(fields=["attachment"], name="audits_evidence_one_item")
        ]

    def __str__(self) -> str:
        return f"item {self.item_id}: attachment {self.attachment_id}"
