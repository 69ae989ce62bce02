"""The change control module: what it adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.changes import api, demo, jobs, lists, services, views, workflows as w
from qualitas.changes.models import ChangeRequest, ImpactAnswer
from qualitas.core import kpis, permissions as p
from qualitas.core.modules import Api, Audited, Job, Module, Pages, Permission
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import HomePanel

GROUP = "Change and training"

CHANGE_REQUEST = RecordType(
    model=ChangeRequest,
    key="changerequest",
    label="Change request",
    prefix="CR",
    workflow=w.WORKFLOW,
    create_service=services.raise_change_request,
    update_service=services.change_change_request,
    entails=services.ENTAILS,
    permissions=RecordPermissions(view=w.VIEW, create=w.CREATE, edit=w.EDIT),
    resource="change-requests",
    editable_fields=(
        "title",
        "change_type",
        "reason_for_change",
        "expected_benefit",
        "scope_sites",
        "scope_departments",
        "scope_parts",
        "urgency",
        "department",
        "site",
        "due_on",
        "priority",
    ),
    search_fields=("number", "title", "scope_parts"),
    relations={
        "originator": lambda cr: [cr.created_by_id],
        "board": services.board_members,
    },
    unsigned_fields=services.UNSIGNED,
    signed_extra=services.impact_content,
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=10,
        icon="arrow-repeat",
        display_fields=(
            "change_type",
            "urgency",
            "reason_for_change",
            "expected_benefit",
            "scope_sites",
            "scope_departments",
            "scope_parts",
            "created_by",
            "owner",
            "site",
            "department",
            "due_on",
            "approval_due_on",
            "approved_at",
        ),
        detail_panel=views.change_panel,
        table_class=lists.ChangeRequestTable,
        filterset_class=lists.ChangeRequestFilterSet,
        list_select_related=("owner", "site"),
    ),
)

MODULE = Module(
    name="changes",
    permissions=(
        Permission(w.VIEW, "See change requests.", roles=p.EVERYONE),
        Permission(
            w.CREATE,
            "Raise change requests.",
            roles=(p.CONTRIBUTOR, p.QUALITY_MANAGER, p.APPROVER, p.DOCUMENT_CONTROLLER),
        ),
        Permission(w.EDIT, "Work on any change request.", roles=(p.QUALITY_MANAGER,)),
        Permission(
            w.VERIFY, "Verify and close change requests.", roles=(p.QUALITY_MANAGER, p.APPROVER)
        ),
    ),
    audited=(Audited(ImpactAnswer),),
    record_types=(CHANGE_REQUEST,),
    kpis=(
        kpis.open_records(CHANGE_REQUEST, order=300),
        kpis.overdue_records(CHANGE_REQUEST, order=310),
    ),
    pages=(Pages("change-requests/", "qualitas.changes.urls"),),
    api=(Api("/change-requests", api.router),),
    home_panels=(HomePanel("changes-in-flight", views.in_flight_panel, order=8),),
    jobs=(
        Job(
            "change-emergency-approvals",
            "Remind change boards of emergency changes awaiting approval; escalate overdue ones.",
            jobs.remind_emergency_approvals,
        ),
    ),
    demo=demo.load,
)
