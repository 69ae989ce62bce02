"""The audit trail: context, capture, the hash chain and its verification.

Part 11 §11.10(e) and Annex 11 §9 ask for a computer-generated, time-stamped trail of who
created, changed or removed what, with old and new values and the reason. Here:

- Services run inside `audit.context(actor=…, reason=…)`; the request middleware adds the
  request id and client address. Saving a registered model outside a context *raises*
  (fail closed), so no write can slip through unrecorded.
- Capture is automatic for registered models: a snapshot is taken when an instance is
  loaded, and the changed fields are written as an event in the same transaction.
- Events form one hash chain: each stores the SHA-256 of its canonical content and of the
  previous event. Ids are assigned by the chain (gap-free), under a lock on the chain head.
  That lock serialises every write, so a service's events wait and are appended together
  as it ends (the lock then covers those inserts and the commit); events of work rolled
  back, whole or in a savepoint, never reach the chain.
- The chain head is checkpointed outside the database with an HMAC whose key is not in the
  database (`core.checkpoints`), so a rewrite of the whole chain is detected too.
"""

from __future__ import annotations

import copy
import functools
import getpass
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.db import models, transaction
from django.utils import timezone

# The trail's public names that the models need too (they live in `auditing`).
from qualitas.core.auditing import (
    BEFORE_TRAIL_READ,
    REGISTRY as REGISTRY,
    AuditContextMissing as AuditContextMissing,
    AuditedQuerySet as AuditedQuerySet,
    AuditSpec as AuditSpec,
    DeletionRefused as DeletionRefused,
    register as register,
    spec_for as spec_for,
)
from qualitas.core.errors import InvalidInput

if TYPE_CHECKING:
    from qualitas.core.models import AuditEvent, User

GENESIS_HASH = "0" * 64
SECRET_VALUE = "(changed)"  # noqa: S105 - shown instead of a secret, not one


# --- Context -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestMeta:
    request_id: str
    client_address: str | None


@dataclass(frozen=True)
class AuditContext:
    actor: User | None
    actor_name: str
    reason: str
    request_id: str
    client_address: str | None


_context: ContextVar[AuditContext | None] = ContextVar("qualitas_audit_context", default=None)
_request: ContextVar[RequestMeta | None] = ContextVar("qualitas_audit_request", default=None)


def current() -> AuditContext | None:
    return _context.get()


@contextmanager
def bind_request(meta: RequestMeta) -> Iterator[None]:
    """Attach the request's id and client address to every event it causes."""
    token = _request.set(meta)
    try:
        yield
    finally:
        _request.reset(token)


@contextmanager
def context(
    *, actor: User | None, reason: str = "", actor_name: str | None = None
) -> Iterator[AuditContext]:
    """Run a unit of work on behalf of `actor`; nested contexts inherit what they don't set."""
    parent = _context.get()
    meta = _request.get()
    if actor_name is None:
        actor_name = actor.printed_name if actor is not None else "Qualitas"
    request_id = meta.request_id if meta else (parent.request_id if parent else uuid.uuid4().hex)
    address = meta.client_address if meta else (parent.client_address if parent else None)
    ctx = AuditContext(
        actor=actor,
        actor_name=actor_name,
        reason=reason or (parent.reason if parent and parent.actor == actor else ""),
        request_id=request_id,
        client_address=address,
    )
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def cli_actor_name(command: str) -> str:
    """How work started from the command line is attributed (the OS account that ran it)."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "unknown"
    return f"Qualitas System (qualitas {command}, OS user {os_user})"


P = ParamSpec("P")
R = TypeVar("R")


def service(func: Callable[P, R]) -> Callable[P, R]:
    """Make a service one audited unit of work: a transaction in the actor's audit context.

    The service must take `actor=` (and may take `reason=`) as keyword arguments. The events
    it causes are appended to the chain together when it ends (see `_Pending`), so the chain
    head is locked only for those inserts and the commit, not for the whole service.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        actor = kwargs["actor"]
        reason = str(kwargs.get("reason") or "")
        outer = _pending.get()
        if outer is not None and outer.open:  # a service called by a service: one unit
            with context(actor=actor, reason=reason), transaction.atomic():  # type: ignore[arg-type]
                return func(*args, **kwargs)
        pending = _Pending()
        token = _pending.set(pending)
        try:
            with context(actor=actor, reason=reason), transaction.atomic():  # type: ignore[arg-type]
                result = func(*args, **kwargs)
                pending.close()
            return result
        finally:
            pending.open = False
            _pending.reset(token)

    return wrapper


