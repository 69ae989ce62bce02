"""Courses, job roles, curriculum lines and completing training through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Signature
from qualitas.training import services
from qualitas.training.models import Requirement, TrainingRecord
from tests.training.conftest import token

pytestmark = pytest.mark.django_db


def test_a_requirement_assigns_everyone_it_covers(cast, assembly, first_aid) -> None:
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=first_aid)

    assigned = TrainingRecord.objects.filter(course=first_aid)
    assert {r.person.username for r in assigned} == {"oper", "weld"}
    record = assigned.get(person=cast["operator"])
    assert record.state == "assigned" and record.number.startswith("TR-")
    assert record.due_on == timezone.localdate() + timedelta(days=30)
    assert record.site == cast["operator"].site


def test_a_requirement_needs_exactly_one_audience_and_one_item(cast, assembly, first_aid, sop):
    coordinator = cast["coordinator"]
    with pytest.raises(InvalidInput) as two_audiences:
        services.add_requirement(
            actor=coordinator, department=assembly, site=assembly.site, course=first_aid
        )
    with pytest.raises(InvalidInput) as two_items:
        services.add_requirement(
            actor=coordinator, department=assembly, course=first_aid, document_number=sop.number
        )
    with pytest.raises(InvalidInput) as unknown:
        services.add_requirement(actor=coordinator, department=assembly, document_number="NOPE-1")

    assert two_audiences.value.errors[0].field == "audience"
    assert two_items.value.errors[0].field == "item"
    assert unknown.value.errors[0].field == "document_number"
    assert not Requirement.objects.exists()


def test_only_training_managers_write_curricula(cast, assembly, first_aid) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.add_requirement(actor=cast["operator"], department=assembly, course=first_aid)
    assert not Requirement.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_manager_at_another_site_may_not_write_this_sites_curriculum(
    cast, assembly, first_aid, other_site
) -> None:
    from tests.factories import UserFactory, with_role

    elsewhere = with_role(UserFactory(username="far"), "quality-manager", site=other_site)
    with pytest.raises(PermissionDenied):
        services.add_requirement(actor=elsewhere, department=assembly, course=first_aid)
    assert not Requirement.objects.exists()


def test_the_trainee_signs_a_course_and_its_validity_runs(cast, assembly, first_aid) -> None:
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=first_aid)
    operator = cast["operator"]
    record = TrainingRecord.objects.get(person=operator)

    done = services.complete_training(record, actor=operator, signature=token(operator, record))

    today = timezone.localdate()
    assert (done.state, done.completed_on, done.method) == ("completed", today, "classroom")
    assert done.expires_on == services.add_months(today, 24)
    signature = Signature.objects.get(object_id=done.pk, signer=operator)
    assert signature.meaning == "trained"


def test_nobody_signs_someone_elses_training(cast, assembly, first_aid) -> None:
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=first_aid)
    record = TrainingRecord.objects.get(person=cast["operator"])
    welder = cast["welder"]

    with pytest.raises(PermissionDenied):
        services.complete_training(record, actor=welder, signature=token(welder, record))
    assert TrainingRecord.objects.get(pk=record.pk).state == "assigned"


def test_a_completion_date_in_the_future_is_refused(cast, assembly, first_aid) -> None:
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=first_aid)
    operator = cast["operator"]
    record = TrainingRecord.objects.get(person=operator)

    with pytest.raises(InvalidInput) as refused:
        services.complete_training(
            record, actor=operator, signature=token(operator, record),
            completed_on=timezone.localdate() + timedelta(days=1),
        )  # fmt: skip
    assert refused.value.errors[0].field == "completed_on"
    assert TrainingRecord.objects.get(pk=record.pk).state == "assigned"


def test_on_the_job_training_ends_with_the_trainers_signature(cast, assembly, welding) -> None:
    from qualitas.core import workflow
    from qualitas.core.errors import Conflict

    services.add_requirement(actor=cast["coordinator"], department=assembly, course=welding)
    operator, trainer = cast["operator"], cast["approver"]
    record = TrainingRecord.objects.get(person=operator)

    signed = services.complete_training(
        record, actor=operator, signature=token(operator, record), trainer=trainer
    )
    assert signed.state == "awaiting_trainer"
    with pytest.raises((PermissionDenied, Conflict)):
        workflow.fire(signed, "confirm_competence", actor=operator, signature=token(operator))
    done = workflow.fire(signed, "confirm_competence", actor=trainer, signature=token(trainer))

    assert done.state == "completed" and done.completed_on == timezone.localdate()
    meanings = set(Signature.objects.filter(object_id=done.pk).values_list("meaning", flat=True))
    assert meanings == {"trained", "trainee_competent"}


def test_on_the_job_training_needs_a_named_trainer(cast, assembly, welding) -> None:
    services.add_requirement(actor=cast["coordinator"], department=assembly, course=welding)
    operator = cast["operator"]
    record = TrainingRecord.objects.get(person=operator)

    with pytest.raises(InvalidInput, match="Name the trainer first"):
        services.complete_training(record, actor=operator, signature=token(operator, record))
    assert TrainingRecord.objects.get(pk=record.pk).state == "assigned"
