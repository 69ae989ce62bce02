"""Automated compliance checks: /api/v1/compliance-checks.

Everyone holding compliance.view reads the checks and their history; compliance.manage runs
a built-in check on demand and adds external checks; compliance.report posts the result of
an external check (a CI pipeline with a personal access token, like every API call).

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qualitas.compliance import check_queries, check_trend, checks, services
from qualitas.compliance.check_models import CheckRun, ComplianceCheck
from qualitas.core import permissions
from qualitas.core.errors import InvalidInput
from qualitas.core.models import Site, User
from qualitas.core.pagination import Mapped, PageNumber
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["compliance checks"])


class CheckOut(Schema):
    key: str
    name: str
    description: str
    kind: str = Field(..., description="code (built in, run by Qualitas) or external")
    state: str = Field(..., description="pass, fail, error (could not run) or never")
    active: bool
    last_run_at: datetime | None
    last_summary: str
    interval_hours: int = Field(..., description="How often it runs (or is expected)")
    owner: str | None = Field(None, description="Username of the check's owner")
    site: str | None = Field(None, description="Code of the site it is limited to")
    requirements: list[str] = Field(..., description="framework-key:ref_id it evidences")
    open_nonconformance: str | None = Field(
        None, description="Number of the nonconformance its failure raised, while open"
    )
    raises_as: str = Field(..., description="Nonconformance source: internal_audit, it_incident")
    severity: str
    template: str | None = Field(None, description="The query template of a configured check")
    parameters: dict[str, Any] = Field(default_factory=dict)


class RunOut(Schema):
    id: int
    started_at: datetime
    finished_at: datetime
    outcome: str = Field(..., description="pass, fail or error")
    summary: str
    failures: list[str]
    measured: dict[str, Any]
    source: str = Field(..., description="schedule, on_demand or external")
    reported_by: str | None = Field(None, description="Username of who ran or reported it")
    external_ref: str


class CheckFilters(Schema):
    state: Literal["pass", "fail", "error", "never"] | None = None
    framework: str | None = Field(
        None, max_length=60, description="Framework key: checks evidencing its requirements"
    )
    kind: Literal["code", "external", "query"] | None = None


class ResultIn(Schema):
    passed: bool
    summary: str = Field(..., min_length=1, max_length=checks.MAX_SUMMARY)
    failures: list[str] = Field(
        default_factory=list, max_length=1000, description="What failed (the first 50 are kept)"
    )
    measured: dict[str, Any] = Field(default_factory=dict, description="Figures of the run")
    external_ref: str = Field("", max_length=300, description="Your pipeline's run id or URL")


class CheckIn(Schema):
    key: str = Field(..., min_length=3, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
    name: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    requirements: list[str] = Field(
        default_factory=list, max_length=200, description="framework-key:ref_id"
    )
    owner: str | None = Field(None, max_length=150, description="Username")
    site: str | None = Field(None, max_length=20, description="Site code")
    interval_hours: int = Field(24, ge=1, le=24 * 366)
    raises_as: Literal["internal_audit", "it_incident"] = "internal_audit"
    severity: Literal["minor", "major", "critical"] = "minor"
    template: str | None = Field(
        None,
        max_length=40,
        description="A query template (GET /compliance-checks/templates): Qualitas runs the "
        "check with `parameters`. Without one, the check is external.",
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="The template's parameters, by name"
    )


class ParameterOut(Schema):
    name: str
    label: str
    kind: str = Field(..., description="framework, site, record_type, days or text")
    required: bool
    help: str


class TemplateOut(Schema):
    key: str
    name: str
    description: str
    parameters: list[ParameterOut]


def _check_out(check: ComplianceCheck) -> dict[str, Any]:
    return {
        "key": check.key,
        "name": check.name,
        "description": check.description,
        "kind": check.kind,
        "state": check.last_state,
        "active": check.active,
        "last_run_at": check.last_run_at,
        "last_summary": check.last_summary,
        "interval_hours": check.interval_hours,
        "owner": check.owner.username if check.owner else None,
        "site": check.site.code if check.site else None,
        "requirements": [f"{r.framework.key}:{r.ref_id}" for r in check.requirements.all()],
        "open_nonconformance": check.open_nonconformance_number or None,
        "raises_as": check.raises_as,
        "severity": check.severity,
        "template": check.template or None,
        "parameters": check.parameters,
    }


def _run_out(run: CheckRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "outcome": run.outcome,
        "summary": run.summary,
        "failures": run.failures,
        "measured": run.measured,
        "source": run.source,
        "reported_by": run.reported_by.username if run.reported_by else None,
        "external_ref": run.external_ref,
    }


def _may_see(request: HttpRequest) -> None:
    permissions.require(actor_of(request), services.VIEW)


def _one(key: str) -> ComplianceCheck:
    checks.get_check(key)  # 404 naming the key
    found: ComplianceCheck = checks.overview().get(key=key)
    return found


class TrendPointOut(Schema):
    week_ending: date
    passing: int
    judged: int = Field(
        ..., description="Checks with a result by then (never-run ones are left out)"
    )
    percent: int | None


class TrendOut(Schema):
    framework: str
    name: str
    checks: int = Field(..., description="Active checks mapped to the framework's requirements")
    weeks: list[TrendPointOut]


@router.get(
    "/templates",
    response={200: list[TemplateOut], **ERRORS},
    summary="The query templates a configured check is made from",
)
def list_templates(request: HttpRequest) -> Any:
    _may_see(request)
    return [
        {
            "key": t.key,
            "name": t.name,
            "description": t.description,
            "parameters": [
                {
                    "name": p.name,
                    "label": p.label,
                    "kind": p.kind,
                    "required": p.required,
                    "help": p.help,
                }
                for p in t.parameters
            ],
        }
        for t in check_queries.TEMPLATES.values()
    ]


@router.get(
    "/trend",
    response={200: list[TrendOut], **ERRORS},
    summary="Week by week, the checks passing per framework",
)
def trend(request: HttpRequest, weeks: int = 12) -> Any:
    """For each framework with checks mapped to it, how many stood passing at the end of each
    of the last `weeks` weeks (1-52; the last point is now)."""
    _may_see(request)
    return check_trend.as_rows(check_trend.trend(weeks=weeks))


@router.get("", response={200: list[CheckOut], **ERRORS}, summary="List compliance checks")
@paginate(PageNumber)
def list_checks(request: HttpRequest, filters: Query[CheckFilters]) -> Any:
    """Failing checks first, then those that could not run, never ran, and pass."""
    _may_see(request)
    found = checks.overview(state=filters.state, framework=filters.framework, kind=filters.kind)
    return Mapped(found, _check_out)


@router.post(
    "",
    response={201: CheckOut, **ERRORS},
    summary="Add an external or a configured check",
    description="Without `template`: a check your own pipeline runs (a CIS benchmark scan, a "
    "backup-restore test), reporting results through POST /compliance-checks/{key}/results. "
    "With `template` and its `parameters`: a configured query Qualitas runs on its interval. "
    "An unknown requirement or a wrong parameter is refused (422) naming it; nothing is saved.",
)
def create_check(request: HttpRequest, payload: CheckIn) -> Any:
    owner = None
    if payload.owner:
        owner = User.objects.filter(username=payload.owner).first()
        if owner is None:
            raise InvalidInput.for_field("owner", f"There is no user '{payload.owner}'.")
    site = None
    if payload.site:
        site = Site.objects.filter(code=payload.site).first()
        if site is None:
            raise InvalidInput.for_field("site", f"There is no site '{payload.site}'.")
    create: Callable[..., ComplianceCheck] = checks.create_external_check
    configured: dict[str, Any] = {}
    if payload.template:
        create = checks.create_configured_check
        configured = {"template": payload.template, "parameters": payload.parameters}
    elif payload.parameters:
        raise InvalidInput.for_field("template", "Parameters are given to a query template.")
    check = create(
        actor=actor_of(request),
        **configured,
        key=payload.key,
        name=payload.name,
        description=payload.description,
        requirements=payload.requirements,
        owner=owner,
        site=site,
        interval_hours=payload.interval_hours,
        raises_as=payload.raises_as,
        severity=payload.severity,
    )
    return Status(201, _check_out(_one(check.key)))


@router.get("/{key}", response={200: CheckOut, **ERRORS}, summary="One compliance check")
def get_check(request: HttpRequest, key: str) -> Any:
    _may_see(request)
    return _check_out(_one(key))


@router.get(
    "/{key}/runs",
    response={200: list[RunOut], **ERRORS},
    summary="The check's history of runs and posted results, newest first",
)
@paginate(PageNumber)
def list_runs(request: HttpRequest, key: str) -> Any:
    _may_see(request)
    check = checks.get_check(key)
    return Mapped(checks.history(check), _run_out)


@router.post(
    "/{key}/run",
    response={201: RunOut, **ERRORS},
    summary="Run a built-in check now",
    description="Needs compliance.manage. A failure raises one nonconformance (none while the "
    "one it raised is open); an external check cannot be run here (409).",
)
def run_check(request: HttpRequest, key: str) -> Any:
    check = checks.get_check(key)
    run = checks.run_check(check, actor=actor_of(request), source="on_demand")
    return Status(201, _run_out(run))


@router.post(
    "/{key}/results",
    response={201: RunOut, **ERRORS},
    summary="Post a result of an external check",
    description="Needs compliance.report (a personal access token as bearer). An unknown "
    "key is refused (422 naming `key`), a built-in check's key is a 409; nothing is saved "
    "on refusal. A failing result raises one nonconformance, as a failing run does.",
)
def post_result(request: HttpRequest, key: str, payload: ResultIn) -> Any:
    run = checks.record_external_result(
        key,
        passed=payload.passed,
        summary=payload.summary,
        failures=payload.failures,
        measured=payload.measured,
        external_ref=payload.external_ref,
        actor=actor_of(request),
    )
    return Status(201, _run_out(run))
