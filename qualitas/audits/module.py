"""Audits: what the module adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.audits import (
    audit_views,
    audits_api,
    checklists_api,
    demo,
    finding_views,
    findings,
    findings_api,
    programme_views,
    programmes,
    programmes_api,
    readiness,
    report,
    services,
    workflows as w,
)
from qualitas.audits.models import (
    Audit,
    AuditCriterion,
    AuditProgramme,
    BankQuestion,
    ChecklistEvidence,
    ChecklistItem,
    Finding,
    ProgrammeEntry,
    QuestionBank,
    TeamMember,
)
from qualitas.capa.events import CapaClosed
from qualitas.core import kpis, permissions as p
from qualitas.core.modules import Api, Audited, Module, Pages, Permission, Subscription
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType

GROUP = "Audits"

PROGRAMME = RecordType(
    model=AuditProgramme,
    key=programmes.PROGRAMME,
    label="Audit programme",
    prefix="AP",
    workflow=w.PROGRAMME_WORKFLOW,
    create_service=programmes.create_programme,
    entails=programmes.ENTAILS,
    unsigned_fields=programmes.UNSIGNED,
    signed_extra=programmes.signed_entries,
    permissions=RecordPermissions(view=w.VIEW, create=w.PLAN, edit=w.PLAN),
    resource="audit-programmes",
    editable_fields=("title", "year", "approach", "site", "due_on"),
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=10,
        icon="calendar3",
        display_fields=("year", "revision", "approach", "supersedes", "approved_at", "owner"),
        list_select_related=("owner", "site"),
        detail_panel=programme_views.panel,
    ),
)

AUDIT = RecordType(
    model=Audit,
    key=services.AUDIT,
    label="Audit",
    prefix="AUD",
    workflow=w.WORKFLOW,
    create_service=services.raise_audit,
    update_service=services.change_audit,
    entails=services.ENTAILS,
    permissions=RecordPermissions(view=w.VIEW, create=w.PLAN, edit=w.PLAN),
    resource="audits",
    editable_fields=(
        "title",
        "audit_type",
        "scope",
        "objectives",
        "audited_organisation",
        "planned_start",
        "planned_end",
        # The days it was held: set by its steps, corrected when recorded afterwards.
        "started_on",
        "ended_on",
        "lead_auditor",
        "external_team",
        "auditee_contact",
        "summary",
        "conclusion",
        "distribution_external",
        "department",
        "site",
        "due_on",
        "priority",
    ),
    search_fields=("number", "title", "audited_organisation"),
    # The lead auditor plans the audit and writes its report (ISO 19011 5.5.2, 6.5).
    edited_by=("lead_auditor",),
    relations={
        "lead_auditor": services.relation_lead,
        "team": services.relation_team,
        "auditee": services.relation_auditee,
    },
    unsigned_fields=services.UNSIGNED,
    signed_extra=report.signed_content,
    # The quality manager's independence exception covers only what it decides.
    signed_for={readiness.EXCEPTION: readiness.exception_content},
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=20,
        detail_panel=audit_views.panel,
        icon="clipboard2-check",
        display_fields=(
            "audit_type",
            "programme_entry",
            "scope",
            "objectives",
            "audited_organisation",
            "planned_start",
            "planned_end",
            "started_on",
            "ended_on",
            "lead_auditor",
            "external_team",
            "auditee_contact",
            "department",
            "site",
            "owner",
            "reported_at",
        ),
        list_select_related=("owner", "site", "lead_auditor"),
    ),
)

FINDING = RecordType(
    model=Finding,
    key=services.FINDING,
    label="Audit finding",
    prefix="AF",
    workflow=w.FINDING_WORKFLOW,
    # Recorded by auditors (the role) on an audit of their site; findings.require_record
    # adds the audit's own rule (its team, or an auditor at its site, during fieldwork).
    permissions=RecordPermissions(view=w.VIEW, create=readiness.CONDUCT, edit=w.VERIFY),
    resource="audit-findings",
    # Recorded on its audit (findings.record_finding), never from the generic form.
    generic_create=False,
    editable_fields=("title", "statement", "objective_evidence", "response", "due_on", "priority"),
    search_fields=("number", "title", "nonconformance_number", "capa_number"),
    entails=findings.ENTAILS,
    unsigned_fields=findings.UNSIGNED,
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=30,
        icon="flag",
        detail_panel=finding_views.panel,
        display_fields=(
            "audit",
            "grade",
            "requirement",
            "statement",
            "objective_evidence",
            "response",
            "nonconformance_number",
            "capa_number",
            "owner",
            "due_on",
            "verified_at",
            "verification_notes",
        ),
        list_select_related=("owner", "site", "audit"),
    ),
)

MODULE = Module(
    name="audits",
    demo=demo.load,
    permissions=(
        Permission(w.VIEW, "See audit programmes, audits and findings.", roles=p.EVERYONE),
        Permission(
            w.PLAN,
            "Plan audit programmes and audits: scope, criteria, team and checklist.",
            roles=(p.QUALITY_MANAGER, p.AUDITOR),
        ),
        Permission(
            readiness.CONDUCT,
            "Audit: qualified to lead or join an audit team where training keeps no auditor "
            "course; answer checklists and record findings.",
            roles=(p.QUALITY_MANAGER, p.AUDITOR),
        ),
        Permission(
            w.APPROVE_PROGRAMME,
            "Approve a site's audit programme by signature.",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
        Permission(
            w.OVERRIDE_INDEPENDENCE,
            "Allow, by a signed justification, an auditor to audit their own department.",
            roles=(p.QUALITY_MANAGER,),
        ),
        Permission(
            w.VERIFY,
            "Verify the corrective action of audit findings and close audits.",
            roles=(p.QUALITY_MANAGER, p.AUDITOR),
        ),
        Permission(
            w.MANAGE_BANKS,
            "Keep the question banks audit checklists draw on.",
            roles=(p.QUALITY_MANAGER, p.AUDITOR),
        ),
    ),
    record_types=(PROGRAMME, AUDIT, FINDING),
    audited=(
        # A line taken out of a draft programme is deleted; the deletion is on the trail.
        Audited(ProgrammeEntry, protect_delete=False),
        # A criterion dropped while planning is deleted, the deletion an event on the trail.
        Audited(AuditCriterion, protect_delete=False),
        Audited(TeamMember),
        Audited(QuestionBank),
        Audited(BankQuestion),
        Audited(ChecklistItem, protect_delete=False),
        Audited(ChecklistEvidence),
    ),
    pages=(Pages("audits/", "qualitas.audits.urls"),),
    api=(
        Api("/audits", audits_api.router),
        Api("/audits", checklists_api.router),
        Api("/audits", findings_api.router),
        Api("/audit-programmes", programmes_api.router),
        Api("/question-banks", checklists_api.banks_router),
    ),
    kpis=(
        kpis.open_records(FINDING, order=400),
        kpis.overdue_records(FINDING, order=410),
    ),
    subscriptions=(Subscription(CapaClosed, findings.on_capa_closed),),
)
