"""The audit report (ISO 19011 6.5): what the lead auditor's signature covers and the PDF.

`signed_content` is the audit record type's `signed_extra`: the criteria, the team, the
checklist's answers and the findings as graded, so changing any of them after the report
is signed shows the signature as no longer matching. `render_pdf` prints the report in the
order ISO 19011 6.5.1 lists its content, from `build`, which the page's panel reads too."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from qualitas.audits import readiness
from qualitas.audits.models import Answer, Audit, Grade, TeamRole
from qualitas.core import pdf

REPORT_STEP = "issue_report"  # the transition whose signature is the report's


def signed_content(audit: Audit) -> dict[str, Any]:
    """What the report says beyond the audit's own fields. Not the findings' states, their
    NC/CAPA numbers or the auditee's responses: those move on during follow-up."""
    criteria = sorted(
        f"{row.requirement.framework.key} {row.requirement.ref_id}"
        for row in audit.criterion_rows.select_related("requirement__framework")
    )
    team = sorted(
        f"{username}:{role}"
        for username, role in audit.team.filter(removed_at__isnull=True).values_list(
            "person__username", "role"
        )
    )
    checklist = [
        [row["pk"], row["question"], row["answer"], row["notes"]]
        for row in audit.checklist.order_by("order", "pk").values(
            "pk", "question", "answer", "notes"
        )
    ]
    findings = [
        [row["number"], row["grade"], row["statement"], row["objective_evidence"]]
        for row in audit.findings.exclude(state="cancelled")
        .order_by("number")
        .values("number", "grade", "statement", "objective_evidence")
    ]
    departments = sorted(audit.auditee_departments.values_list("code", flat=True))
    return {
        "criteria": criteria,
        "team": team,
        "auditee_departments": departments,
        "checklist": checklist,
        "findings": findings,
    }


@dataclass
class Criterion:
    pk: int
    ref_id: str
    title: str


@dataclass
class FrameworkCriteria:
    name: str
    key: str
    criteria: list[Criterion] = field(default_factory=list)


@dataclass
class Auditor:
    name: str
    role: str
    department: str


@dataclass
class Report:
    audit: Audit
    criteria: list[FrameworkCriteria]
    team: list[Auditor]
    auditee_departments: list[str]
    findings: list[dict[str, Any]]
    checklist_counts: list[tuple[str, int]]
    checklist_total: int
    distribution: list[str]
    external: list[str]
    signature: Any  # the report's signature (issue_report), None while a draft
    override: Any  # the quality manager's signed independence exception, if any


def criteria_by_framework(audit: Audit) -> list[FrameworkCriteria]:
    """The audit's criteria grouped by framework, in the standard's order (one query)."""
    groups: dict[int, FrameworkCriteria] = {}
    rows = audit.criterion_rows.select_related("requirement__framework").order_by(
        "requirement__framework__name", "requirement__order", "requirement_id"
    )
    for row in rows:
        requirement = row.requirement
        framework = requirement.framework
        group = groups.setdefault(framework.pk, FrameworkCriteria(framework.name, framework.key))
        group.criteria.append(Criterion(requirement.pk, requirement.ref_id, requirement.title))
    return list(groups.values())


def team_of(audit: Audit) -> list[Auditor]:
    """The lead auditor first, then the members in the order they joined."""
    roles = dict(TeamRole.choices)
    team = []
    lead = audit.lead_auditor
    if lead is not None:
        team.append(Auditor(lead.printed_name, "Lead auditor", str(lead.department or "")))
    members = (
        audit.team.filter(removed_at__isnull=True)
        .select_related("person__department")
        .order_by("id")
    )
    team += [
        Auditor(m.person.printed_name, roles.get(m.role, m.role), str(m.person.department or ""))
        for m in members
    ]
    return team


def signature_of(audit: Audit, transition: str) -> Any:
    found = [s for s in audit.signatures.all() if s.transition == transition]
    return max(found, key=lambda s: (s.signed_at, s.pk)) if found else None


def build(audit: Audit) -> Report:
    """Everything the report prints, in a fixed number of queries."""
    audit = (
        Audit.objects.select_related(
            "lead_auditor__department", "auditee_contact", "site", "department", "owner"
        )
        .prefetch_related("signatures", "auditee_departments", "distribution")
        .get(pk=audit.pk)
    )
    grades = dict(Grade.choices)
    findings = [
        {
            "number": f.number,
            "title": f.title,
            "grade": f.grade,
            "grade_label": grades.get(f.grade, f.grade),
            "requirement": f"{f.requirement.framework.name} {f.requirement.ref_id} "
            f"{f.requirement.title}"
            if f.requirement_id
            else "",
            "statement": f.statement,
            "objective_evidence": f.objective_evidence,
            "nonconformance_number": f.nonconformance_number,
            "capa_number": f.capa_number,
            "state": f.get_state_display(),
        }
        for f in audit.findings.exclude(state="cancelled")
        .select_related("requirement__framework")
        .order_by("number")
    ]
    # Gravest first, as a reader of the report looks for them.
    order = [Grade.MAJOR_NC, Grade.MINOR_NC, Grade.OBSERVATION, Grade.OFI]
    findings.sort(
        key=lambda f: (order.index(f["grade"]) if f["grade"] in order else 9, f["number"])
    )
    counted = Counter(audit.checklist.values_list("answer", flat=True))
    labels = dict(Answer.choices)
    counts = [(label, counted[value]) for value, label in labels.items() if counted[value]]
    if counted[""]:
        counts.append(("Not answered", counted[""]))
    external = [line.strip() for line in audit.distribution_external.splitlines() if line.strip()]
    return Report(
        audit=audit,
        criteria=criteria_by_framework(audit),
        team=team_of(audit),
        auditee_departments=sorted(str(d) for d in audit.auditee_departments.all()),
        findings=findings,
        checklist_counts=counts,
        checklist_total=sum(counted.values()),
        distribution=sorted(p.printed_name for p in audit.distribution.all()),
        external=external,
        signature=signature_of(audit, REPORT_STEP),
        override=signature_of(audit, "override_independence")
        if audit.independence_signature_id
        else None,
    )


def render_pdf(audit: Audit, *, printed_by: str = "Qualitas") -> bytes:
    """The report as a PDF: signed by the lead auditor, or marked as a draft."""
    report = build(audit)
    context = {
        "r": report,
        "a": report.audit,
        "auditing_roles": readiness.AUDITING_ROLES,
    }
    return pdf.pdf("audits/report_pdf.html", context, printed_by=printed_by)
