"""qualitas inspection import FILE --lot LOT-2026-0001 --user USERNAME [--key KEY]."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.models import User
from qualitas.inspection import ingest, measurement_files
from qualitas.inspection.models import InspectionLot
from qualitas.studies import parsing

# A refusal is one line: its first few rows, then how many more.
SHOWN = 5


class Command(BaseCommand):
    help = "Inspection from the command line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "import",
            help="Record a CSV or XLSX file of measurements in an open lot (all or nothing). "
            "Columns: characteristic, sample, value | result | defects [, measured_at].",
        )
        run.add_argument("file", type=Path)
        run.add_argument("--lot", required=True, help="The lot's number, e.g. LOT-2026-0001")
        run.add_argument("--user", required=True, help="Username of the inspector recording it")
        run.add_argument(
            "--key",
            default=None,
            help="Idempotency key (default: the file's SHA-256, so importing the same file "
            "again adds nothing)",
        )
        run.add_argument("--source", default=None, help="Where the values come from")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}.") from None
        lot = InspectionLot.objects.filter(number__iexact=options["lot"].strip()).first()
        if lot is None:
            raise CommandError(f"--lot: no inspection lot '{options['lot']}'.")
        actor = User.objects.filter(username=options["user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"--user: no active user '{options['user']}'.")
        key = options["key"] or hashlib.sha256(content).hexdigest()
        try:
            rows = measurement_files.rows_from_table(parsing.parse_upload(content, path.name))
            recorded = ingest.record_batch(
                lot,
                actor=actor,
                rows=rows,
                key=key,
                source=(options["source"] or f"cli {path.name}")[:100],
            )
        except InvalidInput as exc:
            raise CommandError(f"{path.name}: {_one_line(exc)}") from None
        except QualitasError as exc:
            raise CommandError(f"{path.name}: {exc.detail}") from None
        batch = recorded.batch
        if recorded.created:
            self.stdout.write(f"{batch.count} measurements recorded in {lot.number} (key {key}).")
        else:
            self.stdout.write(
                f"{batch.count} measurements already recorded in {lot.number} with key {key} "
                f"({batch.created_at:%Y-%m-%d %H:%M} UTC): nothing added."
            )


def _one_line(exc: InvalidInput) -> str:
    """The refusal as one line: how many rows, then the first few with what is wrong."""
    said = [
        e.message if e.field in ("file", "data", "__all__") else f"{e.field}: {e.message}"
        for e in exc.errors
    ]
    if not said:
        return exc.detail
    shown = "; ".join(said[:SHOWN])
    if len(said) > SHOWN:
        shown += f"; and {len(said) - SHOWN} more"
    counted = re.match(r"\d+ of \d+ [^;]*", exc.detail)
    return f"{counted.group(0)}: {shown}" if counted else shown
