"""Skills and competency levels (ISO 9001 7.2, ISO 13485 6.2): the skills, the level each
job role asks for, the level each person was assessed at, and where people fall short.

Writes take the acting user and are audited; an assessment is never changed, a new one
supersedes it. The reads are built from a fixed handful of queries whatever the number of
people (their job roles, the roles' required levels, their current assessments), then put
together here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from qualitas.core import audit, permissions
from qualitas.core.errors import FieldError, InvalidInput, PermissionDenied
from qualitas.core.validation import clean_or_raise
from qualitas.training import matrix, workflows as w
from qualitas.training.models import (
    JobRole,
    Skill,
    SkillAssessment,
    SkillLevel,
    SkillRequirement,
)

if TYPE_CHECKING:
    from qualitas.core.models import Department, Site, User

SKILL_FIELDS = ("name", "description", "site", "active")


def _level(value: Any, field: str) -> int:
    """A level 1-4, or a refusal naming the field."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in SkillLevel.values:
        raise InvalidInput.for_field(
            field, "Choose a level from 1 (aware) to 4 (can train others)."
        )
    return value


# --- Skills and the levels job roles ask for -------------------------------------------------


@audit.service
def create_skill(
    *, actor: User, name: str, description: str = "", site: Site | None = None
) -> Skill:
    permissions.require(actor, w.MANAGE, site=site)
    skill = Skill(name=name.strip(), description=description, site=site)
    clean_or_raise(skill)
    skill.save()
    return skill


@audit.service
def update_skill(skill: Skill, *, actor: User, **changes: Any) -> Skill:
    """Rename, describe, move to a site or take out of use (active=False); never deleted."""
    unknown = sorted(set(changes) - set(SKILL_FIELDS))
    if unknown:
        raise InvalidInput([FieldError(name, "This field cannot be changed.") for name in unknown])
    permissions.require(actor, w.MANAGE, site=skill.site)
    if "site" in changes:
        permissions.require(actor, w.MANAGE, site=changes["site"])
    current: Skill = Skill.objects.select_for_update().get(pk=skill.pk)
    for name, value in changes.items():
        setattr(current, name, value.strip() if name == "name" else value)
    clean_or_raise(current)
    current.save()
    return current


@audit.service
def require_level(
    *, actor: User, job_role: JobRole, skill: Skill, minimum_level: int
) -> SkillRequirement:
    """The job role asks for the skill at this level at least (a second call changes it)."""
    level = _level(minimum_level, "minimum_level")
    permissions.require(actor, w.MANAGE, site=skill.site)
    if not skill.active:
        raise InvalidInput.for_field("skill", f"{skill.name} is out of use.")
    if not job_role.active:
        raise InvalidInput.for_field("job_role", f"{job_role.name} is out of use.")
    current = SkillRequirement.objects.select_for_update().filter(job_role=job_role, skill=skill)
    requirement = current.first() or SkillRequirement(
        job_role=job_role, skill=skill, created_by=actor
    )
    requirement.minimum_level = level
    requirement.active = True
    clean_or_raise(requirement, exclude=["job_role", "skill"])
    requirement.save()
    return requirement


@audit.service
def withdraw_level(requirement: SkillRequirement, *, actor: User, reason: str) -> SkillRequirement:
    """The job role no longer asks for the skill (the line is kept, inactive)."""
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the job role no longer needs it.")
    permissions.require(actor, w.MANAGE, site=requirement.skill.site)
    current: SkillRequirement = SkillRequirement.objects.select_for_update().get(pk=requirement.pk)
    current.active = False
    current.save()
    return current


# --- Assessing people -------------------------------------------------------------------------


def may_assess(user: User, person: User) -> bool:
    """Coordinators and assessors at the person's site assess them; never themselves."""
    if user.pk == person.pk:
        return False
    return permissions.has_perm(user, w.MANAGE, site=person.site) or permissions.has_perm(
        user, w.ASSESS, site=person.site
    )


def may_assess_somewhere(user: User) -> bool:
    return permissions.has_perm(user, w.MANAGE) or permissions.has_perm(user, w.ASSESS)


