"""Change requests from draft to closed, the board's rule, the emergency path, and every
refusal with nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from qualitas.changes import jobs, services
from qualitas.changes.models import ChangeRequest, ImpactAnswer
from qualitas.core import actions, links, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Notification, RecordLink, Signature, User
from qualitas.documents.models import Document
from tests.changes.conftest import answer_all, release, sign

pytestmark = pytest.mark.django_db

Answer = services.ImpactInput
Raise = Callable[..., ChangeRequest]


def _at_board(
    raise_cr: Raise, owner: User, sop: Document | None = None, **fields: object
) -> ChangeRequest:
    cr = raise_cr(**fields)
    cr = workflow.fire(cr, "assess", actor=owner)
    special = {}
    if sop is not None:
        special["documents"] = Answer("documents", "yes", "Revise the SOP", documents=[sop.pk])
    cr = answer_all(cr, owner, **special)
    return workflow.fire(cr, "submit_to_board", actor=owner)


def test_a_document_change_from_draft_to_closed(
    raise_cr: Raise, originator: User, qm: User, approver: User, sop: Document
) -> None:
    cr = _at_board(raise_cr, originator, sop, title="Calibration SOP: add CMM probes")
    assert cr.number.startswith("CR-") and cr.created_by == originator

    cr = workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm), comment="Agreed")
    assert cr.state == "approved" and cr.approved_at is not None
    cr = workflow.fire(cr, "implement", actor=originator)
    revision = services.start_revision(cr, actor=originator, document_id=sop.pk)
    action = actions.assign(
        cr,
        actor=originator,
        title="Brief the metrology lab",
        due_on=timezone.localdate(),
        assignee=originator,
    )

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(cr, "implemented", actor=originator)
    assert "'Brief the metrology lab'" in refused.value.detail
    assert f"{revision.number} is draft, not effective" in refused.value.detail

    actions.complete(action, actor=originator, note="Briefed on 12 March")
    release(revision, approver)
    cr = workflow.fire(cr, "implemented", actor=originator)
    closed = workflow.fire(
        cr, "close", actor=qm, signature=sign(qm), comment="Lab works to rev B; records checked"
    )

    assert closed.state == "closed"
    assert [(s.signer, s.meaning, s.transition) for s in Signature.objects.order_by("id")][-1] == (
        qm,
        "verified",
        "close",
    )
    link = RecordLink.objects.get(kind="implements")
    assert (link.source_id, link.target_id) == (revision.pk, cr.pk)
    told = Notification.objects.filter(recipient=originator, title__contains="verified and closed")
    assert told.count() == 1
    steps = AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(ChangeRequest),
        object_id=cr.pk,
        action="transition",
    ).values_list("changes", flat=True)
    assert [step.get("state", {}).get("new") for step in steps] == [
        "impact_assessment",
        "board_review",
        None,  # the board's vote keeps the change in board review
        "approved",
        "implementing",
        "verification",
        "closed",
    ]


def test_the_board_is_asked_only_once_every_item_is_answered(
    raise_cr: Raise, originator: User
) -> None:
    cr = workflow.fire(raise_cr(change_type="supplier"), "assess", actor=originator)
    cr = services.set_impact(
        cr, actor=originator, answers=[Answer("risk", "no")], expected_version=cr.version
    )

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(cr, "submit_to_board", actor=original(cr))
    for item in ("Documents", "Training", "Validation / verification", "Suppliers", "Cost"):
        assert item in refused.value.detail
    assert "Risk," not in refused.value.detail
    cr.refresh_from_db()
    assert cr.state == "impact_assessment"


def original(cr: ChangeRequest) -> User:
    return cr.created_by


def test_the_originator_never_approves(raise_cr: Raise, qm: User) -> None:
    cr = _at_board(raise_cr, qm, actor=qm)

    with pytest.raises(PermissionDenied) as refused:
        workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm))

    assert "originator" in refused.value.detail
    assert not Signature.objects.exists()
    cr.refresh_from_db()
    assert cr.state == "board_review" and cr.approved_at is None


def test_only_board_members_vote(raise_cr: Raise, originator: User, author: User) -> None:
    cr = _at_board(raise_cr, originator)

    with pytest.raises(PermissionDenied):
        workflow.fire(cr, "board_approve", actor=author, signature=sign(author))
    assert not Signature.objects.exists()


def test_a_design_change_needs_quality_and_an_approver(
    raise_cr: Raise, originator: User, qm: User, second_qm: User, approver: User
) -> None:
    cr = _at_board(raise_cr, originator, change_type="product_design")

    cr = workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm))
    cr = workflow.fire(cr, "board_approve", actor=second_qm, signature=sign(second_qm))
    assert cr.state == "board_review"
    from qualitas.changes import readiness

    assert readiness.board_outstanding(cr) == "The change board needs the approval of Approver."
    with pytest.raises(PermissionDenied):  # a second vote by the same person
        workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm))

    cr = workflow.fire(cr, "board_approve", actor=approver, signature=sign(approver))
    assert cr.state == "approved"
    assert Signature.objects.filter(transition="board_approve").count() == 3


def test_one_rejection_rejects_with_its_reason(
    raise_cr: Raise, originator: User, qm: User, approver: User
) -> None:
    cr = _at_board(raise_cr, originator, change_type="product_design")
    with pytest.raises(InvalidInput) as refused:
        workflow.fire(cr, "board_reject", actor=approver, signature=sign(approver))
    assert refused.value.errors[0].field == "comment"
    assert not Signature.objects.exists()

    cr = workflow.fire(
        cr, "board_reject", actor=approver, signature=sign(approver), comment="No FAI data"
    )
    assert cr.state == "rejected"
    vote = Signature.objects.get()
    assert (vote.transition, vote.comment) == ("board_reject", "No FAI data")
    assert Notification.objects.filter(recipient=originator, title__contains="rejected").exists()


def test_the_assessment_names_documents_and_audiences(
    raise_cr: Raise, originator: User, sop: Document
) -> None:
    cr = workflow.fire(raise_cr(), "assess", actor=originator)
    wrong = [
        Answer("documents", "yes", "Revise it"),
        Answer("training", "yes", "Train them"),
        Answer("stock", "no"),
        Answer("cost", "maybe"),
        Answer("risk", "yes"),
    ]
    with pytest.raises(InvalidInput) as refused:
        services.set_impact(cr, actor=originator, answers=wrong, expected_version=cr.version)

    fields = {error.field for error in refused.value.errors}
    assert fields == {
        "answers[0].documents",
        "answers[1].audiences",
        "answers[2].item",
        "answers[3].answer",
        "answers[4].comment",
    }
    assert not ImpactAnswer.objects.exists()

    with pytest.raises(InvalidInput) as unknown:
        services.set_impact(
            cr,
            actor=originator,
            answers=[Answer("documents", "yes", "Revise", documents=[sop.pk, 999999])],
            expected_version=cr.version,
        )
    assert unknown.value.errors[0].field == "answers[0].documents"
    assert "999999" in unknown.value.errors[0].message
    assert not ImpactAnswer.objects.exists()


def test_the_assessment_is_frozen_once_the_board_has_it(
    raise_cr: Raise, originator: User, qm: User
) -> None:
    cr = _at_board(raise_cr, originator)

    with pytest.raises(Conflict):
        services.set_impact(
            cr,
            actor=originator,
            answers=[Answer("cost", "yes", "2 days")],
            expected_version=cr.version,
        )
    with pytest.raises(InvalidInput) as refused:
        services.change_change_request(
            cr, actor=originator, expected_version=cr.version, reason="x", title="Other"
        )
    assert refused.value.errors[0].field == "title"
    later = timezone.localdate() + timedelta(days=30)
    moved = services.change_change_request(
        cr, actor=originator, expected_version=cr.version, reason="Supplier slot", due_on=later
    )
    assert moved.due_on == later


def test_signatures_cover_the_assessment(raise_cr: Raise, originator: User, qm: User) -> None:
    from qualitas.core import signatures

    cr = _at_board(raise_cr, originator)
    cr = workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm))
    vote = Signature.objects.get()
    assert signatures.is_valid(vote, cr)
    assert services.impact_content(cr)[0]["item"] == "cost"


def test_closing_is_refused_while_actions_are_open(
    raise_cr: Raise, originator: User, qm: User
) -> None:
    cr = _at_board(raise_cr, originator)
    cr = workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm))
    cr = workflow.fire(cr, "implement", actor=originator)
    cr = workflow.fire(cr, "implemented", actor=originator)
    actions.assign(
        cr,
        actor=qm,
        title="Update the gauge register",
        due_on=timezone.localdate(),
        assignee=originator,
    )

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(cr, "close", actor=qm, signature=sign(qm), comment="Checked")
    assert "action 'Update the gauge register'" in refused.value.detail
    cr.refresh_from_db()
    assert cr.state == "verification"
    assert not Signature.objects.filter(transition="close").exists()


def test_the_owner_does_not_verify_their_own_change(
    raise_cr: Raise, qm: User, second_qm: User
) -> None:
    cr = _at_board(raise_cr, second_qm, actor=second_qm)
    cr = workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm))
    cr = workflow.fire(cr, "implement", actor=second_qm)
    cr = workflow.fire(cr, "implemented", actor=second_qm)

    with pytest.raises(PermissionDenied) as refused:
        workflow.fire(cr, "close", actor=second_qm, signature=sign(second_qm), comment="Done")
    assert "owner" in refused.value.detail


def test_revisions_are_started_only_for_named_documents(
    raise_cr: Raise, originator: User, qm: User, sop: Document
) -> None:
    cr = _at_board(raise_cr, originator)
    with pytest.raises(Conflict):  # not approved yet
        services.start_revision(cr, actor=originator, document_id=sop.pk)
    cr = workflow.fire(cr, "board_approve", actor=qm, signature=sign(qm))

    with pytest.raises(InvalidInput) as refused:
        services.start_revision(cr, actor=originator, document_id=sop.pk)
    assert refused.value.errors[0].field == "document"
    assert sop.revisions.count() == 1
    assert not RecordLink.objects.exists()


def test_an_emergency_change_is_implemented_first_and_approved_later(
    raise_cr: Raise, originator: User, qm: User, second_qm: User
) -> None:
    standard = raise_cr()
    with pytest.raises(InvalidInput):
        workflow.fire(standard, "implement_now", actor=originator, comment="Line down")

    cr = raise_cr(urgency="emergency", title="Bypass the broken coolant filter")
    cr = workflow.fire(cr, "implement_now", actor=originator, comment="Line 3 is down")
    assert cr.state == "implementing"
    assert cr.approval_due_on == timezone.localdate() + timedelta(days=5)

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(cr, "implemented", actor=originator)
    assert "has not approved" in refused.value.detail
    with pytest.raises(InvalidInput):  # the board signs an assessed change
        workflow.fire(cr, "approve_retrospectively", actor=qm, signature=sign(qm))

    cr = answer_all(cr, originator)
    cr = workflow.fire(cr, "approve_retrospectively", actor=qm, signature=sign(qm))
    assert cr.state == "implementing" and cr.approved_at is not None
    assert workflow.fire(cr, "implemented", actor=originator).state == "verification"


def test_overdue_emergency_approvals_are_reminded_then_escalated(
    raise_cr: Raise, originator: User, qm: User, second_qm: User
) -> None:
    cr = raise_cr(urgency="emergency")
    workflow.fire(cr, "implement_now", actor=originator, comment="Line 3 is down")

    assert jobs.remind_emergency_approvals() == "0 reminders sent, 0 escalated"
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert jobs.remind_emergency_approvals() == "1 reminders sent, 0 escalated"
        assert jobs.remind_emergency_approvals() == "0 reminders sent, 0 escalated"
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert jobs.remind_emergency_approvals() == "0 reminders sent, 1 escalated"
        assert jobs.remind_emergency_approvals() == "0 reminders sent, 0 escalated"

    reminded = set(
        Notification.objects.filter(title__startswith="Emergency change").values_list(
            "recipient__username", flat=True
        )
    )
    assert reminded == {"originator", "qm", "qm2"}
    escalated = set(
        Notification.objects.filter(title__startswith="Overdue").values_list(
            "recipient__username", flat=True
        )
    )
    assert escalated == {"qm", "qm2"}


def test_withdrawal_needs_a_reason(raise_cr: Raise, originator: User) -> None:
    cr = raise_cr()
    with pytest.raises(InvalidInput):
        workflow.fire(cr, "withdraw", actor=originator)
    assert (
        workflow.fire(cr, "withdraw", actor=originator, comment="Not needed").state == "withdrawn"
    )


def test_a_change_is_raised_from_a_nonconformance(
    raise_nc: Callable[..., object], originator: User, inspector: User, plant: object
) -> None:
    nc = raise_nc(site=plant)
    cr = services.raise_from(
        nc, actor=inspector, title="Change the deburring tool", change_type="process"
    )

    assert cr.site == plant
    assert [(v.phrase, v.other) for v in links.links_of(cr, viewer=inspector)] == [
        ("raised from", nc)
    ]
    with pytest.raises(InvalidInput) as refused:
        services.raise_from(cr, actor=inspector, title="x", change_type="process")
    assert refused.value.errors[0].field == "raised_from"
