"""/api/v1/skills: skills, the levels job roles ask, assessments, a person's levels and the
gaps; who may call what, and 4xx errors naming the field, with nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from qualitas.core.models import AuditEvent, Site, User
from qualitas.training import services, skills
from qualitas.training.models import JobRole, Skill, SkillAssessment, SkillRequirement

pytestmark = pytest.mark.django_db

Api = Callable[[User], Any]


@pytest.fixture
def cmm(cast: dict[str, User], site: Site, operators: JobRole) -> Skill:
    """CMM programming at 3 for the operators' job role (the operator and the welder)."""
    coordinator = cast["coordinator"]
    skill = skills.create_skill(actor=coordinator, name="CMM programming", site=site)
    services.set_members(operators, actor=coordinator, members=[cast["operator"], cast["welder"]])
    skills.require_level(actor=coordinator, job_role=operators, skill=skill, minimum_level=3)
    return skill


def _field(response: Any) -> str:
    return str(response.json()["errors"][0]["field"])


def test_a_coordinator_creates_reads_and_changes_a_skill(cast, site, api_for: Api) -> None:
    api = api_for(cast["coordinator"])

    created = api.post("/skills", {"name": "Brazing", "description": "Silver", "site": site.pk})
    skill_id = created.json()["id"]
    changed = api.patch(f"/skills/{skill_id}", {"active": False})
    listed = api.get("/skills", active=False).json()

    assert created.status_code == 201
    assert created.json() == {
        "id": skill_id,
        "name": "Brazing",
        "description": "Silver",
        "site": site.pk,
        "active": True,
    }
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert [s["id"] for s in listed["results"]] == [skill_id]


def test_a_contributor_reads_skills_but_may_not_write_them(cast, cmm, api_for: Api) -> None:
    api = api_for(cast["operator"])
    assert api.get("/skills").json()["count"] == 1
    assert api.post("/skills", {"name": "Brazing"}).status_code == 403
    assert api.patch(f"/skills/{cmm.pk}", {"name": "CMM"}).status_code == 403
    assert Skill.objects.get().name == "CMM programming"


@pytest.mark.parametrize(
    ("_case", "body", "field"),
    [
        ("duplicate name", {"name": "CMM programming"}, "name"),
        ("empty name", {"name": ""}, "name"),
        ("unknown site", {"name": "Brazing", "site": 999}, "site"),
    ],
)
def test_a_bad_skill_is_refused_naming_the_field(cast, cmm, api_for: Api, _case, body, field):
    response = api_for(cast["coordinator"]).post("/skills", body)
    assert response.status_code == 422
    assert field in _field(response)
    assert Skill.objects.count() == 1


def test_a_job_role_is_asked_a_level_and_it_is_listed(cast, cmm, api_for: Api) -> None:
    api = api_for(cast["coordinator"])
    inspectors = services.create_job_role(actor=cast["coordinator"], name="Inspector")

    asked = api.post(
        f"/skills/{cmm.pk}/requirements", {"job_role": inspectors.pk, "minimum_level": 2}
    )
    listed = api.get(f"/skills/{cmm.pk}/requirements").json()

    assert asked.status_code == 200
    assert asked.json()["job_role_name"] == "Inspector" and asked.json()["minimum_level"] == 2
    assert [(r["job_role_name"], r["minimum_level"]) for r in listed] == [
        ("Assembly operator", 3),
        ("Inspector", 2),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"job_role": None, "minimum_level": 2}, "job_role"), ({"minimum_level": 5}, "minimum_level")],
)
def test_a_bad_level_request_is_refused_naming_the_field(
    cast, cmm, operators, api_for: Api, body, field
) -> None:
    body = {"job_role": operators.pk, **body} if body.get("job_role", 0) is not None else body
    response = api_for(cast["coordinator"]).post(f"/skills/{cmm.pk}/requirements", body)
    assert response.status_code == 422
    assert field in _field(response)
    assert SkillRequirement.objects.get().minimum_level == 3


def test_an_assessor_posts_an_assessment_and_it_supersedes(cast, cmm, api_for: Api) -> None:
    api = api_for(cast["approver"])
    person = cast["operator"].pk
    first = api.post(f"/skills/{cmm.pk}/assessments", {"person": person, "level": 2})
    second = api.post(
        f"/skills/{cmm.pk}/assessments", {"person": person, "level": 3, "evidence": "Proved"}
    )
    history = api.get(f"/skills/{cmm.pk}/assessments", person=person).json()
    current = api.get(f"/skills/{cmm.pk}/assessments", current=True).json()

    assert first.status_code == second.status_code == 201
    assert second.json()["supersedes"] == first.json()["id"]
    assert second.json()["assessor"] == cast["approver"].pk
    assert [(a["level"], a["current"]) for a in history["results"]] == [(3, True), (2, False)]
    assert current["count"] == 1


