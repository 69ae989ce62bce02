"""Every write of automated compliance checks: the checks the modules declare, made visible
after each migrate; runs on a schedule or on demand; results posted by a company's own
pipelines for external checks; and what a failure entails.

A check that starts failing raises ONE nonconformance, kept on the check while it is open:
later failing runs add history, not nonconformances (check_failures.py says what a failure
and a recovery entail)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from qualitas.compliance import check_failures, check_queries
from qualitas.compliance.check_models import (
    CheckKind,
    CheckRun,
    CheckState,
    ComplianceCheck,
    RunOutcome,
    RunSource,
)
from qualitas.compliance.models import Framework, Requirement
from qualitas.compliance.services import MANAGE
from qualitas.core import (
    audit,
    compliance_checks as declared,
    permissions,
)
from qualitas.core.errors import Conflict, FieldError, InvalidInput, NotFound, QualitasError
from qualitas.core.models import Site, User
from qualitas.core.services import system_user

log = logging.getLogger(__name__)

# Post results for external checks (a pipeline's token holder, or a person).
REPORT = "compliance.report"
MAX_SUMMARY = 500
# Checks Qualitas runs itself (the others are external: their pipelines post results).
RUN_HERE = (CheckKind.CODE, CheckKind.QUERY)
MAX_FAILURE_TEXT = 500


class UnknownRequirement(ValueError):
    """A check declared in code maps to a requirement no loaded framework has."""


# --- Requirements ------------------------------------------------------------------------------


def resolve_requirements(refs: Iterable[str]) -> tuple[list[Requirement], list[str]]:
    """The requirements named "framework-key:ref_id" (in one query), and the refs not found."""
    wanted: list[tuple[str, str]] = []
    for ref in dict.fromkeys(refs):
        key, _, ref_id = ref.partition(":")
        wanted.append((key.strip(), ref_id.strip()))
    if not wanted:
        return [], []
    match = Q()
    for key, ref_id in wanted:
        match |= Q(framework__key=key, ref_id=ref_id)
    found = {
        (r.framework.key, r.ref_id): r
        for r in Requirement.objects.filter(match).select_related("framework")
    }
    missing = [f"{key}:{ref_id}" for key, ref_id in wanted if (key, ref_id) not in found]
    return [found[w] for w in wanted if w in found], missing


# --- Declared checks made visible --------------------------------------------------------------


@audit.service
def sync_registered(*, actor: User, reason: str = "") -> list[str]:
    """One ComplianceCheck per check the modules declare (idempotent): new ones made, changed
    declarations updated, checks no module declares any more deactivated. Returns the keys
    made or changed."""
    held = {c.key: c for c in ComplianceCheck.objects.prefetch_related("requirements")}
    touched: list[str] = []
    for check in declared.REGISTRY.values():
        wanted, missing = resolve_requirements(check.requirements)
        if missing:
            raise UnknownRequirement(
                f"Compliance check '{check.key}' maps to {', '.join(missing)}, which no loaded "
                "framework has (write requirements as 'framework-key:ref_id')."
            )
        fields = {
            "name": check.name,
            "description": check.description,
            "raises_as": check.raises_as,
            "severity": check.severity,
        }
        current = held.get(check.key)
        if current is None:
            current = ComplianceCheck.objects.create(key=check.key, kind=CheckKind.CODE, **fields)
            current.requirements.set(wanted)
            touched.append(check.key)
            continue
        if current.kind != CheckKind.CODE:
            raise UnknownRequirement(
                f"Compliance check '{check.key}' is declared in code, but an external check "
                "already has that key."
            )
        changed = [name for name, value in fields.items() if getattr(current, name) != value]
        if not current.active:
            current.active = True
            changed.append("active")
        if changed:
            for name in changed:
                if name != "active":
                    setattr(current, name, fields[name])
            current.save()
        if {r.pk for r in current.requirements.all()} != {r.pk for r in wanted}:
            current.requirements.set(wanted)
            changed.append("requirements")
        if changed:
            touched.append(check.key)
    gone = [
        c
        for key, c in held.items()
        if c.kind == CheckKind.CODE and c.active and key not in declared.REGISTRY
    ]
    for check_row in gone:
        check_row.active = False
        check_row.save()
        touched.append(check_row.key)
    return touched


def after_migrate(**kwargs: Any) -> None:
    """After each migrate: the shipped frameworks, then the checks that map to them."""
    from django.db import connection

    from qualitas.compliance import services

    services.load_after_migrate(**kwargs)
    if "compliance_compliancecheck" not in connection.introspection.table_names():
        return
    sync_registered(actor=system_user(), reason="Compliance checks declared by the modules")


# --- Reads -------------------------------------------------------------------------------------

# Failing checks first: what needs attention, then what nobody can vouch for.
STATE_ORDER = Case(
    When(last_state=CheckState.FAIL, then=Value(0)),
    When(last_state=CheckState.ERROR, then=Value(1)),
    When(last_state=CheckState.NEVER, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def overview(
    *, state: str | None = None, framework: str | None = None, kind: str | None = None
) -> QuerySet[ComplianceCheck]:
    """The checks for the dashboard and the API list, failing first; three queries whatever
    their number (the checks, their requirements, those requirements' frameworks)."""
    found: QuerySet[ComplianceCheck] = (
        ComplianceCheck.objects.select_related("owner", "site")
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=Requirement.objects.select_related("framework").order_by(
                    "framework__key", "order"
                ),
            )
        )
        .annotate(state_order=STATE_ORDER)
        .order_by("state_order", "name", "pk")
    )
    if state:
        if state not in CheckState.values:
            raise InvalidInput.for_field("state", f"One of: {', '.join(CheckState.values)}.")
        found = found.filter(last_state=state)
    if kind:
        found = found.filter(kind=kind)
    if framework:
        if not Framework.objects.filter(key=framework).exists():
            raise InvalidInput.for_field("framework", f"There is no framework '{framework}'.")
        mapped = ComplianceCheck.requirements.through.objects.filter(
            requirement__framework__key=framework
        ).values("compliancecheck_id")
        found = found.filter(pk__in=mapped)
    return found


