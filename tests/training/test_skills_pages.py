"""The skills pages: the list with its counts and exports, a skill's page, the forms, the
skills matrix, "My skills" on My training; who may see and post them, and query counts
that do not grow with the people shown."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from qualitas.core.models import Site, User
from qualitas.training import services, skills
from qualitas.training.models import JobRole, Skill, SkillAssessment, SkillRequirement
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cmm(cast: dict[str, User], site: Site, operators: JobRole) -> Skill:
    """CMM programming at 3 for the operators (the operator, assessed 2, and the welder,
    never assessed); the inspector holds 4 without being asked."""
    coordinator = cast["coordinator"]
    skill = skills.create_skill(actor=coordinator, name="CMM programming", site=site)
    services.set_members(operators, actor=coordinator, members=[cast["operator"], cast["welder"]])
    skills.require_level(actor=coordinator, job_role=operators, skill=skill, minimum_level=3)
    skills.assess(actor=coordinator, person=cast["operator"], skill=skill, level=2)
    skills.assess(actor=coordinator, person=cast["inspector"], skill=skill, level=4)
    return skill


def _rows(html: str, testid: str) -> dict[str, str]:
    found = re.findall(rf'<tr data-testid="{testid}" data-[a-z]+="([^"]+)"(.*?)</tr>', html, re.S)
    return dict(found)


def test_the_list_counts_who_meets_and_misses_each_skill(cast, cmm, client_for) -> None:
    response = client_for(cast["coordinator"]).get("/training/skills/")

    assert response.status_code == 200
    row = re.search(r'data-skill="CMM programming" data-meets="(\d+)" data-missing="(\d+)"',
                    response.text)  # fmt: skip
    assert row is not None and row.groups() == ("0", "2")
    assert 'data-testid="new-skill"' in response.text


def test_the_list_is_for_those_who_see_peoples_training(cast, cmm, client_for) -> None:
    assert client_for(cast["operator"]).get("/training/skills/").status_code == 403
    assert client_for(cast["approver"]).get("/training/skills/").status_code == 200


def test_the_list_exports_to_csv_and_excel(cast, cmm, client_for) -> None:
    client = client_for(cast["coordinator"])

    text = client.get("/training/skills/", {"export": "csv"}).content.decode("utf-8-sig")
    workbook = load_workbook(
        io.BytesIO(client.get("/training/skills/", {"export": "xlsx"}).getvalue())
    )

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Skill", "Site", "Description", "People required"]
    assert rows[1] == ["CMM programming", "Headquarters", "", "2", "0", "1", "1"]
    sheet = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert sheet[1] == ["CMM programming", "Headquarters", None, 2, 0, 1, 1]


def test_a_formula_looking_skill_name_is_exported_as_text(cast, site, client_for) -> None:
    skills.create_skill(actor=cast["coordinator"], name="=HYPERLINK(1)")
    text = client_for(cast["coordinator"]).get("/training/skills/", {"export": "csv"})
    assert "'=HYPERLINK(1)" in text.content.decode("utf-8-sig")


def test_the_list_costs_the_same_queries_whatever_the_people(
    cast, cmm, operators, client_for
) -> None:
    client = client_for(cast["coordinator"])
    client.get("/training/skills/")
    with CaptureQueriesContext(connection) as few:
        client.get("/training/skills/")
    more = [UserFactory(site=cast["operator"].site) for _ in range(6)]
    services.set_members(operators, actor=cast["coordinator"], members=more)
    skills.create_skill(actor=cast["coordinator"], name="Brazing")
    with CaptureQueriesContext(connection) as many:
        client.get("/training/skills/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_skills_page_shows_levels_gaps_and_history(cast, cmm, client_for) -> None:
    skills.assess(actor=cast["approver"], person=cast["inspector"], skill=cmm, level=3)

    page = client_for(cast["coordinator"]).get(f"/training/skills/{cmm.pk}/").text

    gaps = _rows(page, "gap")
    assert set(gaps) == {"oper", "weld"}
    assert 'data-state="below"' in gaps["oper"]
    assert 'data-state="not_assessed"' in gaps["weld"]
    history = re.findall(r'data-testid="assessment" data-person="(\w+)" data-current="(\w+)"', page)
    assert sorted(history) == [("insp", "no"), ("insp", "yes"), ("oper", "yes")]
    assert 'data-role="Assembly operator"' in page


def test_a_coordinator_creates_a_skill_from_the_form(cast, site, client_for) -> None:
    response = client_for(cast["coordinator"]).post(
        "/training/skills/new/", {"name": "Brazing", "description": "Silver", "site": site.pk}
    )
    skill = Skill.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/training/skills/{skill.pk}/"
    assert (skill.name, skill.site) == ("Brazing", site)
    assert client_for(cast["approver"]).get("/training/skills/new/").status_code == 403


def test_a_duplicate_name_is_refused_on_its_field(cast, cmm, client_for) -> None:
    response = client_for(cast["coordinator"]).post(
        "/training/skills/new/", {"name": "CMM programming"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["name"]
    assert Skill.objects.count() == 1


def test_a_level_is_asked_of_a_job_role_and_withdrawn(cast, cmm, client_for) -> None:
    client = client_for(cast["coordinator"])
    inspectors = services.create_job_role(actor=cast["coordinator"], name="Inspector")

    client.post(
        f"/training/skills/{cmm.pk}/require/", {"job_role": inspectors.pk, "minimum_level": "2"}
    )
    line = SkillRequirement.objects.get(job_role=inspectors)
    client.post(f"/training/skills/{cmm.pk}/levels/{line.pk}/withdraw/", {"reason": "Not needed"})

    line.refresh_from_db()
    assert (line.minimum_level, line.active) == (2, False)


def test_an_assessor_assesses_from_the_form(cast, cmm, client_for) -> None:
    response = client_for(cast["approver"]).post(
        f"/training/skills/{cmm.pk}/assess/",
        {
            "person": cast["welder"].pk,
            "level": "3",
            "assessed_on": timezone.localdate().isoformat(),
            "evidence": "Proved two programs",
        },
    )
    assert response.status_code == 302
    done = SkillAssessment.objects.get(person=cast["welder"])
    assert (done.level, done.assessor, done.evidence) == (
        3,
        cast["approver"],
        "Proved two programs",
    )


def test_the_assessment_form_refuses_a_future_date_on_its_field(cast, cmm, client_for) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(cast["approver"]).post(
        f"/training/skills/{cmm.pk}/assess/",
        {"person": cast["welder"].pk, "level": "3", "assessed_on": tomorrow.isoformat()},
    )
    assert response.status_code == 422
    assert "future" in str(response.context["form"].errors["assessed_on"])
    assert not SkillAssessment.objects.filter(person=cast["welder"]).exists()


def test_only_coordinators_and_assessors_open_the_assessment_form(cast, cmm, client_for) -> None:
    assert (
        client_for(cast["inspector"]).get(f"/training/skills/{cmm.pk}/assess/").status_code == 403
    )
    response = client_for(cast["approver"]).get(f"/training/skills/{cmm.pk}/assess/")
    assert response.status_code == 200
    # The assessor is not offered as the person to assess.
    assert cast["approver"] not in response.context["form"].fields["person"].queryset


def _matrix(viewer: User, client_for: Any, **query: Any) -> dict[str, list[str]]:
    response = client_for(viewer).get("/training/skills/matrix/", query)
    assert response.status_code == 200
    rows = _rows(response.text, "matrix-row")
    return {who: re.findall(r'data-state="([a-z_]+)"', row) for who, row in rows.items()}


def test_the_matrix_colours_each_cell(cast, cmm, operators, client_for) -> None:
    cells = _matrix(cast["coordinator"], client_for)
    assert cells["oper"] == ["below"]
    assert cells["weld"] == ["not_assessed"]
    assert cells["insp"] == ["not_required"]

    skills.assess(actor=cast["coordinator"], person=cast["welder"], skill=cmm, level=4)
    assert _matrix(cast["coordinator"], client_for, job_role=operators.pk) == {
        "oper": ["below"],
        "weld": ["meets"],
    }


def test_the_matrix_refuses_a_filter_that_names_nothing(cast, cmm, client_for) -> None:
    response = client_for(cast["coordinator"]).get("/training/skills/matrix/", {"job_role": "x"})
    assert response.status_code == 422


def test_the_matrix_is_not_for_contributors(cast, cmm, client_for) -> None:
    assert client_for(cast["operator"]).get("/training/skills/matrix/").status_code == 403


def test_the_matrix_costs_the_same_queries_whatever_the_people(
    cast, cmm, operators, client_for
) -> None:
    client = client_for(cast["coordinator"])
    client.get("/training/skills/matrix/")
    with CaptureQueriesContext(connection) as few:
        client.get("/training/skills/matrix/")
    more = [UserFactory(site=cast["operator"].site) for _ in range(8)]
    services.set_members(operators, actor=cast["coordinator"], members=more)
    for person in more[:4]:
        skills.assess(actor=cast["coordinator"], person=person, skill=cmm, level=3)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/training/skills/matrix/")
    assert len(_rows(response.text, "matrix-row")) > 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_matrix_exports_levels_against_the_asked(cast, cmm, client_for) -> None:
    client = client_for(cast["coordinator"])
    text = client.get("/training/skills/matrix/", {"export": "csv"}).getvalue()
    rows = {r[1]: r for r in csv.reader(io.StringIO(text.decode("utf-8-sig")))}
    assert rows["Username"][4:] == ["CMM programming"]
    assert rows["oper"][4] == "2 / 3 (below the level)"
    assert rows["insp"][4] == "4"
    book = load_workbook(io.BytesIO(client.get("/training/skills/matrix/", {"export": "xlsx"})
                                    .getvalue()))  # fmt: skip
    assert ["weld" in str(r) for r in book.active.iter_rows(values_only=True)].count(True) == 1


def test_my_training_shows_my_skills(cast, cmm, client_for) -> None:
    page = client_for(cast["operator"]).get("/training/my/").text
    mine = _rows(page, "my-skill")
    assert list(mine) == ["CMM programming"]
    assert 'data-state="below"' in page
