"""qualitas verify-audit-trail: walk the hash chain; exit 0 if intact, 1 naming the first break,
2 when there is no signed checkpoint to compare with."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.core import auditverify, checkpoints


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain and the latest signed checkpoint. Exits 0 when "
        "intact; otherwise 1, naming the first event that was altered, removed, inserted or "
        "moved; 2 when no checkpoint exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint-dir",
            type=Path,
            default=None,
            help="Where the signed checkpoints are (default: QUALITAS_AUDIT_CHECKPOINT_DIR)",
        )
        parser.add_argument(
            "--allow-missing-checkpoint",
            action="store_true",
            help="Exit 0 even when no checkpoint exists yet (a new installation)",
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Check only the events added since the latest signed checkpoint (and that the "
            "checkpointed event is unchanged); without a checkpoint, check everything",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Split a full check over this many processes (PostgreSQL; SQLite uses one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be 1 or more")
        started = time.perf_counter()
        try:
            result = auditverify.verify(
                checkpoint_dir=options["checkpoint_dir"],
                since_checkpoint=options["incremental"],
                workers=options["workers"],
            )
        except checkpoints.CheckpointForged as exc:
            raise CommandError(f"Audit trail checkpoint is not genuine: {exc}") from None
        elapsed = time.perf_counter() - started
        rate = result.events_checked / elapsed if elapsed > 0 else 0.0
        timing = (
            f"{result.events_checked} events checked in {elapsed:.1f} s "
            f"({rate:,.0f} events/s, {result.workers} worker{'s' if result.workers > 1 else ''})"
        )
        if not result.intact:
            self.stderr.write(timing)
            raise CommandError(
                f"Audit trail broken at event #{result.first_broken_id}: {result.problem} "
                f"({result.events_checked} events verified before it)"
            )
        self.stdout.write(
            f"Audit trail intact: {result.events_checked} events, last #{result.last_event_id}; "
            f"{result.checkpoint}."
        )
        self.stdout.write(timing)
        unanchored = result.checkpoint.startswith("no checkpoint") and result.events_checked
        if unanchored and not options["allow_missing_checkpoint"]:
            # Without a checkpoint a rewrite of the whole chain cannot be detected.
            raise CommandError(
                "No signed checkpoint found: a rewritten chain would go unnoticed. Run "
                "`qualitas tick` (or restore the checkpoint folder), or pass "
                "--allow-missing-checkpoint on a new installation.",
                returncode=2,
            )
