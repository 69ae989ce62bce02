"""Every write to audit findings (ISO 19011 6.4.8, ISO 9001 9.2.2 and 10.2): recording a
graded finding during fieldwork; a major or minor nonconformity raises, in the same
transaction, a nonconformance and the CAPA that corrects it, owned by the auditee and due by
the grade; what verification and closure entail; and the auditor told when the CAPA closes.

The nonconformance and the CAPA are other modules' records, reached only through their
services; the finding keeps their ids and numbers and is linked to both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from qualitas.audits import readiness, services, workflows as w
from qualitas.audits.models import NC_GRADES, Audit, AuditType, ChecklistItem, Finding, Grade
from qualitas.capa.events import CapaClosed
from qualitas.core import audit, links, notifications, permissions, records, workflow
from qualitas.core.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from qualitas.core.models import User

# Days from the finding to its due date, by grade, unless QUALITAS_FINDING_DUE_DAYS says
# otherwise: a major nonconformity is corrected first.
DEFAULT_DUE_DAYS = {
    Grade.MAJOR_NC.value: 30,
    Grade.MINOR_NC.value: 90,
    Grade.OBSERVATION.value: 60,
    Grade.OFI.value: 60,
}

# The nonconformance's source, by the kind of audit that found it.
NC_SOURCE = {
    AuditType.EXTERNAL.value: "external_audit",
    AuditType.CUSTOMER.value: "external_audit",
    AuditType.SUPPLIER.value: "supplier",
}
NC_SEVERITY = {Grade.MAJOR_NC.value: "major", Grade.MINOR_NC.value: "minor"}

# Written by the verification step after its signature is made: not part of what it signs.
UNSIGNED = ("verified_at", "verification_notes")

TITLE_WORDS = 8


def record_type() -> records.RecordType:
    return records.RECORD_TYPES[services.FINDING]


def url_of(finding: Finding) -> str:
    return f"/{record_type().resource}/{finding.pk}/"


def due_days(grade: str) -> int:
    configured = getattr(settings, "QUALITAS_FINDING_DUE_DAYS", None) or {}
    return int(configured.get(grade, DEFAULT_DUE_DAYS[grade]))


def may_record(user: User, audit_: Audit) -> bool:
    """Findings are recorded by the audit's lead auditor or team, or anyone qualified to
    audit at its site; only during fieldwork."""
    return audit_.state in w.FIELDWORK and _is_auditor(user, audit_)


def _is_auditor(user: User, audit_: Audit) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.pk in services.relation_lead(audit_) or user.pk in services.relation_team(audit_):
        return True
    return permissions.has_perm(user, readiness.CONDUCT, site=audit_.site)


def require_record(user: User, audit_: Audit) -> None:
    if not _is_auditor(user, audit_):
        raise PermissionDenied(
            f"Only the audit team of {audit_.number} or an auditor at {audit_.site} may "
            "record its findings."
        )
    if audit_.state not in w.FIELDWORK:
        raise Conflict(
            f"{audit_.number} is {audit_.get_state_display()}: findings are recorded while "
            "the audit is in progress or reporting."
        )


def _default_title(grade: str, requirement: Any, statement: str) -> str:
    words = statement.split()
    text = " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")
    ref = f" {requirement.ref_id}" if requirement is not None else ""
    return f"{Grade(grade).label}{ref}: {text}"[:200]


def _requirement_text(requirement: Any) -> str:
    return f"{requirement.framework.key} {requirement.ref_id} {requirement.title}"


@audit.service
def record_finding(
    audit_: Audit,
    *,
    actor: User,
    grade: str,
    statement: str,
    title: str = "",
    requirement_id: int | None = None,
    checklist_item: ChecklistItem | int | None = None,
    objective_evidence: str = "",
    owner: User | None = None,
) -> Finding:
    """Record a graded finding of an audit in fieldwork (AF-…). A major or minor
    nonconformity raises its nonconformance and CAPA with it, owned by the finding's owner
    (the auditee), and goes straight to corrective action; observations and opportunities
    for improvement wait for the auditee's response. Nothing is saved if any part is refused."""
    from qualitas.compliance import queries as compliance

    # Findings are not recorded while the audit changes state (finishing fieldwork, reporting).
    with records.locked(audit_) as current:
        require_record(actor, current)
        statement = (statement or "").strip()
        errors: list[FieldError] = []
        if grade not in Grade.values:
            errors.append(
                FieldError(
                    "grade", f"Unknown grade '{grade}': use one of {', '.join(Grade.values)}."
                )
            )
        if not statement:
            errors.append(FieldError("statement", "Say what does not meet which requirement."))
        item = _checklist_item(current, checklist_item, errors)
        if requirement_id is None and item is not None:
            requirement_id = item.requirement_id
        requirement = None
        if requirement_id is not None:
            requirement = compliance.requirements_by_id([int(requirement_id)]).get(
                int(requirement_id)
            )
            if requirement is None or not compliance.requirement_ids([requirement.pk]):
                errors.append(
                    FieldError("requirement_id", f"No such requirement: {requirement_id}.")
                )
                requirement = None
        owner = owner or current.auditee_contact or current.owner
        if not owner.is_active:
            errors.append(FieldError("owner", f"{owner.printed_name} is no longer active."))
        if errors:
            raise InvalidInput(errors)
        due_on = timezone.localdate() + timedelta(days=due_days(grade))
        department = current.auditee_departments.order_by("id").first() or current.department
        finding: Finding = records.create(
            record_type(),
            actor=actor,
            title=(title or "").strip() or _default_title(grade, requirement, statement),
            statement=statement,
            objective_evidence=(objective_evidence or "").strip(),
            due_on=due_on,
            priority="high" if grade == Grade.MAJOR_NC else "medium",
            computed={
                "audit": current,
                "grade": grade,
                "requirement": requirement,
                "checklist_item": item,
                "site": current.site,
                "department": department,
            },
        )
        if grade in NC_GRADES:
            _raise_corrective_action(finding, current, requirement, owner, actor)
        # The auditee owns the answer to what was found in their area, whether or not they
        # handle audit records: the finding is handed to them once it is recorded.
        finding.owner = owner
        if grade in NC_GRADES or owner.pk != actor.pk:
            records.touch(finding, actor)
        if grade in NC_GRADES:
            finding = workflow.fire(finding, "raise_action", actor=actor, by_service=True)
        _tell_owner(finding, actor)
        return finding