def history(check: ComplianceCheck) -> QuerySet[CheckRun]:
    """The check's runs and posted results, newest first (who reported each joined)."""
    return CheckRun.objects.filter(compliance_check=check).select_related("reported_by")


# --- Runs --------------------------------------------------------------------------------------


def get_check(key: str) -> ComplianceCheck:
    found: ComplianceCheck | None = (
        ComplianceCheck.objects.select_related("owner", "site").filter(key=key).first()
    )
    if found is None:
        raise NotFound(f"There is no compliance check '{key}'.")
    return found


def _execute(check: ComplianceCheck) -> tuple[str, declared.Outcome]:
    """Run a code check's declaration; an exception is an "error" run, not a failure of the
    requirement (nobody knows yet whether it is met)."""
    if check.kind == CheckKind.QUERY:
        return _execute_query(check)
    declaration = declared.REGISTRY.get(check.key)
    if declaration is None:
        return RunOutcome.ERROR, declared.Outcome.failed(
            "No installed module declares this check any more."
        )
    site = check.site if declaration.site_scoped else None
    context = declared.CheckContext(now=timezone.now(), site=site)
    try:
        with transaction.atomic():  # a failed query must not poison the run's transaction
            outcome = declaration.run(context)
    except Exception as exc:  # any error of a check's code is reported, not raised
        log.exception("compliance check %s could not run", check.key)
        return RunOutcome.ERROR, declared.Outcome.failed(
            f"The check could not run: {type(exc).__name__}: {exc}"[:MAX_SUMMARY]
        )
    return (RunOutcome.PASS if outcome.passed else RunOutcome.FAIL), outcome


