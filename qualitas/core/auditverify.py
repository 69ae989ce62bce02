"""Verifying the audit trail's hash chain: streamed, incremental and in parallel.

Part 11 §11.10(e) asks that the trail be secure; the chain makes an altered, removed,
inserted or moved event visible, and this walks it. The walk reads plain tuples of the
fields the hash covers (no model instance per event) through a server-side cursor, so it
runs in constant memory however long the trail is:

- in full, from the first event, optionally split into contiguous id ranges walked by
  separate processes (PostgreSQL only); each range starts from the stored hash of the
  event before it, and the range that breaks first gives the answer the single walk
  would have given;
- incrementally, from the last signed checkpoint: the checkpointed event must still carry
  the signed hash (and match its own content), and everything after it must chain on.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection

from qualitas.core import audit, checkpoints

CHUNK_SIZE = 5000


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain."""

    intact: bool
    events_checked: int
    last_event_id: int
    first_broken_id: int | None = None
    problem: str = ""
    checkpoint: str = ""
    workers: int = 1
    last_hash: str = ""  # of last_event_id, when intact: what a new checkpoint may sign


@dataclass(frozen=True)
class _Walk:
    """One walked id range: how far it got, and the first break in it if any."""

    checked: int
    last_id: int
    last_hash: str
    broken_at: int | None = None
    problem: str = ""


def _rows(first: int, last: int | None) -> Any:
    from qualitas.core.models import AuditEvent

    events = AuditEvent.objects.filter(id__gte=first)
    if last is not None:
        events = events.filter(id__lte=last)
    return events.order_by("id").values_list(*audit.ROW_FIELDS).iterator(chunk_size=CHUNK_SIZE)


def _next_id_after(event_id: int) -> int | None:
    from qualitas.core.models import AuditEvent

    return (
        AuditEvent.objects.filter(id__gt=event_id)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )


def walk(first: int, last: int | None, prev_hash: str) -> _Walk:
    """Check events `first`..`last` (to the end when None): consecutive ids, each linked to
    the one before (the first to `prev_hash`) and matching its own content."""
    expected_id, expected_prev, checked = first, prev_hash, 0
    sha256, canonical_row = hashlib.sha256, audit.canonical_row
    for row in _rows(first, last):
        n, stored = row[0], row[-1]
        if n > expected_id:
            problem = f"event #{expected_id} is missing (next is #{n})"
            return _Walk(checked, n, expected_prev, expected_id, problem)
        if row[-2] != expected_prev:
            problem = f"event #{n} does not follow event #{n - 1} (removed, inserted or moved)"
            return _Walk(checked, n, expected_prev, n, problem)
        if sha256(canonical_row(row)).hexdigest() != stored:
            return _Walk(
                checked, n, expected_prev, n, f"event #{n} was altered after it was written"
            )
        expected_id, expected_prev, checked = n + 1, stored, checked + 1
    if last is not None and expected_id <= last:
        # The range ends short of the events that follow it: one is missing at its end.
        following = _next_id_after(expected_id - 1)
        problem = f"event #{expected_id} is missing (next is #{following})"
        return _Walk(checked, expected_id - 1, expected_prev, expected_id, problem)
    return _Walk(checked, expected_id - 1, expected_prev)


# --- Parallel ----------------------------------------------------------------------------------


_INHERITED: list[Any] = []


def _start_worker(settings_module: str, database: dict[str, Any]) -> None:
    """Give a worker process a database connection of its own, on the parent's database
    (the test one in tests): Django set up afresh when spawned; when forked, the parent's
    open connections are set aside unused (closing them would end the parent's session)."""
    import django
    from django.apps import apps
    from django.conf import settings
    from django.db import connections

    if apps.ready:
        for conn in connections.all(initialized_only=True):
            _INHERITED.append(conn.connection)
            conn.connection = None
        return
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    settings.DATABASES[DEFAULT_DB_ALIAS] = database  # type: ignore[assignment]  # a copy of one
    django.setup()


def _walk_range(first: int, last: int, prev_hash: str) -> _Walk:
    return walk(first, last, prev_hash)


def ranges(first: int, last: int, workers: int) -> list[tuple[int, int]]:
    """`first`..`last` cut into at most `workers` contiguous ranges of near-equal size."""
    total = last - first + 1
    count = max(1, min(workers, total))
    size, extra = divmod(total, count)
    cuts, start = [], first
    for index in range(count):
        end = start + size + (1 if index < extra else 0) - 1
        cuts.append((start, end))
        start = end + 1
    return cuts