def _checklist_item(
    audit_: Audit, given: ChecklistItem | int | None, errors: list[FieldError]
) -> ChecklistItem | None:
    if given is None:
        return None
    pk = given.pk if isinstance(given, ChecklistItem) else given
    item = audit_.checklist.filter(pk=pk).first() if str(pk).isdigit() else None
    if item is None:
        errors.append(
            FieldError("checklist_item", f"No question {pk} on the checklist of {audit_.number}.")
        )
    return item


def _raise_corrective_action(
    finding: Finding, audit_: Audit, requirement: Any, owner: User, actor: User
) -> None:
    """The nonconformance (ISO 9001 10.2.1 a) and its CAPA (10.2.1 b-d) for an NC finding,
    named on the finding (saved by the caller).

    The auditor who records the finding raises the nonconformance and escalates it, as its
    owner: the nonconformance module lets only those who work on an NC escalate it, and an
    auditor does not work on the auditee's NCs. The CAPA, the correction itself, is opened
    by the same auditor for the auditee, due when the finding is."""
    from qualitas.capa import services as capa_services
    from qualitas.nonconformance import services as nc_services

    evidence = (
        f"\n\nObjective evidence: {finding.objective_evidence}"
        if finding.objective_evidence
        else ""
    )
    found = f"{finding.number} ({audit_.number}): {finding.statement}{evidence}"
    nc = nc_services.raise_nonconformance(
        actor=actor,
        title=finding.title,
        source=NC_SOURCE.get(audit_.audit_type, "internal_audit"),
        severity=NC_SEVERITY[finding.grade],
        detection_stage=f"Audit {audit_.number}",
        requirement=_requirement_text(requirement) if requirement is not None else "",
        finding=found,
        supplier_name=audit_.audited_organisation[:120]
        if audit_.audit_type == AuditType.SUPPLIER
        else "",
        site=finding.site,
        department=finding.department,
        due_on=finding.due_on,
    )
    capa = capa_services.open_capa(
        actor=actor,
        owner=_capa_owner(owner, finding),
        title=f"Correct {finding.number}: {finding.title}"[:200],
        problem_statement=found
        + (f"\n\nRequired: {_requirement_text(requirement)}" if requirement is not None else ""),
        site=finding.site,
        department=finding.department,
        priority=finding.priority,
        due_on=finding.due_on,
    )
    nc_services.escalate_to_capa(nc, actor=actor, capa=capa)
    links.add(nc, actor=actor, target=finding, kind="raised_from", note="Audit finding")
    links.add(finding, actor=actor, target=capa, kind="addressed_by", note="Corrective action")
    finding.nonconformance_id = nc.pk
    finding.nonconformance_number = nc.number
    finding.capa_id = capa.pk
    finding.capa_number = capa.number