def _execute_query(check: ComplianceCheck) -> tuple[str, declared.Outcome]:
    context = declared.CheckContext(now=timezone.now(), site=check.site)
    try:
        with transaction.atomic():
            outcome = check_queries.run(check.template, check.parameters, context)
    except Exception as exc:  # as for code checks: an error of the query is reported
        log.exception("compliance check %s could not run", check.key)
        return RunOutcome.ERROR, declared.Outcome.failed(
            f"The check could not run: {type(exc).__name__}: {exc}"[:MAX_SUMMARY]
        )
    return (RunOutcome.PASS if outcome.passed else RunOutcome.FAIL), outcome


@audit.service
def run_check(
    check: ComplianceCheck, *, actor: User, source: str = RunSource.ON_DEMAND, reason: str = ""
) -> CheckRun:
    """Run one code check now and keep the result; on demand it needs compliance.manage."""
    if source == RunSource.ON_DEMAND:
        permissions.require(actor, MANAGE, site=check.site)
    if check.kind not in RUN_HERE:
        raise Conflict(
            f"'{check.key}' is an external check: its results are posted by the pipeline "
            "that runs it, not run by Qualitas.",
            errors=[FieldError("key", "An external check cannot be run here.")],
        )
    if not check.active:
        raise Conflict(f"'{check.key}' is inactive: no installed module declares it.")
    started = timezone.now()
    outcome_code, outcome = _execute(check)
    return _record(
        check,
        outcome=outcome_code,
        summary=outcome.summary,
        failures=outcome.failures,
        measured=outcome.measured,
        source=source,
        started_at=started,
        reported_by=actor if source == RunSource.ON_DEMAND else None,
        actor=actor,
    )


def due_checks(now: Any = None) -> list[ComplianceCheck]:
    """Active checks Qualitas runs, never run or last run at least their interval ago."""
    now = now or timezone.now()
    found = ComplianceCheck.objects.filter(active=True, kind__in=RUN_HERE).select_related(
        "owner", "site"
    )
    return [
        c
        for c in found.order_by("key")
        if c.last_run_at is None or c.last_run_at <= now - timedelta(hours=c.interval_hours)
    ]


def stale_external(now: Any = None) -> list[ComplianceCheck]:
    """Active external checks whose pipeline has posted nothing for longer than their
    interval (one that never reported: since it was added). Silence is not a pass: the
    evidence it gave is overdue, and its owner should know the pipeline stopped."""
    now = now or timezone.now()
    found = ComplianceCheck.objects.filter(active=True, kind=CheckKind.EXTERNAL).select_related(
        "owner", "site"
    )
    return [
        c
        for c in found.order_by("key")
        if (c.last_run_at or c.created_at) <= now - timedelta(hours=c.interval_hours)
    ]


@audit.service
def flag_stale(check: ComplianceCheck, *, actor: User) -> CheckRun:
    """Record that an external check's result is overdue: a "could not run" entry in its
    history (its owner is told once), repeated each interval the silence lasts."""
    now = timezone.now()
    since = check.last_run_at
    heard = f"since {timezone.localtime(since):%Y-%m-%d %H:%M}" if since else "since it was added"
    return _record(
        check,
        outcome=RunOutcome.ERROR,
        summary=(
            f"No result posted {heard}; one is expected every {check.interval_hours} hours. "
            "Is the pipeline that reports it still running?"
        ),
        failures=[],
        measured={
            "hours_silent": round((now - (since or check.created_at)).total_seconds() / 3600)
        },
        source=RunSource.SCHEDULE,
        started_at=now,
        reported_by=None,
        actor=actor,
    )