def _plain(value: Any) -> Any:
    """A JSON value that reads back exactly as written (the hash depends on it)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date | Decimal | uuid.UUID):
        return str(value) if not isinstance(value, date) else value.isoformat()
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, sort_keys=True, default=str))
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    spec = REGISTRY[type(instance)]
    values = {}
    for name in spec.fields:
        model_field = instance._meta.get_field(name)
        values[name] = _plain(getattr(instance, model_field.attname))  # type: ignore[union-attr]
    return values


def _label(instance: models.Model, name: str, value: Any) -> str | None:
    model_field = instance._meta.get_field(name)
    if not model_field.is_relation or value is None:
        return None
    # The related object the service just set is already in memory: no query for it.
    cached = instance._state.fields_cache.get(name)
    if cached is not None and cached.pk == value:
        return str(cached)
    related = model_field.related_model._default_manager.filter(pk=value).first()  # type: ignore[union-attr]
    return str(related) if related is not None else None


def _diff(
    instance: models.Model, old: dict[str, Any] | None, new: dict[str, Any]
) -> dict[str, Any]:
    spec = REGISTRY[type(instance)]
    changes: dict[str, Any] = {}
    for name, value in new.items():
        before = None if old is None else old.get(name)
        if old is not None and before == value:
            continue
        if old is None and value in (None, ""):
            continue
        if name in spec.secret_fields:
            changes[name] = {"old": None, "new": SECRET_VALUE}
            continue
        change: dict[str, Any] = {"old": before, "new": value}
        for key, raw in (("old_label", before), ("new_label", value)):
            label = _label(instance, name, raw)
            if label is not None:
                change[key] = label
        changes[name] = change
    return changes


# --- Capture (connected in CoreConfig.ready) -----------------------------------------------------


def _as_loaded(instance: models.Model, spec: AuditSpec) -> dict[str, Any]:
    """The audited columns as they are in memory now, raw (deferred ones left out). Lists and
    dicts (JSON fields) are copied, so a change made in place still shows as a change."""
    loaded = instance.__dict__
    return {
        attname: copy.deepcopy(loaded[attname])
        if isinstance(loaded[attname], dict | list)
        else loaded[attname]
        for attname in spec.attnames
        if attname in loaded
    }


def on_post_init(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    """Remember what was loaded, cheaply: lists and exports load thousands of instances they
    never save, so the values are converted (and deferred columns fetched) only on save."""
    spec = REGISTRY.get(sender)
    if spec is not None:
        instance._audit_loaded = _as_loaded(instance, spec) if instance.pk is not None else None  # type: ignore[attr-defined]


def _before(instance: models.Model, spec: AuditSpec) -> dict[str, Any] | None:
    """The audited values as they were loaded (or last saved), in the trail's plain form."""
    raw = getattr(instance, "_audit_loaded", None)
    if raw is None:
        return None
    missing = [attname for attname in spec.attnames if attname not in raw]
    if missing:  # deferred at load (`.only()`): read them as they still are in the database
        stored = type(instance)._base_manager.filter(pk=instance.pk).values(*missing).first()
        raw = {**raw, **(stored or {})}
    return {
        name: _plain(raw.get(attname))
        for name, attname in zip(spec.fields, spec.attnames, strict=True)
    }


