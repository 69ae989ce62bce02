"""Read and understood kept as training: a revision's audience and a curriculum ask once, the
documents module's earlier acknowledgements are taken over without loss, and the pages and
API of both modules show the same readings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qualitas.core import audit, signatures
from qualitas.core.models import AuditEvent, Meaning, Notification, Signature
from qualitas.core.services import system_user
from qualitas.documents import reading as documents_reading, services as documents
from qualitas.documents.models import Acknowledgement, DocumentRevision, DocumentType
from qualitas.training import reading, services
from qualitas.training.models import TrainingRecord
from tests.factories import PASSWORD
from tests.training.conftest import token

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_by_assembly(cast, assembly, release):
    """An effective procedure its revision says Assembly must read."""

    def make(title: str = "Torque tightening"):
        document = documents.create_document(
            actor=cast["author"],
            document_type=DocumentType.objects.get(code="procedure"),
            title=title,
            content_text="# Purpose\n\nTighten to the drawing's torque.",
            training_impact=True,
            training_departments=[assembly],
        )
        return release(document.revisions.get())

    return make


def test_a_reading_is_a_training_record_signed_read_and_understood(cast, read_by_assembly):
    revision = read_by_assembly()
    operator = cast["operator"]
    record = TrainingRecord.objects.get(person=operator, revision_id=revision.pk)
    assert record.state == "assigned" and record.document_id == revision.document_id
    assert record.due_on == timezone.localdate() + timedelta(days=14)
    asked = Notification.objects.get(recipient=operator, title__startswith="Read and acknowledge")
    assert asked.url == f"/documents/{revision.document_id}/?revision={revision.pk}"

    documents_reading.acknowledge(revision, actor=operator, signature=token(operator))
    record.refresh_from_db()
    assert record.state == "completed" and record.method == "reading"
    signed = Signature.objects.filter(object_type__model="trainingrecord", object_id=record.pk)
    assert [s.meaning for s in signed] == [Meaning.READ_AND_UNDERSTOOD]
    assert signatures.is_valid(signed.get(), record)
    # The request to read leaves the reader's unread notifications.
    asked.refresh_from_db()
    assert asked.read_at is not None


def test_the_audience_and_a_curriculum_ask_once(cast, assembly, read_by_assembly, release):
    revision = read_by_assembly()
    services.add_requirement(
        actor=cast["coordinator"], department=assembly, document_number=revision.document.number
    )
    services.assign_missing(actor=cast["coordinator"])
    for person in (cast["operator"], cast["welder"]):
        assert TrainingRecord.objects.filter(person=person, revision_id=revision.pk).count() == 1
    # A new revision: the curriculum and the audience both ask again, still once each person.
    draft = documents.new_revision(revision.document, actor=cast["author"])
    documents.edit_revision(
        draft, actor=cast["author"], expected_version=draft.version, change_summary="Torque table"
    )
    release(draft)
    operator = cast["operator"]
    readings = TrainingRecord.objects.filter(person=operator, document_id=revision.document_id)
    assert sorted(readings.values_list("revision_id", "state")) == sorted(
        [(revision.pk, "cancelled"), (draft.pk, "assigned")]
    )


def test_asking_twice_asks_nobody_twice(cast, read_by_assembly):
    revision = read_by_assembly()
    before = TrainingRecord.objects.count()
    assert documents_reading.ask_audience(revision) == 0
    assert TrainingRecord.objects.count() == before


def test_only_the_person_asked_signs_and_only_once(cast, read_by_assembly):
    from qualitas.core.errors import Conflict, NotFound

    revision = read_by_assembly()
    inspector = cast["inspector"]
    with pytest.raises(NotFound):
        documents_reading.acknowledge(revision, actor=inspector, signature=token(inspector))
    operator = cast["operator"]
    documents_reading.acknowledge(revision, actor=operator, signature=token(operator))
    with pytest.raises(Conflict):
        documents_reading.require_asked(revision, operator)


# --- Taking over the documents module's acknowledgements ------------------------------------


def _legacy(revision: DocumentRevision, person, state: str, **fields) -> Acknowledgement:
    """An acknowledgement as the documents module kept it before training records."""
    with audit.context(actor=system_user()):
        return Acknowledgement.objects.create(
            revision=revision,
            person=person,
            state=state,
            due_on=fields.pop("due_on", timezone.localdate() - timedelta(days=3)),
            **fields,
        )


def test_earlier_acknowledgements_are_taken_over_without_loss(cast, sop):
    revision = sop.current_revision
    operator, welder, inspector = cast["operator"], cast["welder"], cast["inspector"]
    # The signature the documents module took: read and understood on the revision itself.
    with audit.context(actor=operator):
        signature = signatures.sign(
            revision,
            signer=operator,
            meaning=Meaning.READ_AND_UNDERSTOOD,
            token=token(operator),
            transition="acknowledge",
        )
    signed = _legacy(
        revision,
        operator,
        "acknowledged",
        acknowledged_at=signature.signed_at,
        signature=signature,
    )
    pending = _legacy(revision, welder, "pending", due_on=timezone.localdate() + timedelta(days=9))
    withdrawn = _legacy(revision, inspector, "withdrawn")

    adopted = reading.adopt_acknowledgements(actor=system_user())
    assert len(adopted) == 3
    by_old = {r.acknowledgement_id: r for r in TrainingRecord.objects.all()}
    done = by_old[signed.pk]
    assert (done.person, done.revision_id, done.state, done.method) == (
        operator,
        revision.pk,
        "completed",
        "reading",
    )
    assert done.completed_on == timezone.localtime(signature.signed_at).date()
    assert done.revision_signature == signature and done.due_on == signed.due_on
    assert done.assigned_on == timezone.localtime(signed.assigned_at).date()
    assert by_old[pending.pk].state == "assigned"
    assert by_old[pending.pk].due_on == pending.due_on
    assert by_old[withdrawn.pk].state == "cancelled"
    # Each taken-over record is numbered and on the audit trail.
    for record in adopted:
        assert record.number.startswith("TR-")
        assert AuditEvent.objects.filter(
            object_type__model="trainingrecord", object_id=str(record.pk), action="create"
        ).exists()
    # The documents module shows them as before, the old signature with the reading.
    shown = {r.person_id: r for r in documents_reading.readings(revision)}
    assert shown[operator.pk].state == "acknowledged"
    assert shown[operator.pk].signature_id == signature.pk
    assert shown[operator.pk].acknowledged_at == signature.signed_at
    assert shown[welder.pk].state == "pending" and shown[inspector.pk].state == "withdrawn"
    # Run again (every migrate runs it): nothing is taken over twice.
    assert reading.adopt_acknowledgements(actor=system_user()) == []
    assert TrainingRecord.objects.count() == 3
    # The welder signs the taken-over request like any reading.
    documents_reading.acknowledge(revision, actor=welder, signature=token(welder))
    assert TrainingRecord.objects.get(pk=by_old[pending.pk].pk).state == "completed"


def test_an_open_acknowledgement_of_a_revision_no_longer_in_force_is_taken_over_cancelled(
    cast, sop, revise
):
    old = sop.current_revision
    stale = _legacy(old, cast["welder"], "pending")
    revise(sop)
    reading.adopt_acknowledgements(actor=system_user())
    assert TrainingRecord.objects.get(acknowledgement_id=stale.pk).state == "cancelled"


def test_taking_over_runs_after_migrate(cast, sop):
    legacy = _legacy(sop.current_revision, cast["welder"], "pending")
    reading.adopt_after_migrate()
    assert TrainingRecord.objects.filter(acknowledgement_id=legacy.pk).exists()


# --- Pages and API ---------------------------------------------------------------------------


def test_pages_and_api_show_the_training_records(cast, read_by_assembly, client, api_for):
    revision = read_by_assembly()
    operator = cast["operator"]
    record = TrainingRecord.objects.get(person=operator, revision_id=revision.pk)
    client.force_login(operator)
    page = client.get(reverse("documents:detail", args=[revision.document_id]))
    assert page.status_code == 200 and b'data-testid="acknowledge"' in page.content
    mine = api_for(operator).get("/documents/acknowledgements/mine").json()
    assert [(a["id"], a["training_record"], a["state"]) for a in mine] == [
        (record.pk, record.number, "pending")
    ]
    signed = client.post(
        reverse("documents:acknowledge", args=[revision.pk]), {"password": PASSWORD}
    )
    assert signed.status_code == 302
    record.refresh_from_db()
    assert record.state == "completed"
    again = api_for(operator).post(
        f"/document-revisions/{revision.pk}/acknowledge", {"password": PASSWORD}
    )
    assert again.status_code == 409
    client.force_login(cast["coordinator"])
    who = client.get(reverse("documents:revision_reading", args=[revision.pk]))
    assert who.status_code == 200 and record.number.encode() in who.content