def run_due() -> str:
    """The periodic job: each check that is due runs once (idempotent within its interval);
    each run is its own transaction, so one broken check does not stop the others. External
    checks that have fallen silent are flagged."""
    actor = system_user()
    counts = {RunOutcome.PASS: 0, RunOutcome.FAIL: 0, RunOutcome.ERROR: 0}
    stale = stale_external()
    for check in stale:
        flag_stale(check, actor=actor)
    for check in due_checks():
        try:
            run = run_check(check, actor=actor, source=RunSource.SCHEDULE)
        except QualitasError as exc:
            log.warning("compliance check %s was not run: %s", check.key, exc)
            counts[RunOutcome.ERROR] += 1
            continue
        counts[RunOutcome(run.outcome)] += 1
    total = sum(counts.values())
    return (
        f"{total} compliance checks run: {counts[RunOutcome.PASS]} passed, "
        f"{counts[RunOutcome.FAIL]} failed, {counts[RunOutcome.ERROR]} could not run; "
        f"{len(stale)} external check(s) silent past their interval"
    )


# --- External checks ---------------------------------------------------------------------------


def _clean_failures(failures: Iterable[Any] | None) -> list[str]:
    cleaned = [str(f).strip()[:MAX_FAILURE_TEXT] for f in failures or () if str(f).strip()]
    return declared.capped(cleaned)


@audit.service
def record_external_result(
    key: str,
    *,
    passed: bool,
    summary: str,
    actor: User,
    failures: Iterable[Any] | None = None,
    measured: dict[str, Any] | None = None,
    external_ref: str = "",
    reason: str = "",
) -> CheckRun:
    """A result of an external check, posted by the pipeline that ran it (compliance.report)."""
    permissions.require(actor, REPORT)
    check = ComplianceCheck.objects.select_related("owner", "site").filter(key=key).first()
    if check is None:
        raise InvalidInput.for_field("key", f"There is no compliance check '{key}'.")
    if check.kind in RUN_HERE:
        raise Conflict(
            f"'{key}' is a {check.get_kind_display().lower()} check: Qualitas runs it; results "
            "can be posted only for external checks.",
            errors=[FieldError("key", "A check Qualitas runs takes no posted results.")],
        )
    if not check.active:
        raise Conflict(
            f"'{key}' is inactive and takes no results.",
            errors=[FieldError("key", "This check is inactive.")],
        )
    permissions.require(actor, REPORT, site=check.site)
    summary = (summary or "").strip()
    if not summary:
        raise InvalidInput.for_field("summary", "Say in one line what the run found.")
    if len(summary) > MAX_SUMMARY:
        raise InvalidInput.for_field("summary", f"At most {MAX_SUMMARY} characters.")
    if len(external_ref) > 300:
        raise InvalidInput.for_field("external_ref", "At most 300 characters.")
    now = timezone.now()
    return _record(
        check,
        outcome=RunOutcome.PASS if passed else RunOutcome.FAIL,
        summary=summary,
        failures=_clean_failures(failures),
        measured=dict(measured or {}),
        source=RunSource.EXTERNAL,
        started_at=now,
        reported_by=actor,
        external_ref=external_ref.strip(),
        actor=actor,
    )


@audit.service
def create_external_check(*, actor: User, reason: str = "", **fields: Any) -> ComplianceCheck:
    """A check the organisation runs itself (a CIS benchmark scan, a backup-restore test)
    and reports into the same history through the API."""
    return _create(CheckKind.EXTERNAL, actor=actor, **fields)


@audit.service
def create_configured_check(
    *,
    actor: User,
    template: str,
    parameters: dict[str, Any] | None = None,
    reason: str = "",
    **fields: Any,
) -> ComplianceCheck:
    """A check Qualitas runs from a query template with the organisation's parameters
    (check_queries): e.g. each Annex A control at a site has current evidence."""
    return _create(CheckKind.QUERY, actor=actor, template=template, parameters=parameters, **fields)


