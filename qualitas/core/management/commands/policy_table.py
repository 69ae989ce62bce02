"""qualitas policy_table: print the user guide's "who may do what" page, or write it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qualitas.core import policytable


class Command(BaseCommand):
    help = (
        "Print, as Markdown, which system role may see, raise, edit and move each kind of "
        "quality record, from the permissions and workflows the code declares."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", metavar="PATH", help="Write the page to PATH instead of printing it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = policytable.render_markdown()
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")
