"""Quiz pages: coordinators maintain the quiz from the course page; the trainee takes it from
My training and reads a result that names the questions answered wrong, never the right
choice; others may not take it for them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core.models import AuditEvent, Department, User
from qualitas.training import quiz
from qualitas.training.models import Course, QuizAttempt, QuizChoice, QuizQuestion
from tests.training.test_quiz import QUESTIONS, answers, make_esd, record_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def esd(cast: dict[str, User], assembly: Department) -> Course:
    return make_esd(cast, assembly)


def test_the_course_page_leads_coordinators_to_the_quiz(cast, esd, client_for) -> None:
    page = client_for(cast["coordinator"]).get(f"/training/courses/{esd.pk}/")
    quiz_page = client_for(cast["coordinator"]).get(f"/training/courses/{esd.pk}/quiz/")

    assert page.status_code == 200
    assert b'data-testid="maintain-quiz"' in page.content and b"80%" in page.content
    assert quiz_page.status_code == 200
    body = quiz_page.content.decode()
    assert body.count('data-testid="quiz-question"') == 5
    assert body.count('data-correct="true"') == 5 and body.count('data-correct="false"') == 10


def test_only_coordinators_open_or_post_the_quiz_forms(cast, esd, client_for) -> None:
    question = QuizQuestion.objects.filter(course=esd).first()
    assert question is not None
    client = client_for(cast["operator"])
    base = f"/training/courses/{esd.pk}/quiz"
    before = AuditEvent.objects.count()

    pages = [
        client.get(f"{base}/").status_code,
        client.get(f"{base}/questions/new/").status_code,
        client.post(f"{base}/pass-mark/", {"pass_mark": "1"}).status_code,
        client.post(f"{base}/questions/{question.pk}/retire/").status_code,
    ]
    course_page = client.get(f"/training/courses/{esd.pk}/")

    assert pages == [403, 403, 403, 403]
    assert b"maintain-quiz" not in course_page.content
    assert AuditEvent.objects.count() == before


def test_a_coordinator_adds_edits_and_retires_a_question_through_the_forms(
    cast, esd, client_for
) -> None:
    client = client_for(cast["coordinator"])
    base = f"/training/courses/{esd.pk}/quiz"

    added = client.post(
        f"{base}/questions/new/",
        {"text": "Bench mat resistance?", "choice_1": "1 MΩ", "choice_2": "0 Ω", "correct": "1"},
    )
    question = QuizQuestion.objects.get(text="Bench mat resistance?")
    edited = client.post(
        f"{base}/questions/{question.pk}/edit/",
        {"text": "Mat resistance?", "order": "9", "choice_1": "1 MΩ", "choice_2": "0 Ω",
         "choice_3": "Any", "correct": "1"},
    )  # fmt: skip
    retired = client.post(f"{base}/questions/{question.pk}/retire/")

    assert added.status_code == edited.status_code == retired.status_code == 302
    question.refresh_from_db()
    assert (question.text, question.order, question.active) == ("Mat resistance?", 9, False)
    assert [c.text for c in question.choices.order_by("pk")] == ["1 MΩ", "0 Ω", "Any"]


def test_a_question_without_two_choices_is_refused_on_the_form(cast, esd, client_for) -> None:
    response = client_for(cast["coordinator"]).post(
        f"/training/courses/{esd.pk}/quiz/questions/new/",
        {"text": "Lonely?", "choice_1": "Yes", "correct": "1"},
    )

    assert response.status_code == 422
    assert b"Offer at least two choices." in response.content
    assert not QuizQuestion.objects.filter(text="Lonely?").exists()


def test_my_training_offers_the_quiz_and_the_trainee_takes_it(cast, esd, client_for) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)
    client = client_for(operator)
    given = answers(esd, wrong=2)

    mine = client.get("/training/my/")
    form = client.get(f"/training/records/{record.pk}/quiz/")
    sent = client.post(
        f"/training/records/{record.pk}/quiz/", {f"q{k}": v for k, v in given.items()}
    )
    attempt = QuizAttempt.objects.get(record=record)
    result = client.get(sent["Location"])

    assert f"/training/records/{record.pk}/quiz/".encode() in mine.content
    assert form.status_code == 200
    assert form.content.decode().count('type="radio"') == 15
    assert sent.status_code == 302
    assert sent["Location"] == f"/training/records/{record.pk}/quiz/attempts/{attempt.pk}/"
    body = result.content.decode()
    assert "Not passed: 60% (pass mark 80%)" in body
    assert body.count('data-testid="wrong-question"') == 2
    assert QUESTIONS[0][0] in body and QUESTIONS[1][0] in body and QUESTIONS[2][0] not in body
    # The result never gives the answer key away.
    right = QuizChoice.objects.filter(question_id__in=attempt.wrong_questions, correct=True)
    assert sorted(c.text for c in right) == ["Every shift", "The operator"]
    assert not any(choice.text in body for choice in right)


def test_an_unanswered_question_is_named_and_nothing_is_kept(cast, esd, client_for) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)
    given = answers(esd)
    first = next(iter(given))
    del given[first]

    response = client_for(operator).post(
        f"/training/records/{record.pk}/quiz/", {f"q{k}": v for k, v in given.items()}
    )

    assert response.status_code == 422
    assert b"Answer question 1." in response.content
    assert not QuizAttempt.objects.exists()


def test_others_may_not_take_the_quiz_and_strangers_do_not_see_the_record(
    cast, esd, client_for
) -> None:
    record = record_of(cast["operator"], esd)
    given = {f"q{k}": v for k, v in answers(esd).items()}
    coordinator = client_for(cast["coordinator"])

    seen = coordinator.get(f"/training/records/{record.pk}/quiz/")
    taken = coordinator.post(f"/training/records/{record.pk}/quiz/", given)
    stranger = client_for(cast["welder"]).get(f"/training/records/{record.pk}/quiz/")

    assert seen.status_code == 200 and b'data-testid="quiz-form"' not in seen.content
    assert taken.status_code == 403
    assert stranger.status_code == 404
    assert not QuizAttempt.objects.exists()


def test_attempts_are_listed_on_the_quiz_page(cast, esd, client_for) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)
    quiz.submit_attempt(record, actor=operator, answers=answers(esd, wrong=3))
    quiz.submit_attempt(record, actor=operator, answers=answers(esd))

    body = client_for(cast["coordinator"]).get(f"/training/records/{record.pk}/quiz/")

    rows = body.content.decode()
    assert rows.count('data-testid="quiz-attempt"') == 2
    assert 'data-passed="false"' in rows and 'data-passed="true"' in rows


def test_the_quiz_pages_take_a_fixed_number_of_queries(cast, esd, client_for) -> None:
    operator = cast["operator"]
    record = record_of(operator, esd)
    quiz.submit_attempt(record, actor=operator, answers=answers(esd, wrong=3))
    coordinator, trainee = client_for(cast["coordinator"]), client_for(operator)
    pages = (
        (coordinator, f"/training/courses/{esd.pk}/quiz/"),
        (trainee, f"/training/records/{record.pk}/quiz/"),
    )

    def counts() -> list[int]:
        found = []
        for client, url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    counts()  # the first request of a session reads more (its set-up), not the quiz
    before = counts()
    for n in range(3):
        quiz.add_question(
            esd,
            actor=cast["coordinator"],
            text=f"Extra {n}?",
            choices=[quiz.ChoiceInput("Yes", correct=True), quiz.ChoiceInput("No")],
        )
    quiz.submit_attempt(record, actor=operator, answers=answers(esd))
    quiz.submit_attempt(record, actor=operator, answers=answers(esd, wrong=1))

    assert counts() == before
