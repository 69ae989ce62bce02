"""My training: one's own open training with a way to sign it, one's completed training
with its expiry, and which gating procedures one may sign work under and why not."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qualitas.core.models import Department, User
from qualitas.documents.models import Document
from qualitas.training import services
from qualitas.training.models import Course, JobRole, TrainingRecord
from tests.training.conftest import token

pytestmark = pytest.mark.django_db

URL = "/training/my/"


def _numbers(response: Any, kind: str) -> list[str]:
    return re.findall(rf'data-testid="{kind}" data-record="([^"]+)"', response.text)


@pytest.fixture
def assigned(
    cast: dict[str, User],
    assembly: Department,
    first_aid: Course,
    welding: Course,
    operators: JobRole,
    sop: Document,
) -> None:
    """The operator: first aid (completed), TIG welding and the procedure (open). The
    welder: first aid and TIG welding. The procedure gates."""
    coordinator = cast["coordinator"]
    services.add_requirement(actor=coordinator, department=assembly, course=first_aid)
    services.add_requirement(actor=coordinator, department=assembly, course=welding)
    services.add_requirement(
        actor=coordinator, job_role=operators, document_number=sop.number, gating=True
    )
    services.set_members(operators, actor=coordinator, members=[cast["operator"]])
    operator = cast["operator"]
    record = TrainingRecord.objects.get(person=operator, course=first_aid)
    services.complete_training(record, actor=operator, signature=token(operator, record))


def test_shows_only_ones_own_training(cast, assigned, client_for) -> None:
    mine = TrainingRecord.objects.filter(person=cast["operator"])
    theirs = TrainingRecord.objects.filter(person=cast["welder"])

    response = client_for(cast["operator"]).get(URL)

    assert response.status_code == 200
    shown = _numbers(response, "my-open-row") + _numbers(response, "my-done-row")
    assert sorted(shown) == sorted(r.number for r in mine)
    assert not set(shown) & {r.number for r in theirs}
    assert _numbers(response, "my-done-row") == [mine.get(state="completed").number]


def test_each_open_record_links_to_its_signing_step(cast, assigned, sop, welding, client_for):
    operator = cast["operator"]
    response = client_for(operator).get(URL)

    reading = TrainingRecord.objects.get(person=operator, document_id=sop.pk)
    on_the_job = TrainingRecord.objects.get(person=operator, course=welding)
    for record, step in ((reading, "acknowledge"), (on_the_job, "sign_trained")):
        url = reverse("core:record_transition", args=["training-records", record.pk, step])
        assert f'href="{url}" data-testid="sign"' in response.text
    assert f"revision {reading.revision_label}" in response.text
    assert (
        client_for(operator)
        .get(
            reverse("core:record_transition", args=["training-records", reading.pk, "acknowledge"])
        )
        .status_code
        == 200
    )


def test_overdue_training_is_flagged_and_expiry_shown(cast, assigned, first_aid, client_for):
    operator = cast["operator"]
    done = TrainingRecord.objects.get(person=operator, course=first_aid)

    def page() -> str:
        # Signed in afresh: a session does not outlive a month's jump in time.
        return str(client_for(operator).get(URL).content.decode())

    now = page()
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        later = page()
    with time_machine.travel(done.expires_on, tick=False):
        lapsed = page()

    assert 'data-testid="overdue"' not in now
    assert later.count('data-testid="overdue"') == 2
    assert done.expires_on.strftime("%Y-%m-%d") in now
    assert 'data-testid="expired"' not in now
    assert 'data-testid="expired"' in lapsed


def test_says_which_gating_procedures_one_may_sign_under(cast, assigned, sop, client_for):
    operator = cast["operator"]
    client = client_for(operator)

    before = client.get(URL)
    reading = TrainingRecord.objects.get(person=operator, document_id=sop.pk)
    services.complete_training(reading, actor=operator, signature=token(operator, reading))
    after = client.get(URL)

    may_not = re.findall(r'data-testid="may-not">(.*?)</li>', before.text, re.S)
    assert len(may_not) == 1 and sop.number in may_not[0]
    assert "is assigned to you" in may_not[0] and "not yet signed" in may_not[0]
    assert 'data-testid="may"' not in before.text
    assert re.findall(r'data-testid="may">([^<]+)<', after.text) == [sop.number]
    assert 'data-testid="may-not"' not in after.text


def test_the_number_of_queries_does_not_grow_with_ones_training(
    cast, assigned, assembly, client_for
) -> None:
    operator = cast["operator"]
    client = client_for(operator)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(4):
        course = services.create_course(
            actor=cast["coordinator"], code=f"C-{n}", title=f"Course {n}", kind="classroom"
        )
        services.add_requirement(
            actor=cast["coordinator"], department=assembly, course=course, gating=True
        )
        if n % 2:
            record = TrainingRecord.objects.get(person=operator, course=course)
            services.complete_training(record, actor=operator, signature=token(operator, record))
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert len(_numbers(response, "my-open-row")) == 2 + 2
    assert len(_numbers(response, "my-done-row")) == 1 + 2
    assert len(many) == len(few)


def test_everyone_signed_in_finds_it_in_the_menu(viewer, client_for: Callable[..., Client]):
    home = client_for(viewer).get("/")

    assert URL in home.text
    assert client_for(viewer).get(URL).status_code == 200
    assert Client().get(URL).status_code == 302
