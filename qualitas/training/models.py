"""Training and competency (ISO 9001 7.2, ISO 13485 6.2, 21 CFR 820.25): what people must be
trained on, and the record of each person's training.

A `Requirement` is one line of a curriculum: an audience (a job role, a department or a
site) must be trained on an item (a controlled document, by its number, so every new
effective revision asks again; or a course). A `TrainingRecord` is one person's training on
one item (for a document, on one revision of it), signed by the trainee.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from qualitas.core.auditing import AuditedQuerySet
from qualitas.core.models import QualityRecord, record_indexes


class CourseKind(models.TextChoices):
    CLASSROOM = "classroom", "Classroom"
    ON_THE_JOB = "on_the_job", "On the job"
    E_LEARNING = "e_learning", "E-learning"
    EXTERNAL = "external", "External"


class Course(models.Model):
    """A course people are trained on (first aid, forklift, ISO 13485 awareness)."""

    code = models.SlugField(max_length=30, unique=True, help_text="Short code, e.g. FA-01")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=CourseKind.choices)
    description = models.TextField(blank=True)
    # Empty: once trained, trained for good; else the certificate lapses after this long.
    validity_months = models.PositiveSmallIntegerField(null=True, blank=True)
    owner = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class JobRole(models.Model):
    """A job people hold (CNC operator, inspector): curricula are written per job role."""

    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    # Changed only through services.set_members, which puts the change on the audit trail.
    members = models.ManyToManyField("core.User", blank=True, related_name="job_roles")
    active = models.BooleanField(default=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    """One curriculum line: who (exactly one of job role, department, site) must be
    trained on what (exactly one of a controlled document and a course)."""

    job_role = models.ForeignKey(
        JobRole, on_delete=models.PROTECT, null=True, blank=True, related_name="requirements"
    )
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    site = models.ForeignKey(
        "core.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A controlled document as the documents module names it (its id and number), never a
    # foreign key into another module's tables.
    document_id = models.PositiveIntegerField(null=True, blank=True)
    document_number = models.CharField(max_length=40, blank=True)
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="requirements"
    )
    # Gating: a step worked under this item is refused to anyone not currently trained.
    gating = models.BooleanField(default=False)
    # Overrides the course's validity for this audience (refresher every 12 months here).
    validity_months = models.PositiveSmallIntegerField(null=True, blank=True)
    due_within_days = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(job_role__isnull=False, department__isnull=True, site__isnull=True)
                    | Q(job_role__isnull=True, department__isnull=False, site__isnull=True)
                    | Q(job_role__isnull=True, department__isnull=True, site__isnull=False)
                ),
                name="training_req_one_audience",
            ),
            models.CheckConstraint(
                condition=(
                    Q(document_id__isnull=False, course__isnull=True)
                    | Q(document_id__isnull=True, course__isnull=False)
                ),
                name="training_req_one_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audience} — {self.item}"

    @property
    def audience(self) -> str:
        if self.job_role_id is not None:
            return f"Job role {self.job_role}"
        if self.department_id is not None:
            return f"Department {self.department}"
        return f"Site {self.site}"

    @property
    def item(self) -> str:
        return self.document_number if self.document_id is not None else str(self.course)

    @property
    def item_code(self) -> str:
        """How a workflow step names it in `works_under`: document number or course code."""
        if self.document_id is not None or self.course is None:
            return self.document_number
        return self.course.code


class Method(models.TextChoices):
    READING = "reading", "Reading"
    CLASSROOM = "classroom", "Classroom"
    ON_THE_JOB = "on_the_job", "On the job"
    E_LEARNING = "e_learning", "E-learning"
    EXTERNAL = "external", "External"


OPEN_STATES = ("assigned", "awaiting_trainer")


class TrainingRecord(QualityRecord):
    """One person's training on one item: a course, or one revision of a document."""

    person = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    document_id = models.PositiveIntegerField(null=True, blank=True)
    document_number = models.CharField(max_length=40, blank=True)
    # The revision read: a new effective revision asks for a new record.
    revision_id = models.PositiveIntegerField(null=True, blank=True)
    revision_label = models.CharField("revision", max_length=12, blank=True)
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, null=True, blank=True, related_name="records"
    )
    assigned_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    method = models.CharField(max_length=12, choices=Method.choices, blank=True)
    trainer = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta(QualityRecord.Meta):
        verbose_name = "training record"
        constraints = [
            # One open record per person and item, whatever runs twice at the same time.
            models.UniqueConstraint(
                fields=["person", "course"],
                condition=Q(state__in=OPEN_STATES, course__isnull=False),
                name="training_one_open_course",
            ),
            models.UniqueConstraint(
                fields=["person", "document_id"],
                condition=Q(state__in=OPEN_STATES, document_id__isnull=False),
                name="training_one_open_document",
            ),
        ]
        indexes = [
            *record_indexes("tr"),
            models.Index(fields=["person", "state"], name="tr_person_state_idx"),
        ]

    @property
    def item_code(self) -> str:
        if self.document_id is not None or self.course is None:
            return self.document_number
        return self.course.code

    @property
    def is_document(self) -> bool:
        return self.document_id is not None