def _capa_owner(owner: User, finding: Finding) -> User | None:
    """The auditee owns the correction where they may handle CAPAs at the site; else the
    head of the audited department; else whoever records the finding (None)."""
    capa_type = records.RECORD_TYPES["capa"]
    head = finding.department.head if finding.department_id and finding.department else None
    for candidate in (owner, head):
        if candidate is None:
            continue
        try:
            records.check_owner(capa_type, candidate, finding.site)
        except InvalidInput:
            continue
        return candidate
    return None


def _tell_owner(finding: Finding, actor: User) -> None:
    if finding.owner.pk == actor.pk:
        return
    if finding.capa_number:
        title = f"Audit finding {finding.number}: corrective action {finding.capa_number} is yours"
        body = (
            f"{finding.get_grade_display()}: {finding.statement}\nCorrect it and show it "
            f"effective by {finding.due_on:%Y-%m-%d}."
        )
    else:
        title = f"Audit finding {finding.number} awaits your response"
        body = f"{finding.get_grade_display()}: {finding.statement}"
    notifications.notify(
        finding.owner, title=title[:200], body=body, url=url_of(finding), email=True
    )


# --- What the CAPA's closure and the finding's steps entail ----------------------------------


def on_capa_closed(event: CapaClosed) -> None:
    """A CAPA closed as effective: the lead auditor of each audit whose finding waits on it
    is told the finding is ready for follow-up verification (ISO 19011 6.7)."""
    waiting = Finding.objects.filter(
        capa_id=event.capa_id, state=w.FindingState.ACTION
    ).select_related("audit__lead_auditor", "audit__owner")
    for finding in waiting:
        auditor = finding.audit.lead_auditor or finding.audit.owner
        if not auditor.is_active:
            continue
        notifications.notify(
            auditor,
            title=f"{event.number} closed: verify audit finding {finding.number}"[:200],
            body=f"{finding.title}\nFollow-up verification of {finding.audit.number} waits on you.",
            url=url_of(finding),
            email=True,
        )


def _verified(finding: Finding, actor: User, comment: str) -> None:
    finding.verified_at = timezone.now()
    finding.verification_notes = comment.strip()
    finding.save(update_fields=["verified_at", "verification_notes"])
    audit_ = finding.audit
    if audit_.owner.pk != actor.pk:
        notifications.notify(
            audit_.owner,
            title=f"Audit finding {finding.number} verified and closed",
            body=f"{actor.printed_name}: {finding.capa_number} was effective. {comment}".strip(),
            url=url_of(finding),
        )
    _audit_may_close(finding, actor)


def _closed_with_response(finding: Finding, actor: User, comment: str) -> None:
    # The response the finding is closed with is kept on it, unless one was written before.
    if not finding.response.strip():
        finding.response = comment.strip()
        finding.save(update_fields=["response"])
    _audit_may_close(finding, actor)


def _cancelled(finding: Finding, actor: User, comment: str) -> None:
    _audit_may_close(finding, actor)


def _audit_may_close(finding: Finding, actor: User) -> None:
    """In follow-up, once no finding is open or in corrective action, the audit's owner
    hears the audit may be closed."""
    audit_ = finding.audit
    if audit_.state != w.State.FOLLOW_UP:
        return
    if readiness.findings_closed(audit_) is not None:
        return
    notifications.notify(
        audit_.owner,
        title=f"Audit {audit_.number}: every finding is closed; the audit may be closed",
        body=audit_.title,
        url=services.url_of(audit_),
        email=True,
    )


ENTAILS: dict[str, Callable[[Any, Any, str], None]] = {
    "verify": _verified,
    "close": _closed_with_response,
    "cancel": _cancelled,
}