def can_run_in_parallel() -> bool:
    # SQLite has one writer and small trails; other processes cannot see the rows of an
    # open transaction, so a walk started inside one stays in this process.
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def walk_in_parallel(workers: int) -> tuple[_Walk, int]:
    """Walk the whole chain in `workers` processes; return the combined walk and how many
    processes took part."""
    from django.conf import settings

    from qualitas.core.models import AuditEvent

    top = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    if top is None or top < 2 or workers < 2:
        return walk(1, None, audit.GENESIS_HASH), 1
    cuts = ranges(1, top, workers)
    # Each range links to the stored hash of the event before it, read once here; a range
    # whose predecessor is missing or altered is preceded by one that reports it.
    starts = [first for first, _ in cuts[1:]]
    stored = dict(
        AuditEvent.objects.filter(id__in=[s - 1 for s in starts]).values_list("id", "hash")
    )
    links = [audit.GENESIS_HASH] + [stored.get(s - 1, "(missing)") for s in starts]
    database = dict(connection.settings_dict)
    # Forking skips setting Django up again (seconds per process); elsewhere, spawn.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(
        max_workers=len(cuts),
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE, database),
    ) as pool:
        futures = [
            pool.submit(_walk_range, first, last, link)
            for (first, last), link in zip(cuts, links, strict=True)
        ]
        results = [future.result() for future in futures]
    checked = 0
    for result in results:
        checked += result.checked
        if result.broken_at is not None:
            return _Walk(
                checked, result.last_id, result.last_hash, result.broken_at, result.problem
            ), len(cuts)
    return _Walk(checked, results[-1].last_id, results[-1].last_hash), len(cuts)


# --- The verification --------------------------------------------------------------------------


def _broken(walked: _Walk, workers: int, problem: str = "", at: int | None = None) -> Verification:
    return Verification(
        intact=False,
        events_checked=walked.checked,
        last_event_id=walked.last_id,
        first_broken_id=walked.broken_at if at is None else at,
        problem=problem or walked.problem,
        workers=workers,
    )


def _stored_hash(event_id: int) -> str | None:
    from qualitas.core.models import AuditEvent

    return AuditEvent.objects.filter(id=event_id).values_list("hash", flat=True).first()


def _from_checkpoint(checkpoint: dict[str, Any]) -> _Walk:
    """Check the checkpointed event itself, then walk what was added after it."""
    from qualitas.core.models import AuditEvent

    at, when = checkpoint["last_event_id"], checkpoint["created_at"]
    anchor = AuditEvent.objects.filter(id=at).values_list(*audit.ROW_FIELDS).first()
    if anchor is None:
        top = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        problem = (
            f"the checkpoint of {when} saw event #{at}, the chain ends at #{top}"
            if top < at
            else f"event #{at}, signed by the checkpoint of {when}, is missing"
        )
        return _Walk(0, top, "", min(top + 1, at), problem)
    if anchor[-1] != checkpoint["last_hash"]:
        problem = f"event #{at} differs from the checkpoint of {when}: the chain was rewritten"
        return _Walk(0, at, "", at, problem)
    if hashlib.sha256(audit.canonical_row(anchor)).hexdigest() != anchor[-1]:
        return _Walk(0, at, "", at, f"event #{at} was altered after it was written")
    after = walk(at + 1, None, anchor[-1])
    return _Walk(after.checked + 1, after.last_id, after.last_hash, after.broken_at, after.problem)


def verify(
    *, checkpoint_dir: Path | None = None, since_checkpoint: bool = False, workers: int = 1
) -> Verification:
    """Walk the chain (all of it, or from the last signed checkpoint on) and compare it with
    the checkpoint; report the first event that was altered, removed or moved."""
    checkpoint = checkpoints.read_checkpoint(checkpoint_dir)
    if since_checkpoint and checkpoint is not None:
        walked = _from_checkpoint(checkpoint)
        if walked.broken_at is not None:
            return _broken(walked, 1)
        return Verification(
            intact=True,
            events_checked=walked.checked,
            last_event_id=walked.last_id,
            checkpoint=f"continues from the checkpoint at event #{checkpoint['last_event_id']}",
            last_hash=walked.last_hash,
        )
    if workers > 1 and can_run_in_parallel():
        walked, used = walk_in_parallel(workers)
    else:
        walked, used = walk(1, None, audit.GENESIS_HASH), 1
    if walked.broken_at is not None:
        return _broken(walked, used)
    last = walked.last_id
    if checkpoint is None:
        return Verification(
            intact=True,
            events_checked=walked.checked,
            last_event_id=last,
            checkpoint="no checkpoint to compare with",
            workers=used,
            last_hash=walked.last_hash,
        )
    at, when = checkpoint["last_event_id"], checkpoint["created_at"]
    if at > last:
        problem = f"the checkpoint of {when} saw event #{at}, the chain ends at #{last}"
        return _broken(walked, used, problem, last + 1)
    # The walk proved every stored hash up to `last`, so the stored one at `at` is the chain's.
    if _stored_hash(at) != checkpoint["last_hash"]:
        problem = f"event #{at} differs from the checkpoint of {when}: the chain was rewritten"
        return _broken(walked, used, problem, at)
    return Verification(
        intact=True,
        events_checked=walked.checked,
        last_event_id=last,
        checkpoint=f"matches the checkpoint at event #{at}",
        workers=used,
        last_hash=walked.last_hash,
    )
