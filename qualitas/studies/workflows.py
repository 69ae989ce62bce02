"""An SPC study is recorded, then reviewed with a signature (or withdrawn with a reason)."""

from __future__ import annotations

from django.db import models

from qualitas.core.models import Meaning
from qualitas.core.workflow import Transition, Workflow

VIEW = "studies.view"
CREATE = "studies.create"
EDIT = "studies.edit"
REVIEW = "studies.review"


class State(models.TextChoices):
    RECORDED = "recorded", "Recorded"
    REVIEWED = "reviewed", "Reviewed"
    WITHDRAWN = "withdrawn", "Withdrawn"


WORKFLOW = Workflow(
    initial=State.RECORDED,
    states=State,
    transitions=(
        Transition(
            "review",
            (State.RECORDED,),
            State.REVIEWED,
            label="Review and sign",
            permission=REVIEW,
            signature=Meaning.REVIEWED,
            not_by=("creator",),
        ),
        Transition(
            "withdraw",
            (State.RECORDED,),
            State.WITHDRAWN,
            permission=EDIT,
            relations=("owner",),
            comment_required=True,
            style="danger",
        ),
    ),
    locked_states=(State.REVIEWED, State.WITHDRAWN),
)