def on_pre_save(
    sender: type[models.Model],
    instance: models.Model,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    if sender not in REGISTRY:
        return
    spec = REGISTRY[sender]
    adding = instance._state.adding
    old = None if adding else _before(instance, spec)
    new = snapshot(instance)
    if update_fields is not None and not adding:
        new = {k: v for k, v in new.items() if k in update_fields}
        old = (
            {k: v for k, v in (old or {}).items() if k in update_fields}
            if old is not None
            else None
        )
    changes = _diff(instance, old, new)
    if not adding and not changes:
        instance._audit_pending = None  # type: ignore[attr-defined]
        return
    ctx = _context.get()
    if ctx is None:
        raise AuditContextMissing(
            f"{sender.__name__} was saved outside an audit context; "
            "write through a service (qualitas.core.audit.context)"
        )
    if spec.regulated and not adding and not ctx.reason.strip():
        raise InvalidInput.for_field("reason", "Give a reason for this change.")
    # The workflow marks a state change as a transition and names it in the changes.
    action = getattr(instance, "_audit_action", None) or ("create" if adding else "update")
    changes.update(getattr(instance, "_audit_extra", None) or {})
    instance._audit_pending = (action, changes)  # type: ignore[attr-defined]


def on_post_save(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    pending = getattr(instance, "_audit_pending", None)
    if sender not in REGISTRY or pending is None:
        return
    action, changes = pending
    record(instance, action, changes)
    instance._audit_pending = None  # type: ignore[attr-defined]
    instance._audit_action = None  # type: ignore[attr-defined]
    instance._audit_extra = None  # type: ignore[attr-defined]
    instance._audit_loaded = _as_loaded(instance, REGISTRY[sender])  # type: ignore[attr-defined]


def on_pre_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    spec = REGISTRY.get(sender)
    if spec is None:
        return
    if spec.protect_delete:
        raise DeletionRefused(
            f"{sender._meta.verbose_name} records are never deleted; "
            "cancel, withdraw or deactivate them with a reason instead."
        )
    if _context.get() is None:
        raise AuditContextMissing(f"{sender.__name__} was deleted outside an audit context")
    instance._audit_deleted = snapshot(instance)  # type: ignore[attr-defined]


def on_post_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    before = getattr(instance, "_audit_deleted", None)
    if sender in REGISTRY and before is not None:
        record(instance, "delete", {k: {"old": v, "new": None} for k, v in before.items()})


# --- Writing and hashing -----------------------------------------------------------------------


def canonical(event: AuditEvent) -> bytes:
    """The bytes an event's hash covers: every field but the hash itself, in a fixed form."""
    content = {
        "id": event.pk,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type_id,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "reason": event.reason,
        "request_id": event.request_id,
        "client_address": event.client_address,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


# What `canonical` covers, as columns, in the order `canonical_row` reads them (then the hash).
ROW_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "object_type_id",
    "object_id",
    "object_repr",
    "changes",
    "reason",
    "request_id",
    "client_address",
    "prev_hash",
    "hash",
)
# `json.dumps` with `canonical`'s arguments, built once; values read back from the database
# cannot refer to themselves, so the circular-reference check is skipped (same bytes).
_encode_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
).encode


def canonical_row(row: tuple[Any, ...]) -> bytes:
    """`canonical` for a `values_list(*ROW_FIELDS)` tuple: the same bytes, without building
    a model instance per event (verifying a long trail is dominated by that cost)."""
    return _encode_canonical(
        {
            "id": row[0],
            "occurred_at": row[1].astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": row[2],
            "actor_name": row[3],
            "action": row[4],
            "object_type": row[5],
            "object_id": row[6],
            "object_repr": row[7],
            "changes": row[8],
            "reason": row[9],
            "request_id": row[10],
            "client_address": row[11],
            "prev_hash": row[12],
        }
    ).encode()


def set_many(instance: models.Model, name: str, values: Any) -> bool:
    """Set a many-to-many field and record the change as an update event.

    Capture sees concrete fields only; a service changing who must read a document or where
    it applies goes through here so the trail shows it. Returns whether anything changed."""
    manager = getattr(instance, name)
    before = list(manager.all())
    after = list(values)
    if {obj.pk for obj in before} == {obj.pk for obj in after}:
        return False
    manager.set(after)
    record(
        instance,
        "update",
        {name: {"old": sorted(str(o) for o in before), "new": sorted(str(o) for o in after)}},
    )
    return True


def record(
    subject: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    *,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event about `subject` to the chain, inside the current transaction.

    Inside a service the event waits, with the service's others, to be appended when the
    service ends: its id, hash and time are set then (`flush()` appends at once, for a
    caller that needs them earlier). Elsewhere it is appended now.
    """
    from django.contrib.contenttypes.models import ContentType

    from qualitas.core.models import AuditEvent

    ctx = _context.get()
    if ctx is None:
        raise AuditContextMissing(f"audit event '{action}' written outside an audit context")
    event = AuditEvent(
        actor=ctx.actor,
        actor_name=ctx.actor_name,
        action=action,
        # The instance, not type(): request.user is a lazy proxy whose type is not the model.
        object_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        object_repr=str(subject)[:300],
        changes=_plain(changes or {}),
        reason=ctx.reason if reason is None else reason,
        request_id=ctx.request_id,
        client_address=ctx.client_address,
    )
    pending = _pending.get()
    if pending is not None and pending.open:
        pending.add(event)
    else:
        with transaction.atomic(savepoint=False):
            _append([event])
    return event


def record_created(instances: Sequence[models.Model]) -> None:
    """The creation events of audited instances inserted in bulk (`bulk_create` sends no
    signals): each event holds the instance's fields as the save hooks would have."""
    for instance in instances:
        record(instance, "create", _diff(instance, None, snapshot(instance)))


def flush() -> None:
    """Append the current service's waiting events to the chain now (a no-op outside one, or
    when none wait): for code that reads the trail, or needs an event's id, mid-service."""
    pending = _pending.get()
    if pending is not None and pending.open:
        pending.append_to_chain()


BEFORE_TRAIL_READ.append(flush)


def _append(events: list[AuditEvent]) -> None:
    """Chain `events` on after the head: the head row locked, the events inserted, the head
    moved, in the caller's transaction (whose commit releases the lock). Plain statements
    for the head: every write in the installation waits while this runs."""
    from django.db import connection

    from qualitas.core.models import AuditChainHead, AuditEvent

    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_event_id, last_hash FROM {table} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
    if row is None:  # the very first event: two first writers meet in get_or_create
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_event_id": 0, "last_hash": GENESIS_HASH}
        )
        row = (head.last_event_id, head.last_hash)
    last_id, last_hash = row
    # Stamped under the lock: ids and times rise together along the chain.
    now = timezone.now()
    for event in events:
        event.id = last_id = last_id + 1
        event.occurred_at = now
        event.prev_hash = last_hash
        event.hash = last_hash = digest(event)
    AuditEvent.objects.bulk_create(events)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_event_id = %s, last_hash = %s WHERE id = 1",  # noqa: S608
            [last_id, last_hash],
        )