def _create(
    kind: str,
    *,
    actor: User,
    key: str,
    name: str,
    description: str = "",
    requirements: Iterable[str] = (),
    owner: User | None = None,
    site: Site | None = None,
    interval_hours: int = 24,
    raises_as: str = "internal_audit",
    severity: str = "minor",
    template: str = "",
    parameters: dict[str, Any] | None = None,
) -> ComplianceCheck:
    permissions.require(actor, MANAGE, site=site)
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    if kind == CheckKind.QUERY:
        try:
            cleaned = check_queries.clean(template, parameters)
        except InvalidInput as refused:
            errors.extend(refused.errors)
    key = (key or "").strip()
    if not declared.KEY.match(key):
        errors.append(
            FieldError(
                "key", "3 to 60 lower-case letters, digits and hyphens, e.g. cis-linux-scan."
            )
        )
    elif ComplianceCheck.objects.filter(key=key).exists():
        errors.append(FieldError("key", f"A compliance check '{key}' exists already."))
    if not (name or "").strip():
        errors.append(FieldError("name", "Give the check a name."))
    elif len(name) > 200:
        errors.append(FieldError("name", "At most 200 characters."))
    if raises_as not in declared.RAISES_AS:
        errors.append(FieldError("raises_as", f"One of: {', '.join(declared.RAISES_AS)}."))
    if severity not in declared.SEVERITIES:
        errors.append(FieldError("severity", f"One of: {', '.join(declared.SEVERITIES)}."))
    if not 1 <= interval_hours <= 24 * 366:
        errors.append(FieldError("interval_hours", "Between 1 and 8784 hours (a year)."))
    if owner is not None and not owner.is_active:
        errors.append(FieldError("owner", f"{owner.printed_name} is deactivated."))
    refs = [r.strip() for r in requirements if r and r.strip()]
    found, missing = resolve_requirements(refs)
    if missing:
        errors.append(
            FieldError(
                "requirements",
                f"No loaded framework has {', '.join(missing)} (write 'framework-key:ref_id', "
                "e.g. iso-27001-2022:A.8.13).",
            )
        )
    if errors:
        raise InvalidInput(errors)
    check = ComplianceCheck.objects.create(
        key=key,
        name=name.strip(),
        description=(description or "").strip(),
        kind=kind,
        template=template if kind == CheckKind.QUERY else "",
        parameters=cleaned,
        owner=owner,
        site=site,
        interval_hours=interval_hours,
        raises_as=raises_as,
        severity=severity,
    )
    check.requirements.set(found)
    return check


# --- What a result entails ---------------------------------------------------------------------


def _record(
    check: ComplianceCheck,
    *,
    outcome: str,
    summary: str,
    failures: list[str],
    measured: dict[str, Any],
    source: str,
    started_at: Any,
    reported_by: User | None,
    actor: User,
    external_ref: str = "",
) -> CheckRun:
    """Keep the run, move the check's state, and react to the change."""
    current = ComplianceCheck.objects.select_for_update().get(pk=check.pk)
    run = CheckRun.objects.create(
        compliance_check=current,
        started_at=started_at,
        finished_at=timezone.now(),
        outcome=outcome,
        summary=summary[:MAX_SUMMARY],
        failures=list(failures),
        measured=measured,
        source=source,
        reported_by=reported_by,
        external_ref=external_ref,
    )
    before = current.last_state
    current.last_state = {
        RunOutcome.PASS: CheckState.PASS,
        RunOutcome.FAIL: CheckState.FAIL,
        RunOutcome.ERROR: CheckState.ERROR,
    }[RunOutcome(outcome)]
    current.last_run_at = run.finished_at
    current.last_summary = run.summary
    check_failures.forget_closed_nonconformance(current)
    if outcome == RunOutcome.FAIL and not current.open_nonconformance_id:
        check_failures.raise_nonconformance(current, run, actor)
    elif outcome == RunOutcome.PASS and before in (CheckState.FAIL, CheckState.ERROR):
        check_failures.tell_passing_again(current, run, actor)
    elif outcome == RunOutcome.ERROR and before != CheckState.ERROR:
        check_failures.notify_owner(
            current, f"Compliance check could not run: {current.name}", run.summary
        )
    current.save()
    check.last_state, check.last_run_at = current.last_state, current.last_run_at
    check.open_nonconformance_id = current.open_nonconformance_id
    check.open_nonconformance_number = current.open_nonconformance_number
    return run
