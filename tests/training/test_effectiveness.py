"""Effectiveness of training: a course with `effectiveness_days` gets a follow-up when it is
completed, rated by the trainee's supervisor (the department head) or a coordinator; the
refusals save nothing; the page, the API and the reminder job."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from qualitas.core import audit, kpis, permissions
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Department, Notification, User
from qualitas.core.registry import registry
from qualitas.training import effectiveness, services
from qualitas.training.models import Course, EffectivenessReview, TrainingRecord
from tests.factories import UserFactory, with_role
from tests.training.conftest import token

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(cast: dict[str, User], assembly: Department) -> User:
    """The head of the assembly department (the operator's and the welder's)."""
    head = with_role(UserFactory(username="sup", site=assembly.site), permissions.CONTRIBUTOR)
    with audit.context(actor=None, actor_name="test fixture"):
        assembly.head = head
        assembly.save()
    return head


@pytest.fixture
def awareness(cast: dict[str, User], assembly: Department, supervisor: User) -> Course:
    """ISO 13485 awareness, followed up 90 days after completion, for assembly."""
    course = services.create_course(
        actor=cast["coordinator"], code="ISO-AW", title="ISO 13485 awareness",
        kind="e_learning", effectiveness_days=90,
    )  # fmt: skip
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=course)
    return course


def _complete(person: User, course: Course) -> TrainingRecord:
    record = TrainingRecord.objects.get(person=person, course=course)
    return services.complete_training(record, actor=person, signature=token(person, record))


@pytest.fixture
def review(cast: dict[str, User], awareness: Course) -> EffectivenessReview:
    record = _complete(cast["operator"], awareness)
    return EffectivenessReview.objects.get(record=record)


def test_a_completion_asks_the_supervisor_for_a_follow_up(cast, review, supervisor) -> None:
    today = timezone.localdate()
    assert review.due_on == today + timedelta(days=90)
    assert review.rater == supervisor
    assert review.rating is None and review.rated_on is None
    kind = ContentType.objects.get_for_model(EffectivenessReview)
    assert AuditEvent.objects.filter(object_type=kind, object_id=review.pk).count() == 1


def test_a_course_without_follow_up_asks_none(cast, assembly, first_aid) -> None:
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=first_aid)
    _complete(cast["operator"], first_aid)
    assert not EffectivenessReview.objects.exists()


def test_scheduling_again_adds_nothing(cast, review) -> None:
    with audit.context(actor=cast["coordinator"]):
        again = effectiveness.schedule(review.record, actor=cast["coordinator"])
    assert again == review
    assert EffectivenessReview.objects.count() == 1


def test_a_head_trained_is_rated_by_a_coordinator(cast, assembly, awareness, supervisor) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        assembly.head = cast["operator"]
        assembly.save()
    record = _complete(cast["operator"], awareness)
    assert EffectivenessReview.objects.get(record=record).rater is None


def test_the_supervisor_rates_it(cast, review, supervisor) -> None:
    rated = effectiveness.rate(review, actor=supervisor, rating=4, comment="Applies it daily")

    assert (rated.rating, rated.rated_by, rated.rated_on) == (4, supervisor, timezone.localdate())
    assert rated.comment == "Applies it daily"
    kind = ContentType.objects.get_for_model(EffectivenessReview)
    event = AuditEvent.objects.filter(object_type=kind, object_id=review.pk).latest("pk")
    assert event.action == "update" and event.actor == supervisor


def test_a_coordinator_may_rate_in_the_supervisors_stead(cast, review) -> None:
    rated = effectiveness.rate(review, actor=cast["coordinator"], rating=3, comment="Partly")
    assert rated.rated_by == cast["coordinator"]


@pytest.mark.parametrize(
    ("_case", "values", "field"),
    [
        ("rating zero", {"rating": 0}, "rating"),
        ("rating six", {"rating": 6}, "rating"),
        ("no comment", {"comment": "  "}, "comment"),
        ("in the future", {"rated_on": timezone.localdate() + timedelta(days=1)}, "rated_on"),
        ("before completion", {"rated_on": timezone.localdate() - timedelta(days=1)}, "rated_on"),
    ],
)
def test_a_bad_rating_is_refused_naming_the_field(review, supervisor, _case, values, field):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        effectiveness.rate(review, actor=supervisor, **{"rating": 4, "comment": "Ok", **values})
    assert refused.value.errors[0].field == field
    review.refresh_from_db()
    assert review.rating is None and review.rated_by is None
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("who", ["operator", "welder", "inspector"])
def test_neither_the_trainee_nor_a_colleague_rates_it(cast, review, who) -> None:
    with pytest.raises(PermissionDenied):
        effectiveness.rate(review, actor=cast[who], rating=5, comment="Great")
    review.refresh_from_db()
    assert review.rating is None


def test_a_coordinator_of_another_site_may_not_rate(review, other_site) -> None:
    elsewhere = with_role(
        UserFactory(site=other_site), permissions.QUALITY_MANAGER, site=other_site
    )
    with pytest.raises(PermissionDenied):
        effectiveness.rate(review, actor=elsewhere, rating=5, comment="Great")


def test_a_follow_up_is_rated_once(cast, review, supervisor) -> None:
    effectiveness.rate(review, actor=supervisor, rating=4, comment="Good")
    with pytest.raises(Conflict):
        effectiveness.rate(review, actor=cast["coordinator"], rating=1, comment="Not at all")
    review.refresh_from_db()
    assert (review.rating, review.rated_by) == (4, supervisor)


def test_the_page_lists_what_the_rater_is_asked_and_rates_it(
    cast, review, supervisor, client_for: Callable[[User], Any]
) -> None:
    client = client_for(supervisor)
    listed = client.get("/training/effectiveness/").text
    posted = client.post(
        f"/training/effectiveness/{review.pk}/rate/",
        {"rating": "5", "comment": "Fully", "rated_on": timezone.localdate().isoformat()},
    )
    after = client.get("/training/effectiveness/").text

    assert f'data-testid="follow-up" data-record="{review.record.number}"' in listed
    assert posted.status_code == 302
    assert 'data-testid="follow-up"' not in after
    assert f'data-testid="rated" data-record="{review.record.number}"' in after
    review.refresh_from_db()
    assert review.rating == 5


def test_the_trainee_neither_sees_nor_opens_the_rating(
    cast, review, client_for: Callable[[User], Any]
) -> None:
    client = client_for(cast["operator"])
    assert 'data-testid="follow-up"' not in client.get("/training/effectiveness/").text
    assert client.get(f"/training/effectiveness/{review.pk}/rate/").status_code == 403


def test_the_rating_form_refuses_a_missing_comment(
    review, supervisor, client_for: Callable[[User], Any]
) -> None:
    response = client_for(supervisor).post(
        f"/training/effectiveness/{review.pk}/rate/",
        {"rating": "4", "comment": "", "rated_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["comment"]


def test_the_api_reads_and_rates_a_follow_up(cast, review, supervisor, api_for) -> None:
    path = f"/training-records/{review.record_id}/effectiveness"

    seen = api_for(cast["operator"]).get(path)
    hidden = api_for(cast["inspector"]).get(path)
    due = api_for(supervisor).get("/training-records/effectiveness").json()
    bad = api_for(supervisor).post(path, {"rating": 9, "comment": "x"})
    # The approver sees people's training records but is not the supervisor nor a coordinator.
    refused = api_for(cast["approver"]).post(path, {"rating": 3, "comment": "x"})
    rated = api_for(supervisor).post(path, {"rating": 3, "comment": "Partly"})
    again = api_for(supervisor).post(path, {"rating": 3, "comment": "Partly"})

    assert seen.status_code == 200 and seen.json()["rater"] == supervisor.pk
    assert hidden.status_code == 404
    assert [r["record"] for r in due["results"]] == [review.record_id]
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rating"
    assert refused.status_code == 403
    assert rated.status_code == 200 and rated.json()["rating"] == 3
    assert rated.json()["rated_by"] == supervisor.pk
    assert again.status_code == 409


def test_a_record_without_follow_up_is_404(cast, assembly, first_aid, api_for) -> None:
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=first_aid)
    record = _complete(cast["operator"], first_aid)
    response = api_for(cast["coordinator"]).get(f"/training-records/{record.pk}/effectiveness")
    assert response.status_code == 404


def test_the_job_reminds_the_rater_once_when_it_falls_due(cast, review, supervisor) -> None:
    assert effectiveness.remind_due() == "0 effectiveness follow-up reminders"
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        first = effectiveness.remind_due()
        second = effectiveness.remind_due()
    assert (first, second) == (
        "1 effectiveness follow-up reminders",
        "0 effectiveness follow-up reminders",
    )
    [note] = Notification.objects.filter(recipient=supervisor)
    assert note.url == "/training/effectiveness/" and "Rate the training" in note.title


def test_with_no_supervisor_the_coordinators_are_reminded(cast, assembly, awareness) -> None:
    with audit.context(actor=None, actor_name="test fixture"):
        assembly.head = None
        assembly.save()
    _complete(cast["welder"], awareness)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        effectiveness.remind_due()
    reminded = set(
        Notification.objects.filter(url="/training/effectiveness/").values_list(
            "recipient__username", flat=True
        )
    )
    assert "coord" in reminded and "weld" not in reminded


def test_a_course_declares_its_follow_up_through_the_api(cast, api_for) -> None:
    api = api_for(cast["coordinator"])
    created = api.post(
        "/courses", {"code": "CMM-1", "title": "CMM", "kind": "classroom", "effectiveness_days": 60}
    )
    course_id = created.json()["id"]
    changed = api.patch(f"/courses/{course_id}", {"effectiveness_days": None})
    too_long = api.patch(f"/courses/{course_id}", {"effectiveness_days": 731})

    assert created.status_code == 201 and created.json()["effectiveness_days"] == 60
    assert changed.status_code == 200 and changed.json()["effectiveness_days"] is None
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"].endswith("effectiveness_days")
    assert Course.objects.get(pk=course_id).effectiveness_days is None


def test_imported_history_asks_no_follow_up(cast, awareness, tmp_path):
    """An import of past training asks no follow-ups (they were the paper system's)."""
    today = timezone.localdate()
    history = tmp_path / "history.csv"
    history.write_text(
        "username,item,completed_on,trainer,method\n"
        f"oper,ISO-AW,{today - timedelta(days=200)},,\n"
        f"weld,ISO-AW,{today - timedelta(days=10)},,\n",
        encoding="utf-8",
    )

    call_command("training", "import", str(history), "--user", "coord", stdout=io.StringIO())

    completed = TrainingRecord.objects.filter(course=awareness, state="completed")
    assert sorted(r.person.username for r in completed) == ["oper", "weld"]
    assert not EffectivenessReview.objects.exists()


def test_the_indicator_is_the_share_of_follow_ups_rated_effective(
    cast, review, awareness, supervisor
):
    coordinator, stranger = cast["coordinator"], UserFactory(username="elsewhere")
    assert effectiveness.effective_share(coordinator) is None  # nothing rated yet
    effectiveness.rate(review, actor=supervisor, rating=5, comment="Applies it daily")
    other = EffectivenessReview.objects.get(record=_complete(cast["welder"], awareness))
    effectiveness.rate(other, actor=supervisor, rating=2, comment="Still asks")

    assert effectiveness.effective_share(coordinator) == 50.0
    shown = {k.label: k.value for k in kpis.shown_to(coordinator, registry.kpis)}
    assert shown["Training rated effective (12 months)"] == "50%"
    # Someone who sees no one's training records sees no share.
    assert effectiveness.effective_share(stranger) is None
