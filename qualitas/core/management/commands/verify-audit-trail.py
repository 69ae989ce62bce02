"""qualitas verify-audit-trail: walk the hash chain; exit 0 if intact, 1 naming the first break."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.core import audit


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain and the latest signed checkpoint. Exits 0 when "
        "intact; otherwise 1, naming the first event that was altered, removed, inserted or moved."
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

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = audit.verify_chain(checkpoint_dir=options["checkpoint_dir"])
        except audit.CheckpointForged as exc:
            raise CommandError(f"Audit trail checkpoint is not genuine: {exc}") from None
        if not result.intact:
            raise CommandError(
                f"Audit trail broken at event #{result.first_broken_id}: {result.problem} "
                f"({result.events_checked} events verified before it)"
            )
        self.stdout.write(
            f"Audit trail intact: {result.events_checked} events, last #{result.last_event_id}; "
            f"{result.checkpoint}."
        )
        unanchored = result.checkpoint.startswith("no checkpoint") and result.events_checked
        if unanchored and not options["allow_missing_checkpoint"]:
            # Without a checkpoint a rewrite of the whole chain cannot be detected.
            raise CommandError(
                "No signed checkpoint found: a rewritten chain would go unnoticed. Run "
                "`qualitas tick` (or restore the checkpoint folder), or pass "
                "--allow-missing-checkpoint on a new installation.",
                returncode=2,
            )