class _Pending:
    """The events of one service (the outermost; a service it calls adds to the same),
    appended to the chain in one go at its end.

    An event recorded in a savepoint that is later rolled back (a nested `atomic` that
    failed and was caught) must not reach the chain. Django forgets the on-commit callbacks
    registered in a rolled-back savepoint, so each event carries such a callback (one per
    savepoint nesting; it does nothing after commit), and only events whose callback is still
    registered are appended.
    """

    def __init__(self) -> None:
        self.open = True
        self._events: list[tuple[AuditEvent, _Survives]] = []
        self._marker: tuple[tuple[str, ...], _Survives] | None = None

    def add(self, event: AuditEvent) -> None:
        from django.db import connection

        savepoints = tuple(connection.savepoint_ids)
        if self._marker is None or self._marker[0] != savepoints:
            marker = _Survives()
            transaction.on_commit(marker)
            self._marker = (savepoints, marker)
        self._events.append((event, self._marker[1]))

    def append_to_chain(self) -> None:
        from django.db import connection

        waiting, self._events, self._marker = self._events, [], None
        if not waiting or connection.needs_rollback:
            return  # nothing to add, or the transaction is rolling back anyway
        registered = {id(entry[1]) for entry in connection.run_on_commit}
        kept = [event for event, marker in waiting if id(marker) in registered]
        if kept:
            _append(kept)

    def close(self) -> None:
        """Append what waits, as the service's last work; events recorded from here on (by
        on-commit callbacks, after the commit) are appended at once, in their own transaction."""
        self.append_to_chain()
        self.open = False


class _Survives:
    """An on-commit callback that does nothing: its presence says its savepoint survived."""

    def __call__(self) -> None:
        return None


_pending: ContextVar[_Pending | None] = ContextVar("qualitas_audit_pending", default=None)
