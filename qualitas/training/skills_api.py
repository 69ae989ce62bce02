"""Skills and competency levels: /api/v1/skills.

Skills themselves are seen by everyone holding training.view; the levels people hold (their
assessments, their gaps) only where the reader holds training.view_records, and one's own.
Writes go through qualitas.training.skills, which checks who may make them.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from qualitas.core import permissions
from qualitas.core.errors import InvalidInput, NotFound
from qualitas.core.models import Site, User
from qualitas.core.pagination import PageNumber
from qualitas.core.queries import get_or_404
from qualitas.core.schemas import ERRORS, actor_of
from qualitas.training import skills, workflows as w
from qualitas.training.api import _pick
from qualitas.training.models import JobRole, Skill, SkillAssessment, SkillRequirement

router = Router(tags=["training"])


def _may_see(request: HttpRequest) -> User:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW)
    return actor


def _may_see_people(request: HttpRequest) -> User:
    actor = actor_of(request)
    permissions.require(actor, w.VIEW_RECORDS)
    return actor


class SkillOut(Schema):
    id: int
    name: str
    description: str
    site: int | None = Field(None, alias="site_id", description="Site id; null: every site")
    active: bool = Field(..., description="False: out of use (skills are not deleted)")


class SkillIn(Schema):
    name: str = Field(..., min_length=1, max_length=120, description="Unique name")
    description: str = ""
    site: int | None = Field(None, description="Site id; empty for a skill of every site")


class SkillPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = None
    site: int | None = None
    active: bool | None = Field(None, description="false takes the skill out of use")


class SkillFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Name contains")
    site: int | None = Field(None, description="Skills of this site and of every site")
    active: bool | None = Field(default=True, description="Default: only skills in use")


class LevelOut(Schema):
    id: int
    job_role: int = Field(..., alias="job_role_id")
    job_role_name: str = Field(..., alias="job_role.name")
    skill: int = Field(..., alias="skill_id")
    minimum_level: int = Field(..., description="1 aware … 4 can train others")
    active: bool
    created_at: datetime


class LevelIn(Schema):
    job_role: int = Field(..., description="Id of the job role")
    minimum_level: int = Field(..., description="1 aware, 2 supervised, 3 competent, 4 trainer")


class AssessmentOut(Schema):
    id: int
    person: int = Field(..., alias="person_id")
    person_name: str = Field(..., alias="person.printed_name")
    skill: int = Field(..., alias="skill_id")
    level: int
    assessor: int = Field(..., alias="assessor_id")
    assessor_name: str = Field(..., alias="assessor.printed_name")
    assessed_on: date
    evidence: str
    current: bool = Field(..., description="False: superseded by a later assessment")
    supersedes: int | None = Field(None, alias="supersedes_id")


class AssessmentIn(Schema):
    person: int = Field(..., description="Id of the person assessed (not yourself)")
    level: int = Field(..., description="1 aware, 2 supervised, 3 competent, 4 trainer")
    assessed_on: date | None = Field(None, description="Default: today; never in the future")
    evidence: str = Field("", max_length=4000)


class AssessmentFilters(Schema):
    person: int | None = None
    current: bool | None = Field(None, description="true: only each person's current level")


class StandingOut(Schema):
    skill: int
    skill_name: str
    required: int | None = Field(None, description="Highest level the job roles ask; null: none")
    assessed: int | None = Field(None, description="Current assessed level; null: never")
    state: str = Field(..., description="meets, below, not_assessed or not_required")
    job_roles: list[str]


class PersonSkillsOut(Schema):
    person: int
    name: str
    skills: list[StandingOut]


class GapOut(Schema):
    person: int
    person_name: str
    skill: int
    skill_name: str
    required: int
    assessed: int | None
    state: str = Field(..., description="below or not_assessed")
    job_roles: list[str]


class GapFilters(Schema):
    site: int | None = None
    department: int | None = None
    job_role: int | None = None
    skill: int | None = None


def _skills() -> QuerySet[Skill]:
    return Skill.objects.order_by("name")


class _Listed:
    """Rows worked out in Python, paged as a queryset is (count, then a slice)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def count(self) -> int:
        return len(self.rows)

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return self.rows[page]


# Fixed paths first, so that they are not taken for a skill id.


@router.get("/gaps", response={200: list[GapOut], **ERRORS}, summary="Competency gaps")
@paginate(PageNumber)
def list_gaps(request: HttpRequest, filters: Query[GapFilters]) -> Any:
    """People in a job role whose current level of a skill is below the role's required
    level, or who were never assessed on it."""
    actor = _may_see_people(request)
    chosen = skills.filters_from(
        {"site": filters.site, "department": filters.department, "job_role": filters.job_role}
    )
    skill = _pick(Skill, filters.skill, "skill")
    rows = [
        {
            "person": gap.person.pk,
            "person_name": gap.person.printed_name,
            "skill": gap.skill.pk,
            "skill_name": gap.skill.name,
            "required": gap.required,
            "assessed": gap.assessed,
            "state": gap.state,
            "job_roles": list(gap.job_roles),
        }
        for gap in skills.gaps(actor, chosen, skill=skill)
    ]
    return _Listed(rows)


