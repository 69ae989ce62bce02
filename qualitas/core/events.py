"""A small in-process event publisher: events are queued in the transaction and delivered
to subscribers only after it commits (a rolled-back change announces nothing).

Later modules subscribe for webhooks, notifications and automated compliance checks.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every event: past-tense facts about records."""


@dataclass(frozen=True)
class RecordCreated(Event):
    record_type: str
    record_id: int
    actor_id: int


@dataclass(frozen=True)
class RecordChanged(Event):
    record_type: str
    record_id: int
    actor_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class RecordTransitioned(Event):
    record_type: str
    record_id: int
    actor_id: int
    transition: str
    from_state: str
    to_state: str


@dataclass(frozen=True)
class RecordSigned(Event):
    record_type: str
    record_id: int
    signer_id: int
    meaning: str
    signature_id: int


@dataclass(frozen=True)
class SignatureRefused(Event):
    user_id: int
    failures: int
    locked: bool


@dataclass(frozen=True)
class ActionAssigned(Event):
    action_id: int
    assignee_id: int | None


E = TypeVar("E", bound=Event)
_subscribers: dict[type[Event], list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call `handler(event)` after commit for every published event of this type."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def publish(event: Event) -> None:
    """Deliver `event` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _deliver(event))


def _deliver(event: Event) -> None:
    for handler in list(_subscribers[type(event)]):
        try:
            handler(event)
        except Exception:
            # One failing subscriber (a webhook endpoint down) must not stop the others;
            # the change itself is already committed.
            logger.exception("event handler %s failed for %s", handler.__qualname__, event)
