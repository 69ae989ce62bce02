"""/api/v1/courses and /api/v1/curricula: read by everyone, written by training managers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core.models import AuditEvent
from qualitas.training import services
from qualitas.training.models import Course, Requirement, TrainingRecord

pytestmark = pytest.mark.django_db


def test_courses_through_the_api(api_for: Any, cast: dict) -> None:
    api = api_for(cast["coordinator"])

    created = api.post(
        "/courses",
        {"code": "FORK-01", "title": "Forklift", "kind": "external", "validity_months": 36},
    )
    course_id = created.json()["id"]
    changed = api.patch(f"/courses/{course_id}", {"title": "Forklift truck", "active": False})
    shown = api_for(cast["operator"]).get(f"/courses/{course_id}")

    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == cast["coordinator"].pk
    assert created.json()["validity_months"] == 36
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["title"], changed.json()["active"]) == ("Forklift truck", False)
    assert shown.status_code == 200 and shown.json()["code"] == "FORK-01"
    assert AuditEvent.objects.filter(actor=cast["coordinator"], object_repr__contains="FORK-01")


def test_courses_are_listed_and_filtered(api_for: Any, cast: dict, first_aid, welding) -> None:
    api = api_for(cast["operator"])

    every = api.get("/courses").json()
    on_the_job = api.get("/courses?kind=on_the_job").json()
    searched = api.get("/courses?q=aid").json()

    assert [c["code"] for c in every["results"]] == ["FA-01", "OJT-WELD"]
    assert [c["code"] for c in on_the_job["results"]] == ["OJT-WELD"]
    assert [c["code"] for c in searched["results"]] == ["FA-01"]


def test_bad_course_input_is_4xx_naming_the_field(api_for: Any, cast: dict, first_aid) -> None:
    api = api_for(cast["coordinator"])

    bad_kind = api.post("/courses", {"code": "X-1", "title": "X", "kind": "osmosis"})
    taken = api.post("/courses", {"code": "FA-01", "title": "Again", "kind": "classroom"})
    no_owner = api.post(
        "/courses", {"code": "X-2", "title": "X", "kind": "classroom", "owner": 999}
    )
    renamed = api.patch(f"/courses/{first_aid.pk}", {"code": "FA-02"})
    missing = api.get("/courses/999999")

    for response, field in ((bad_kind, "kind"), (taken, "code"), (no_owner, "owner")):
        assert response.status_code == 422, response.json()
        assert field in str(response.json())
    # A course's code is its identity, cited by workflow steps: a PATCH cannot change it.
    assert renamed.status_code == 200 and renamed.json()["code"] == "FA-01"
    assert missing.status_code == 404
    assert list(Course.objects.values_list("code", flat=True)) == ["FA-01"]


def test_only_training_managers_write_courses(api_for: Any, cast: dict, first_aid) -> None:
    api = api_for(cast["operator"])

    created = api.post("/courses", {"code": "X-1", "title": "X", "kind": "classroom"})
    changed = api.patch(f"/courses/{first_aid.pk}", {"title": "Changed"})

    assert created.status_code == 403 and changed.status_code == 403
    first_aid.refresh_from_db()
    assert first_aid.title == "First aid" and Course.objects.count() == 1


def test_anonymous_callers_read_nothing(anonymous_api: Any, first_aid) -> None:
    assert anonymous_api.get("/courses").status_code == 401
    assert anonymous_api.get("/curricula").status_code == 401


def test_a_curriculum_line_through_the_api_assigns_and_deactivates(
    api_for: Any, cast: dict, assembly, first_aid, sop
) -> None:
    api = api_for(cast["coordinator"])

    added = api.post(
        "/curricula", {"department": assembly.pk, "course": first_aid.pk, "gating": True}
    )
    reading = api.post("/curricula", {"department": assembly.pk, "document_number": sop.number})
    line = added.json()

    assert added.status_code == 201, line
    assert (line["audience"], line["item"], line["gating"]) == (
        "Department Assembly",
        "FA-01 First aid",
        True,
    )
    assert reading.status_code == 201 and reading.json()["document"] == sop.pk
    assert TrainingRecord.objects.filter(course=first_aid, state="assigned").count() == 2

    retired = api.post(f"/curricula/{line['id']}/deactivate", {"reason": "Now a site course"})
    again = api.post(f"/curricula/{line['id']}/deactivate", {"reason": "Twice"})
    no_reason = api.post(f"/curricula/{reading.json()['id']}/deactivate", {"reason": " "})

    assert retired.status_code == 200 and retired.json()["active"] is False
    assert TrainingRecord.objects.filter(course=first_aid, state="cancelled").count() == 2
    assert again.status_code == 409
    assert no_reason.status_code == 422 and "reason" in str(no_reason.json())
    assert Requirement.objects.get(pk=reading.json()["id"]).active


def test_curriculum_lines_are_listed_with_filters(
    api_for: Any, cast: dict, assembly, operators, first_aid, welding, sop
) -> None:
    coordinator = cast["coordinator"]
    by_role = services.add_requirement(actor=coordinator, job_role=operators, course=welding)
    gating = services.add_requirement(
        actor=coordinator, department=assembly, document_number=sop.number, gating=True
    )
    retired = services.add_requirement(actor=coordinator, department=assembly, course=first_aid)
    services.retire_requirement(retired, actor=coordinator, reason="Replaced")
    api = api_for(cast["operator"])

    def ids(**filters: Any) -> list[int]:
        response = api.get(f"/curricula?{urlencode(filters)}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids() == [by_role.pk, gating.pk]
    assert ids(job_role=operators.pk) == [by_role.pk]
    assert ids(department=assembly.pk) == [gating.pk]
    assert ids(gating=True) == [gating.pk]
    assert ids(document_number=sop.number) == [gating.pk]
    assert ids(course=welding.pk) == [by_role.pk]
    assert ids(active=False) == [retired.pk]
    assert api.get(f"/curricula/{gating.pk}").json()["document_number"] == sop.number


def test_bad_curriculum_input_is_422_naming_the_field_and_saves_nothing(
    api_for: Any, cast: dict, assembly, first_aid, sop
) -> None:
    api = api_for(cast["coordinator"])

    cases = {
        "audience": {"course": first_aid.pk},
        "item": {"department": assembly.pk, "course": first_aid.pk, "document_number": sop.number},
        "document_number": {"department": assembly.pk, "document_number": "NOPE-1"},
        "job_role": {"job_role": 999999, "course": first_aid.pk},
        "course": {"department": assembly.pk, "course": 999999},
        "due_within_days": {
            "department": assembly.pk,
            "course": first_aid.pk,
            "due_within_days": -1,
        },
    }
    for field, payload in cases.items():
        response = api.post("/curricula", payload)
        assert response.status_code == 422, (field, response.json())
        assert field in str(response.json()), (field, response.json())
    assert not Requirement.objects.exists()


def test_only_training_managers_write_curricula(api_for: Any, cast: dict, assembly, first_aid):
    line = services.add_requirement(
        actor=cast["coordinator"], department=assembly, course=first_aid
    )
    api = api_for(cast["operator"])

    added = api.post("/curricula", {"department": assembly.pk, "course": first_aid.pk})
    retired = api.post(f"/curricula/{line.pk}/deactivate", {"reason": "Mine"})

    assert added.status_code == 403 and retired.status_code == 403
    assert list(Requirement.objects.values_list("pk", "active")) == [(line.pk, True)]


def test_list_calls_do_not_query_per_row(
    api_for: Any, cast: dict, assembly, operators, site
) -> None:
    coordinator = cast["coordinator"]
    api = api_for(cast["operator"])

    def grow(start: int, count: int) -> None:
        for n in range(start, start + count):
            course = services.create_course(
                actor=coordinator, code=f"C-{n:02d}", title=f"Course {n}", kind="classroom"
            )
            audience = ({"job_role": operators}, {"department": assembly}, {"site": site})[n % 3]
            services.add_requirement(actor=coordinator, course=course, **audience)

    grow(0, 3)
    api.get("/courses")  # warm: content types, permissions
    with CaptureQueriesContext(connection) as few_courses:
        api.get("/courses")
    with CaptureQueriesContext(connection) as few_lines:
        api.get("/curricula")
    grow(3, 9)
    with CaptureQueriesContext(connection) as many_courses:
        courses = api.get("/courses")
    with CaptureQueriesContext(connection) as many_lines:
        lines = api.get("/curricula")

    assert courses.json()["count"] == 12 and lines.json()["count"] == 12
    assert len(many_courses) == len(few_courses)
    assert len(many_lines) == len(few_lines)


def test_the_openapi_schema_lists_the_training_resources(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/courses"])
    assert {"get", "patch"} <= set(paths["/api/v1/courses/{course_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/curricula"])
    assert "post" in paths["/api/v1/curricula/{requirement_id}/deactivate"]
