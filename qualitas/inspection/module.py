"""Inspection and measurement: what the module adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.core import kpis, permissions as p
from qualitas.core.modules import Api, Audited, Menu, Module, Pages, Permission
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import MenuItem, RecordDocument
from qualitas.inspection import (
    api,
    calibrations,
    certificate,
    demo,
    gauges_views,
    services,
    views,
    workflows as w,
)
from qualitas.inspection.models import (
    Calibration,
    Characteristic,
    ChartAlarm,
    ControlBaseline,
    GageStudy,
    Gauge,
    InspectionLot,
    InspectionPlan,
    LotCheck,
    MeasurementBatch,
    Part,
    PartRevision,
    PlanItem,
    SwitchingEvent,
    SwitchingState,
)

GROUP = "Inspection"


INSPECTION_PLAN = RecordType(
    model=InspectionPlan,
    key="inspectionplan",
    label="Inspection plan",
    prefix="IP",
    workflow=w.PLAN_WORKFLOW,
    permissions=RecordPermissions(view=w.VIEW, create=w.PLAN, edit=w.PLAN),
    resource="inspection-plans",
    create_service=services.create_plan,
    entails={"approve": services._supersede_the_previous},
    editable_fields=(
        "title",
        "part_revision",
        "stage",
        "operation",
        "description",
        "site",
        "department",
    ),
    signed_extra=lambda plan: [
        {
            "characteristic": i.characteristic_id,
            "sampling": i.sampling,
            "sample_size": i.sample_size,
            "acceptance_number": i.acceptance_number,
            "inspection_level": i.inspection_level,
            "aql": i.aql,
            "skip_every": i.skip_every,
            "reaction": i.reaction,
        }
        for i in plan.items.order_by("characteristic_id")
    ],
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=20,
        icon="clipboard-check",
        display_fields=(
            "part_revision",
            "stage",
            "operation",
            "plan_revision",
            "supersedes",
            "description",
            "owner",
            "site",
        ),
        detail_panel=views.plan_panel,
    ),
)

INSPECTION_LOT = RecordType(
    model=InspectionLot,
    key="inspectionlot",
    label="Inspection lot",
    prefix="LOT",
    workflow=w.LOT_WORKFLOW,
    permissions=RecordPermissions(view=w.VIEW, create=w.INSPECT, edit=w.EDIT),
    resource="inspection-lots",
    create_service=services.open_lot,
    entails={"sign_inspection": services.after_signing},
    editable_fields=(
        "title",
        "plan",
        "lot_number",
        "quantity",
        "supplier_name",
        "work_order",
        "site",
        "department",
    ),
    unsigned_fields=("verdict", "verdict_reason", "nonconformance_number"),
    search_fields=("number", "title", "lot_number", "supplier_name", "work_order"),
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=10,
        icon="box-seam",
        display_fields=(
            "plan",
            "part_revision",
            "stage",
            "lot_number",
            "quantity",
            "supplier_name",
            "work_order",
            "verdict",
            "verdict_reason",
            "nonconformance_number",
            "owner",
            "site",
        ),
        detail_panel=views.lot_panel,
        list_select_related=("owner", "site"),
    ),
)

CALIBRATION = RecordType(
    model=Calibration,
    key="calibration",
    label="Calibration",
    prefix="CAL",
    workflow=w.CALIBRATION_WORKFLOW,
    permissions=RecordPermissions(view=w.VIEW, create=w.CALIBRATE, edit=w.CALIBRATE),
    resource="calibrations",
    create_service=calibrations.record_calibration,
    update_service=calibrations.change_calibration,
    editable_fields=(
        "title",
        "gauge",
        "calibrated_on",
        "external_lab",
        "certificate_number",
        "readings",
        "notes",
        "site",
    ),
    unsigned_fields=("impact", "nonconformance_number"),
    search_fields=("number", "title", "certificate_number", "external_lab"),
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=40,
        icon="rulers",
        display_fields=gauges_views.CALIBRATION_DISPLAY_FIELDS,
        detail_panel=gauges_views.calibration_panel,
        list_select_related=("gauge", "owner", "site"),
    ),
)

INSPECTORS = (p.CONTRIBUTOR, p.QUALITY_MANAGER)

MODULE = Module(
    name="inspection",
    permissions=(
        Permission(w.VIEW, "See parts, inspection plans and lots.", roles=p.EVERYONE),
        Permission(
            w.MANAGE_PARTS,
            "Maintain parts, revisions and characteristics.",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
        Permission(w.PLAN, "Write inspection plans.", roles=(p.QUALITY_MANAGER, p.APPROVER)),
        Permission(w.APPROVE_PLAN, "Approve inspection plans.", roles=(p.QUALITY_MANAGER,)),
        Permission(
            w.INSPECT, "Open lots, record measurements, sign inspections.", roles=INSPECTORS
        ),
        Permission(w.RELEASE, "Release rejected lots on concession.", roles=(p.QUALITY_MANAGER,)),
        Permission(w.EDIT, "Work on any inspection lot.", roles=(p.QUALITY_MANAGER,)),
        Permission(
            w.MANAGE_GAUGES,
            "Maintain the gauge register.",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
        Permission(w.CALIBRATE, "Record calibrations.", roles=(p.QUALITY_MANAGER, p.CONTRIBUTOR)),
        Permission(
            w.VERIFY_CALIBRATION,
            "Verify and sign calibrations.",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
    ),
    audited=(
        Audited(Part),
        Audited(PartRevision),
        Audited(Characteristic),
        Audited(PlanItem, protect_delete=False),
        Audited(LotCheck),
        Audited(MeasurementBatch),
        Audited(SwitchingState),
        Audited(SwitchingEvent),
        Audited(Gauge),
        Audited(ControlBaseline),
        Audited(GageStudy),
        Audited(ChartAlarm),
    ),
    record_types=(INSPECTION_PLAN, INSPECTION_LOT, CALIBRATION),
    kpis=(kpis.open_records(INSPECTION_LOT, order=300),),
    menu=(
        Menu(GROUP, MenuItem("Parts", "inspection:part_list", "gear", w.VIEW, any_site=True)),
        Menu(
            GROUP,
            MenuItem("Gauges", "inspection:gauge_list", "speedometer", w.VIEW, any_site=True),
        ),
        Menu(
            GROUP,
            MenuItem(
                "Control chart alarms", "inspection:alarm_list", "bell", w.VIEW, any_site=True
            ),
        ),
        Menu(
            GROUP,
            MenuItem("Switching states", "inspection:switching", "shuffle", w.VIEW, any_site=True),
        ),
        Menu(
            GROUP,
            MenuItem(
                "Gage R&R studies", "inspection:gagestudy_list", "rulers", w.VIEW, any_site=True
            ),
        ),
    ),
    reports=(
        RecordDocument(
            "inspectionlot",
            "Certificate of conformance",
            "inspection:lot_certificate",
            shown=certificate.is_certifiable,
        ),
    ),
    pages=(
        Pages("inspection/", "qualitas.inspection.urls"),
        # The calibration's create and edit pages, with the table of points (before the
        # generic record pages at the same paths).
        Pages("calibrations/", "qualitas.inspection.calibration_urls"),
    ),
    api=tuple(Api(prefix, router) for prefix, router in api.ROUTERS),
    demo=demo.load,
)
