from django.apps import AppConfig


class NonconformanceConfig(AppConfig):
    """Declares the nonconformance record type, its permissions, pages, API and demo."""

    name = "qualitas.nonconformance"
    label = "nonconformance"
    verbose_name = "Nonconformances"

    def ready(self) -> None:
        from qualitas.core import audit, permissions, records
        from qualitas.core.registry import HomePanel, MenuItem, registry
        from qualitas.nonconformance import api, demo, lists, services, views
        from qualitas.nonconformance import workflows as w
        from qualitas.nonconformance.models import (
            CostLine,
            DefectCategory,
            DefectCode,
            DispositionLine,
            Nonconformance,
        )

        p = permissions
        p.register_permission(w.VIEW, "See nonconformances.", roles=p.EVERYONE)
        p.register_permission(
            w.CREATE,
            "Raise nonconformances.",
            roles=[p.CONTRIBUTOR, p.QUALITY_MANAGER, p.AUDITOR, p.APPROVER, p.DOCUMENT_CONTROLLER],
        )
        p.register_permission(w.EDIT, "Work on any nonconformance.", roles=[p.QUALITY_MANAGER])
        p.register_permission(
            w.DISPOSE,
            "Decide dispositions in material review.",
            roles=[p.QUALITY_MANAGER, p.APPROVER],
        )
        p.register_permission(
            w.APPROVE_QUALITY, "Approve concessions for quality.", roles=[p.QUALITY_MANAGER]
        )
        p.register_permission(
            w.APPROVE_ENGINEERING, "Approve concessions for engineering.", roles=[p.APPROVER]
        )
        p.register_permission(
            w.CLOSE, "Verify and close nonconformances.", roles=[p.QUALITY_MANAGER]
        )
        p.register_permission(
            w.MANAGE_TAXONOMY, "Maintain the defect codes.", roles=[p.QUALITY_MANAGER]
        )
        for model in (DefectCategory, DefectCode):
            audit.register(model)
        for line_model in (DispositionLine, CostLine):
            audit.register(line_model, protect_delete=False)
        records.register(
            records.RecordType(
                model=Nonconformance,
                key="nonconformance",
                label="Nonconformance",
                prefix="NC",
                workflow=w.WORKFLOW,
                create_service=services.raise_nonconformance,
                defaulted_on_create=("detected_on", "detected_by"),
                permissions=records.RecordPermissions(view=w.VIEW, create=w.CREATE, edit=w.EDIT),
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
                    "department",
                    "site",
                    "due_on",
                    "priority",
                ),
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
                relations={"detector": lambda nc: [nc.detected_by_id] if nc.detected_by_id else []},
                menu_group="Quality events",
                menu_order=10,
                icon="exclamation-octagon",
                detail_panel=views.nonconformance_panel,
                table_class=lists.NonconformanceTable,
                filterset_class=lists.NonconformanceFilterSet,
                list_select_related=("defect_code", "owner", "site"),
                signed_extra=views.disposition_content,
            )
        )
        registry.add_menu_item(
            "Quality events",
            MenuItem(
                "Pareto and trends", "nonconformance:analysis", "bar-chart", w.VIEW, any_site=True
            ),
        )
        registry.add_menu_item(
            "Quality events",
            MenuItem("Defect codes", "nonconformance:defect_codes", "tags", w.VIEW, any_site=True),
        )
        registry.url_includes.append(("nonconformances/", "qualitas.nonconformance.urls"))
        registry.api_routers.append(("/nc", api.router))
        registry.home_panels.append(HomePanel("escalations", views.escalation_panel, order=7))
        registry.demo_loaders.append(demo.load)
