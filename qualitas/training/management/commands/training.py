"""qualitas training import FILE --user USERNAME."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.core.errors import InvalidInput, QualitasError
from qualitas.core.models import User
from qualitas.training import importing

# A refusal lists each row wrong, one a line, up to this many.
SHOWN = 20


class Command(BaseCommand):
    help = "Training from the command line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "import",
            help="Record historical training from a CSV or XLSX file (all or nothing). "
            "Columns: username, item (course code or document number), completed_on "
            "(YYYY-MM-DD) [, trainer, method].",
        )
        run.add_argument("file", type=Path)
        run.add_argument(
            "--user",
            required=True,
            help="Username of the training coordinator answering for the import",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}.") from None
        actor = User.objects.filter(username=options["user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"--user: no active user '{options['user']}'.")
        try:
            imported = importing.import_file(content, path.name, actor=actor)
        except InvalidInput as exc:
            raise CommandError(_lines(path.name, exc)) from None
        except QualitasError as exc:
            raise CommandError(f"{path.name}: {exc.detail}") from None
        self.stdout.write(f"{len(imported)} training records imported from {path.name}.")


def _lines(name: str, exc: InvalidInput) -> str:
    """The refusal: a first line saying nothing was imported, then one line per error."""
    said = [
        e.message if e.field in ("file", "data", "__all__") else f"{e.field}: {e.message}"
        for e in exc.errors
    ] or [exc.detail]
    shown = said[:SHOWN]
    if len(said) > SHOWN:
        shown.append(f"… and {len(said) - SHOWN} more")
    count = f"{len(said)} error{'s' if len(said) != 1 else ''}"
    return "\n".join([f"{name}: {count}, nothing imported.", *shown])
