"""What a failing compliance check entails: ONE nonconformance while it fails (its source
and severity as the check says, the check's key, requirements and failures in its text),
forgotten once closed; when the check passes again, an action on that nonconformance for its
owner to verify the correction (the core has no comment service; an action shows on the
record's page and notifies its assignee); the owner told of both."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from qualitas.compliance.check_models import (
    CheckRun,
    ComplianceCheck,
)
from qualitas.core import (
    actions,
    notifications,
    permissions,
    records,
    workflow,
)
from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.models import Site, User
from qualitas.nonconformance import services as nonconformance

log = logging.getLogger(__name__)

NONCONFORMANCE = "nonconformance"  # the record type key failures are raised as
# An action to verify a correction is due this many days after the check passes again.
VERIFY_WITHIN_DAYS = 7


def _nc_type() -> records.RecordType:
    return records.RECORD_TYPES[NONCONFORMANCE]


def _open_nonconformance(check: ComplianceCheck) -> Any:
    """The check's nonconformance while it is open (not closed or cancelled), else None."""
    if not check.open_nonconformance_id:
        return None
    record_type = _nc_type()
    return (
        record_type.model.objects.select_related("owner", "site")
        .filter(pk=check.open_nonconformance_id)
        .exclude(state__in=record_type.workflow.locked_states)
        .first()
    )


def forget_closed_nonconformance(check: ComplianceCheck) -> None:
    """A closed or cancelled nonconformance no longer holds back a new one."""
    if check.open_nonconformance_id and _open_nonconformance(check) is None:
        check.open_nonconformance_id = None
        check.open_nonconformance_number = ""


def page_url(check: ComplianceCheck) -> str:
    return reverse("compliance:check", args=[check.key])


def _site_for(check: ComplianceCheck) -> Site | None:
    """Where the nonconformance belongs: the check's site, else its owner's, else the first
    active site (a site-bound record type needs one)."""
    if check.site is not None:
        return check.site
    if check.owner is not None and check.owner.site is not None:
        return check.owner.site
    return Site.objects.filter(is_active=True).order_by("pk").first()


def _raiser(check: ComplianceCheck, actor: User, site: Site | None) -> User | None:
    """Who raises the nonconformance: the person who ran the check, else its owner, else a
    holder of the right to raise nonconformances at that site (a scheduled run has no person,
    and the system account holds no rights)."""
    code = _nc_type().permissions.create
    for person in (actor, check.owner):
        if person is not None and permissions.has_perm(person, code, site=site):
            return person
    holders = workflow.holders_of(code, site=site)
    return User.objects.filter(pk__in=holders).order_by("pk").first() if holders else None


def _nc_owner(check: ComplianceCheck, site: Site | None) -> User | None:
    if check.owner is None:
        return None
    try:
        records.check_owner(_nc_type(), check.owner, site)
    except InvalidInput:
        return None  # the raiser owns it; the check's owner is still told
    return check.owner


def _requirement_lines(check: ComplianceCheck) -> list[str]:
    return [
        f"{r.framework.key} {r.ref_id} {r.title}"
        for r in check.requirements.select_related("framework").order_by("framework__key", "order")
    ]


def raise_nonconformance(check: ComplianceCheck, run: CheckRun, actor: User) -> None:
    site = _site_for(check)
    raiser = _raiser(check, actor, site)
    if raiser is None:
        notify_owner(
            check,
            f"Compliance check failing: {check.name}",
            f"{run.summary}\nNo nonconformance could be raised: nobody may raise one"
            + (f" at {site.name}." if site else "."),
        )
        return
    requirement = "\n".join(
        [f"Compliance check '{check.key}' ({check.name}) passes; it evidences:"]
        + [f"- {line}" for line in _requirement_lines(check)]
    )
    finding = "\n".join(
        [
            f"Run of {run.finished_at:%Y-%m-%d %H:%M} UTC ({run.get_source_display().lower()}): "
            f"{run.summary}",
            *[f"- {failure}" for failure in run.failures],
            f"History: {page_url(check)}",
        ]
    )
    try:
        # A refusal (no site to put it in, say) must not lose the run: it is kept, and the
        # owner is told why no nonconformance was raised; the next failing run tries again.
        with transaction.atomic():
            nc = nonconformance.raise_nonconformance(
                actor=raiser,
                title=f"Compliance check failing: {check.name}"[:200],
                source=check.raises_as,
                severity=check.severity,
                detection_stage="Automated compliance check",
                requirement=requirement,
                finding=finding,
                site=site,
                owner=_nc_owner(check, site),
            )
    except QualitasError as exc:
        log.warning("compliance check %s: no nonconformance raised: %s", check.key, exc)
        notify_owner(
            check,
            f"Compliance check failing: {check.name}",
            f"{run.summary}\nNo nonconformance could be raised: {exc}",
        )
        return
    check.open_nonconformance_id = nc.pk
    check.open_nonconformance_number = nc.number
    recipient = check.owner or nc.owner
    notifications.notify(
        recipient,
        title=f"Compliance check failing: {check.name} ({nc.number} raised)"[:200],
        body=run.summary,
        url=page_url(check),
        email=True,
    )


def tell_passing_again(check: ComplianceCheck, run: CheckRun, actor: User) -> None:
    """The nonconformance it raised, still open, gets an action to verify and close it."""
    nc = _open_nonconformance(check)
    if nc is None:
        notify_owner(check, f"Compliance check passes again: {check.name}", run.summary)
        return
    title = f"Compliance check '{check.key}' passes again: verify the correction and close"
    description = f"Run of {run.finished_at:%Y-%m-%d %H:%M} UTC: {run.summary}"
    due = timezone.localdate() + timedelta(days=VERIFY_WITHIN_DAYS)
    assigner = next(
        (p for p in (actor, check.owner, nc.owner) if p is not None and records.may_edit(p, nc)),
        None,
    )
    assigned = False
    if assigner is not None and nc.owner.is_active:
        try:
            actions.assign(
                nc,
                actor=assigner,
                title=title[:200],
                due_on=due,
                assignee=nc.owner,
                description=description,
            )
            assigned = True
        except QualitasError:
            assigned = False
    if not assigned or assigner == nc.owner:
        notifications.notify(
            nc.owner, title=f"{nc.number}: {title}"[:200], body=description, url=page_url(check)
        )
    if check.owner is not None and check.owner != nc.owner:
        notify_owner(check, f"Compliance check passes again: {check.name}", description)


def notify_owner(check: ComplianceCheck, title: str, body: str) -> None:
    if check.owner is not None and check.owner.is_active:
        notifications.notify(
            check.owner, title=title[:200], body=body, url=page_url(check), email=True
        )