@audit.service
def assess(
    *,
    actor: User,
    person: User,
    skill: Skill,
    level: int,
    assessed_on: date | None = None,
    evidence: str = "",
) -> SkillAssessment:
    """The actor assessed the person at a level of the skill. The person's current
    assessment of it, if any, is superseded and kept."""
    level = _level(level, "level")
    today = timezone.localdate()
    day = assessed_on or today
    if day > today:
        raise InvalidInput.for_field("assessed_on", "The assessment date cannot be in the future.")
    if actor.pk == person.pk:
        raise InvalidInput.for_field(
            "person", "Nobody assesses their own competence: ask another assessor."
        )
    if not (
        permissions.has_perm(actor, w.MANAGE, site=person.site)
        or permissions.has_perm(actor, w.ASSESS, site=person.site)
    ):
        where = f" at {person.site.name}" if person.site is not None else ""
        raise PermissionDenied(
            f"You may not assess people{where}: it needs the training coordinator's or "
            "assessor's permission there."
        )
    if not person.is_active:
        raise InvalidInput.for_field("person", f"{person.printed_name} is not active.")
    if not skill.active:
        raise InvalidInput.for_field("skill", f"{skill.name} is out of use.")
    previous = (
        SkillAssessment.objects.select_for_update()
        .filter(person=person, skill=skill, current=True)
        .first()
    )
    if previous is not None and previous.assessed_on > day:
        raise InvalidInput.for_field(
            "assessed_on",
            f"{person.printed_name} was assessed on {previous.assessed_on:%Y-%m-%d}; "
            "a new assessment cannot be older.",
        )
    assessment = SkillAssessment(
        person=person,
        skill=skill,
        level=level,
        assessor=actor,
        assessed_on=day,
        evidence=evidence.strip(),
        supersedes=previous,
    )
    if previous is not None:
        # First, so that the new one is the only current one (a refusal below rolls it back).
        previous.current = False
        previous.save()
    clean_or_raise(assessment, exclude=["supersedes"])
    assessment.save()
    return assessment


# --- Where people stand ------------------------------------------------------------------------

MEETS = "meets"
BELOW = "below"
NOT_ASSESSED = "not_assessed"
NOT_REQUIRED = "not_required"

# What each state is called and its Bootstrap colour, in the legend's order.
STATES: dict[str, tuple[str, str]] = {
    MEETS: ("Meets the level", "text-bg-success"),
    BELOW: ("Below the level", "text-bg-danger"),
    NOT_ASSESSED: ("Not assessed", "text-bg-warning"),
    NOT_REQUIRED: ("Not required", "text-bg-light border"),
}


@dataclass(frozen=True)
class Standing:
    """A person's level of a skill against the highest level their job roles ask for."""

    person_id: int
    skill_id: int
    required: int | None
    assessed: int | None
    job_roles: tuple[str, ...] = ()

    @property
    def state(self) -> str:
        if self.required is None:
            return NOT_REQUIRED
        if self.assessed is None:
            return NOT_ASSESSED
        return MEETS if self.assessed >= self.required else BELOW

    @property
    def is_gap(self) -> bool:
        return self.state in (BELOW, NOT_ASSESSED)


def standings(
    person_ids: Iterable[int] | QuerySet[Any], skill_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], Standing]:
    """(person, skill) -> Standing, for every pair a job role asks for or an assessment
    names. Three queries whatever the number of people."""
    lines = SkillRequirement.objects.filter(
        active=True, skill__active=True, job_role__active=True
    ).select_related("job_role")
    current = SkillAssessment.objects.filter(current=True, skill__active=True)
    if skill_ids is not None:
        skill_ids = list(skill_ids)
        lines = lines.filter(skill_id__in=skill_ids)
        current = current.filter(skill_id__in=skill_ids)
    by_role: dict[int, list[SkillRequirement]] = defaultdict(list)
    for line in lines:
        by_role[line.job_role_id].append(line)
    required: dict[tuple[int, int], int] = {}
    roles: dict[tuple[int, int], list[str]] = defaultdict(list)
    if by_role:
        members = JobRole.members.through.objects.filter(
            jobrole_id__in=list(by_role), user_id__in=person_ids
        ).values_list("user_id", "jobrole_id")
        for person, role in members:
            for line in by_role[role]:
                key = (person, line.skill_id)
                required[key] = max(required.get(key, 0), line.minimum_level)
                roles[key].append(line.job_role.name)
    assessed = {
        (person, skill): level
        for person, skill, level in current.filter(person_id__in=person_ids).values_list(
            "person_id", "skill_id", "level"
        )
    }
    return {
        key: Standing(
            key[0], key[1], required.get(key), assessed.get(key), tuple(sorted(roles[key]))
        )
        for key in set(required) | set(assessed)
    }


@dataclass(frozen=True)
class Filters:
    site: Site | None = None
    department: Department | None = None
    job_role: JobRole | None = None


def filters_from(params: Any) -> Filters:
    """Site, department and job role asked for (GET parameters, each an id); junk is
    refused naming the parameter."""
    where = matrix.filters_from(params)
    job_role = matrix.chosen(JobRole, "job_role", params.get("job_role"))
    return Filters(where.site, where.department, job_role)


