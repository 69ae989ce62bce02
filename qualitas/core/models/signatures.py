"""Electronic signatures (21 CFR Part 11 §11.50, §11.70, §11.100, §11.200)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models


class Meaning(models.TextChoices):
    """What a signature means: shown with every signature (§11.50(a)(3))."""

    AUTHORED = "authored", "Authored"
    REVIEWED = "reviewed", "Reviewed"
    APPROVED = "approved", "Approved"
    VERIFIED = "verified", "Verified"
    RELEASED = "released", "Released"
    CLOSED = "closed", "Closed"
    READ_AND_UNDERSTOOD = "read_and_understood", "Read and understood"
    TRAINED = "trained", "Trained"
    TRAINEE_COMPETENT = "trainee_competent", "Trainee competent"


class SignatureQuerySet(models.QuerySet["Signature"]):
    def update(self, **kwargs: object) -> int:
        raise RuntimeError("signatures are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RuntimeError("signatures are never removed")


class Signature(models.Model):
    """One person's signature on one record's content at one moment, with its meaning.

    Bound to the record by type, id and a SHA-256 of the signed content: if the content
    changes, or the row is copied to another record, verification fails.
    """

    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    signer = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=30, choices=Meaning.choices)
    transition = models.CharField(max_length=60, blank=True)
    record_version = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    comment = models.TextField(blank=True)
    # SHA-256 over the signature's own facts (signer, name, time, meaning, record, content
    # hash): editing any of them in the database breaks the seal.
    seal = models.CharField(max_length=64, default="")

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="signature_record_idx")]

    def __str__(self) -> str:
        return self.manifestation

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise RuntimeError("signatures are never changed")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("signatures are never removed")

    @property
    def manifestation(self) -> str:
        """The words shown on screen and in print (§11.50)."""
        return (
            f"Signed by {self.printed_name} on {self.signed_at:%Y-%m-%d %H:%M:%S} UTC — "
            f"{self.get_meaning_display()}"
        )
