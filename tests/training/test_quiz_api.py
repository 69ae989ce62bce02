"""/api/v1/courses/{id}/quiz and /api/v1/training-records/{id}/quiz-attempts: trainees read
the questions without the answer key, coordinators maintain them, the trainee's attempts
are posted and listed; completion waits for a passed attempt."""

from __future__ import annotations

import pytest

from qualitas.core.errors import Conflict
from qualitas.core.models import AuditEvent, Department, User
from qualitas.training import services
from qualitas.training.models import Course, QuizAttempt, QuizQuestion
from tests.factories import PASSWORD
from tests.training.conftest import token
from tests.training.test_quiz import answers, make_esd, record_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def esd(cast: dict[str, User], assembly: Department) -> Course:
    return make_esd(cast, assembly)


def test_trainees_read_the_quiz_without_the_answer_key(cast, esd, api_for) -> None:
    trainee = api_for(cast["operator"]).get(f"/courses/{esd.pk}/quiz")
    coordinator = api_for(cast["coordinator"]).get(f"/courses/{esd.pk}/quiz")

    assert trainee.status_code == coordinator.status_code == 200
    shown = trainee.json()
    assert (shown["pass_mark"], shown["has_quiz"], len(shown["questions"])) == (80, True, 5)
    assert {c["correct"] for q in shown["questions"] for c in q["choices"]} == {None}
    flags = [[c["correct"] for c in q["choices"]] for q in coordinator.json()["questions"]]
    assert flags == [[True, False, False]] * 5


def test_a_coordinator_maintains_the_quiz_through_the_api(cast, esd, api_for) -> None:
    api = api_for(cast["coordinator"])

    added = api.post(
        f"/courses/{esd.pk}/quiz/questions",
        {"text": "Mat?", "choices": [{"text": "1 MΩ", "correct": True}, {"text": "0 Ω"}]},
    )
    new_id = max(q["id"] for q in added.json()["questions"])
    changed = api.put(f"/courses/{esd.pk}/quiz/questions/{new_id}", {"text": "Mat resistance?"})
    retired = api.put(f"/courses/{esd.pk}/quiz/questions/{new_id}", {"active": False})
    marked = api.put(f"/courses/{esd.pk}/quiz", {"pass_mark": 60})

    assert added.status_code == 201, added.json()
    assert changed.status_code == retired.status_code == marked.status_code == 200
    question = QuizQuestion.objects.get(pk=new_id)
    assert (question.text, question.active) == ("Mat resistance?", False)
    assert marked.json()["pass_mark"] == 60


def test_bad_questions_are_422_naming_the_field_and_trainees_get_403(cast, esd, api_for) -> None:
    coordinator, operator = api_for(cast["coordinator"]), api_for(cast["operator"])
    before = AuditEvent.objects.count()
    one_choice = {"text": "Q?", "choices": [{"text": "A", "correct": True}]}

    bad = coordinator.post(f"/courses/{esd.pk}/quiz/questions", one_choice)
    mark = coordinator.put(f"/courses/{esd.pk}/quiz", {"pass_mark": 0})
    denied = operator.post(
        f"/courses/{esd.pk}/quiz/questions",
        {"text": "Q?", "choices": [{"text": "A", "correct": True}, {"text": "B"}]},
    )
    missing = coordinator.get("/courses/999999/quiz")

    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "choices"
    assert mark.status_code == 422
    assert denied.status_code == 403
    assert missing.status_code == 404
    assert QuizQuestion.objects.filter(course=esd).count() == 5
    assert AuditEvent.objects.count() == before


def test_the_trainee_posts_attempts_and_completion_waits_for_a_pass(cast, esd, api_for) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)
    api = api_for(operator)
    url = f"/training-records/{record.pk}/quiz-attempts"
    complete = f"/training-records/{record.pk}/transitions/complete"

    failed = api.post(url, {"answers": answers(esd, wrong=2)})
    refused = api.post(complete, {"password": PASSWORD})
    passed = api.post(url, {"answers": answers(esd)})
    listed = api.get(url)
    done = api.post(complete, {"password": PASSWORD})

    assert failed.status_code == 201 and failed.json()["passed"] is False
    assert failed.json()["score"] == 60 and len(failed.json()["wrong_questions"]) == 2
    # Not yet passed is a conflict with the record's state, as the completion service says.
    assert refused.status_code == 409
    assert "Pass the quiz of ESD-01 first" in refused.json()["detail"]
    assert passed.status_code == 201 and passed.json()["passed"] is True
    assert [a["passed"] for a in listed.json()] == [False, True]
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "completed"


def test_the_completion_service_answers_409_until_a_pass(cast, esd) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)

    with pytest.raises(Conflict) as refused:
        services.complete_training(record, actor=operator, signature=token(operator, record))

    assert refused.value.status == 409 and "ESD-01" in refused.value.detail


def test_attempts_are_the_trainees_own(cast, esd, api_for) -> None:
    record = record_of(cast["operator"], esd)
    url = f"/training-records/{record.pk}/quiz-attempts"

    by_coordinator = api_for(cast["coordinator"]).post(url, {"answers": answers(esd)})
    by_stranger = api_for(cast["welder"]).post(url, {"answers": answers(esd)})
    unanswered = api_for(cast["operator"]).post(url, {"answers": {}})
    not_numbers = api_for(cast["operator"]).post(url, {"answers": {"1": "x"}})
    seen = api_for(cast["coordinator"]).get(url)

    assert by_coordinator.status_code == 403
    assert by_stranger.status_code == 404
    assert unanswered.status_code == 422
    assert {e["field"] for e in unanswered.json()["errors"]} == {
        f"answers.{k}" for k in answers(esd)
    }
    assert not_numbers.status_code == 422
    assert seen.status_code == 200 and seen.json() == []
    assert not QuizAttempt.objects.exists()


@pytest.mark.parametrize(
    ("started_at", "status"),
    [
        ("2999-01-01T00:00:00+00:00", 422),  # after the submission
        ("0001-01-01T00:00:00+14:00", 422),  # before any time the database keeps
        ("2026-01-01T08:00", 201),  # no zone: read in the organisation's
    ],
)
def test_the_start_time_is_checked(cast, esd, api_for, started_at, status) -> None:
    record = record_of(cast["operator"], esd)

    response = api_for(cast["operator"]).post(
        f"/training-records/{record.pk}/quiz-attempts",
        {"answers": answers(esd), "started_at": started_at},
    )

    assert response.status_code == status, response.json()
    assert QuizAttempt.objects.count() == (1 if status == 201 else 0)
