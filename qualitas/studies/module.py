"""SPC studies: what the module adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.core import permissions as p
from qualitas.core.modules import Api, Module, Moved, Pages, Permission
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.studies import api, demo, lists, views, workflows as w
from qualitas.studies.models import SpcStudy

SPC_STUDY = RecordType(
    model=SpcStudy,
    key="spcstudy",
    label="SPC study",
    label_plural_text="SPC studies",
    prefix="SPC",
    workflow=w.WORKFLOW,
    permissions=RecordPermissions(view=w.VIEW, create=w.CREATE, edit=w.EDIT),
    resource="spc-studies",
    # A study is raised from its measurements (its page, or POST …/analyses with `save`):
    # the generic form and POST /spc-studies would make one without data or results.
    generic_create=False,
    editable_fields=("title", "characteristic", "unit", "description", "site", "department"),
    presentation=RecordPresentation(
        menu_group="Statistics",
        icon="graph-up",
        display_fields=(
            "analysis",
            "characteristic",
            "unit",
            "owner",
            "site",
            "department",
            "description",
            "source_name",
        ),
        create_url_name="studies:study_create",
        detail_panel=views.study_panel,
        table_class=lists.StudyTable,
        filterset_class=lists.StudyFilterSet,
        list_select_related=("owner", "site"),
    ),
)

MODULE = Module(
    name="studies",
    permissions=(
        Permission(w.VIEW, "See SPC studies.", roles=p.EVERYONE),
        Permission(
            w.CREATE,
            "Record SPC studies.",
            roles=(p.CONTRIBUTOR, p.QUALITY_MANAGER, p.APPROVER, p.AUDITOR),
        ),
        Permission(w.EDIT, "Change any SPC study.", roles=(p.QUALITY_MANAGER,)),
        Permission(w.REVIEW, "Review and sign SPC studies.", roles=(p.QUALITY_MANAGER, p.APPROVER)),
    ),
    record_types=(SPC_STUDY,),
    pages=(Pages("spc-studies/", "qualitas.studies.urls"),),
    api=(Api("/spc-studies", api.router),),
    moved=(Moved("/api/v1/spc/", "/api/v1/spc-studies/"), Moved("/spc/studies/", "/spc-studies/")),
    demo=demo.load,
)
