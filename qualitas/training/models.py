"""Training and competency (ISO 9001 7.2, ISO 13485 6.2, 21 CFR 820.25): what people must be
trained on, and the record of each person's training.

A `Requirement` is one line of a curriculum: an audience (a job role, a department or a
site) must be trained on an item (a controlled document, by its number, so every new
effective revision asks again; or a course). A `TrainingRecord` is one person's training on
one item (for a document, on one revision of it), signed by the trainee.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
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
    # Set: the trainee's supervisor rates, this many days after completion, whether the
    # training worked (ISO 9001 7.2 c, ISO 13485 6.2 d).
    effectiveness_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="Days after completion the effectiveness follow-up is due; empty: none.",
    )
    owner = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    # Set, with active questions: the trainee passes the course's quiz before signing.
    pass_mark = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of questions answered right to pass the quiz; empty: no quiz.",
    )
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
    # Taken over from the documents module's read-and-understood (its Acknowledgement, by
    # id): the request as it was, and the signature given then, which signs the revision.
    acknowledgement_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    revision_signature = models.ForeignKey(
        "core.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

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


# --- Skills and competency levels (ISO 9001 7.2, ISO 13485 6.2) -----------------------------


class SkillLevel(models.IntegerChoices):
    AWARE = 1, "1 — Aware"
    SUPERVISED = 2, "2 — Can work under supervision"
    COMPETENT = 3, "3 — Competent alone"
    TRAINER = 4, "4 — Can train others"


class Skill(models.Model):
    """Something people are competent at to a level (CMM programming, internal auditing)."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    # Empty: a skill of the whole organisation; else one site's (its matrix, its managers).
    site = models.ForeignKey(
        "core.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SkillRequirement(models.Model):
    """A job role asks for a skill at a minimum level."""

    job_role = models.ForeignKey(
        JobRole, on_delete=models.PROTECT, related_name="skill_requirements"
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="requirements")
    minimum_level = models.PositiveSmallIntegerField(choices=SkillLevel.choices)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["skill__name", "job_role__name"]
        constraints = [
            models.UniqueConstraint(fields=["job_role", "skill"], name="training_one_skill_level")
        ]

    def __str__(self) -> str:
        return f"{self.job_role} — {self.skill} level {self.minimum_level}"


class SkillAssessment(models.Model):
    """A person assessed at a level of a skill by an assessor. Never changed: a new
    assessment supersedes the current one, which stays as history."""

    person = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="assessments")
    level = models.PositiveSmallIntegerField(choices=SkillLevel.choices)
    assessor = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    evidence = models.TextField(blank=True, help_text="What was observed, or where it is kept")
    # The assessment this one replaces; the replaced one stays, no longer current.
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            # One current level per person and skill, whatever runs at the same time.
            models.UniqueConstraint(
                fields=["person", "skill"],
                condition=Q(current=True),
                name="training_one_current_assessment",
            ),
        ]
        indexes = [models.Index(fields=["skill", "person"], name="tr_assessment_skill_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.skill} level {self.level} ({self.assessed_on})"


# --- Effectiveness of training ---------------------------------------------------------------


class EffectivenessRating(models.IntegerChoices):
    NOT_EFFECTIVE = 1, "1 — Not effective"
    LITTLE = 2, "2 — Little effect"
    PARTLY = 3, "3 — Partly effective"
    MOSTLY = 4, "4 — Mostly effective"
    FULLY = 5, "5 — Fully effective"


class EffectivenessReview(models.Model):
    """The follow-up of a completed course: did the training work? Rated by the trainee's
    supervisor (the head of their department; a training coordinator when there is none)."""

    record = models.OneToOneField(
        TrainingRecord, on_delete=models.PROTECT, related_name="effectiveness_review"
    )
    due_on = models.DateField()
    # Who is asked to rate: the department head; empty: any coordinator at the trainee's site.
    rater = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rated_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        choices=EffectivenessRating.choices, null=True, blank=True
    )
    comment = models.TextField(blank=True)
    rated_on = models.DateField(null=True, blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["rated_on", "due_on"], name="tr_effectiveness_due_idx")]

    def __str__(self) -> str:
        return f"Effectiveness of {self.record.number}"

    @property
    def is_rated(self) -> bool:
        return self.rating is not None


# --- Quizzes (an optional check of understanding before the trainee signs) -----------------


class QuizQuestion(models.Model):
    """One question of a course's quiz; retired, never deleted (attempts refer to it)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="quiz_questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    active = models.BooleanField(default=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class QuizChoice(models.Model):
    """One answer offered to a question; exactly one of a question's choices is correct."""

    question = models.ForeignKey(QuizQuestion, on_delete=models.PROTECT, related_name="choices")
    text = models.CharField(max_length=500)
    correct = models.BooleanField(default=False)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    """One submitted attempt at a course's quiz, kept as it was scored: the answers, the
    questions answered wrong and the pass mark then in force. Never changed or removed."""

    record = models.ForeignKey(
        TrainingRecord, on_delete=models.PROTECT, related_name="quiz_attempts"
    )
    person = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField()
    # {question id: choice id}, as strings (JSON object keys).
    answers = models.JSONField(default=dict, blank=True)
    # Ids of the questions answered wrong: the result page names them, never the right choice.
    wrong_questions = models.JSONField(default=list, blank=True)
    score = models.PositiveSmallIntegerField(help_text="Percent of questions answered right")
    pass_mark = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        indexes = [models.Index(fields=["record", "passed"], name="tr_quiz_attempt_idx")]

    def __str__(self) -> str:
        return f"Quiz attempt {self.pk} on {self.record_id}: {self.score}%"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise RuntimeError("quiz attempts are never changed after submission")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("quiz attempts are never removed")
