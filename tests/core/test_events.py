"""The event bus: after-commit subscribers hear only of committed changes; in-transaction
subscribers stand or fall with the change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from qualitas.core import events
from qualitas.core.models import Site


@dataclass(frozen=True)
class SiteOpened(events.Event):
    site_id: int


@pytest.fixture
def listening() -> Iterator[tuple[list[Any], list[Any]]]:
    now: list[Any] = []
    later: list[Any] = []
    events.subscribe(SiteOpened, now.append, in_transaction=True)
    events.subscribe(SiteOpened, later.append)
    yield now, later
    events._in_transaction.pop(SiteOpened)
    events._subscribers.pop(SiteOpened)


@pytest.mark.django_db
def test_in_transaction_subscribers_hear_at_once_the_others_after_commit(
    listening: tuple[list[Any], list[Any]], django_capture_on_commit_callbacks: Any
) -> None:
    now, later = listening
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(SiteOpened(1))
        assert now == [SiteOpened(1)]
        assert later == []
    assert later == [SiteOpened(1)]


@pytest.mark.django_db
def test_a_failing_in_transaction_subscriber_rolls_the_change_back(
    django_capture_on_commit_callbacks: Any,
) -> None:
    def refuse(event: SiteOpened) -> None:
        raise RuntimeError("cannot follow up")

    events.subscribe(SiteOpened, refuse, in_transaction=True)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            site = Site.objects.create(code="X1", name="Annex")
            events.publish(SiteOpened(site.pk))
    finally:
        events._in_transaction.pop(SiteOpened)
    assert not Site.objects.filter(code="X1").exists()


@pytest.mark.django_db
def test_a_failing_after_commit_subscriber_does_not_stop_the_others(
    listening: tuple[list[Any], list[Any]], django_capture_on_commit_callbacks: Any
) -> None:
    def broken(event: SiteOpened) -> None:
        raise RuntimeError("webhook endpoint down")

    events._subscribers[SiteOpened].insert(0, broken)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(SiteOpened(2))
    assert listening[1] == [SiteOpened(2)]
