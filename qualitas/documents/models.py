"""Controlled documents (ISO 9001 7.5, ISO 13485 4.2.4): the document and its revisions.

A `Document` is the identity people cite (SOP-0042, its title, owner, where it applies);
a `DocumentRevision` is what gets reviewed, approved, made effective and superseded. Only
one revision of a document is effective at a time: a partial unique index says so to the
database, whatever the application does.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from qualitas.core.auditing import AuditedQuerySet
from qualitas.core.models import QualityRecord, record_indexes


class RevisionScheme(models.TextChoices):
    LETTERS = "letters", "Letters (A, B, C …)"
    NUMBERS = "numbers", "Numbers (1.0, 1.1, 2.0)"


class ApprovalOrder(models.TextChoices):
    PARALLEL = "parallel", "Parallel (any order)"
    SEQUENTIAL = "sequential", "Sequential (in the order listed)"


class Confidentiality(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


class DocumentStatus(models.TextChoices):
    """Where the document as a whole stands (its revisions carry the workflow)."""

    NEW = "new", "Not yet effective"
    EFFECTIVE = "effective", "Effective"
    OBSOLETE = "obsolete", "Obsolete"


class DocumentType(models.Model):
    """Quality manual, procedure, work instruction …: numbering and approval defaults."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=10, help_text="Number prefix, e.g. SOP")
    number_pattern = models.CharField(max_length=40, default="{prefix}-{seq:04}")
    revision_scheme = models.CharField(
        max_length=10, choices=RevisionScheme.choices, default=RevisionScheme.LETTERS
    )
    review_interval_months = models.PositiveSmallIntegerField(default=24)
    approval_order = models.CharField(
        max_length=12, choices=ApprovalOrder.choices, default=ApprovalOrder.PARALLEL
    )
    default_reviewers = models.ManyToManyField(
        "core.User", blank=True, related_name="document_types_reviewed"
    )
    default_approvers = models.ManyToManyField(
        "core.User", blank=True, related_name="document_types_approved"
    )
    # Who must read a new document of this type when "people must read it" is ticked and
    # the author names nobody (a work instruction: the operators of its department …).
    default_training_roles = models.ManyToManyField("core.Role", blank=True, related_name="+")
    default_training_departments = models.ManyToManyField(
        "core.Department", blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=100)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """A controlled document's identity; its content lives in its revisions."""

    number = models.CharField(max_length=40, unique=True, editable=False)
    title = models.CharField(max_length=200)
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="documents_owned")
    department = models.ForeignKey(
        "core.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sites = models.ManyToManyField(
        "core.Site", blank=True, related_name="documents", help_text="Empty: applies everywhere"
    )
    # The hook for the compliance module: which clauses this document answers.
    clause_references = models.CharField(
        max_length=300, blank=True, help_text="e.g. ISO 9001 7.5; ISO 13485 4.2.4"
    )
    review_interval_months = models.PositiveSmallIntegerField(default=24)
    confidentiality = models.CharField(
        max_length=12, choices=Confidentiality.choices, default=Confidentiality.INTERNAL
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.NEW, editable=False
    )
    # Kept by the services as revisions move, so the register needs no subquery per row.
    current_revision = models.ForeignKey(
        "DocumentRevision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    next_review_on = models.DateField(null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class DocumentRevision(QualityRecord):
    """One revision of a document: written, reviewed, approved by signature, effective."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="revisions")
    label = models.CharField("revision", max_length=12, editable=False)
    sequence = models.PositiveIntegerField(editable=False)
    content_text = models.TextField(
        "content (Markdown)", blank=True, help_text="Written in the app; files can be added too"
    )
    change_summary = models.TextField(blank=True, help_text="What changed from the last revision")
    change_reason = models.TextField("reason for change", blank=True)
    training_impact = models.BooleanField(
        default=False, help_text="People must read and acknowledge this revision"
    )
    training_roles = models.ManyToManyField("core.Role", blank=True, related_name="+")
    training_departments = models.ManyToManyField("core.Department", blank=True, related_name="+")
    effective_on = models.DateField(
        null=True, blank=True, help_text="Planned effective date (empty: on approval)"
    )
    superseded_on = models.DateField(null=True, blank=True, editable=False)
    withdrawn_on = models.DateField(null=True, blank=True, editable=False)
    # Text of the Markdown and of every file, for search and compare (derived, not signed).
    extracted_text = models.TextField(blank=True, editable=False)

    class Meta(QualityRecord.Meta):
        ordering = ["document", "-sequence"]
        verbose_name = "document revision"
        constraints = [
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(state="effective"),
                name="one_effective_revision_per_document",
            ),
            models.UniqueConstraint(
                fields=["document", "sequence"], name="unique_revision_sequence"
            ),
        ]
        indexes = [
            *record_indexes("rev"),
            # Who may see a revision is decided on these columns alone; SQLite stores them
            # after the text, so without a covering index every check reads the whole text.
            models.Index(
                fields=["document", "state", "owner", "created_by"], name="revision_visibility_idx"
            ),
        ]


class SignOffKind(models.TextChoices):
    REVIEW = "review", "Review"
    APPROVAL = "approval", "Approval"


class SignOffOutcome(models.TextChoices):
    PENDING = "pending", "Waiting"
    ACCEPTED = "accepted", "Accepted"
    COMMENTED = "commented", "Commented"
    SIGNED = "signed", "Signed"
    VOIDED = "voided", "Voided"


class SignOff(models.Model):
    """One person's review (comment or accept) or approval (signature) of a revision.

    Sent back to draft, a revision's sign-offs are voided, never deleted: the next round
    starts with new ones and the old stay in the history with the reason.
    """

    revision = models.ForeignKey(
        DocumentRevision, on_delete=models.PROTECT, related_name="signoffs"
    )
    kind = models.CharField(max_length=10, choices=SignOffKind.choices)
    person = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=1)
    round = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(
        max_length=10, choices=SignOffOutcome.choices, default=SignOffOutcome.PENDING
    )
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    signature = models.ForeignKey(
        "core.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    voided_reason = models.TextField(blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["round", "kind", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.person} ({self.get_outcome_display()})"


class ReviewComment(models.Model):
    """A reviewer's comment on a revision in review (a review can carry several)."""

    signoff = models.ForeignKey(SignOff, on_delete=models.PROTECT, related_name="comments")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class AcknowledgementState(models.TextChoices):
    PENDING = "pending", "To read"
    ACKNOWLEDGED = "acknowledged", "Read and understood"
    WITHDRAWN = "withdrawn", "No longer needed"


class Acknowledgement(models.Model):
    """A person's read-and-understood of an effective revision, signed, as kept before the
    training module did. Nothing writes these any more: readings are training records, and
    the training module takes each of these over after migrate (with its signature), so
    they stay only as the history they were."""

    revision = models.ForeignKey(
        DocumentRevision, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    person = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=12, choices=AcknowledgementState.choices, default=AcknowledgementState.PENDING
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    due_on = models.DateField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    signature = models.ForeignKey(
        "core.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "person"], name="one_acknowledgement_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.revision.number}"


class ReviewOutcome(models.TextChoices):
    NO_CHANGE = "no_change", "No change needed"
    REVISE = "revise", "Revise"


class PeriodicReview(models.Model):
    """The periodic review of an effective document: still right, or revise it."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="reviews")
    revision = models.ForeignKey(DocumentRevision, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices)
    comment = models.TextField(blank=True)
    signature = models.ForeignKey(
        "core.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    next_review_on = models.DateField(null=True, blank=True)
    new_revision = models.ForeignKey(
        DocumentRevision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.document.number} reviewed {self.reviewed_at:%Y-%m-%d}"


class SearchEntry(models.Model):
    """What full-text search reads for one revision: number, title and all its text.

    Derived from the revision (its Markdown and the text of its files) and rebuilt by the
    services whenever that changes, so it is not audited. PostgreSQL keeps a weighted
    tsvector of it in a generated column; SQLite mirrors it into an FTS5 table.
    """

    revision = models.OneToOneField(
        DocumentRevision, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    number = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Ids of the revision's files whose text could not be read (damaged, or beyond the text
    # worker's limits): the page says search and compare do not see them. Nullable so that
    # SQLite adds the column in place and keeps the full-text triggers on this table.
    unread_files = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["revision"]

    def __str__(self) -> str:
        return self.number
