"""Declared workflows: order, who may, required fields, separation of duties, signatures."""

from __future__ import annotations

import pytest
from django.utils import timezone

from qualitas.core import actions, records, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Signature, User
from tests.core.records.conftest import token_for
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db


def _submitted(raise_deviation: object, author: User, **fields: object) -> Deviation:
    created = raise_deviation(impact="Low", **fields)  # type: ignore[operator]
    return workflow.fire(created, "submit", actor=author)


def test_a_transition_changes_the_state_and_is_audited_as_one(
    raise_deviation: object, author: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]

    moved = workflow.fire(created, "submit", actor=author, comment="Ready for review")

    assert (moved.state, moved.version) == ("submitted", 2)
    event = AuditEvent.objects.filter(object_type__model="deviation", object_id=created.pk).latest(
        "id"
    )
    assert (event.action, event.reason) == ("transition", "Ready for review")
    assert event.changes["state"] == {"old": "draft", "new": "submitted"}
    assert event.changes["transition"] == "submit"


def test_states_cannot_be_skipped(raise_deviation: object, approver: User) -> None:
    created = raise_deviation()  # type: ignore[operator]

    with pytest.raises(Conflict, match="only possible from Submitted"):
        workflow.fire(created, "approve", actor=approver, signature=token_for(approver))

    assert Deviation.objects.get(pk=created.pk).state == "draft"
    assert not Signature.objects.exists()


def test_a_missing_field_is_named(raise_deviation: object, author: User) -> None:
    created = raise_deviation(description="")  # type: ignore[operator]

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(created, "submit", actor=author)

    assert refused.value.errors[0].field == "description"
    assert "Fill in description first" in refused.value.detail


def test_the_wrong_person_is_refused(
    raise_deviation: object, author: User, contributor: User
) -> None:
    created = raise_deviation()  # type: ignore[operator]

    with pytest.raises(PermissionDenied, match="record's owner"):
        workflow.fire(created, "submit", actor=contributor)


def test_the_author_cannot_approve_their_own_deviation(raise_deviation: object) -> None:
    from tests.factories import UserFactory, with_role

    author_and_approver = with_role(with_role(UserFactory(), "contributor"), "approver")
    submitted = _submitted(raise_deviation, author_and_approver, actor=author_and_approver)

    with pytest.raises(PermissionDenied, match="You are the record's creator"):
        workflow.fire(
            submitted,
            "approve",
            actor=author_and_approver,
            signature=token_for(author_and_approver),
        )

    assert Deviation.objects.get(pk=submitted.pk).state == "submitted"


def test_a_step_needing_a_signature_is_refused_without_one(
    raise_deviation: object, author: User, approver: User
) -> None:
    submitted = _submitted(raise_deviation, author)

    with pytest.raises(InvalidInput, match="needs your electronic signature"):
        workflow.fire(submitted, "approve", actor=approver)

    assert Deviation.objects.get(pk=submitted.pk).state == "submitted"


def test_approval_with_a_signature_records_it(
    raise_deviation: object, author: User, approver: User
) -> None:
    submitted = _submitted(raise_deviation, author)

    approved = workflow.fire(submitted, "approve", actor=approver, signature=token_for(approver))

    signature = Signature.objects.get()
    assert approved.state == "approved"
    assert (signature.signer, signature.meaning, signature.printed_name) == (
        approver,
        "approved",
        "Abe Approver",
    )
    assert AuditEvent.objects.filter(
        action="signature", object_type__model="deviation", object_id=approved.pk
    ).exists()


def test_a_refusal_needing_a_comment_says_so(
    raise_deviation: object, author: User, approver: User
) -> None:
    submitted = _submitted(raise_deviation, author)

    with pytest.raises(InvalidInput) as refused:
        workflow.fire(submitted, "reject", actor=approver)

    assert refused.value.errors[0].field == "comment"


def test_closing_waits_for_open_actions(
    raise_deviation: object, author: User, approver: User
) -> None:
    import datetime

    approved = workflow.fire(
        _submitted(raise_deviation, author),
        "approve",
        actor=approver,
        signature=token_for(approver),
    )
    action = actions.assign(
        approved,
        actor=author,
        title="Recalibrate wrench",
        assignee=author,
        due_on=timezone.localdate() + datetime.timedelta(days=7),
    )

    with pytest.raises(InvalidInput, match="1 action"):
        workflow.fire(approved, "close", actor=approver, signature=token_for(approver))
    actions.complete(action, actor=author, note="Recalibrated, certificate 4471")
    closed = workflow.fire(approved, "close", actor=approver, signature=token_for(approver))

    assert closed.state == "closed"


def test_available_transitions_say_why_not(
    raise_deviation: object, author: User, viewer: User
) -> None:
    created = raise_deviation(description="")  # type: ignore[operator]

    for_author = {a.transition.name: a for a in workflow.available(created, author)}
    for_viewer = {a.transition.name: a for a in workflow.available(created, viewer)}

    assert set(for_author) == {"submit", "cancel"}
    assert [r.code for r in for_author["submit"].refusals] == ["missing_field"]
    assert for_author["cancel"].allowed
    assert [r.code for r in for_viewer["submit"].refusals] == ["not_permitted", "missing_field"]


def test_a_closed_record_is_locked(raise_deviation: object, author: User, approver: User) -> None:
    approved = workflow.fire(
        _submitted(raise_deviation, author),
        "approve",
        actor=approver,
        signature=token_for(approver),
    )
    closed = workflow.fire(approved, "close", actor=approver, signature=token_for(approver))

    with pytest.raises(records.RecordLocked):
        records.update(closed, actor=approver, expected_version=closed.version, title="Later edit")


def test_cancelling_needs_a_reason(raise_deviation: object, author: User) -> None:
    created = raise_deviation()  # type: ignore[operator]

    with pytest.raises(InvalidInput):
        workflow.fire(created, "cancel", actor=author)
    cancelled = workflow.fire(created, "cancel", actor=author, comment="Raised twice")

    assert cancelled.state == "cancelled"
