"""A person's training transcript: who may open it (the person, and holders of
training.view_records where the person works), what it shows (every record with its dates,
method, trainer and signatures), the PDF an auditor takes away, and a fixed number of queries
whatever the number of records."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from qualitas.core import permissions, workflow
from qualitas.core.models import Department, Site, User
from qualitas.documents.models import Document
from qualitas.training import services, transcript
from qualitas.training.models import Course, JobRole, TrainingRecord
from tests.factories import UserFactory, with_role
from tests.training.conftest import token

pytestmark = pytest.mark.django_db


def url(person: User) -> str:
    return f"/training/people/{person.pk}/transcript/"


@pytest.fixture
def history(
    cast,
    assembly: Department,
    first_aid: Course,
    welding: Course,
    operators: JobRole,
    sop: Document,
) -> dict[str, TrainingRecord]:
    """The operator's training: the procedure read and signed, first aid signed, TIG welding
    trained on the job and signed competent by the coordinator, and a forklift course still
    open."""  # fmt: skip
    coordinator, operator = cast["coordinator"], cast["operator"]
    services.add_requirement(actor=coordinator, job_role=operators, document_number=sop.number)
    services.add_requirement(actor=coordinator, department=assembly, course=first_aid)
    services.add_requirement(actor=coordinator, department=assembly, course=welding)
    services.set_members(operators, actor=coordinator, members=[operator])
    reading = TrainingRecord.objects.get(person=operator, document_id=sop.pk)
    services.complete_training(reading, actor=operator, signature=token(operator, reading))
    aid = TrainingRecord.objects.get(person=operator, course=first_aid)
    services.complete_training(aid, actor=operator, signature=token(operator, aid))
    tig = TrainingRecord.objects.get(person=operator, course=welding)
    services.complete_training(
        tig, actor=operator, signature=token(operator, tig), trainer=coordinator
    )
    tig.refresh_from_db()
    workflow.fire(tig, "confirm_competence", actor=coordinator, signature=token(coordinator, tig))
    forklift = services.create_course(
        actor=coordinator, code="FORK-01", title="Forklift", kind="external"
    )
    open_one = services.assign_training(actor=coordinator, person=operator, course=forklift)
    return {"reading": reading, "aid": aid, "tig": tig, "forklift": open_one}


def _rows(html: str) -> dict[str, str]:
    """record number -> the row's standing, read from the page."""
    return dict(
        re.findall(
            r'data-testid="transcript-row" data-record="([^"]+)" data-state="([a-z]+)"', html
        )
    )


def test_the_transcript_shows_every_record_with_its_signatures(
    cast, history, sop, client_for
) -> None:
    operator, coordinator = cast["operator"], cast["coordinator"]

    page = client_for(coordinator).get(url(operator))

    assert page.status_code == 200
    assert _rows(page.text) == {
        history["reading"].number: "completed",
        history["aid"].number: "completed",
        history["tig"].number: "completed",
        history["forklift"].number: "due",
    }
    header = re.search(r'data-testid="transcript-header">.*?</dl>', page.text, re.S)[0]
    assert operator.printed_name in header and "Assembly operator" in header
    assert "Assembly" in header and f"by {coordinator.printed_name}" in header
    tig_row = re.search(rf'data-record="{history["tig"].number}".*?</tr>', page.text, re.S)[0]
    assert coordinator.printed_name in tig_row  # the trainer
    signed = re.findall(r'data-testid="transcript-signature">([^<]*)<', tig_row)
    assert [s.split(" — ")[:2] for s in signed] == [
        [operator.printed_name, "Trained"],
        [coordinator.printed_name, "Trainee competent"],
    ]
    reading_row = re.search(rf'data-record="{history["reading"].number}".*?</tr>', page.text, re.S)[
        0
    ]
    assert f"{sop.number} revision A" in reading_row and "Read and understood" in reading_row
    assert "Reading" in reading_row  # the method set as it was signed


def test_overdue_expired_and_superseded_training_say_so(
    cast, history, sop, revise, client_for
) -> None:
    operator = cast["operator"]
    revise(sop)  # revision B in force: A was read, B is now due
    lapses = TrainingRecord.objects.get(pk=history["aid"].pk).expires_on

    with time_machine.travel(lapses + timedelta(days=1), tick=False):
        page = client_for(operator).get(url(operator))

    rows = _rows(page.text)
    assert rows[history["aid"].number] == "expired"
    assert rows[history["forklift"].number] == "overdue"
    assert rows[history["reading"].number] == "completed"
    new_reading = TrainingRecord.objects.get(person=operator, document_id=sop.pk, state="assigned")
    assert rows[new_reading.number] == "overdue"
    old = re.search(rf'data-record="{history["reading"].number}".*?</tr>', page.text, re.S)[0]
    assert "since superseded" in old
    # Open training first, as an auditor asks first what is missing.
    order = list(rows.values())
    assert order.index("overdue") < order.index("expired") < order.index("completed")


