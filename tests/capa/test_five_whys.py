"""The 5 Whys read once, however a step was typed (issue 13, defect 10): "Why Why was the
bore oversize?? Because Because …" no more, on the page and in the 8D report."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.capa import eight_d, services
from qualitas.capa.models import Capa
from qualitas.core.models import User
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db

TYPED = [
    ("question and sentence", "Why was the bore oversize?", "Because the bar was worn."),
    ("bare words", "was the bore oversize", "the bar was worn"),
    ("shouted", "WHY was the bore oversize??", "BECAUSE the bar was worn.."),
    ("comma", "Why, was the bore oversize ?", "because, the bar was worn"),
]


@pytest.fixture
def owner(db: None) -> User:
    return with_role(UserFactory(username="owner"), "contributor")


@pytest.fixture
def capa(owner: User) -> Capa:
    return services.open_capa(actor=owner, title="Bore oversize", problem_statement="3 NCs")


@pytest.mark.parametrize(("_case", "why", "because"), TYPED)
def test_a_step_reads_as_one_question_and_one_answer(
    capa: Capa, owner: User, _case: str, why: str, because: str
) -> None:
    step = services.add_why(capa, actor=owner, why=why, because=because)

    assert step.question == "Why was the bore oversize?"
    assert step.answer == "Because the bar was worn."


def test_a_noun_phrase_reads_as_a_question_and_acronyms_keep_their_capitals(
    capa: Capa, owner: User
) -> None:
    noun = services.add_why(capa, actor=owner, why="Bore oversize", because="Worn bar")
    acronym = services.add_why(capa, actor=owner, why="CNC-3 stopped", because="PLC fault")

    assert (noun.question, noun.answer) == ("Why bore oversize?", "Because worn bar.")
    assert (acronym.question, acronym.answer) == ("Why CNC-3 stopped?", "Because PLC fault.")


def test_what_was_typed_is_kept_as_typed(capa: Capa, owner: User) -> None:
    step = services.add_why(
        capa, actor=owner, why="Why was the bore oversize?", because="Because of wear."
    )

    step.refresh_from_db()
    assert (step.why, step.because) == ("Why was the bore oversize?", "Because of wear.")


def test_the_page_and_the_8d_report_say_it_once(client_for: Any, capa: Capa, owner: User) -> None:
    client = client_for(owner)
    client.post(
        f"/capas/{capa.pk}/whys/",
        {"why": "Why was the bore oversize?", "because": "Because the bar was worn."},
    )

    page = client.get(f"/capas/{capa.pk}/").content.decode()
    report = eight_d.build(capa, viewer=owner)

    assert "Why was the bore oversize? Because the bar was worn." in page
    assert "Why Why" not in page and "??" not in page and "Because Because" not in page
    assert report.whys == [("Why was the bore oversize?", "Because the bar was worn.", False)]
