"""A revision's life through the services: every transition and every refusal."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from qualitas.core import audit, auditverify, jobs, records, signatures, workflow
from qualitas.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qualitas.core.models import AuditEvent, Signature
from qualitas.core.training_requests import ReadingSummary
from qualitas.documents import effective, queries, reading, reviews, services, signoffs
from qualitas.documents.models import (
    Document,
    DocumentRevision,
    DocumentType,
    SignOff,
)
from tests.documents.conftest import readers_of, sign_token
from tests.factories import DepartmentFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db


def test_a_new_document_gets_a_number_per_type_and_a_first_draft(new_document, author):
    first = new_document()
    second = new_document(title="Calibration of measuring equipment")
    wi = new_document(document_type=DocumentType.objects.get(code="work-instruction"))
    spec = new_document(document_type=DocumentType.objects.get(code="specification"))
    assert (first.number, second.number, wi.number, spec.number) == (
        "SOP-0001",
        "SOP-0002",
        "WI-0001",
        "SPEC-0001",
    )
    revision = first.revisions.get()
    assert (revision.label, revision.state, revision.number) == ("A", "draft", "SOP-0001 rev A")
    assert spec.revisions.get().label == "1.0"
    assert first.status == "new" and first.owner == author
    assert first.review_interval_months == 24


def test_revision_labels_follow_the_scheme():
    assert services.next_label("letters", "A") == "B"
    assert services.next_label("letters", "Z") == "AA"
    assert services.next_label("letters", "AZ") == "BA"
    assert services.next_label("numbers", "1.0") == "1.1"
    assert services.next_label("numbers", "1.4", major=True) == "2.0"


def test_the_whole_way_to_effective(new_document, author, reviewer, approver, second_approver):
    document = new_document()
    revision = document.revisions.get()
    signoffs.set_signoffs(
        revision, actor=author, reviewers=[reviewer], approvers=[approver, second_approver]
    )
    workflow.fire(revision, "submit", actor=author)
    revision.refresh_from_db()
    assert revision.state == "in_review"
    signoffs.review(revision, actor=reviewer, accept=False, comment="Add the scrap tag colour.")
    signoffs.review(revision, actor=reviewer, accept=True)
    signoffs.approve(revision, actor=approver, signature=sign_token(approver))
    revision.refresh_from_db()
    assert revision.state == "in_review"  # one approver still to sign
    signoffs.approve(revision, actor=second_approver, signature=sign_token(second_approver))
    revision.refresh_from_db()
    document.refresh_from_db()
    today = timezone.localdate()
    assert revision.state == "effective" and revision.effective_on == today
    assert document.status == "effective" and document.current_revision == revision
    assert document.next_review_on == effective.add_months(today, 24)
    approvals = Signature.objects.filter(object_id=revision.pk, meaning="approved")
    assert sorted(s.signer.username for s in approvals) == ["approver", "approver2"]
    assert all(signatures.is_valid(s) for s in approvals)  # effective_on is not signed content
    assert SignOff.objects.get(person=reviewer).comments.count() == 1


def test_submit_needs_content_approvers_and_no_self_approval(new_document, author, approver):
    revision = new_document(content_text="").revisions.get()
    with pytest.raises(InvalidInput) as refused:
        workflow.fire(revision, "submit", actor=author)
    assert "Write the content" in refused.value.detail
    assert "Choose at least one approver" in refused.value.detail
    with pytest.raises(InvalidInput, match="cannot approve"):
        signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[author])


def test_only_people_who_may_approve_can_be_approvers(new_document, author, reviewer):
    revision = new_document().revisions.get()
    with pytest.raises(InvalidInput, match="may not approve"):
        signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[reviewer])


def test_approval_cannot_skip_the_review(new_document, author, reviewer, approver):
    revision = new_document().revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[reviewer], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    with pytest.raises(PermissionDenied, match="review is not finished"):
        signoffs.approve(revision, actor=approver, signature=sign_token(approver))
    assert not Signature.objects.filter(object_id=revision.pk).exists()


def test_the_author_cannot_approve_even_as_a_quality_manager(
    new_document, quality_manager, approver
):
    revision = new_document(actor=quality_manager).revisions.get()
    steps = signoffs.set_signoffs(
        revision, actor=quality_manager, reviewers=[], approvers=[approver]
    )
    workflow.fire(revision, "submit", actor=quality_manager)
    # Forced onto the approver list behind the service's back, the author is still refused.
    with audit.context(actor=quality_manager):
        steps[0].person = quality_manager
        steps[0].save()
    revision.refresh_from_db()
    assert "You wrote this revision" in " ".join(
        signoffs.approval_refusals(revision, quality_manager)
    )
    with pytest.raises(PermissionDenied):
        signoffs.approve(revision, actor=quality_manager, signature=sign_token(quality_manager))


def test_someone_not_asked_cannot_approve(new_document, author, approver, second_approver):
    revision = new_document().revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    with pytest.raises(PermissionDenied, match="not an approver"):
        signoffs.approve(revision, actor=second_approver, signature=sign_token(second_approver))


def test_a_wrong_password_signs_nothing(new_document, author, approver):
    revision = new_document().revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    with pytest.raises(signatures.SignatureRefused):
        signatures.authenticate(approver, "not-my-password", subject=revision)
    assert not Signature.objects.filter(object_id=revision.pk).exists()
    assert AuditEvent.objects.filter(action="signature_refused", object_id=revision.pk).exists()


def test_sequential_approval_goes_in_order(author, approver, second_approver):
    manual = DocumentType.objects.get(code="quality-manual")  # sequential by default
    document = services.create_document(
        actor=author, document_type=manual, title="Quality manual", content_text="Scope"
    )
    revision = document.revisions.get()
    signoffs.set_signoffs(
        revision, actor=author, reviewers=[], approvers=[approver, second_approver]
    )
    workflow.fire(revision, "submit", actor=author)
    with pytest.raises(PermissionDenied, match="sequential"):
        signoffs.approve(revision, actor=second_approver, signature=sign_token(second_approver))
    signoffs.approve(revision, actor=approver, signature=sign_token(approver))
    signoffs.approve(revision, actor=second_approver, signature=sign_token(second_approver))
    revision.refresh_from_db()
    assert revision.state == "effective"


def test_content_is_frozen_from_review_on(new_document, author, approver):
    revision = new_document().revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    revision.refresh_from_db()
    with pytest.raises(records.RecordLocked):
        services.edit_revision(
            revision, actor=author, expected_version=revision.version, content_text="changed"
        )
    with pytest.raises(records.RecordLocked):
        services.add_file(revision, actor=author, file=io.BytesIO(b"text"), name="extra.md")


def test_automatic_steps_cannot_be_fired_by_hand(new_document, author, approver, controller):
    revision = new_document().revisions.get()
    signoffs.set_signoffs(revision, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(revision, "submit", actor=author)
    with pytest.raises(Conflict, match="happens by itself"):
        workflow.fire(revision, "approve", actor=approver)
    names = [a.transition.name for a in workflow.available(revision, controller)]
    assert "approve" not in names and "make_effective" not in names


def test_back_to_draft_voids_the_signatures_collected(
    new_document, author, approver, second_approver
):
    revision = new_document().revisions.get()
    signoffs.set_signoffs(
        revision, actor=author, reviewers=[], approvers=[approver, second_approver]
    )
    workflow.fire(revision, "submit", actor=author)
    signoffs.approve(revision, actor=approver, signature=sign_token(approver))
    with pytest.raises(InvalidInput):
        workflow.fire(revision, "return_to_draft", actor=author)  # needs a reason
    workflow.fire(revision, "return_to_draft", actor=author, comment="Wrong torque value")
    revision.refresh_from_db()
    assert revision.state == "draft"
    voided = SignOff.objects.get(person=approver, outcome="voided")
    assert voided.voided_reason == "Wrong torque value" and voided.signature is not None
    fresh = queries.current_signoffs(revision)
    assert [(s.person, s.outcome, s.round) for s in fresh] == [
        (approver, "pending", 2),
        (second_approver, "pending", 2),
    ]
    assert AuditEvent.objects.filter(
        object_type__model="signoff", object_id=voided.pk, action="update"
    ).exists()
    # The content can change again; the old signature no longer matches it.
    services.edit_revision(
        revision, actor=author, expected_version=revision.version, content_text="Torque 12 Nm"
    )
    assert not signatures.is_valid(voided.signature)


def test_the_second_revision_needs_a_change_summary(new_document, author, release):
    document = new_document()
    release(document.revisions.get())
    draft = services.new_revision(document, actor=author)
    assert draft.label == "B" and draft.content_text.startswith("# Purpose")
    draft.refresh_from_db()
    with pytest.raises(InvalidInput, match="Summarise what changed"):
        workflow.fire(draft, "submit", actor=author)


def test_only_one_revision_in_progress(new_document, author, release):
    document = new_document()
    release(document.revisions.get())
    services.new_revision(document, actor=author)
    with pytest.raises(Conflict, match="still draft"):
        services.new_revision(document, actor=author)


def test_a_new_revision_supersedes_the_effective_one(new_document, author, reviewer, release):
    assembly = DepartmentFactory(code="ASM", name="Assembly")
    document = new_document(training_impact=True, training_departments=[assembly])
    first = release(document.revisions.get())
    draft = services.new_revision(document, actor=author)
    services.edit_revision(
        draft, actor=author, expected_version=draft.version, change_summary="Tag colour red"
    )
    second = release(draft)
    first.refresh_from_db()
    document.refresh_from_db()
    assert (first.state, second.state) == ("superseded", "effective")
    assert first.superseded_on == timezone.localdate()
    assert document.current_revision == second
    assert DocumentRevision.objects.filter(document=document, state="effective").count() == 1
    approval = Signature.objects.get(object_id=first.pk, meaning="approved")
    assert signatures.is_valid(approval)  # supersession does not break the signature


def test_a_future_effective_date_waits_for_the_tick(new_document, author, release):
    start = timezone.localdate()
    document = new_document(effective_on=start + timedelta(days=10))
    revision = release(document.revisions.get())
    assert revision.state == "approved"
    jobs.run_all(["documents-effective"])
    revision.refresh_from_db()
    assert revision.state == "approved"
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        summary = jobs.run_all(["documents-effective"])
        revision.refresh_from_db()
        document.refresh_from_db()
        assert revision.state == "effective" and summary["documents-effective"].startswith("1")
        assert revision.effective_on == start + timedelta(days=10)
        assert document.status == "effective"


def test_two_effective_revisions_are_refused_by_the_database(new_document, author, release):
    document = new_document()
    release(document.revisions.get())
    draft = services.new_revision(document, actor=author)
    draft.state = "effective"
    with pytest.raises(IntegrityError), audit.context(actor=author), transaction.atomic():
        draft.save()


def test_withdrawing_the_effective_revision_makes_the_document_obsolete(
    new_document, author, controller, release
):
    document = new_document()
    revision = release(document.revisions.get())
    draft = services.new_revision(document, actor=author)
    with pytest.raises(PermissionDenied):
        services.withdraw_document(document, actor=author, reason="Replaced by WI")
    with pytest.raises(InvalidInput):
        services.withdraw_document(document, actor=controller, reason="")
    services.withdraw_document(document, actor=controller, reason="Process moved to LDS")
    document.refresh_from_db()
    revision.refresh_from_db()
    draft.refresh_from_db()
    assert document.status == "obsolete" and document.withdrawn_reason == "Process moved to LDS"
    assert revision.state == draft.state == "obsolete"
    with pytest.raises(Conflict, match="obsolete"):
        services.new_revision(document, actor=author)


def test_withdrawing_a_draft_keeps_the_effective_revision(
    new_document, author, controller, release
):
    document = new_document()
    release(document.revisions.get())
    draft = services.new_revision(document, actor=author)
    workflow.fire(draft, "withdraw", actor=controller, comment="Not needed after all")
    document.refresh_from_db()
    assert document.status == "effective"
    assert services.new_revision(document, actor=author).label == "C"


def test_periodic_review_no_change_is_signed_and_sets_the_next_date(
    new_document, author, controller, release
):
    document = new_document()
    revision = release(document.revisions.get())
    with time_machine.travel(timezone.now() + timedelta(days=800)):
        today = timezone.localdate()
        assert list(queries.overdue_reviews(controller)) == [document]
        with pytest.raises(InvalidInput):
            reviews.record_periodic_review(document, actor=controller, outcome="no_change")
        review = reviews.record_periodic_review(
            document,
            actor=controller,
            outcome="no_change",
            comment="Still right",
            signature=sign_token(controller),
        )
        document.refresh_from_db()
        assert document.next_review_on == effective.add_months(today, 24)
        assert review.signature.meaning == "reviewed" and review.revision == revision
        assert list(queries.overdue_reviews(controller)) == []


def test_periodic_review_revise_starts_a_draft(new_document, controller, viewer, release):
    document = new_document()
    release(document.revisions.get())
    with pytest.raises(PermissionDenied):
        reviews.record_periodic_review(document, actor=viewer, outcome="revise", comment="x")
    with pytest.raises(InvalidInput, match="what needs revising"):
        reviews.record_periodic_review(document, actor=controller, outcome="revise")
    review = reviews.record_periodic_review(
        document, actor=controller, outcome="revise", comment="ISO 9001:2026 changes"
    )
    assert review.new_revision.state == "draft" and review.new_revision.label == "B"
    assert "ISO 9001:2026" in review.new_revision.change_reason


def test_readers_acknowledge_with_a_signature(new_document, author, reviewer, viewer, release):
    department = DepartmentFactory(code="ASM", name="Assembly")
    with audit.context(actor=author):
        for person in (viewer, reviewer):
            person.department = department
            person.save()
    document = new_document(training_impact=True, training_departments=[department])
    revision = release(document.revisions.get())
    assert readers_of(revision, "pending") == sorted([reviewer.username, viewer.username])
    assert reading.summary(revision) == ReadingSummary(total=2, done=0, pending=2, overdue=0)
    outsider = UserFactory(username="outsider")
    with pytest.raises(NotFound):
        reading.acknowledge(revision, actor=outsider, signature=sign_token(outsider))
    mine = reading.acknowledge(revision, actor=viewer, signature=sign_token(viewer))
    assert mine.state == "acknowledged" and mine.person_id == viewer.pk
    signature = Signature.objects.get(pk=mine.signature_id)
    assert signature.meaning == "read_and_understood" and signature.signer == viewer
    with pytest.raises(Conflict):
        reading.acknowledge(revision, actor=viewer, signature=sign_token(viewer))
    assert reading.summary(revision) == ReadingSummary(total=2, done=1, pending=1, overdue=0)
    with time_machine.travel(timezone.now() + timedelta(days=20)):
        assert reading.summary(revision).overdue == 1


def test_a_superseded_revision_is_no_longer_to_be_read(new_document, author, reviewer, release):
    with audit.context(actor=author):
        reviewer.department = DepartmentFactory(code="ASM", name="Assembly")
        reviewer.save()
    document = new_document(training_impact=True, training_departments=[reviewer.department])
    first = release(document.revisions.get())
    draft = services.new_revision(document, actor=author)
    services.edit_revision(draft, actor=author, expected_version=draft.version, change_summary="x")
    release(draft)
    assert readers_of(first, "withdrawn") == [reviewer.username]
    assert readers_of(draft, "pending") == [reviewer.username]


def test_a_renamed_executable_is_refused(new_document, author):
    revision = new_document().revisions.get()
    with pytest.raises(InvalidInput, match="executable"):
        services.add_file(
            revision, actor=author, file=io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64), name="sop.pdf"
        )
    assert not revision.attachments.exists()


def test_everything_is_in_the_audit_trail(new_document, author, approver, release):
    document = new_document()
    revision = release(document.revisions.get())
    actions = set(
        AuditEvent.objects.filter(object_type__model="documentrevision").values_list(
            "action", flat=True
        )
    )
    assert {"create", "transition", "signature"} <= actions
    assert AuditEvent.objects.filter(
        object_type__model="document", object_id=document.pk, action="create"
    ).exists()
    assert auditverify.verify().intact
    del revision


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_make_one_revision_effective_once(author, approver, procedure):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises whole transactions)")
    document = services.create_document(
        actor=author, document_type=procedure, title="Concurrent", content_text="v1"
    )
    first = document.revisions.get()
    signoffs.set_signoffs(first, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(first, "submit", actor=author)
    signoffs.approve(first, actor=approver, signature=sign_token(approver))
    later = timezone.localdate() + timedelta(days=1)
    second = services.new_revision(document, actor=author)
    services.edit_revision(
        second,
        actor=author,
        expected_version=second.version,
        change_summary="v2",
        effective_on=later,
    )
    signoffs.set_signoffs(second, actor=author, reviewers=[], approvers=[approver])
    workflow.fire(second, "submit", actor=author)
    signoffs.approve(second, actor=approver, signature=sign_token(approver))
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def tick() -> None:
        try:
            barrier.wait(timeout=30)
            with time_machine.travel(timezone.now() + timedelta(days=1), tick=True):
                done = effective.make_due_revisions_effective(actor=approver)
            outcomes.append(f"made {len(done)}")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert DocumentRevision.objects.filter(document=document, state="effective").count() == 1
    assert DocumentRevision.objects.get(pk=second.pk).state == "effective"
    assert DocumentRevision.objects.get(pk=first.pk).state == "superseded"
    assert outcomes.count("made 1") == 1, outcomes
    assert Document.objects.get(pk=document.pk).current_revision_id == second.pk


def test_who_must_read_it_and_where_it_applies_are_in_the_audit_trail(
    new_document, author, controller, other_site
):
    document = new_document()
    draft = document.revisions.get()
    department = DepartmentFactory(code="QA", name="Quality")
    changed = services.edit_revision(
        draft, actor=author, expected_version=draft.version, training_departments=[department]
    )
    assert changed.version == draft.version + 1  # a stale copy cannot overwrite it unnoticed
    events = AuditEvent.objects.filter(
        object_type__model="documentrevision", object_id=draft.pk, action="update"
    )
    audience = [
        e.changes["training_departments"] for e in events if "training_departments" in e.changes
    ]
    assert audience == [{"old": [], "new": [str(department)]}]
    services.update_document(
        document, actor=controller, expected_version=document.version, sites=[other_site]
    )
    events = AuditEvent.objects.filter(object_type__model="document", object_id=document.pk)
    assert [e.changes["sites"]["new"] for e in events if "sites" in e.changes] == [
        [str(other_site)]
    ]


def test_reminders_of_periodic_reviews_and_unread_revisions_go_out_once(
    new_document, author, controller, reviewer, release
):
    from qualitas.core.models import Notification

    with audit.context(actor=author):
        reviewer.department = DepartmentFactory(code="ASM", name="Assembly")
        reviewer.save()
    document = new_document(training_impact=True, training_departments=[reviewer.department])
    release(document.revisions.get())
    document.refresh_from_db()

    def titled(person, text):
        return Notification.objects.filter(recipient=person, title__contains=text).count()

    with time_machine.travel(timezone.now() + timedelta(days=15)):
        jobs.run_all(["training-overdue"])
        jobs.run_all(["training-overdue"])
        assert titled(reviewer, "Please read") == 1
    due = document.next_review_on
    with time_machine.travel(timezone.now() + (due - timezone.localdate()) - timedelta(days=10)):
        jobs.run_all(["documents-review-due"])
        jobs.run_all(["documents-review-due"])
        assert titled(author, "Periodic review of") == 1
        assert titled(controller, "Periodic review of") == 0
    with time_machine.travel(timezone.now() + (due - timezone.localdate()) + timedelta(days=3)):
        jobs.run_all(["documents-review-due"])
        assert titled(author, "overdue since") == 1
        assert titled(controller, "overdue since") == 1


def test_someone_joining_the_department_later_is_asked_to_read_it(
    new_document, author, viewer, release
):
    department = DepartmentFactory(code="ASM", name="Assembly")
    document = new_document(training_impact=True, training_departments=[department])
    revision = release(document.revisions.get())
    assert readers_of(revision) == []
    with audit.context(actor=author):
        viewer.department = department
        viewer.save()
    assert jobs.run_all(["documents-reading-audience"])["documents-reading-audience"] == (
        "1 newly asked to read"
    )
    jobs.run_all(["documents-reading-audience"])
    assert readers_of(revision) == ["viewer"]


def test_a_new_revision_starts_from_the_files_of_the_last_one(new_document, author, release):
    document = new_document()
    first = document.revisions.get()
    services.add_file(first, actor=author, file=io.BytesIO(b"# Sheet\n\nv1"), name="sheet.md")
    release(first)
    draft = services.new_revision(document, actor=author)
    carried = draft.attachments.get()
    original = first.attachments.get()
    assert (carried.sha256, carried.file.name) == (original.sha256, original.file.name)
    assert AuditEvent.objects.filter(
        object_type__model="attachment", object_id=carried.pk, action="create"
    ).exists()
    assert signatures.is_valid(Signature.objects.get(object_id=first.pk, meaning="approved"))


def test_a_document_controller_of_one_site_controls_only_documents_there(
    new_document, author, site, other_site
):
    local = with_role(UserFactory(username="local"), "document-controller", site=site)
    there = new_document(sites=[other_site])
    here = new_document(sites=[site])
    with pytest.raises(PermissionDenied):
        services.update_document(
            there, actor=local, expected_version=there.version, clause_references="x"
        )
    services.update_document(
        here, actor=local, expected_version=here.version, clause_references="x"
    )


def test_the_review_date_is_rescheduled_only_with_a_reason_and_once_effective(
    new_document, controller, release
):
    document = new_document()
    later = timezone.localdate() + timedelta(days=30)
    with pytest.raises(InvalidInput, match="Only an effective document"):
        services.update_document(
            document,
            actor=controller,
            expected_version=document.version,
            reason="x",
            next_review_on=later,
        )
    release(document.revisions.get())
    document.refresh_from_db()
    with pytest.raises(InvalidInput, match="Say why"):
        services.update_document(
            document, actor=controller, expected_version=document.version, next_review_on=later
        )
    services.update_document(
        document,
        actor=controller,
        expected_version=document.version,
        reason="From the paper register",
        next_review_on=later,
    )
    document.refresh_from_db()
    assert document.next_review_on == later
