"""Creating records under load: short lock windows, gap-free numbers, an unbroken chain.

A create holds the number sequence's lock and the audit chain head's lock until it commits,
so every other create waits for them: they are taken last, after validation, and a service's
audit events are appended in one go as it ends. These tests keep what that must not cost:
numbers without gaps, a chain that verifies, and no event from work that was rolled back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from qualitas.core import audit, auditverify, events, records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditChainHead, AuditEvent, User
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkpoints(tmp_path: Path) -> Iterator[Path]:
    with override_settings(
        AUDIT_CHECKPOINT_DIR=tmp_path / "checkpoints",
        AUDIT_CHECKPOINT_KEY_FILE=tmp_path / "checkpoint.key",
        AUDIT_CHECKPOINT_KEY="",
    ):
        yield tmp_path / "checkpoints"


def _seq(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def _create_events() -> list[AuditEvent]:
    kind = ContentType.objects.get_for_model(Deviation)
    return list(AuditEvent.objects.filter(object_type=kind, action="create").order_by("id"))


def _head() -> tuple[int, str]:
    head = AuditChainHead.objects.filter(pk=1).first()
    return (head.last_event_id, head.last_hash) if head else (0, audit.GENESIS_HASH)


@pytest.fixture
def failing_creates() -> Iterator[threading.local]:
    """An in-transaction subscriber that fails the create when its thread asks: the failure
    comes after the number is taken and the record inserted, as a real one would."""
    flags = threading.local()

    def refuse(event: events.RecordCreated) -> None:
        if getattr(flags, "fail", False):
            raise RuntimeError("the follow-up of this create failed")

    events.subscribe(events.RecordCreated, refuse, in_transaction=True)
    try:
        yield flags
    finally:
        events._in_transaction[events.RecordCreated].remove(refuse)


# --- On PostgreSQL, writers in parallel --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_some_failing_give_gap_free_numbers_and_an_intact_chain(
    deviations: records.RecordType, author: User, failing_creates: threading.local
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises whole transactions)")
    clients, each = 8, 12
    barrier = threading.Barrier(clients)
    errors: list[BaseException] = []
    failed: list[int] = []

    def client(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            for n in range(each):
                # Every fourth create of every client fails after taking its number.
                failing_creates.fail = n % 4 == 3
                try:
                    records.create(
                        deviations, actor=author, title=f"Client {k} #{n}", description="x"
                    )
                except RuntimeError:
                    failed.append(k)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert errors == []
    made = clients * each - len(failed)
    assert len(failed) == clients * 3
    numbers = sorted(_seq(n) for n in Deviation.objects.values_list("number", flat=True))
    assert numbers == list(range(1, made + 1))
    created = _create_events()
    assert sorted(e.object_id for e in created) == sorted(
        Deviation.objects.values_list("pk", flat=True)
    )
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert ids == list(range(1, len(ids) + 1))
    # Stamped under the chain's lock: along the chain, time never goes back.
    times = [e.occurred_at for e in AuditEvent.objects.order_by("id")]
    assert times == sorted(times)
    result = auditverify.verify()
    assert (result.intact, result.events_checked) == (True, len(ids))


# --- On both databases -------------------------------------------------------------------------


def test_a_create_failing_after_taking_its_number_leaves_no_gap_and_no_event(
    deviations: records.RecordType, author: User, failing_creates: threading.local
) -> None:
    first = records.create(deviations, actor=author, title="First", description="x")
    head = _head()

    failing_creates.fail = True
    with pytest.raises(RuntimeError):
        records.create(deviations, actor=author, title="Rolled back", description="x")
    failing_creates.fail = False

    assert not Deviation.objects.filter(title="Rolled back").exists()
    assert _head() == head
    assert [e.object_id for e in _create_events()] == [first.pk]
    assert _seq(records.create(deviations, actor=author, title="Next", description="x").number) == 2
    assert auditverify.verify().intact


def test_a_refused_create_takes_neither_lock(deviations: records.RecordType, author: User) -> None:
    records.create(deviations, actor=author, title="Warm", description="x")
    with CaptureQueriesContext(connection) as captured, pytest.raises(InvalidInput):
        records.create(deviations, actor=author, title="", description="x")

    touched = " ".join(q["sql"] for q in captured.captured_queries)
    assert "core_numbersequence" not in touched
    assert "core_auditchainhead" not in touched


def test_the_locks_are_taken_last_and_held_over_the_inserts_only(
    deviations: records.RecordType, author: User
) -> None:
    records.create(deviations, actor=author, title="Warm", description="x")
    with CaptureQueriesContext(connection) as captured:
        records.create(deviations, actor=author, title="Measured", description="x")

    statements = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    number = next(i for i, sql in enumerate(statements) if "core_numbersequence" in sql)
    tables = ("recordtypes_deviation", "core_auditchainhead", "core_auditevent")

    def kind(sql: str) -> tuple[str, str]:
        return sql.split()[0], next((t for t in tables if t in sql), sql)

    # From the number on: the record's row, then the chain (head, the event, head moved).
    assert [kind(sql) for sql in statements[number + 1 :] if sql != "COMMIT"] == [
        ("INSERT", "recordtypes_deviation"),
        ("SELECT", "core_auditchainhead"),
        ("INSERT", "core_auditevent"),
        ("UPDATE", "core_auditchainhead"),
    ]
    if connection.vendor == "postgresql":  # SQLite's writer holds the whole database anyway
        assert statements[number + 2].endswith("FOR UPDATE")


def test_queries_per_create_are_few_and_do_not_grow(
    deviations: records.RecordType, author: User
) -> None:
    records.create(deviations, actor=author, title="Warm", description="x")
    counts = []
    for n in range(3):
        with CaptureQueriesContext(connection) as captured:
            records.create(deviations, actor=author, title=f"Counted {n}", description="x")
        counts.append(
            len(
                [
                    q
                    for q in captured.captured_queries
                    if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
                ]
            )
        )
    # The number (one statement), the row, the chain head locked, the event, the head moved;
    # no lookup of the author or site already in hand (16 statements before issue 12).
    assert counts == [5, 5, 5]


def _touch(subject: Any, note: str) -> None:
    audit.record(subject, "update", {"note": {"old": None, "new": note}})


def test_an_event_in_a_rolled_back_savepoint_is_not_appended(author: User) -> None:
    @audit.service
    def work(*, actor: User) -> None:
        _touch(actor, "kept before")
        try:
            with transaction.atomic():
                _touch(actor, "rolled back")
                with transaction.atomic():
                    _touch(actor, "rolled back, nested")
                raise RuntimeError("this part failed and was caught")
        except RuntimeError:
            pass
        with transaction.atomic():
            _touch(actor, "kept, in a savepoint that held")
        _touch(actor, "kept after")

    before = _head()[0]
    work(actor=author)

    notes = [
        e.changes["note"]["new"]
        for e in AuditEvent.objects.filter(id__gt=before, changes__has_key="note")
    ]
    assert notes == ["kept before", "kept, in a savepoint that held", "kept after"]
    assert list(AuditEvent.objects.filter(id__gt=before).values_list("id", flat=True)) == [
        before + 1,
        before + 2,
        before + 3,
    ]
    assert auditverify.verify().intact


def test_a_nested_service_that_fails_and_is_caught_leaves_no_event(author: User) -> None:
    @audit.service
    def inner(*, actor: User) -> None:
        _touch(actor, "inner")
        raise InvalidInput.for_field("title", "refused")

    @audit.service
    def outer(*, actor: User) -> None:
        _touch(actor, "outer")
        with pytest.raises(InvalidInput):
            inner(actor=actor)

    before = _head()[0]
    outer(actor=author)

    assert [e.changes["note"]["new"] for e in AuditEvent.objects.filter(id__gt=before)] == ["outer"]


def test_a_failed_service_appends_nothing_and_leaves_the_head(author: User) -> None:
    @audit.service
    def work(*, actor: User) -> None:
        _touch(actor, "never")
        raise RuntimeError("failed")

    head = _head()
    with pytest.raises(RuntimeError):
        work(actor=author)

    assert _head() == head
    assert not AuditEvent.objects.filter(changes__has_key="note").exists()


def test_reading_the_trail_inside_a_service_sees_its_own_events(author: User) -> None:
    seen: list[Any] = []

    @audit.service
    def work(*, actor: User) -> None:
        event = audit.record(actor, "update", {"note": {"old": None, "new": "mid-service"}})
        assert event.pk is None  # waiting to be chained with the service's others
        seen.append(AuditEvent.objects.filter(changes__note__new="mid-service").first())
        seen.append(event.pk)
        _touch(actor, "later")

    work(actor=author)

    assert seen[0] is not None and seen[0].pk == seen[1]
    later = AuditEvent.objects.get(changes__note__new="later")
    assert later.pk == seen[1] + 1 and later.prev_hash == seen[0].hash
    assert auditverify.verify().intact


def test_events_recorded_after_the_commit_are_appended_on_their_own(
    author: User, django_capture_on_commit_callbacks: Any
) -> None:
    @audit.service
    def work(*, actor: User) -> None:
        _touch(actor, "in the service")
        transaction.on_commit(lambda: _after(actor))

    def _after(actor: User) -> None:
        with audit.context(actor=actor), transaction.atomic():
            _touch(actor, "after the commit")

    with django_capture_on_commit_callbacks(execute=True):
        work(actor=author)

    notes = [e.changes["note"]["new"] for e in AuditEvent.objects.filter(changes__has_key="note")]
    assert notes == ["in the service", "after the commit"]
    assert auditverify.verify().intact
