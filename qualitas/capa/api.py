"""CAPA root-cause data beyond the generic record API. Mounted at /api/v1/capa.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from qualitas.capa import diagram, policy, services
from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.core.schemas import ERRORS, actor_of

router = Router(tags=["capas"])


class WhyIO(Schema):
    position: int = 0
    why: str
    because: str
    is_root_cause: bool = False


class CauseIO(Schema):
    category: str
    text: str
    is_root_cause: bool = False


class MemberIO(Schema):
    member: int
    role: str = ""


class RootCauseOut(Schema):
    root_cause: str
    root_cause_category: str
    whys: list[WhyIO]
    causes: list[CauseIO]
    team: list[MemberIO]
    fishbone_svg: str


def _capa(request: HttpRequest, capa_id: int) -> Any:
    return records.get_visible(actor_of(request), services.record_type(), capa_id)


def _root_cause(capa: Any) -> dict[str, Any]:
    causes = list(capa.causes.all())
    return {
        "root_cause": capa.root_cause,
        "root_cause_category": capa.root_cause_category,
        "whys": [
            {
                "position": w.position,
                "why": w.why,
                "because": w.because,
                "is_root_cause": w.is_root_cause,
            }
            for w in capa.whys.all()
        ],
        "causes": [
            {"category": c.category, "text": c.text, "is_root_cause": c.is_root_cause}
            for c in causes
        ],
        "team": [{"member": t.member_id, "role": t.role} for t in capa.team.all()],
        "fishbone_svg": diagram.fishbone_svg(capa.title, causes),
    }


@router.get(
    "/{capa_id}/root-cause",
    response={200: RootCauseOut, **ERRORS},
    summary="5 Whys, Ishikawa causes, team",
)
def get_root_cause(request: HttpRequest, capa_id: int) -> Any:
    return _root_cause(_capa(request, capa_id))


@router.post("/{capa_id}/whys", response={201: RootCauseOut, **ERRORS})
def add_why(request: HttpRequest, capa_id: int, payload: WhyIO) -> Any:
    capa = _capa(request, capa_id)
    step = services.add_why(capa, actor=actor_of(request), why=payload.why, because=payload.because)
    if payload.is_root_cause:
        services.mark_root_cause(step, actor=actor_of(request))
    return Status(201, _root_cause(capa))


@router.post("/{capa_id}/causes", response={201: RootCauseOut, **ERRORS})
def add_cause(request: HttpRequest, capa_id: int, payload: CauseIO) -> Any:
    capa = _capa(request, capa_id)
    cause = services.add_cause(
        capa, actor=actor_of(request), category=payload.category, text=payload.text
    )
    if payload.is_root_cause:
        services.mark_root_cause(cause, actor=actor_of(request))
    return Status(201, _root_cause(capa))


@router.post("/{capa_id}/team", response={201: RootCauseOut, **ERRORS})
def add_member(request: HttpRequest, capa_id: int, payload: MemberIO) -> Any:
    capa = _capa(request, capa_id)
    member = User.objects.filter(pk=payload.member, is_active=True).first()
    if member is None:
        raise InvalidInput.for_field("member", f"No active user with id {payload.member}.")
    services.add_team_member(capa, actor=actor_of(request), member=member, role=payload.role)
    return Status(201, _root_cause(capa))


class EffectivenessIn(Schema):
    version: int | None = Field(None, description="The CAPA's version you read")
    result: str = Field(..., description="passed (effective) or failed (not effective)")
    evidence: str = Field(..., description="What shows the result", max_length=10000)
    checked_on: date | None = Field(None, description="Day of the check; default today")


class EffectivenessOut(Schema):
    capa: int
    version: int
    state: str
    result: str
    evidence: str
    checked_by: int | None
    checked_by_name: str
    checked_on: date | None


def _effectiveness(capa: Any) -> dict[str, Any]:
    checker = capa.effectiveness_checked_by
    return {
        "capa": capa.pk,
        "version": capa.version,
        "state": capa.state,
        "result": capa.effectiveness_result,
        "evidence": capa.effectiveness_evidence,
        "checked_by": checker.pk if checker else None,
        "checked_by_name": checker.printed_name if checker else "",
        "checked_on": capa.effectiveness_checked_on,
    }


@router.get(
    "/{capa_id}/effectiveness",
    response={200: EffectivenessOut, **ERRORS},
    summary="The effectiveness check (D7)",
)
def get_effectiveness(request: HttpRequest, capa_id: int) -> Any:
    return _effectiveness(_capa(request, capa_id))


@router.post(
    "/{capa_id}/effectiveness",
    response={200: EffectivenessOut, **ERRORS},
    summary="Record the effectiveness check (D7): result, evidence, day; by you",
)
def record_effectiveness(request: HttpRequest, capa_id: int, payload: EffectivenessIn) -> Any:
    capa = services.record_effectiveness(
        _capa(request, capa_id),
        actor=actor_of(request),
        result=payload.result,
        evidence=payload.evidence,
        checked_on=payload.checked_on,
        expected_version=payload.version,
    )
    return _effectiveness(capa)


class StepDaysOut(Schema):
    step: str
    label: str
    mean_days: float | None = Field(..., description="Mean days per pass through the step")
    passes: int


class MetricsOut(Schema):
    open_total: int
    open_by_age: list[tuple[str, int]]
    closed_total: int
    on_time_closed: int
    on_time_closure_rate: float | None = Field(
        ..., description="% of closed CAPAs with a due date closed on or before it"
    )
    mean_cycle_days: float | None
    effectiveness_pass_rate: float | None = Field(
        ..., description="% of decided CAPAs effective at their first check"
    )
    effectiveness_checked: int
    effectiveness_rate: float | None = Field(
        ..., description="% of recorded effectiveness checks found effective"
    )
    days_per_step: list[StepDaysOut]
    recurrences: list[str]
    root_cause_categories: list[tuple[str, int]]


@router.get("/metrics", response={200: MetricsOut, **ERRORS}, summary="CAPA metrics")
def metrics(request: HttpRequest) -> Any:
    from dataclasses import asdict

    from qualitas.capa import queries

    policy.require_see_metrics(actor_of(request))
    return {
        **asdict(queries.metrics(actor_of(request))),
        "root_cause_categories": services.root_cause_statistics(actor_of(request)),
    }
