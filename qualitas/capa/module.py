"""The CAPA module: what it adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.capa import api, jobs, services, views, workflows as w
from qualitas.capa.checks import CHECKS as COMPLIANCE_CHECKS
from qualitas.capa.models import Capa, Cause, TeamMember, WhyStep
from qualitas.core import kpis, permissions as p
from qualitas.core.modules import Api, Audited, Job, Menu, Module, Moved, Pages, Permission
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import MenuItem, RecordDocument

GROUP = "Quality events"

CAPA = RecordType(
    model=Capa,
    key="capa",
    label="CAPA",
    label_plural_text="CAPAs",
    prefix="CAPA",
    workflow=w.WORKFLOW,
    create_service=services.open_capa,
    entails=services.ENTAILS,
    permissions=RecordPermissions(view=w.VIEW, create=w.CREATE, edit=w.EDIT),
    resource="capas",
    # The plan approval signs the plan and what came before it; the effectiveness criteria
    # (set while implementing) and the check itself (its own step) are signed at closure.
    fields_signed_from={
        "implemented": ("effectiveness_criteria", "effectiveness_method", "effectiveness_due_on"),
        "close": services.EFFECTIVENESS_FIELDS,
    },
    editable_fields=(
        "title",
        "capa_type",
        "problem_statement",
        "is_description",
        "is_not_description",
        "containment_summary",
        "root_cause",
        "root_cause_category",
        "effectiveness_criteria",
        "effectiveness_method",
        "effectiveness_due_on",
        "department",
        "site",
        "due_on",
        "priority",
    ),
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=10,
        icon="tools",
        display_fields=(
            "capa_type",
            "problem_statement",
            "containment_summary",
            "root_cause",
            "root_cause_category",
            "effectiveness_criteria",
            "effectiveness_method",
            "effectiveness_due_on",
            "effectiveness_result",
            "effectiveness_evidence",
            "effectiveness_checked_by",
            "effectiveness_checked_on",
            "owner",
            "site",
            "department",
            "due_on",
        ),
        detail_panel=views.capa_panel,
        list_select_related=("owner", "site"),
    ),
)

MODULE = Module(
    name="capa",
    permissions=(
        Permission(w.VIEW, "See CAPAs.", roles=p.EVERYONE),
        Permission(
            w.CREATE,
            "Open CAPAs.",
            roles=(p.QUALITY_MANAGER, p.APPROVER, p.CONTRIBUTOR, p.AUDITOR),
        ),
        Permission(w.EDIT, "Work on any CAPA.", roles=(p.QUALITY_MANAGER,)),
        Permission(w.APPROVE, "Approve CAPA action plans.", roles=(p.QUALITY_MANAGER, p.APPROVER)),
        Permission(w.CLOSE, "Close CAPAs as effective.", roles=(p.QUALITY_MANAGER,)),
    ),
    audited=(Audited(TeamMember), Audited(WhyStep), Audited(Cause)),
    record_types=(CAPA,),
    compliance_checks=COMPLIANCE_CHECKS,
    kpis=(kpis.open_records(CAPA, order=200), kpis.overdue_records(CAPA, order=210)),
    menu=(
        Menu(
            GROUP, MenuItem("CAPA metrics", "capa:metrics", "speedometer2", w.VIEW, any_site=True)
        ),
    ),
    pages=(Pages("capas/", "qualitas.capa.urls"),),
    api=(Api("/capas", api.router),),
    moved=(
        Moved("/api/v1/capa/", "/api/v1/capas/"),
        # The 8D report was served by a separate reports app until 0.5.
        Moved("/reports/capas/", "/capas/"),
    ),
    jobs=(
        Job(
            "capa-effectiveness",
            "Remind owners of CAPA effectiveness checks that are due.",
            jobs.remind_effectiveness_checks,
        ),
    ),
    reports=(RecordDocument("capa", "8D report", "capa:eight_d"),),
)
