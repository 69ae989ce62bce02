"""The change control module: what it adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.changes import (
    api,
    demo,
    implemented_actions,
    jobs,
    lists,
    services,
    training_impact,
    views,
    workflows as w,
)
from qualitas.changes.models import ChangeRequest, ChangeTraining, ImpactAnswer, ImplementedAction
from qualitas.core import kpis, permissions as p
from qualitas.core.modules import Api, Audited, Job, Module, Pages, Permission, Subscription
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import ActionNotes, HomePanel, RecordButton
from qualitas.documents.events import RevisionBecameEffective

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
    audited=(Audited(ImpactAnswer), Audited(ImplementedAction), Audited(ChangeTraining)),
    record_types=(CHANGE_REQUEST,),
    kpis=(
        kpis.open_records(CHANGE_REQUEST, order=300),
        kpis.overdue_records(CHANGE_REQUEST, order=310),
    ),
    pages=(Pages("change-requests/", "qualitas.changes.urls"),),
    api=(Api("/change-requests", api.router),),
    home_panels=(HomePanel("changes-in-flight", views.in_flight_panel, order=8),),
    # On nonconformance and CAPA pages: raise a change from them; beside a CAPA's actions,
    # the change implementing each (the two modules never import this one).
    record_buttons=(
        RecordButton(
            services.RAISED_FROM_TYPES, "Raise a change request", "arrow-repeat", views.raise_button
        ),
    ),
    action_notes=(
        ActionNotes(implemented_actions.ACTION_RECORD_TYPES, implemented_actions.action_notes),
    ),
    subscriptions=(
        # After commit: the revision stands whatever becomes of the readings, and a reading
        # the person's curriculum asked in the same step is found instead of asked twice.
        Subscription(RevisionBecameEffective, training_impact.on_revision_effective),
    ),
    jobs=(
        Job(
            "change-emergency-approvals",
            "Remind change boards of emergency changes awaiting approval; escalate overdue ones.",
            jobs.remind_emergency_approvals,
        ),
    ),
    demo=demo.load,
)
