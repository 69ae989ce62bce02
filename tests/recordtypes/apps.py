from django.apps import AppConfig


class RecordTypesConfig(AppConfig):
    name = "tests.recordtypes"
    label = "recordtypes"

    def ready(self) -> None:
        from qualitas.core import actions, permissions, records
        from qualitas.core.models import Meaning
        from qualitas.core.workflow import Transition, Workflow
        from tests.recordtypes.models import Deviation
        from tests.recordtypes.models import DeviationState as S

        view = permissions.register_permission(
            "deviations.view", "See deviations.", roles=permissions.EVERYONE
        )
        create = permissions.register_permission(
            "deviations.create",
            "Raise deviations.",
            roles=[permissions.CONTRIBUTOR, permissions.QUALITY_MANAGER],
        )
        edit = permissions.register_permission(
            "deviations.edit", "Change any deviation.", roles=[permissions.QUALITY_MANAGER]
        )
        approve = permissions.register_permission(
            "deviations.approve",
            "Approve and close deviations.",
            roles=[permissions.APPROVER, permissions.QUALITY_MANAGER],
        )
        workflow = Workflow(
            initial=S.DRAFT,
            states=S,
            transitions=(
                Transition(
                    "submit",
                    (S.DRAFT,),
                    S.SUBMITTED,
                    permission=edit,
                    relations=("owner",),
                    requires=("description",),
                    notify=("deviations.approve",),
                ),
                Transition(
                    "approve",
                    (S.SUBMITTED,),
                    S.APPROVED,
                    permission=approve,
                    requires=("impact",),
                    signature=Meaning.APPROVED,
                    not_by=("creator", "owner"),
                ),
                Transition(
                    "reject",
                    (S.SUBMITTED,),
                    S.DRAFT,
                    permission=approve,
                    comment_required=True,
                    style="secondary",
                ),
                Transition(
                    "close",
                    (S.APPROVED,),
                    S.CLOSED,
                    permission=approve,
                    signature=Meaning.CLOSED,
                    guard=actions.all_actions_done,
                ),
                Transition(
                    "cancel",
                    (S.DRAFT, S.SUBMITTED),
                    S.CANCELLED,
                    permission=edit,
                    relations=("owner",),
                    comment_required=True,
                    style="danger",
                ),
            ),
            locked_states=(S.CLOSED, S.CANCELLED),
        )
        records.register(
            records.RecordType(
                model=Deviation,
                key="deviation",
                label="Deviation",
                prefix="DEV",
                workflow=workflow,
                permissions=records.RecordPermissions(view=view, create=create, edit=edit),
                resource="deviations",
                editable_fields=(
                    "title",
                    "description",
                    "impact",
                    "assignee",
                    "department",
                    "site",
                    "due_on",
                    "priority",
                ),
                relations={"assignee": lambda d: [d.assignee_id] if d.assignee_id else []},
            )
        )
