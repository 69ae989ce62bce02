"""Skills, the levels job roles ask for and people's assessed levels, through the services:
who may write them, every refusal with nothing saved, the audit trail, history kept when an
assessment is superseded, and the competency gaps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from qualitas.core import permissions
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Site, User
from qualitas.training import services, skills
from qualitas.training.models import JobRole, Skill, SkillAssessment, SkillRequirement
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def cmm(cast: dict[str, User], site: Site) -> Skill:
    return skills.create_skill(
        actor=cast["coordinator"], name="CMM programming", description="Prove programs", site=site
    )


@pytest.fixture
def operators_with_cmm(cast: dict[str, User], operators: JobRole, cmm: Skill) -> SkillRequirement:
    """The operators' job role (the operator and the welder) asks for CMM programming at 3."""
    services.set_members(
        operators, actor=cast["coordinator"], members=[cast["operator"], cast["welder"]]
    )
    return skills.require_level(
        actor=cast["coordinator"], job_role=operators, skill=cmm, minimum_level=3
    )


def _events(model: type[Any]) -> list[AuditEvent]:
    kind = ContentType.objects.get_for_model(model)
    return list(AuditEvent.objects.filter(object_type=kind).order_by("pk"))


def test_a_skill_is_created_and_on_the_audit_trail(cast, cmm, site) -> None:
    assert cmm.site == site and cmm.active
    [event] = _events(Skill)
    assert event.action == "create"
    assert event.actor == cast["coordinator"]
    assert event.object_id == cmm.pk


def test_only_training_coordinators_write_skills(cast, site) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        skills.create_skill(actor=cast["operator"], name="Brazing")
    assert not Skill.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_coordinator_of_another_site_may_not_write_this_sites_skills(cmm, other_site) -> None:
    elsewhere = with_role(
        UserFactory(site=other_site), permissions.QUALITY_MANAGER, site=other_site
    )
    with pytest.raises(PermissionDenied):
        skills.update_skill(cmm, actor=elsewhere, description="Changed")
    cmm.refresh_from_db()
    assert cmm.description == "Prove programs"


def test_a_skill_is_renamed_and_taken_out_of_use(cast, cmm) -> None:
    changed = skills.update_skill(cmm, actor=cast["coordinator"], name="CMM", active=False)
    assert (changed.name, changed.active) == ("CMM", False)
    assert [e.action for e in _events(Skill)] == ["create", "update"]
    with pytest.raises(InvalidInput) as unknown:
        skills.update_skill(cmm, actor=cast["coordinator"], pk=99)
    assert unknown.value.errors[0].field == "pk"


def test_a_job_role_asks_for_a_level_and_a_second_call_changes_it(
    cast, operators, cmm, operators_with_cmm
) -> None:
    skills.require_level(actor=cast["coordinator"], job_role=operators, skill=cmm, minimum_level=4)

    line = SkillRequirement.objects.get()
    assert (line.job_role, line.skill, line.minimum_level) == (operators, cmm, 4)
    [_create, update] = _events(SkillRequirement)
    assert update.changes["minimum_level"] == {"old": 3, "new": 4}


@pytest.mark.parametrize("level", [0, 5, "3", None, True, 2.5])
def test_a_level_outside_one_to_four_is_refused(cast, operators, cmm, level) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        skills.require_level(
            actor=cast["coordinator"], job_role=operators, skill=cmm, minimum_level=level
        )
    assert refused.value.errors[0].field == "minimum_level"
    assert not SkillRequirement.objects.exists()
    assert AuditEvent.objects.count() == before


def test_only_coordinators_ask_levels_of_job_roles(cast, operators, cmm) -> None:
    with pytest.raises(PermissionDenied):
        skills.require_level(actor=cast["approver"], job_role=operators, skill=cmm, minimum_level=2)
    assert not SkillRequirement.objects.exists()


