from django.apps import AppConfig


class CapaConfig(AppConfig):
    """Declares the CAPA record type, its permissions, pages, API and reminder job."""

    name = "qualitas.capa"
    label = "capa"
    verbose_name = "CAPA"

    def ready(self) -> None:
        from qualitas.capa import api, jobs, services, views  # noqa: F401 - jobs registers
        from qualitas.capa import workflows as w
        from qualitas.capa.models import Capa, Cause, TeamMember, WhyStep
        from qualitas.core import audit, permissions, records
        from qualitas.core.registry import registry

        p = permissions
        p.register_permission(w.VIEW, "See CAPAs.", roles=p.EVERYONE)
        p.register_permission(
            w.CREATE, "Open CAPAs.", roles=[p.QUALITY_MANAGER, p.APPROVER, p.CONTRIBUTOR, p.AUDITOR]
        )
        p.register_permission(w.EDIT, "Work on any CAPA.", roles=[p.QUALITY_MANAGER])
        p.register_permission(
            w.APPROVE, "Approve CAPA action plans.", roles=[p.QUALITY_MANAGER, p.APPROVER]
        )
        p.register_permission(w.CLOSE, "Close CAPAs as effective.", roles=[p.QUALITY_MANAGER])
        for model in (TeamMember, WhyStep, Cause):
            audit.register(model)
        records.register(
            records.RecordType(
                model=Capa,
                key="capa",
                label="CAPA",
                label_plural_text="CAPAs",
                prefix="CAPA",
                workflow=w.WORKFLOW,
                create_service=services.open_capa,
                permissions=records.RecordPermissions(view=w.VIEW, create=w.CREATE, edit=w.EDIT),
                resource="capas",
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
                    "effectiveness_result",
                    "effectiveness_evidence",
                    "department",
                    "site",
                    "due_on",
                    "priority",
                ),
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
                    "owner",
                    "site",
                    "department",
                    "due_on",
                ),
                menu_group="Quality events",
                menu_order=10,
                icon="tools",
                detail_panel=views.capa_panel,
                list_select_related=("owner", "site"),
            )
        )
        registry.url_includes.append(("capas/", "qualitas.capa.urls"))
        from qualitas.core.registry import MenuItem

        registry.add_menu_item(
            "Quality events",
            MenuItem("CAPA metrics", "capa:metrics", "speedometer2", w.VIEW, any_site=True),
        )
        registry.api_routers.append(("/capa", api.router))
