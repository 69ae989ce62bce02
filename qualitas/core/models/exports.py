"""List exports too long to write in the request: written by a background job
(qualitas.core.backgroundexports), fetched later from /exports/<id>/."""

from __future__ import annotations

from django.db import models


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """One person's export of one list, with the filters they had applied.

    Not on the audit trail: an export changes no record, and the file is a copy of rows the
    person could already see. Jobs and their files live 24 hours and are then removed (job
    `exports-expire`).
    """

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    # The list's page (/nonconformances/) and its query string without export or page: the
    # job rebuilds that page's table as this person, so the rows are the ones they saw.
    path = models.CharField(max_length=500)
    query = models.TextField(blank=True)
    export_name = models.CharField(max_length=100)
    format = models.CharField(max_length=10)
    state = models.CharField(
        max_length=10, choices=ExportState.choices, default=ExportState.QUEUED, db_index=True
    )
    rows_written = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    # Where the finished file is in the file storage (exports/<id>/<name>); empty until done.
    file_name = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="core_export_user_recent")]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.title} ({self.format})"

    @property
    def in_progress(self) -> bool:
        return self.state in {ExportState.QUEUED, ExportState.RUNNING}

    @property
    def percent(self) -> int:
        if self.state == ExportState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_written * 100 // self.rows_total)