def test_a_withdrawn_level_is_kept_inactive_and_leaves_the_gaps(cast, operators_with_cmm) -> None:
    with pytest.raises(InvalidInput) as no_reason:
        skills.withdraw_level(operators_with_cmm, actor=cast["coordinator"], reason=" ")
    assert no_reason.value.errors[0].field == "reason"

    skills.withdraw_level(operators_with_cmm, actor=cast["coordinator"], reason="Moved to QA")

    assert SkillRequirement.objects.get().active is False
    assert skills.gaps(cast["coordinator"], skills.Filters()) == []


def test_an_assessment_supersedes_the_current_one_and_keeps_it(cast, cmm) -> None:
    assessor, operator = cast["coordinator"], cast["operator"]
    today = timezone.localdate()
    first = skills.assess(
        actor=assessor, person=operator, skill=cmm, level=2, assessed_on=today - timedelta(60)
    )
    second = skills.assess(
        actor=cast["approver"], person=operator, skill=cmm, level=3, evidence="Proved BRK-12"
    )

    first.refresh_from_db()
    assert first.current is False and first.level == 2
    assert second.current is True and second.supersedes == first
    assert second.assessor == cast["approver"] and second.assessed_on == today
    assert SkillAssessment.objects.filter(person=operator).count() == 2
    actions = [(e.action, e.object_id) for e in _events(SkillAssessment)]
    assert actions == [("create", first.pk), ("update", first.pk), ("create", second.pk)]


def _refused(field: str, **values: Any) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        skills.assess(**values)
    assert refused.value.errors[0].field == field
    assert not SkillAssessment.objects.exists()
    assert AuditEvent.objects.count() == before


def test_nobody_assesses_themselves(cast, cmm) -> None:
    coordinator = cast["coordinator"]
    _refused("person", actor=coordinator, person=coordinator, skill=cmm, level=3)


def test_an_assessment_cannot_be_dated_in_the_future(cast, cmm) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    _refused(
        "assessed_on",
        actor=cast["coordinator"],
        person=cast["operator"],
        skill=cmm,
        level=3,
        assessed_on=tomorrow,
    )


@pytest.mark.parametrize("level", [0, 5, -1, "4", None])
def test_an_assessed_level_is_one_to_four(cast, cmm, level) -> None:
    _refused("level", actor=cast["coordinator"], person=cast["operator"], skill=cmm, level=level)


def test_a_new_assessment_cannot_be_older_than_the_current_one(cast, cmm) -> None:
    today = timezone.localdate()
    skills.assess(actor=cast["coordinator"], person=cast["operator"], skill=cmm, level=2)
    with pytest.raises(InvalidInput) as older:
        skills.assess(
            actor=cast["coordinator"],
            person=cast["operator"],
            skill=cmm,
            level=3,
            assessed_on=today - timedelta(days=1),
        )
    assert older.value.errors[0].field == "assessed_on"
    assert SkillAssessment.objects.get().level == 2


def test_a_skill_out_of_use_is_not_assessed(cast, cmm) -> None:
    retired = skills.update_skill(cmm, actor=cast["coordinator"], active=False)
    with pytest.raises(InvalidInput) as refused:
        skills.assess(actor=cast["coordinator"], person=cast["operator"], skill=retired, level=2)
    assert refused.value.errors[0].field == "skill"
    assert not SkillAssessment.objects.exists()


@pytest.mark.parametrize(
    ("_case", "who", "allowed"),
    [
        ("coordinator at the site", "coordinator", True),
        ("approver (assessor) everywhere", "approver", True),
        ("document controller (coordinator) everywhere", "author", True),
        ("contributor", "inspector", False),
    ],
)
def test_who_may_assess(cast, cmm, _case, who, allowed) -> None:
    if allowed:
        skills.assess(actor=cast[who], person=cast["operator"], skill=cmm, level=2)
        assert SkillAssessment.objects.get().assessor == cast[who]
    else:
        with pytest.raises(PermissionDenied):
            skills.assess(actor=cast[who], person=cast["operator"], skill=cmm, level=2)
        assert not SkillAssessment.objects.exists()