def people(user: User, filters: Filters) -> QuerySet[User]:
    """The active people whose competence the user may see, as the training matrix."""
    found = matrix.people(user, matrix.Filters(filters.site, filters.department))
    if filters.job_role is not None:
        found = found.filter(job_roles=filters.job_role)
    return found


def skills(filters: Filters | None = None) -> QuerySet[Skill]:
    """The skills in use; a site's skills only when no other site is asked for."""
    found = Skill.objects.filter(active=True).select_related("site").order_by("name")
    if filters is not None and filters.site is not None:
        found = found.filter(Q(site__isnull=True) | Q(site=filters.site))
    return found


@dataclass(frozen=True)
class Tally:
    required: int = 0
    meets: int = 0
    below: int = 0
    not_assessed: int = 0
    assessed: int = 0

    @property
    def missing(self) -> int:
        return self.below + self.not_assessed


def tallies(user: User, filters: Filters) -> dict[int, Tally]:
    """skill id -> how many of the people the user sees meet or miss its required level."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for standing in standings(people(user, filters).values("pk")).values():
        count = counts[standing.skill_id]
        count[standing.state] += 1
        if standing.assessed is not None:
            count["assessed"] += 1
        if standing.required is not None:
            count["required"] += 1
    return {
        skill: Tally(
            required=c["required"],
            meets=c[MEETS],
            below=c[BELOW],
            not_assessed=c[NOT_ASSESSED],
            assessed=c["assessed"],
        )
        for skill, c in counts.items()
    }


@dataclass(frozen=True)
class Gap:
    person: User
    skill: Skill
    required: int
    assessed: int | None
    job_roles: tuple[str, ...]

    @property
    def state(self) -> str:
        return NOT_ASSESSED if self.assessed is None else BELOW


def gaps(user: User, filters: Filters, *, skill: Skill | None = None) -> list[Gap]:
    """People in a job role whose current level of a skill is below the role's, or who
    were never assessed: by person, then skill. A fixed number of queries."""
    scope = people(user, filters)
    found = standings(scope.values("pk"), [skill.pk] if skill is not None else None)
    short = [s for s in found.values() if s.is_gap]
    if not short:
        return []
    who = {p.pk: p for p in scope.filter(pk__in={s.person_id for s in short})}
    what = {s.pk: s for s in Skill.objects.filter(pk__in={s.skill_id for s in short})}
    result = [
        Gap(who[s.person_id], what[s.skill_id], s.required or 0, s.assessed, s.job_roles)
        for s in short
    ]
    return sorted(result, key=lambda g: (*_name_key(g.person), g.skill.name))


def _name_key(person: User) -> tuple[str, str, str, int]:
    return (person.last_name, person.first_name, person.username, person.pk)


def may_see_person(user: User, person: User) -> bool:
    """One's own levels, or those of people where one holds training.view_records."""
    if user.pk == person.pk:
        return True
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    return sites is None or (person.site_id is not None and person.site_id in sites)


def person_skills(person: User) -> list[tuple[Skill, Standing]]:
    """A person's skills: those their job roles ask for and those they were assessed on."""
    found = standings([person.pk])
    named = Skill.objects.filter(pk__in={skill for _p, skill in found}).order_by("name")
    return [(skill, found[(person.pk, skill.pk)]) for skill in named]


def assessments(skill: Skill, user: User) -> QuerySet[SkillAssessment]:
    """Every assessment of the skill (current and superseded) of the people the user sees."""
    scope = matrix.people(user, matrix.Filters())
    return (
        SkillAssessment.objects.filter(skill=skill, person__in=scope.values("pk"))
        .select_related("person", "assessor")
        .order_by("person__last_name", "person__first_name", "person_id", "-assessed_on", "-pk")
    )


@dataclass(frozen=True)
class MatrixRow:
    person: User
    cells: list[Standing]


def matrix_rows(people: Sequence[User], columns: Sequence[Skill]) -> list[MatrixRow]:
    """One cell per skill for each person shown: the same three queries for any page."""
    if not people or not columns:
        return [MatrixRow(person, []) for person in people]
    found = standings([p.pk for p in people], [s.pk for s in columns])
    return [
        MatrixRow(
            person,
            [
                found.get((person.pk, s.pk)) or Standing(person.pk, s.pk, None, None)
                for s in columns
            ],
        )
        for person in people
    ]


def cell_text(standing: Standing) -> str:
    """What a matrix cell says: the level held against the level asked for."""
    held = str(standing.assessed) if standing.assessed is not None else "-"
    if standing.required is None:
        return held if standing.assessed is not None else ""
    return f"{held} / {standing.required}"
