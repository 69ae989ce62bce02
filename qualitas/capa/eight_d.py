"""The 8D report of a CAPA, D0 to D8, as plain data (tested without printing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from qualitas.capa import diagram
from qualitas.capa.models import Capa
from qualitas.core import actions, links, recordapi
from qualitas.core.models import ActionItem, User


@dataclass(frozen=True)
class ActionLine:
    title: str
    kind: str
    who: str
    due_on: date
    state: str
    done_on: datetime | None
    note: str


@dataclass(frozen=True)
class EightD:
    number: str
    title: str
    capa_type: str
    state: str
    owner: str
    opened_on: datetime
    sources: list[str]
    team: list[str]
    problem_statement: str
    is_description: str
    is_not_description: str
    containment: str
    containment_actions: list[ActionLine]
    whys: list[tuple[str, str, bool]]
    fishbone_svg: str
    root_cause: str
    root_cause_category: str
    corrective_actions: list[ActionLine]
    effectiveness_criteria: str
    effectiveness_method: str
    effectiveness_due_on: date | None
    effectiveness_result: str
    effectiveness_evidence: str
    effectiveness_checked: str
    signatures: list[str]


def _line(action: ActionItem) -> ActionLine:
    who = (
        action.assignee.printed_name
        if action.assignee
        else (action.department.name if action.department else "")
    )
    return ActionLine(
        action.title,
        action.kind,
        who,
        action.due_on,
        action.get_state_display(),
        action.completed_at,
        action.completion_note,
    )


def build(capa: Capa, *, viewer: User) -> EightD:
    all_actions = list(actions.actions_of(capa))
    sources = [
        f"{v.other.number} {v.other.title}"
        for v in links.links_of(capa, viewer=viewer)
        if v.link.kind == "escalated_to" and not v.outgoing
    ]
    return EightD(
        number=capa.number,
        title=capa.title,
        capa_type=capa.get_capa_type_display(),
        state=capa.get_state_display(),
        owner=capa.owner.printed_name,
        opened_on=capa.created_at,
        sources=sources,
        team=[f"{capa.owner.printed_name} (owner)"]
        + [
            f"{t.member.printed_name}" + (f" ({t.role})" if t.role else "")
            for t in capa.team.select_related("member")
        ],
        problem_statement=capa.problem_statement,
        is_description=capa.is_description,
        is_not_description=capa.is_not_description,
        containment=capa.containment_summary,
        containment_actions=[_line(a) for a in all_actions if a.kind == "containment"],
        whys=[(w.question, w.answer, w.is_root_cause) for w in capa.whys.all()],
        fishbone_svg=diagram.fishbone_svg(capa.title, capa.causes.all()),
        root_cause=capa.root_cause,
        root_cause_category=capa.get_root_cause_category_display()
        if capa.root_cause_category
        else "",
        corrective_actions=[_line(a) for a in all_actions if a.kind != "containment"],
        effectiveness_criteria=capa.effectiveness_criteria,
        effectiveness_method=capa.effectiveness_method,
        effectiveness_due_on=capa.effectiveness_due_on,
        effectiveness_result=capa.get_effectiveness_result_display(),
        effectiveness_evidence=capa.effectiveness_evidence,
        effectiveness_checked=(
            f"{capa.effectiveness_checked_by.printed_name} on "
            f"{capa.effectiveness_checked_on:%Y-%m-%d}"
            if capa.effectiveness_checked_by and capa.effectiveness_checked_on
            else ""
        ),
        signatures=[
            row["manifestation"]
            + ("" if row["valid"] else " [INVALID: content changed since signing]")
            for row in recordapi.signature_rows(capa)
        ],
    )