def test_an_assessor_of_another_site_may_not_assess_here(cast, cmm, other_site) -> None:
    elsewhere = with_role(UserFactory(site=other_site), permissions.APPROVER, site=other_site)
    with pytest.raises(PermissionDenied):
        skills.assess(actor=elsewhere, person=cast["operator"], skill=cmm, level=2)
    assert not SkillAssessment.objects.exists()


def test_gaps_are_people_below_their_roles_level_or_never_assessed(
    cast, cmm, operators_with_cmm
) -> None:
    coordinator = cast["coordinator"]
    skills.assess(actor=coordinator, person=cast["operator"], skill=cmm, level=2)
    # Not in the job role: assessed low, but nobody asks it of the inspector.
    skills.assess(actor=coordinator, person=cast["inspector"], skill=cmm, level=1)

    found = {(g.person.username, g.state, g.required, g.assessed) for g in skills.gaps(
        coordinator, skills.Filters()
    )}  # fmt: skip
    assert found == {("oper", "below", 3, 2), ("weld", "not_assessed", 3, None)}

    skills.assess(actor=coordinator, person=cast["operator"], skill=cmm, level=3)
    [left] = skills.gaps(coordinator, skills.Filters())
    assert left.person == cast["welder"] and left.job_roles == ("Assembly operator",)


def test_the_highest_level_of_a_persons_job_roles_is_the_one_asked(
    cast, cmm, operators, operators_with_cmm
) -> None:
    leads = services.create_job_role(actor=cast["coordinator"], name="Cell lead")
    services.set_members(leads, actor=cast["coordinator"], members=[cast["operator"]])
    skills.require_level(actor=cast["coordinator"], job_role=leads, skill=cmm, minimum_level=4)
    skills.assess(actor=cast["coordinator"], person=cast["operator"], skill=cmm, level=3)

    standing = skills.standings([cast["operator"].pk])[(cast["operator"].pk, cmm.pk)]
    assert (standing.required, standing.assessed, standing.state) == (4, 3, "below")
    assert standing.job_roles == ("Assembly operator", "Cell lead")


def test_gaps_are_only_of_the_people_the_reader_sees(
    cast, cmm, operators_with_cmm, other_site
) -> None:
    elsewhere = with_role(
        UserFactory(site=other_site), permissions.QUALITY_MANAGER, site=other_site
    )
    assert skills.gaps(elsewhere, skills.Filters()) == []
    assert len(skills.gaps(cast["coordinator"], skills.Filters())) == 2


def test_gaps_filter_by_job_role(cast, cmm, operators_with_cmm) -> None:
    other = services.create_job_role(actor=cast["coordinator"], name="Inspector")
    services.set_members(other, actor=cast["coordinator"], members=[cast["inspector"]])
    skills.require_level(actor=cast["coordinator"], job_role=other, skill=cmm, minimum_level=2)

    everyone = skills.gaps(cast["coordinator"], skills.Filters())
    inspectors = skills.gaps(cast["coordinator"], skills.Filters(job_role=other))

    assert {g.person.username for g in everyone} == {"oper", "weld", "insp"}
    assert [g.person.username for g in inspectors] == ["insp"]


def test_a_persons_skills_are_those_asked_and_those_assessed(
    cast, cmm, operators_with_cmm, site
) -> None:
    brazing = skills.create_skill(actor=cast["coordinator"], name="Brazing")
    skills.assess(actor=cast["coordinator"], person=cast["operator"], skill=brazing, level=4)

    found = {
        skill.name: (s.required, s.assessed, s.state)
        for skill, s in skills.person_skills(cast["operator"])
    }
    assert found == {
        "Brazing": (None, 4, "not_required"),
        "CMM programming": (3, None, "not_assessed"),
    }