def test_cancelled_assignments_are_no_training(cast, history, client_for) -> None:
    coordinator = cast["coordinator"]
    workflow.fire(history["forklift"], "cancel", actor=coordinator, comment="Not needed")

    page = client_for(coordinator).get(url(cast["operator"]))

    assert history["forklift"].number not in _rows(page.text)


def test_who_may_open_a_transcript(cast, history, other_site: Site, client_for, auditor) -> None:
    operator = cast["operator"]
    there = with_role(
        UserFactory(username="there", site=other_site), permissions.QUALITY_MANAGER,
        site=other_site,
    )  # fmt: skip
    allowed = [operator, cast["coordinator"], cast["approver"], auditor]
    refused = [cast["welder"], cast["inspector"], there]

    for user in allowed:
        assert client_for(user).get(url(operator)).status_code == 200, user.username
    for user in refused:
        response = client_for(user).get(url(operator))
        assert response.status_code == 403, user.username
        assert operator.printed_name not in response.text
        assert client_for(user).get(url(operator), {"format": "pdf"}).status_code == 403


def test_a_person_of_no_site_is_seen_only_by_readers_holding_it_everywhere(
    cast, client_for
) -> None:
    roaming = UserFactory(username="roaming", site=None)

    assert client_for(cast["coordinator"]).get(url(roaming)).status_code == 403
    assert client_for(cast["approver"]).get(url(roaming)).status_code == 200
    assert client_for(roaming).get(url(roaming)).status_code == 200


def test_an_unknown_person_or_format_is_refused(cast, client_for) -> None:
    client = client_for(cast["coordinator"])
    assert client.get("/training/people/999999/transcript/").status_code == 404
    bad = client.get(url(cast["operator"]), {"format": "docx"})
    assert 400 <= bad.status_code < 500 and "format" in bad.text


def test_the_pdf_is_a_transcript_an_auditor_can_take_away(cast, history, client_for) -> None:
    operator, coordinator = cast["operator"], cast["coordinator"]

    response = client_for(coordinator).get(url(operator), {"format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="training-transcript-')
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert operator.printed_name in flat
    assert "Trainee competent" in flat and "Read and understood" in flat
    assert history["tig"].number in flat
    assert f"Printed by {coordinator.printed_name}" in flat or coordinator.printed_name in flat
    assert "Page 1 of" in flat


def test_a_long_transcript_runs_over_pages_with_numbers(cast, client_for) -> None:
    coordinator, operator = cast["coordinator"], cast["operator"]
    for n in range(45):
        course = services.create_course(
            actor=coordinator, code=f"C-{n:02d}", title=f"Course {n}", kind="e_learning"
        )
        services.assign_training(actor=coordinator, person=operator, course=course)

    response = client_for(operator).get(url(operator), {"format": "pdf"})

    reader = PdfReader(io.BytesIO(response.content))
    pages = len(reader.pages)
    assert pages >= 2
    last = re.sub(r"\s+", " ", reader.pages[-1].extract_text() or "")
    assert f"Page {pages} of {pages}" in last


def test_the_transcript_takes_a_fixed_number_of_queries(cast, history, client_for) -> None:
    coordinator, operator = cast["coordinator"], cast["operator"]
    client = client_for(coordinator)
    client.get(url(operator))  # the first request of a session also records the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(operator)).status_code == 200
    for n in range(6):
        course = services.create_course(
            actor=coordinator, code=f"X-{n}", title=f"Course {n}", kind="classroom"
        )
        record = services.assign_training(actor=coordinator, person=operator, course=course)
        services.complete_training(
            record, actor=operator, signature=token(operator, record), trainer=coordinator
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(operator)).status_code == 200
    assert len(many) == len(few)


def test_the_matrix_and_my_training_link_to_transcripts(cast, history, client_for) -> None:
    matrix = client_for(cast["coordinator"]).get("/training/matrix/")
    assert f'href="{url(cast["operator"])}"' in matrix.text
    mine = client_for(cast["operator"]).get("/training/my/")
    assert f'href="{url(cast["operator"])}" data-testid="my-transcript"' in mine.text


def test_standing_of_follows_the_records_state(cast, history) -> None:
    today = timezone.localdate()
    aid = TrainingRecord.objects.get(pk=history["aid"].pk)
    assert transcript.standing_of(aid, today) == transcript.COMPLETED
    assert transcript.standing_of(aid, aid.expires_on) == transcript.EXPIRED
    forklift = history["forklift"]
    assert transcript.standing_of(forklift, forklift.due_on) == transcript.DUE
    assert transcript.standing_of(forklift, forklift.due_on + timedelta(days=1)) == "overdue"
