"""qualitas compliance import FILE --user USERNAME | qualitas compliance load-shipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.compliance import services
from qualitas.core.errors import QualitasError
from qualitas.core.models import User
from qualitas.core.services import system_user


class Command(BaseCommand):
    help = "Compliance frameworks from the command line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "import",
            help="Load the organisation's own framework (or a newer version of it) from a "
            "YAML file in the shipped frameworks' format.",
        )
        run.add_argument("file", type=Path)
        run.add_argument("--user", required=True, help="Username of the quality manager")
        sub.add_parser(
            "load-shipped",
            help="Load the frameworks shipped with Qualitas (migrate does it too); unchanged "
            "files are skipped.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load-shipped":
            loaded = services.load_shipped(actor=system_user(), reason="qualitas compliance")
            for result in loaded:
                self.stdout.write(_said(result))
            return
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}.") from None
        actor = User.objects.filter(username=options["user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"--user: no active user '{options['user']}'.")
        try:
            result = services.import_framework(content, actor=actor, filename=path.name)
        except QualitasError as exc:
            raise CommandError(exc.detail) from None
        self.stdout.write(_said(result))


def _said(result: services.Loaded) -> str:
    framework = result.framework
    if result.unchanged:
        return f"{framework.key}: unchanged."
    return (
        f"{framework.key} {framework.version}: {len(result.created)} added, "
        f"{len(result.changed)} changed, {len(result.retired)} retired."
    )