@pytest.mark.parametrize(
    ("_case", "body", "field"),
    [
        ("level too high", {"level": 5}, "level"),
        ("level zero", {"level": 0}, "level"),
        ("level as text", {"level": "three"}, "level"),
        ("in the future", {"level": 3, "assessed_on": "2999-01-01"}, "assessed_on"),
        ("not a date", {"level": 3, "assessed_on": "yesterday"}, "assessed_on"),
        ("unknown person", {"level": 3, "person": 99999}, "person"),
        ("no person", {"level": 3, "person": None}, "person"),
    ],
)
def test_a_bad_assessment_is_refused_naming_the_field(
    cast, cmm, api_for: Api, _case, body, field
) -> None:
    api = api_for(cast["coordinator"])
    before = AuditEvent.objects.count()
    response = api.post(f"/skills/{cmm.pk}/assessments", {"person": cast["operator"].pk, **body})
    assert response.status_code == 422, response.content
    assert field in _field(response)
    assert not SkillAssessment.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_assessor_may_not_assess_themselves(cast, cmm, api_for: Api) -> None:
    coordinator = cast["coordinator"]
    response = api_for(coordinator).post(
        f"/skills/{cmm.pk}/assessments", {"person": coordinator.pk, "level": 4}
    )
    assert response.status_code == 422 and _field(response) == "person"
    assert not SkillAssessment.objects.exists()


def test_a_contributor_may_not_assess(cast, cmm, api_for: Api) -> None:
    response = api_for(cast["inspector"]).post(
        f"/skills/{cmm.pk}/assessments", {"person": cast["operator"].pk, "level": 2}
    )
    assert response.status_code == 403
    assert not SkillAssessment.objects.exists()


def test_a_person_reads_their_own_levels_and_not_a_colleagues(cast, cmm, api_for: Api) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    skills.assess(
        actor=cast["coordinator"], person=cast["operator"], skill=cmm, level=2,
        assessed_on=yesterday,
    )  # fmt: skip
    api = api_for(cast["operator"])

    mine = api.get(f"/skills/people/{cast['operator'].pk}")
    theirs = api.get(f"/skills/people/{cast['welder'].pk}")
    by_coordinator = api_for(cast["coordinator"]).get(f"/skills/people/{cast['welder'].pk}")

    assert mine.json()["skills"] == [
        {
            "skill": cmm.pk,
            "skill_name": "CMM programming",
            "required": 3,
            "assessed": 2,
            "state": "below",
            "job_roles": ["Assembly operator"],
        }
    ]
    assert theirs.status_code == 404
    assert by_coordinator.json()["skills"][0]["state"] == "not_assessed"


def test_the_gaps_are_paged_and_filtered(cast, cmm, operators, api_for: Api) -> None:
    skills.assess(actor=cast["coordinator"], person=cast["operator"], skill=cmm, level=2)
    api = api_for(cast["coordinator"])

    first = api.get("/skills/gaps", page_size=1).json()
    second = api.get("/skills/gaps", page_size=1, page=2).json()
    of_role = api.get("/skills/gaps", job_role=operators.pk, skill=cmm.pk).json()
    bad = api.get("/skills/gaps", job_role=99999)

    assert first["count"] == 2
    states = {r["person"]: r["state"] for r in first["results"] + second["results"]}
    assert states == {cast["operator"].pk: "below", cast["welder"].pk: "not_assessed"}
    assert of_role["count"] == 2
    assert bad.status_code == 422 and _field(bad) == "job_role"


def test_gaps_and_assessments_are_not_for_contributors(cast, cmm, api_for: Api) -> None:
    api = api_for(cast["operator"])
    assert api.get("/skills/gaps").status_code == 403
    assert api.get(f"/skills/{cmm.pk}/assessments").status_code == 403


def test_an_unknown_skill_is_404(cast, api_for: Api) -> None:
    assert api_for(cast["coordinator"]).get("/skills/99999").status_code == 404


def test_the_endpoints_are_in_the_openapi_document(cast, api_for: Api) -> None:
    paths = api_for(cast["coordinator"]).get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/skills",
        "/api/v1/skills/gaps",
        "/api/v1/skills/people/{person_id}",
        "/api/v1/skills/{skill_id}/requirements",
        "/api/v1/skills/{skill_id}/assessments",
        "/api/v1/training-records/{record_id}/effectiveness",
    ):
        assert path in paths
