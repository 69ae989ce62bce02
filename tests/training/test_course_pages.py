"""Course and curriculum pages: who may read and who may write them (per role and site), the
forms through the services (bad input named on its field, nothing saved), the audit trail,
the course list's exports, and a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from qualitas.core import permissions
from qualitas.core.models import AuditEvent, Department, Site
from qualitas.documents.models import Document
from qualitas.training import services
from qualitas.training.models import Course, JobRole, Requirement, TrainingRecord
from tests.factories import UserFactory, with_role
from tests.training.conftest import token

pytestmark = pytest.mark.django_db

COURSES = "/training/courses/"
CURRICULA = "/training/curricula/"


def _events(model: type, pk: int) -> list[AuditEvent]:
    kind = ContentType.objects.get_for_model(model)
    return list(AuditEvent.objects.filter(object_type=kind, object_id=pk).order_by("id"))


def _field_errors(html: str, field: str) -> list[str]:
    block = re.search(rf'id="id_{field}_error">(.*?)</div></div>', html, re.S)
    return re.findall(r'invalid-feedback d-block">([^<]*)<', block[0]) if block else []


# --------------------------------------------------------------------------- course list


def test_everyone_in_training_reads_the_course_list_and_only_managers_see_new(
    cast, first_aid, welding, client_for, nobody
) -> None:
    operator = client_for(cast["operator"]).get(COURSES)
    coordinator = client_for(cast["coordinator"]).get(COURSES)

    assert operator.status_code == 200
    assert "FA-01" in operator.text and "OJT-WELD" in operator.text
    assert 'href="/training/courses/new/"' not in operator.text
    assert 'href="/training/courses/new/"' in coordinator.text
    assert client_for(nobody).get(COURSES).status_code == 403


def test_the_course_list_filters_by_kind_status_and_search(
    cast, first_aid, welding, client_for
) -> None:
    services.update_course(welding, actor=cast["coordinator"], active=False)
    client = client_for(cast["operator"])

    def codes(**query: str) -> set[str]:
        page = client.get(COURSES, query)
        assert page.status_code == 200
        return set(re.findall(r'href="/training/courses/\d+/">([^<]+)<', page.text))

    assert codes() == {"FA-01", "OJT-WELD"}
    assert codes(kind="on_the_job") == {"OJT-WELD"}
    assert codes(active="yes") == {"FA-01"}
    assert codes(active="no") == {"OJT-WELD"}
    assert codes(q="first") == {"FA-01"}
    assert codes(q="weld", kind="classroom") == set()


def test_the_course_list_exports_what_it_shows(cast, first_aid, welding, client_for) -> None:
    client = client_for(cast["operator"])

    exported = client.get(COURSES, {"kind": "classroom", "export": "csv"})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Code", "Title", "Kind", "Validity (months)", "Owner", "Status"]
    assert rows[1:] == [
        ["FA-01", "First aid", "Classroom", "24", cast["coordinator"].printed_name, "in use"]
    ]

    workbook = client.get(COURSES, {"export": "xlsx"})
    content = b"".join(workbook.streaming_content) if workbook.streaming else workbook.content
    sheet = load_workbook(io.BytesIO(content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert [row[0] for row in values[1:]] == ["FA-01", "OJT-WELD"]
    assert values[2][3] in (None, "")  # no validity: an empty cell, as the API gives null


def test_the_course_list_takes_a_fixed_number_of_queries(cast, client_for) -> None:
    client = client_for(cast["operator"])

    def make(count: int, start: int) -> None:
        for n in range(start, start + count):
            owner = UserFactory(username=f"owner{n}")
            with_role(owner, permissions.QUALITY_MANAGER)
            services.create_course(
                actor=owner, code=f"C-{n:03d}", title=f"Course {n}", kind="classroom"
            )

    make(2, 0)
    client.get(COURSES)  # the first request of a session also records the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(COURSES).status_code == 200
    make(12, 2)
    with CaptureQueriesContext(connection) as many:
        assert client.get(COURSES).status_code == 200
    assert len(many) == len(few)


# --------------------------------------------------------------------------- course forms


def test_a_manager_creates_a_course_through_the_form(cast, client_for) -> None:
    coordinator = cast["coordinator"]
    response = client_for(coordinator).post(
        "/training/courses/new/",
        {"code": "FORK-01", "title": "Forklift", "kind": "external", "validity_months": "36"},
    )

    course = Course.objects.get(code="FORK-01")
    assert response.status_code == 302 and response["Location"] == f"/training/courses/{course.pk}/"
    assert (course.title, course.kind, course.validity_months) == ("Forklift", "external", 36)
    assert course.owner == coordinator
    [created] = _events(Course, course.pk)
    assert created.action == "create" and created.actor == coordinator


@pytest.mark.parametrize(
    ("posted", "field", "words"),
    [
        ({"code": "FA-01", "title": "Again", "kind": "classroom"}, "code", "already exists"),
        ({"code": "X-1", "title": "", "kind": "classroom"}, "title", "required"),
        ({"code": "X-1", "title": "T", "kind": "juggling"}, "kind", "valid choice"),
        (
            {"code": "X-1", "title": "T", "kind": "classroom", "validity_months": "0"},
            "validity_months",
            "greater than or equal to 1",
        ),
        ({"code": "with space", "title": "T", "kind": "classroom"}, "code", "letters"),
    ],
)
def test_bad_course_input_is_named_on_its_field_and_nothing_is_saved(
    cast, first_aid, client_for, posted, field, words
) -> None:
    before = (Course.objects.count(), AuditEvent.objects.count())

    response = client_for(cast["coordinator"]).post("/training/courses/new/", posted)

    assert response.status_code == 422
    errors = _field_errors(response.text, field)
    assert errors and words in " ".join(errors)
    assert (Course.objects.count(), AuditEvent.objects.count()) == before


def test_only_training_managers_may_open_or_post_the_course_forms(
    cast, first_aid, client_for
) -> None:
    operator = client_for(cast["operator"])
    edit = f"/training/courses/{first_aid.pk}/edit/"
    before = AuditEvent.objects.count()

    assert operator.get("/training/courses/new/").status_code == 403
    assert operator.post("/training/courses/new/", {"code": "Z", "title": "Z"}).status_code == 403
    assert operator.get(edit).status_code == 403
    assert operator.post(edit, {"title": "Hacked", "kind": "classroom"}).status_code == 403
    first_aid.refresh_from_db()
    assert first_aid.title == "First aid" and not Course.objects.filter(code="Z").exists()
    assert AuditEvent.objects.count() == before


def test_a_manager_edits_a_course_and_the_change_is_audited(cast, first_aid, client_for) -> None:
    coordinator = cast["coordinator"]
    edit = f"/training/courses/{first_aid.pk}/edit/"
    client = client_for(coordinator)
    form = client.get(edit)
    assert form.status_code == 200 and 'value="First aid"' in form.text

    response = client.post(
        edit,
        {
            "title": "First aid at work",
            "kind": "classroom",
            "validity_months": "36",
            "owner": coordinator.pk,
            "active": "",
        },
    )

    assert response.status_code == 302
    first_aid.refresh_from_db()
    assert (first_aid.title, first_aid.validity_months, first_aid.active) == (
        "First aid at work",
        36,
        False,
    )
    changed = _events(Course, first_aid.pk)[-1]
    assert changed.action == "update" and changed.actor == coordinator
    assert set(changed.changes) >= {"title", "validity_months", "active"}

    bad = client.post(edit, {"title": "", "kind": "classroom", "owner": coordinator.pk})
    assert bad.status_code == 422 and _field_errors(bad.text, "title")
    first_aid.refresh_from_db()
    assert first_aid.title == "First aid at work"


# --------------------------------------------------------------------------- course page


def test_the_course_page_says_who_must_take_it_and_where_people_stand(
    cast, assembly: Department, first_aid, operators: JobRole, client_for
) -> None:
    coordinator = cast["coordinator"]
    services.add_requirement(actor=coordinator, department=assembly, course=first_aid)
    services.add_requirement(
        actor=coordinator, job_role=operators, course=first_aid, validity_months=12
    )
    services.set_members(operators, actor=coordinator, members=[cast["inspector"]])
    operator = cast["operator"]
    done = TrainingRecord.objects.get(person=operator, course=first_aid)
    services.complete_training(done, actor=operator, signature=token(operator, done))
    UserFactory(username="late", site=assembly.site, department=assembly)  # not yet assigned
    url = f"/training/courses/{first_aid.pk}/"

    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        page = client_for(coordinator).get(url)

    assert page.status_code == 200
    counts = dict(
        re.findall(
            r'data-state="([a-z_]+)">.*?data-testid="count">(\d+)<',
            re.search(r'data-testid="course-standings">.*?</ul>', page.text, re.S)[0],
            re.S,
        )
    )
    # oper current; weld and insp overdue (31 days on); late required, not assigned.
    assert counts == {"current": "1", "due": "0", "overdue": "2", "expired": "0", "missing": "1"}
    assert page.text.count('data-testid="course-requirement"') == 2
    assert f'href="/training/matrix/?department={assembly.pk}"' in page.text
    assert "12 months" in page.text and "24 months" in page.text
    assert f'href="/training/job-roles/{operators.pk}/"' in page.text

    # A reader of courses, not of people's training: the course, not the standings.
    reader = client_for(operator).get(url)
    assert reader.status_code == 200 and "course-standings" not in reader.text
    assert "Required of" in reader.text and "edit-course" not in reader.text


def test_the_course_page_counts_only_the_people_the_reader_may_see(
    cast, first_aid, other_site: Site, client_for
) -> None:
    far = UserFactory(username="far", site=other_site)
    elsewhere = with_role(UserFactory(username="qm2"), permissions.QUALITY_MANAGER)  # everywhere
    services.assign_training(actor=elsewhere, person=far, course=first_aid)
    url = f"/training/courses/{first_aid.pk}/"

    here = client_for(cast["coordinator"]).get(url)  # a quality manager at this site only
    everywhere = client_for(cast["approver"]).get(url)

    assert re.search(r'data-state="due">.*?"count">0<', here.text, re.S)
    assert re.search(r'data-state="due">.*?"count">1<', everywhere.text, re.S)


def test_an_unknown_course_is_a_404(cast, client_for) -> None:
    assert client_for(cast["operator"]).get("/training/courses/999999/").status_code == 404


def test_the_course_page_takes_a_fixed_number_of_queries(
    cast, assembly, first_aid, operators, client_for
) -> None:
    coordinator = cast["coordinator"]
    services.add_requirement(actor=coordinator, department=assembly, course=first_aid)
    services.add_requirement(actor=coordinator, job_role=operators, course=first_aid)
    client = client_for(coordinator)
    url = f"/training/courses/{first_aid.pk}/"
    client.get(url)  # the first request of a session also records the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(8):
        UserFactory(username=f"extra{n}", site=assembly.site, department=assembly)
    services.assign_missing(actor=coordinator)
    for n in range(3):
        role = services.create_job_role(actor=coordinator, name=f"Role {n}")
        services.add_requirement(actor=coordinator, job_role=role, course=first_aid)
        services.set_members(role, actor=coordinator, members=[cast["inspector"]])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# --------------------------------------------------------------------------- curricula


@pytest.fixture
def curriculum(cast, assembly, site, first_aid, operators, sop: Document) -> list[Requirement]:
    coordinator = cast["coordinator"]
    services.set_members(operators, actor=coordinator, members=[cast["welder"]])
    return [
        services.add_requirement(actor=coordinator, job_role=operators, document_number=sop.number),
        services.add_requirement(actor=coordinator, department=assembly, course=first_aid),
        services.add_requirement(actor=coordinator, site=site, course=first_aid, gating=True),
    ]


def test_the_curricula_page_shows_each_audience_with_its_documents_and_courses(
    cast, curriculum, sop, operators, client_for, nobody
) -> None:
    page = client_for(cast["operator"]).get(CURRICULA)

    assert page.status_code == 200
    role = re.search(r'data-role="Assembly operator".*?</table>', page.text, re.S)[0]
    assert f"Document {sop.number}" in role and "1 holder" in role
    department = re.search(r'data-testid="curriculum-department".*?</table>', page.text, re.S)[0]
    assert "FA-01" in department and "24 months" in department
    place = re.search(r'data-testid="curriculum-site".*?</table>', page.text, re.S)[0]
    assert "Gating" in place
    # A reader may not retire lines nor add any.
    assert 'data-testid="retire"' not in page.text and "add-requirement" not in page.text
    manager = client_for(cast["coordinator"]).get(CURRICULA)
    assert manager.text.count('data-testid="retire"') == 3
    assert client_for(nobody).get(CURRICULA).status_code == 403


def test_the_curricula_page_takes_a_fixed_number_of_queries(
    cast, curriculum, assembly, first_aid, client_for
) -> None:
    coordinator = cast["coordinator"]
    client = client_for(coordinator)
    client.get(CURRICULA)  # the first request of a session also records the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(CURRICULA).status_code == 200
    for n in range(4):
        role = services.create_job_role(actor=coordinator, name=f"Role {n}")
        services.add_requirement(actor=coordinator, job_role=role, course=first_aid)
        course = services.create_course(
            actor=coordinator, code=f"C-{n}", title=f"Course {n}", kind="e_learning"
        )
        services.add_requirement(actor=coordinator, department=assembly, course=course)
    with CaptureQueriesContext(connection) as many:
        assert client.get(CURRICULA).status_code == 200
    assert len(many) == len(few)


def test_a_manager_adds_a_requirement_through_the_form(
    cast, assembly, first_aid, client_for
) -> None:
    coordinator = cast["coordinator"]
    response = client_for(coordinator).post(
        "/training/curricula/new/",
        {"department": assembly.pk, "course": first_aid.pk, "due_within_days": "14"},
    )

    assert response.status_code == 302 and response["Location"] == CURRICULA
    line = Requirement.objects.get(department=assembly, course=first_aid)
    assert line.due_within_days == 14 and line.created_by == coordinator
    assert _events(Requirement, line.pk)[0].action == "create"
    # Everyone it covers is assigned it at once.
    assigned = TrainingRecord.objects.filter(requirement=line).values_list("person__username")
    assert sorted(u for (u,) in assigned) == ["oper", "weld"]


@pytest.mark.parametrize(
    ("posted", "field", "words"),
    [
        ({"course": "first_aid"}, None, "exactly one audience"),
        ({"department": "assembly", "site": "site", "course": "first_aid"}, None, "exactly one"),
        ({"department": "assembly"}, None, "exactly one item"),
        ({"department": "assembly", "document_number": "NOPE-9"}, "document_number", "NOPE-9"),
        (
            {"department": "assembly", "course": "first_aid", "validity_months": "-1"},
            "validity_months",
            "greater than",
        ),
        ({"department": "assembly", "course": "999999"}, "course", "valid choice"),
    ],
)
def test_bad_requirement_input_is_named_and_nothing_is_saved(
    cast, assembly, site, first_aid, client_for, posted, field, words
) -> None:
    objects = {"first_aid": first_aid.pk, "assembly": assembly.pk, "site": site.pk}
    data = {k: objects.get(v, v) for k, v in posted.items()}
    data.setdefault("due_within_days", "30")
    before = (
        Requirement.objects.count(),
        TrainingRecord.objects.count(),
        AuditEvent.objects.count(),
    )

    response = client_for(cast["coordinator"]).post("/training/curricula/new/", data)

    assert response.status_code == 422
    if field is None:  # about two fields at once: above the form
        alert = re.search(
            r'<div class="alert alert-danger" role="alert">(.*?)</div>', response.text
        )
        assert alert and words in alert[1]
    else:
        assert words in " ".join(_field_errors(response.text, field))
    after = (
        Requirement.objects.count(),
        TrainingRecord.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_a_manager_of_another_site_may_not_add_this_sites_lines(
    cast, assembly, first_aid, other_site, client_for
) -> None:
    there = with_role(
        UserFactory(username="there", site=other_site), permissions.QUALITY_MANAGER, site=other_site
    )
    client = client_for(there)

    assert client.get("/training/curricula/new/").status_code == 200  # manages somewhere
    response = client.post(
        "/training/curricula/new/",
        {"department": assembly.pk, "course": first_aid.pk, "due_within_days": "30"},
    )
    assert response.status_code == 403
    assert not Requirement.objects.exists()
    assert client_for(cast["operator"]).get("/training/curricula/new/").status_code == 403


def test_retiring_a_line_needs_a_reason_and_cancels_its_open_assignments(
    cast, curriculum, client_for
) -> None:
    line = curriculum[1]  # first aid for the assembly department
    url = f"/training/curricula/{line.pk}/retire/"
    client = client_for(cast["coordinator"])
    before = AuditEvent.objects.count()

    empty = client.post(url, {"reason": "  "})
    assert empty.status_code == 422 and _field_errors(empty.text, "reason")
    line.refresh_from_db()
    assert line.active and AuditEvent.objects.count() == before

    done = client.post(url, {"reason": "Covered by the site-wide line"})
    assert done.status_code == 302
    line.refresh_from_db()
    assert not line.active
    states = set(TrainingRecord.objects.filter(requirement=line).values_list("state", flat=True))
    assert states == {"cancelled"}
    retired = _events(Requirement, line.pk)[-1]
    assert retired.reason == "Covered by the site-wide line" and retired.changes["active"]
    # Retired once: a second time is a conflict, not a second retirement.
    assert client.get(url).status_code == 409


def test_only_managers_where_the_line_applies_may_retire_it(
    cast, curriculum, other_site, client_for
) -> None:
    line = curriculum[1]
    url = f"/training/curricula/{line.pk}/retire/"
    there = with_role(
        UserFactory(username="there", site=other_site), permissions.QUALITY_MANAGER, site=other_site
    )

    assert client_for(cast["operator"]).post(url, {"reason": "x"}).status_code == 403
    assert client_for(there).post(url, {"reason": "x"}).status_code == 403
    line.refresh_from_db()
    assert line.active


# --------------------------------------------------------------------------- job roles


def test_the_job_role_page_shows_holders_and_curriculum(
    cast, curriculum, operators, sop, client_for
) -> None:
    page = client_for(cast["operator"]).get(f"/training/job-roles/{operators.pk}/")

    assert page.status_code == 200
    assert re.findall(r'data-testid="member" data-person="([^"]+)"', page.text) == ["weld"]
    assert f"Document {sop.number}" in page.text and "set-members" not in page.text
    # An operator may open no colleague's transcript.
    assert "/transcript/" not in page.text
    manager = client_for(cast["coordinator"]).get(f"/training/job-roles/{operators.pk}/")
    assert f"/training/people/{cast['welder'].pk}/transcript/" in manager.text
    assert client_for(cast["operator"]).get("/training/job-roles/999999/").status_code == 404


def test_a_manager_sets_the_holders_and_whoever_joins_is_assigned(
    cast, curriculum, operators, sop, client_for
) -> None:
    coordinator, inspector = cast["coordinator"], cast["inspector"]
    url = f"/training/job-roles/{operators.pk}/members/"

    assert client_for(cast["operator"]).post(url, {"members": [inspector.pk]}).status_code == 403
    response = client_for(coordinator).post(url, {"members": [cast["welder"].pk, inspector.pk]})

    assert response.status_code == 302
    assert set(operators.members.values_list("username", flat=True)) == {"weld", "insp"}
    assert TrainingRecord.objects.filter(person=inspector, document_id=sop.pk).exists()
    changed = _events(JobRole, operators.pk)[-1]
    assert changed.actor == coordinator and "members" in changed.changes

    inactive = UserFactory(username="gone", is_active=False)
    refused = client_for(coordinator).post(url, {"members": [inactive.pk]})
    assert refused.status_code == 422 and _field_errors(refused.text, "members")
    assert set(operators.members.values_list("username", flat=True)) == {"weld", "insp"}


def test_a_manager_creates_a_job_role(cast, client_for) -> None:
    client = client_for(cast["coordinator"])
    created = client.post("/training/job-roles/new/", {"name": "Inspector"})
    role = JobRole.objects.get(name="Inspector")
    assert created.status_code == 302 and created["Location"] == f"/training/job-roles/{role.pk}/"

    again = client.post("/training/job-roles/new/", {"name": "Inspector"})
    assert again.status_code == 422 and _field_errors(again.text, "name")
    assert JobRole.objects.filter(name="Inspector").count() == 1
    assert client_for(cast["operator"]).get("/training/job-roles/new/").status_code == 403


def test_the_menu_offers_courses_and_curricula(cast, client_for) -> None:
    page = client_for(cast["operator"]).get("/training/my/")
    assert 'href="/training/courses/"' in page.text and 'href="/training/curricula/"' in page.text
