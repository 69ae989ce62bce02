"""The test-only record type, declared like any module's: proof that a module only declares."""

from __future__ import annotations

from qualitas.core import actions, permissions as p
from qualitas.core.models import Meaning
from qualitas.core.modules import Module, Permission
from qualitas.core.records import RecordPermissions, RecordType
from qualitas.core.workflow import Transition, Workflow
from tests.recordtypes.models import Deviation, DeviationState as S

VIEW = "deviations.view"
CREATE = "deviations.create"
EDIT = "deviations.edit"
APPROVE = "deviations.approve"

WORKFLOW = Workflow(
    initial=S.DRAFT,
    states=S,
    transitions=(
        Transition(
            "submit",
            (S.DRAFT,),
            S.SUBMITTED,
            permission=EDIT,
            relations=("owner",),
            requires=("description",),
            notify=("deviations.approve",),
        ),
        Transition(
            "approve",
            (S.SUBMITTED,),
            S.APPROVED,
            permission=APPROVE,
            requires=("impact",),
            signature=Meaning.APPROVED,
            not_by=("creator", "owner"),
        ),
        Transition(
            "reject",
            (S.SUBMITTED,),
            S.DRAFT,
            permission=APPROVE,
            comment_required=True,
            style="secondary",
        ),
        Transition(
            "close",
            (S.APPROVED,),
            S.CLOSED,
            permission=APPROVE,
            signature=Meaning.CLOSED,
            guard=actions.all_actions_done,
        ),
        Transition(
            "cancel",
            (S.DRAFT, S.SUBMITTED),
            S.CANCELLED,
            permission=EDIT,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(S.CLOSED, S.CANCELLED),
)

MODULE = Module(
    name="recordtypes",
    permissions=(
        Permission(VIEW, "See deviations.", roles=p.EVERYONE),
        Permission(CREATE, "Raise deviations.", roles=(p.CONTRIBUTOR, p.QUALITY_MANAGER)),
        Permission(EDIT, "Change any deviation.", roles=(p.QUALITY_MANAGER,)),
        Permission(APPROVE, "Approve and close deviations.", roles=(p.APPROVER, p.QUALITY_MANAGER)),
    ),
    record_types=(
        RecordType(
            model=Deviation,
            key="deviation",
            label="Deviation",
            prefix="DEV",
            workflow=WORKFLOW,
            permissions=RecordPermissions(view=VIEW, create=CREATE, edit=EDIT),
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
        ),
    ),
)
