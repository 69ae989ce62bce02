"""A small in-process event publisher: how modules react to each other without calling
each other. A module publishes facts about its records (`NonconformanceRaised`,
`RevisionBecameEffective`, `CapaClosed`; the core's `RecordSigned`…); the modules that
care declare a `Subscription` in their `module.py`.

Two kinds of subscriber:
- after commit (the default): notifications, webhooks, search indexing. A rolled-back
  change announces nothing, and a failing subscriber cannot undo the change.
- in the transaction (`in_transaction=True`): consequences that must stand or fall with
  the change (a revision that becomes effective asks its readers to acknowledge it). They
  run at once, and their failure rolls the change back.
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
_in_transaction: dict[type[Event], list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(
    event_type: type[E], handler: Callable[[E], None], *, in_transaction: bool = False
) -> None:
    """Call `handler(event)` for every published event of this type: after commit, or at
    once inside the publishing transaction."""
    handlers = (_in_transaction if in_transaction else _subscribers)[event_type]
    if handler not in handlers:
        handlers.append(handler)


def subscribers() -> dict[type[Event], list[Callable[[Any], None]]]:
    """Who listens to what, of both kinds (the module declarations are checked against it)."""
    listening: dict[type[Event], list[Callable[[Any], None]]] = defaultdict(list)
    for table in (_in_transaction, _subscribers):
        for event_type, handlers in table.items():
            listening[event_type].extend(handlers)
    return dict(listening)


def publish(event: Event) -> None:
    """Run the in-transaction subscribers now; deliver to the others once the current
    transaction commits (at once outside one)."""
    for handler in list(_in_transaction[type(event)]):
        handler(event)
    if _subscribers[type(event)]:
        transaction.on_commit(lambda: _deliver(event))


def _deliver(event: Event) -> None:
    for handler in list(_subscribers[type(event)]):
        try:
            handler(event)
        except Exception:
            # One failing subscriber (a webhook endpoint down) must not stop the others;
            # the change itself is already committed.
            logger.exception("event handler %s failed for %s", handler.__qualname__, event)
