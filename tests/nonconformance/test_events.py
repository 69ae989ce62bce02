"""The nonconformance module announces what happened and reacts to other modules' news
through events declared in module.py, not by being called."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from qualitas.core import events
from qualitas.core.models import Notification, User
from qualitas.nonconformance.events import NonconformanceRaised
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_quality_manager(db: None) -> User:
    return with_role(UserFactory(username="qm2", email="qm2@example.com"), "quality-manager")


def test_raising_announces_the_nonconformance(raise_nc: Any, inspector: User) -> None:
    heard: list[NonconformanceRaised] = []
    events.subscribe(NonconformanceRaised, heard.append, in_transaction=True)
    try:
        nc = raise_nc(severity="minor")
    finally:
        events._in_transaction[NonconformanceRaised].remove(heard.append)
    assert heard == [
        NonconformanceRaised(nc.pk, nc.number, nc.title, "minor", nc.site_id, inspector.pk)
    ]


def test_a_critical_nonconformance_alerts_the_quality_managers_after_commit(
    raise_nc: Any,
    quality_manager: User,
    second_quality_manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        nc = raise_nc(severity="critical", actor=quality_manager)
    alerted = Notification.objects.filter(title__startswith="Critical nonconformance")
    # The raiser knows already; the other quality manager hears, in the app and by e-mail.
    assert [n.recipient for n in alerted] == [second_quality_manager]
    assert alerted.get().url == f"/nonconformances/{nc.pk}/"
    assert [m.to for m in mail.outbox] == [["qm2@example.com"]]


def test_a_minor_nonconformance_alerts_nobody(
    raise_nc: Any, second_quality_manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        raise_nc(severity="minor")
    assert not Notification.objects.filter(title__startswith="Critical").exists()


def test_a_rolled_back_nonconformance_announces_nothing(
    raise_nc: Any, second_quality_manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as delivered,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        raise_nc(severity="critical")
        raise RuntimeError("the surrounding work failed")
    assert delivered == []
    assert not Notification.objects.filter(title__startswith="Critical").exists()
