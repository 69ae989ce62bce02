"""Password age (off by default), dormant accounts, regulated reasons, next-step notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from qualitas.core import audit, jobs, records, services, tasks, workflow
from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, Department, Notification, User
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db


def test_password_expiry_is_off_by_default() -> None:
    user = UserFactory(username="old")
    client = Client()
    with time_machine.travel(timezone.now() + timedelta(days=3650)):
        client.force_login(user)
        assert client.get("/").status_code == 200


@override_settings(PASSWORD_MAX_AGE_DAYS=90)
def test_an_expired_password_must_be_changed_first() -> None:
    user = UserFactory(username="old")
    client = Client()
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        client.force_login(user)
        blocked = client.get("/people/")
        client.post(
            "/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "Fresh-Harbour-Lantern-8",
                "new_password2": "Fresh-Harbour-Lantern-8",
            },
        )
        allowed = client.get("/")

    assert blocked.status_code == 302 and blocked["Location"] == "/password/"
    assert allowed.status_code == 200
    event = AuditEvent.objects.filter(object_type__model="user", object_id=user.pk).latest("id")
    assert (event.reason, event.actor) == ("Password changed by its owner", user)


def test_dormant_accounts_are_deactivated_once(admin: User) -> None:
    dormant = UserFactory(username="dormant")
    active = UserFactory(username="active")
    later = timezone.now() + timedelta(days=100)
    User.objects.filter(pk=active.pk).update(last_login=later - timedelta(days=1))

    with time_machine.travel(later):
        first = jobs.deactivate_dormant_accounts()
        second = jobs.deactivate_dormant_accounts()

    dormant.refresh_from_db()
    assert not dormant.is_active
    assert User.objects.get(pk=active.pk).is_active
    assert "dormant" in first and second.startswith("0 dormant")
    event = AuditEvent.objects.filter(object_type__model="user", object_id=dormant.pk).latest("id")
    assert event.reason == "Not used for 90 days"


def test_the_last_administrator_is_never_made_dormant(admin: User) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=365)):
        jobs.deactivate_dormant_accounts()

    assert User.objects.get(pk=admin.pk).is_active


def test_a_regulated_record_type_needs_a_reason_for_change(admin: User) -> None:
    department = services.create_department(actor=admin, code="QA", name="Quality")
    original = audit.REGISTRY[Department]
    audit.register(Department, regulated=True)
    try:
        with pytest.raises(InvalidInput) as refused:
            services.update_department(department, actor=admin, name="Quality Assurance")
        assert refused.value.errors[0].field == "reason"
        department.refresh_from_db()
        assert department.name == "Quality"
        with audit.context(actor=admin, reason="Renamed by the management review 2026-11"):
            services.update_department(department, actor=admin, name="Quality Assurance")
    finally:
        audit.REGISTRY[Department] = original

    event = AuditEvent.objects.filter(object_type__model="department").latest("id")
    assert event.reason == "Renamed by the management review 2026-11"


def test_people_who_must_act_next_are_notified(deviations_type: records.RecordType) -> None:
    raiser = with_role(UserFactory(username="raiser"), "contributor")
    with_role(UserFactory(username="approver", email="a@example.test"), "approver")
    with_role(UserFactory(username="bystander"), "viewer")
    created = records.create(deviations_type, actor=raiser, title="x", description="y")

    workflow.fire(created, "submit", actor=raiser)

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["approver"]
    assert Notification.objects.get().title == f"{created.number} is Submitted: your turn"


def test_the_celery_task_runs_the_same_jobs() -> None:
    assert set(tasks.run_periodic_jobs()) == set(jobs.JOBS)


@pytest.fixture
def deviations_type() -> records.RecordType:
    return records.RECORD_TYPES["deviation"]


def test_a_password_chosen_by_an_administrator_must_be_replaced_at_first_sign_in(
    admin: User,
) -> None:
    services.create_user(actor=admin, username="newhire", password="Initial-Lantern-77")
    client = Client()
    client.post("/login/", {"username": "newhire", "password": "Initial-Lantern-77"})

    blocked = client.get("/")
    api = client.get("/api/v1/me")
    client.post(
        "/password/",
        {
            "old_password": "Initial-Lantern-77",
            "new_password1": "Own-Choice-Meadow-92",
            "new_password2": "Own-Choice-Meadow-92",
        },
    )

    assert blocked.status_code == 302 and blocked["Location"] == "/password/"
    assert api.status_code == 403 and "must be changed" in api.json()["detail"]
    assert client.get("/").status_code == 200
    assert User.objects.get(username="newhire").must_change_password is False
