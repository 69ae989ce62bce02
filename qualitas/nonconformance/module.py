"""The nonconformance module: what it adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.capa.events import CapaClosed
from qualitas.core import kpis, permissions as p
from qualitas.core.modules import (
    Api,
    Audited,
    Menu,
    Module,
    Moved,
    Pages,
    Permission,
    Subscription,
)
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import HomePanel, MenuItem
from qualitas.nonconformance import api, demo, lists, reactions, services, views, workflows as w
from qualitas.nonconformance.events import NonconformanceRaised
from qualitas.nonconformance.models import (
    CostLine,
    DefectCategory,
    DefectCode,
    DispositionLine,
    Nonconformance,
)

GROUP = "Quality events"

NONCONFORMANCE = RecordType(
    model=Nonconformance,
    key="nonconformance",
    label="Nonconformance",
    prefix="NC",
    workflow=w.WORKFLOW,
    create_service=services.raise_nonconformance,
    update_service=services.change_nonconformance,
    entails={"contain": services.start_containment},
    defaulted_on_create=("detected_on", "detected_by"),
    permissions=RecordPermissions(view=w.VIEW, create=w.CREATE, edit=w.EDIT),
    resource="nonconformances",
    editable_fields=(
        "title",
        "source",
        "detection_stage",
        "part_number",
        "part_revision",
        "lot_number",
        "serial_numbers",
        "quantity_affected",
        "quantity_nonconforming",
        "unit",
        "defect_code",
        "severity",
        "requirement",
        "finding",
        "customer_name",
        "supplier_name",
        "detected_by",
        "detected_on",
        *services.CONTAINMENT_FIELDS,
        "department",
        "site",
        "due_on",
        "priority",
    ),
    search_fields=("number", "title", "lot_number", "serial_numbers", "finding"),
    relations={"detector": lambda nc: [nc.detected_by_id] if nc.detected_by_id else []},
    signed_extra=services.disposition_content,
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=10,
        icon="exclamation-octagon",
        display_fields=(
            "source",
            "detection_stage",
            "severity",
            "defect_code",
            "part_number",
            "part_revision",
            "lot_number",
            "serial_numbers",
            "quantity_affected",
            "quantity_nonconforming",
            "unit",
            "requirement",
            "finding",
            "customer_name",
            "supplier_name",
            "detected_by",
            "detected_on",
            "owner",
            "site",
            "department",
        ),
        detail_panel=views.nonconformance_panel,
        table_class=lists.NonconformanceTable,
        filterset_class=lists.NonconformanceFilterSet,
        list_select_related=("defect_code", "owner", "site"),
    ),
)

RAISERS = (p.CONTRIBUTOR, p.QUALITY_MANAGER, p.AUDITOR, p.APPROVER, p.DOCUMENT_CONTROLLER)

MODULE = Module(
    name="nonconformance",
    permissions=(
        Permission(w.VIEW, "See nonconformances.", roles=p.EVERYONE),
        Permission(w.CREATE, "Raise nonconformances.", roles=RAISERS),
        Permission(w.EDIT, "Work on any nonconformance.", roles=(p.QUALITY_MANAGER,)),
        Permission(
            w.DISPOSE,
            "Decide dispositions in material review.",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
        Permission(
            w.APPROVE_QUALITY, "Approve concessions for quality.", roles=(p.QUALITY_MANAGER,)
        ),
        Permission(
            w.APPROVE_ENGINEERING, "Approve concessions for engineering.", roles=(p.APPROVER,)
        ),
        Permission(w.CLOSE, "Verify and close nonconformances.", roles=(p.QUALITY_MANAGER,)),
        Permission(w.MANAGE_TAXONOMY, "Maintain the defect codes.", roles=(p.QUALITY_MANAGER,)),
    ),
    audited=(
        Audited(DefectCategory),
        Audited(DefectCode),
        # Lines of a disposition or a cost may be taken back while the NC is open.
        Audited(DispositionLine, protect_delete=False),
        Audited(CostLine, protect_delete=False),
    ),
    record_types=(NONCONFORMANCE,),
    kpis=(
        kpis.open_records(NONCONFORMANCE, order=100),
        kpis.overdue_records(NONCONFORMANCE, order=110),
    ),
    menu=(
        Menu(
            GROUP,
            MenuItem(
                "Pareto and trends", "nonconformance:analysis", "bar-chart", w.VIEW, any_site=True
            ),
        ),
        Menu(
            GROUP,
            MenuItem("Defect codes", "nonconformance:defect_codes", "tags", w.VIEW, any_site=True),
        ),
    ),
    pages=(Pages("nonconformances/", "qualitas.nonconformance.urls"),),
    api=(Api("/nonconformances", api.router),),
    moved=(Moved("/api/v1/nc/", "/api/v1/nonconformances/"),),
    home_panels=(HomePanel("escalations", views.escalation_panel, order=7),),
    subscriptions=(
        Subscription(NonconformanceRaised, reactions.alert_on_critical),
        Subscription(CapaClosed, reactions.tell_owners_the_capa_closed),
    ),
    demo=demo.load,
)
