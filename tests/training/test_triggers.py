"""What assigns training, each idempotent: a revision made effective, a person joining a
job role, a requirement added, a certificate lapsing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from qualitas.core.models import Notification
from qualitas.training import expiry, services
from qualitas.training.models import TrainingRecord
from tests.training.conftest import token

pytestmark = pytest.mark.django_db


def test_a_new_effective_revision_asks_again_and_cancels_the_old_open_one(
    cast, assembly, sop, revise
) -> None:
    services.add_requirement(
        actor=cast["coordinator"], department=assembly, document_number=sop.number
    )
    operator, welder = cast["operator"], cast["welder"]
    read = TrainingRecord.objects.get(person=operator)
    services.complete_training(read, actor=operator, signature=token(operator, read))

    revise(sop)

    mine = TrainingRecord.objects.filter(person=operator).order_by("pk")
    assert [(r.revision_label, r.state) for r in mine] == [("A", "completed"), ("B", "assigned")]
    theirs = TrainingRecord.objects.filter(person=welder).order_by("pk")
    assert [(r.revision_label, r.state) for r in theirs] == [("A", "cancelled"), ("B", "assigned")]


def test_reassigning_a_document_twice_creates_nothing_twice(cast, assembly, sop, system) -> None:
    services.add_requirement(
        actor=cast["coordinator"], department=assembly, document_number=sop.number
    )
    before = TrainingRecord.objects.count()

    first = services.reassign_document(sop.pk, actor=system)
    second = services.reassign_document(sop.pk, actor=system)

    assert (first, second) == ([], [])
    assert TrainingRecord.objects.count() == before == 2


def test_joining_a_job_role_assigns_what_it_lacks_once(cast, operators, first_aid) -> None:
    coordinator, inspector = cast["coordinator"], cast["inspector"]
    services.add_requirement(actor=coordinator, job_role=operators, course=first_aid)

    assigned = services.add_member(operators, actor=coordinator, person=inspector)
    again = services.set_members(operators, actor=coordinator, members=[inspector])

    assert [r.person for r in assigned] == [inspector] and again == []
    assert TrainingRecord.objects.filter(person=inspector).count() == 1


def test_membership_changes_are_on_the_audit_trail(cast, operators) -> None:
    from qualitas.core.models import AuditEvent

    services.add_member(operators, actor=cast["coordinator"], person=cast["inspector"])

    event = AuditEvent.objects.filter(action="update").latest("pk")
    assert event.changes["members"]["new"] == [str(cast["inspector"])]


def test_a_current_certificate_is_not_assigned_again(cast, operators, first_aid) -> None:
    coordinator, inspector = cast["coordinator"], cast["inspector"]
    services.add_member(operators, actor=coordinator, person=inspector)
    services.add_requirement(actor=coordinator, job_role=operators, course=first_aid)
    record = TrainingRecord.objects.get(person=inspector)
    services.complete_training(record, actor=inspector, signature=token(inspector, record))

    assert services.assign_missing(actor=coordinator) == []


def test_a_lapsing_certificate_is_reminded_then_expired_and_assigned_again(
    cast, operators, first_aid
) -> None:
    coordinator, inspector = cast["coordinator"], cast["inspector"]
    services.add_member(operators, actor=coordinator, person=inspector)
    services.add_requirement(actor=coordinator, job_role=operators, course=first_aid)
    record = TrainingRecord.objects.get(person=inspector)
    services.complete_training(record, actor=inspector, signature=token(inspector, record))
    lapses = services.add_months(timezone.localdate(), 24)

    def reminders() -> int:
        return Notification.objects.filter(
            recipient=inspector, title__startswith="Training expires"
        ).count()

    with time_machine.travel(lapses - timedelta(days=20), tick=False):
        assert expiry.remind_and_expire() == "1 expiry reminders, 0 certificates expired"
        assert expiry.remind_and_expire() == "0 expiry reminders, 0 certificates expired"
    with time_machine.travel(lapses - timedelta(days=5), tick=False):
        expiry.remind_and_expire()
    assert reminders() == 2
    with time_machine.travel(lapses, tick=False):
        assert expiry.remind_and_expire() == "0 expiry reminders, 1 certificates expired"
        assert expiry.remind_and_expire() == "0 expiry reminders, 0 certificates expired"

    states = list(
        TrainingRecord.objects.filter(person=inspector)
        .order_by("pk")
        .values_list("state", flat=True)
    )
    assert states == ["expired", "assigned"]
