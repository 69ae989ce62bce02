from django.apps import AppConfig


class StudiesConfig(AppConfig):
    """SPC studies: declares its record type, permissions, API router and periodic nothing."""

    name = "qualitas.studies"
    label = "studies"
    verbose_name = "SPC studies"

    def ready(self) -> None:
        from qualitas.core import permissions, records
        from qualitas.core.registry import registry
        from qualitas.studies import api, views, workflows
        from qualitas.studies.models import SpcStudy

        p = permissions
        p.register_permission(workflows.VIEW, "See SPC studies.", roles=p.EVERYONE)
        p.register_permission(
            workflows.CREATE,
            "Record SPC studies.",
            roles=[p.CONTRIBUTOR, p.QUALITY_MANAGER, p.APPROVER, p.AUDITOR],
        )
        p.register_permission(workflows.EDIT, "Change any SPC study.", roles=[p.QUALITY_MANAGER])
        p.register_permission(
            workflows.REVIEW, "Review and sign SPC studies.", roles=[p.QUALITY_MANAGER, p.APPROVER]
        )
        records.register(
            records.RecordType(
                model=SpcStudy,
                key="spcstudy",
                label="SPC study",
                label_plural_text="SPC studies",
                prefix="SPC",
                workflow=workflows.WORKFLOW,
                permissions=records.RecordPermissions(
                    view=workflows.VIEW, create=workflows.CREATE, edit=workflows.EDIT
                ),
                resource="spc-studies",
                editable_fields=(
                    "title",
                    "characteristic",
                    "unit",
                    "description",
                    "site",
                    "department",
                ),
                display_fields=(
                    "characteristic",
                    "unit",
                    "owner",
                    "site",
                    "department",
                    "description",
                    "source_name",
                ),
                menu_group="Statistics",
                icon="graph-up",
                create_url_name="studies:study_create",
                detail_panel=views.study_panel,
            )
        )
        registry.api_routers.append(("/spc", api.router))
        registry.url_includes.append(("spc/", "qualitas.studies.urls"))
        from qualitas.studies import demo

        registry.demo_loaders.append(demo.load)