@router.get(
    "/people/{person_id}",
    response={200: PersonSkillsOut, **ERRORS},
    summary="A person's levels against those their job roles ask",
)
def person_levels(request: HttpRequest, person_id: int) -> Any:
    actor = _may_see(request)
    person = User.objects.filter(pk=person_id).select_related("site").first()
    if person is None or not skills.may_see_person(actor, person):
        raise NotFound("There is no such person whose skills you may see.")
    return {
        "person": person.pk,
        "name": person.printed_name,
        "skills": [
            {
                "skill": skill.pk,
                "skill_name": skill.name,
                "required": standing.required,
                "assessed": standing.assessed,
                "state": standing.state,
                "job_roles": list(standing.job_roles),
            }
            for skill, standing in skills.person_skills(person)
        ],
    }


@router.get("", response={200: list[SkillOut], **ERRORS}, summary="List skills")
@paginate(PageNumber)
def list_skills(request: HttpRequest, filters: Query[SkillFilters]) -> Any:
    _may_see(request)
    found = _skills()
    if filters.q:
        found = found.filter(name__icontains=filters.q)
    if filters.site is not None:
        found = found.filter(Q(site__isnull=True) | Q(site_id=filters.site))
    if filters.active is not None:
        found = found.filter(active=filters.active)
    return found


@router.post("", response={201: SkillOut, **ERRORS}, summary="Create a skill")
def create_skill(request: HttpRequest, payload: SkillIn) -> Any:
    created = skills.create_skill(
        actor=actor_of(request),
        name=payload.name,
        description=payload.description,
        site=_pick(Site, payload.site, "site"),
    )
    return Status(201, created)


@router.get("/{skill_id}", response={200: SkillOut, **ERRORS}, summary="One skill")
def get_skill(request: HttpRequest, skill_id: int) -> Any:
    _may_see(request)
    return get_or_404(_skills(), pk=skill_id)


@router.patch(
    "/{skill_id}",
    response={200: SkillOut, **ERRORS},
    summary="Change a skill, or take it out of use (active=false)",
)
def change_skill(request: HttpRequest, skill_id: int, payload: SkillPatch) -> Any:
    _may_see(request)
    skill = get_or_404(_skills(), pk=skill_id)
    changes = payload.dict(exclude_unset=True)
    if "site" in changes:
        changes["site"] = _pick(Site, changes["site"], "site")
    for name in ("name", "active"):
        if name in changes and changes[name] is None:
            raise InvalidInput.for_field(name, "This field cannot be empty.")
    return skills.update_skill(skill, actor=actor_of(request), **changes)


@router.get(
    "/{skill_id}/requirements",
    response={200: list[LevelOut], **ERRORS},
    summary="The levels job roles ask of the skill",
)
def list_levels(request: HttpRequest, skill_id: int) -> Any:
    _may_see(request)
    skill = get_or_404(_skills(), pk=skill_id)
    return SkillRequirement.objects.filter(skill=skill).select_related("job_role").order_by("pk")


@router.post(
    "/{skill_id}/requirements",
    response={200: LevelOut, **ERRORS},
    summary="Ask a job role for a minimum level of the skill (again: change the level)",
)
def require_level(request: HttpRequest, skill_id: int, payload: LevelIn) -> Any:
    _may_see(request)
    skill = get_or_404(_skills(), pk=skill_id)
    role = _pick(JobRole, payload.job_role, "job_role")
    line = skills.require_level(
        actor=actor_of(request), job_role=role, skill=skill, minimum_level=payload.minimum_level
    )
    return SkillRequirement.objects.select_related("job_role").get(pk=line.pk)


@router.get(
    "/{skill_id}/assessments",
    response={200: list[AssessmentOut], **ERRORS},
    summary="Assessments of the skill (history included) of the people you see",
)
@paginate(PageNumber)
def list_assessments(request: HttpRequest, skill_id: int, filters: Query[AssessmentFilters]) -> Any:
    actor = _may_see_people(request)
    skill = get_or_404(_skills(), pk=skill_id)
    found = skills.assessments(skill, actor)
    if filters.person is not None:
        found = found.filter(person_id=filters.person)
    if filters.current is not None:
        found = found.filter(current=filters.current)
    return found


@router.post(
    "/{skill_id}/assessments",
    response={201: AssessmentOut, **ERRORS},
    summary="Assess a person's level of the skill (supersedes their current assessment)",
)
def assess(request: HttpRequest, skill_id: int, payload: AssessmentIn) -> Any:
    _may_see(request)
    skill = get_or_404(_skills(), pk=skill_id)
    person = _pick(User, payload.person, "person")
    created = skills.assess(
        actor=actor_of(request),
        person=person,
        skill=skill,
        level=payload.level,
        assessed_on=payload.assessed_on,
        evidence=payload.evidence,
    )
    return Status(
        201, SkillAssessment.objects.select_related("person", "assessor").get(pk=created.pk)
    )
