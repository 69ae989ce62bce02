"""CAPAs with their team, 5 Whys, Ishikawa causes and effectiveness check."""

from __future__ import annotations

from django.db import models

from qualitas.core.auditing import AuditedQuerySet
from qualitas.core.models import QualityRecord, record_indexes


class CapaType(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class CauseCategory(models.TextChoices):
    """Ishikawa's 6M, the categories of the fishbone and of root-cause statistics."""

    MAN = "man", "Man (people)"
    MACHINE = "machine", "Machine"
    METHOD = "method", "Method"
    MATERIAL = "material", "Material"
    MEASUREMENT = "measurement", "Measurement"
    ENVIRONMENT = "environment", "Environment"


class EffectivenessResult(models.TextChoices):
    PENDING = "pending", "Pending"
    PASSED = "passed", "Effective"
    FAILED = "failed", "Not effective"


class Capa(QualityRecord):
    """A corrective or preventive action: from problem to verified, effective solution."""

    capa_type = models.CharField(
        "type", max_length=12, choices=CapaType.choices, default=CapaType.CORRECTIVE
    )
    problem_statement = models.TextField(blank=True, help_text="D2: what, where, when, how much")
    is_description = models.TextField(
        "is", blank=True, help_text="Where and when the problem occurs"
    )
    is_not_description = models.TextField(
        "is not", blank=True, help_text="Where and when it could but does not"
    )
    containment_summary = models.TextField(
        "containment", blank=True, help_text="D3: how the customer is protected now"
    )
    root_cause = models.TextField(blank=True, help_text="D4: the verified root cause")
    root_cause_category = models.CharField(max_length=12, choices=CauseCategory.choices, blank=True)
    effectiveness_criteria = models.TextField(
        blank=True, help_text="How we will know the problem is gone"
    )
    effectiveness_method = models.TextField(blank=True)
    effectiveness_due_on = models.DateField("effectiveness check due", null=True, blank=True)
    effectiveness_result = models.CharField(
        max_length=10, choices=EffectivenessResult.choices, default=EffectivenessResult.PENDING
    )
    effectiveness_evidence = models.TextField(blank=True)
    # Who checked and when: entered with the result at the effectiveness step (D7), never
    # through the record's edit form.
    effectiveness_checked_by = models.ForeignKey(
        "core.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="effectiveness checked by",
    )
    effectiveness_checked_on = models.DateField("effectiveness checked on", null=True, blank=True)

    class Meta(QualityRecord.Meta):
        verbose_name = "CAPA"
        verbose_name_plural = "CAPAs"
        indexes = [*record_indexes("capa")]


class TeamMember(models.Model):
    """Someone on the CAPA's cross-functional team (8D D1)."""

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="team")
    member = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="capa_teams")
    role = models.CharField(
        max_length=80, blank=True, help_text="e.g. process engineer, supplier quality"
    )
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["capa", "member"], name="unique_capa_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} ({self.role})" if self.role else str(self.member)


class WhyStep(models.Model):
    """One step of the 5 Whys: why did it happen, because …"""

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="whys")
    position = models.PositiveSmallIntegerField()
    why = models.CharField(max_length=300)
    because = models.CharField(max_length=300)
    is_root_cause = models.BooleanField(default=False)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"Why {self.position}: {self.why}"

    @property
    def question(self) -> str:
        """The why as one question, however it was typed: "Why was the bore oversize?"."""
        return f"Why {_core(self.why, 'why', '?')}?"

    @property
    def answer(self) -> str:
        """The because as one sentence: "Because the boring bar was worn."."""
        return f"Because {_core(self.because, 'because', '.')}."


def _core(text: str, lead: str, end: str) -> str:
    """The words between an optional leading "Why"/"Because" and the closing punctuation."""
    words = text.strip()
    if words[: len(lead)].lower() == lead and words[len(lead) : len(lead) + 1] in ("", " ", ","):
        words = words[len(lead) :].lstrip(" ,")
    words = words.rstrip().rstrip(end + ".?!").rstrip()
    # "Bore oversize" reads as "Why bore oversize?"; an acronym ("CNC-3 …") keeps its capitals.
    if len(words) > 1 and words[0].isupper() and words[1].islower():
        words = words[0].lower() + words[1:]
    return words


class Cause(models.Model):
    """A possible cause on the Ishikawa diagram, under one of the 6M."""

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="causes")
    category = models.CharField(max_length=12, choices=CauseCategory.choices)
    text = models.CharField(max_length=200)
    is_root_cause = models.BooleanField(default=False)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["category", "id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.text}"
