"""What an audit, a programme or a finding lacks before a step: the workflows' guards.

Each returns None when the step may go ahead, else the reason in the auditor's words.
Auditor independence (ISO 19011 4 e, ISO 9001 9.2.2 c) and qualification (ISO 19011 7)
are decided here too, so the team form, the API and the workflow give the same reason."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings

from qualitas.core import records, workflow

if TYPE_CHECKING:
    from qualitas.audits.models import Audit, Finding
    from qualitas.core.models import User

CAPA = "capa"  # the record type key a finding's corrective action is
# Team roles that audit (observers and technical experts do not judge conformity).
AUDITING_ROLES = ("auditor", "trainee")
CONDUCT = "audits.conduct"  # qualified by role where training keeps no auditor course


def programme_has_entries(programme: Any) -> str | None:
    if not programme.entries.exists():
        return "Plan at least one audit in the programme before approving it."
    return None


def led_by_us(audit_type: str) -> bool:
    """An audit our own auditors conduct: not one a certification body or a customer leads
    (their auditors' qualification and independence are theirs to keep)."""
    from qualitas.audits.models import EXTERNAL_TYPES

    return audit_type not in EXTERNAL_TYPES


def auditors_of(audit: Audit) -> list[User]:
    """The lead auditor and the team members who judge conformity (none of ours when
    another party leads the audit)."""
    if not led_by_us(audit.audit_type):
        return []
    lead = audit.lead_auditor
    people: list[User] = [lead] if lead is not None else []
    people += [
        member.person
        for member in audit.team.filter(removed_at__isnull=True, role__in=AUDITING_ROLES)
        .select_related("person__department")
        .order_by("id")
    ]
    return people


def audited_departments(audit: Audit) -> set[int]:
    ids = set(audit.auditee_departments.values_list("id", flat=True))
    if audit.department_id:
        ids.add(audit.department_id)
    return ids


def independence_conflicts(audit: Audit, people: Iterable[User] | None = None) -> list[str]:
    """Auditors who would audit their own department's work, as "Name (Department)"."""
    audited = audited_departments(audit)
    if not audited:
        return []
    return [
        f"{person.printed_name} ({person.department})"
        for person in (auditors_of(audit) if people is None else people)
        if person.department_id in audited
    ]


def independence_reason(names: list[str]) -> str:
    return (
        f"Auditors may not audit their own department's work (ISO 19011 4 e): "
        f"{', '.join(names)}. Choose another auditor, or a quality manager signs a "
        "justification for the exception."
    )


EXCEPTION = "override_independence"  # the signed decision's name (RecordType.signed_for)


def exception_content(audit: Audit) -> dict[str, Any]:
    """What the quality manager's exception covers: why, for which audited departments. The
    team may change under it; the departments may not (a new one needs a new decision)."""
    return {
        "justification": audit.independence_justification,
        "audited_departments": sorted(audited_departments(audit)),
    }


def exception_holds(audit: Audit) -> bool:
    """A quality manager's exception is signed and still covers this audit's departments."""
    signature = audit.independence_signature if audit.independence_signature_id else None
    if signature is None:
        return False
    from qualitas.core import signatures

    return signatures.is_valid(signature, audit)


def team_independent(audit: Audit) -> str | None:
    """A guard: no auditor audits their own department, unless a quality manager signed
    the exception for the departments audited."""
    names = independence_conflicts(audit)
    if not names or exception_holds(audit):
        return None
    if audit.independence_signature_id:
        return (
            independence_reason(names)
            + " The signed exception was for other audited departments: sign it again."
        )
    return independence_reason(names)


def auditor_course() -> str:
    return str(getattr(settings, "QUALITAS_AUDITOR_COURSE", "internal-auditor"))


def unqualified(site: Any, people: Iterable[User]) -> list[str]:
    """People not qualified to audit: without a current record of the auditor course when
    the training module keeps that course, else without the permission to conduct audits
    (auditors and quality managers) at the audit's site."""
    from qualitas.training import queries as training

    people = list(people)
    course = auditor_course()
    if training.course_exists(course):
        trained = training.trained_in(course, [p.pk for p in people])
        return [p.printed_name for p in people if p.pk not in trained]
    # One query for the whole team (not one per person), so a page listing it stays flat.
    holders = workflow.holders_of(CONDUCT, site=site)
    return [p.printed_name for p in people if p.pk not in holders and not p.is_superuser]


def qualification_reason(names: list[str]) -> str:
    return (
        f"Not qualified as an auditor: {', '.join(names)} (the training course "
        f"'{auditor_course()}' completed and current, or the auditor role where training "
        "does not keep that course)."
    )


def ready_to_prepare(audit: Audit) -> str | None:
    missing = []
    if not audit.lead_auditor_id:
        missing.append("a lead auditor")
    if not audit.planned_start:
        missing.append("the planned start")
    if not audit.checklist.exists():
        missing.append("a checklist (generate it from the criteria or add questions)")
    if missing:
        return f"Before the audit is prepared it needs {', '.join(missing)}."
    names = unqualified(audit.site, auditors_of(audit))
    if names:
        return qualification_reason(names)
    return team_independent(audit)


def checklist_answered(audit: Audit) -> str | None:
    left = audit.checklist.filter(answer="").count()
    if left:
        return (
            f"{left} checklist question{'s' if left != 1 else ''} "
            f"{'are' if left != 1 else 'is'} not answered: answer each, or mark it not audited."
        )
    return None


def report_written(audit: Audit) -> str | None:
    missing = [name for name in ("summary", "conclusion") if not getattr(audit, name).strip()]
    if missing:
        return f"Write the report's {' and '.join(missing)} before signing it."
    return None


def findings_closed(audit: Audit) -> str | None:
    open_ = list(
        audit.findings.filter(state__in=("open", "action")).values_list("number", flat=True)
    )
    if open_:
        return f"Findings still open: {', '.join(open_)}. Verify them before closing the audit."
    return None


def not_a_nonconformity(finding: Finding) -> str | None:
    from qualitas.audits.models import NC_GRADES

    if finding.grade in NC_GRADES:
        return "A nonconformity is closed by verifying its corrective action, not by a response."
    return None


def corrective_action_effective(finding: Finding) -> str | None:
    """A guard: the finding's CAPA is closed and was found effective (ISO 9001 10.2.1 d)."""
    if not finding.capa_id:
        return "No corrective action is linked to this finding."
    # Waiting for the CAPA is a state of affairs, not bad input: refused as a conflict (409).
    capa_type = records.RECORD_TYPES[CAPA]
    row = (
        capa_type.model.objects.filter(pk=finding.capa_id)
        .values("state", "effectiveness_result")
        .first()
    )
    if row is None:
        return workflow.NotYet(f"{finding.capa_number} no longer exists.")
    if row["state"] != "closed" or row["effectiveness_result"] != "passed":
        state = capa_type.workflow.label_of(row["state"])
        return workflow.NotYet(
            f"{finding.capa_number} is {state.lower()}: a finding is verified once its "
            "corrective action is closed and found effective."
        )
    return None
