"""Automated compliance checks as the organisation sees them: one `ComplianceCheck` per check
(declared in code by a module, or external: a company's own pipeline reporting results, such
as a CIS benchmark scan or a backup-restore test), and its history of runs."""

from __future__ import annotations

from django.db import models

from qualitas.core.auditing import AuditedQuerySet


class CheckKind(models.TextChoices):
    CODE = "code", "Built in"
    EXTERNAL = "external", "External (results posted through the API)"
    QUERY = "query", "Configured query"


class CheckState(models.TextChoices):
    FAIL = "fail", "Failing"
    ERROR = "error", "Could not run"
    NEVER = "never", "Never run"
    PASS = "pass", "Passing"


class RunOutcome(models.TextChoices):
    PASS = "pass", "Passed"
    FAIL = "fail", "Failed"
    ERROR = "error", "Could not run"


class RunSource(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    ON_DEMAND = "on_demand", "On demand"
    EXTERNAL = "external", "External result"


class ComplianceCheck(models.Model):
    """A check that continuously verifies the quality system is used as the requirements it
    maps to ask; failing, it raises one nonconformance and keeps its id while that is open."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=CheckKind.choices)
    owner = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requirements = models.ManyToManyField(
        "compliance.Requirement", blank=True, related_name="checks"
    )
    # A configured query: its template (check_queries.TEMPLATES) and checked parameters.
    template = models.CharField(max_length=40, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    # How often the schedule runs it (an external check is overdue past this).
    interval_hours = models.PositiveIntegerField(default=24)
    last_state = models.CharField(
        max_length=10, choices=CheckState.choices, default=CheckState.NEVER
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_summary = models.CharField(max_length=500, blank=True)
    # The nonconformance its failure raised, kept while that nonconformance is open.
    open_nonconformance_id = models.PositiveIntegerField(null=True, blank=True)
    open_nonconformance_number = models.CharField(max_length=40, blank=True)
    # Limits the check to one site's records, and is where its nonconformances belong.
    site = models.ForeignKey(
        "core.Site", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The nonconformance source and severity its failure raises.
    raises_as = models.CharField(max_length=20, default="internal_audit")
    severity = models.CharField(max_length=10, default="minor")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["last_state", "name"], name="compliance_check_state_idx")]

    def __str__(self) -> str:
        return self.name


class CheckRun(models.Model):
    """One run of a check, or one result posted for it: kept as its history."""

    compliance_check = models.ForeignKey(
        ComplianceCheck, on_delete=models.PROTECT, related_name="runs"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices)
    summary = models.CharField(max_length=500)
    failures = models.JSONField(default=list, blank=True)
    measured = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=RunSource.choices)
    reported_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The reporting pipeline's own reference (a CI job URL, a scan id).
    external_ref = models.CharField(max_length=300, blank=True)
    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["compliance_check", "-started_at"], name="compliance_run_idx")
        ]

    def __str__(self) -> str:
        return f"{self.compliance_check.key} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


__all__ = [
    "CheckKind",
    "CheckRun",
    "CheckState",
    "ComplianceCheck",
    "RunOutcome",
    "RunSource",
]
