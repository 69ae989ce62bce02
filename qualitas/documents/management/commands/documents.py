"""qualitas documents import FOLDER --type procedure --author USER [--dry-run]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qualitas.core import permissions
from qualitas.core.models import Site, User
from qualitas.documents import importer, workflows
from qualitas.documents.models import DocumentType


class Command(BaseCommand):
    help = "Controlled documents from the command line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "import",
            help="Import each file of a folder as a new document with a draft revision "
            "(all or nothing).",
        )
        run.add_argument("folder", type=Path)
        run.add_argument("--type", required=True, help="Document type code, e.g. procedure")
        run.add_argument("--author", required=True, help="Username of the author and owner")
        run.add_argument("--site", action="append", default=[], help="Site code (repeatable)")
        run.add_argument("--recursive", action="store_true", help="Include subfolders")
        run.add_argument("--dry-run", action="store_true", help="Check and report; save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        document_type = DocumentType.objects.filter(code=options["type"]).first()
        if document_type is None:
            codes = ", ".join(DocumentType.objects.values_list("code", flat=True))
            raise CommandError(f"--type: no document type '{options['type']}' (one of {codes}).")
        author = User.objects.filter(username=options["author"], is_active=True).first()
        if author is None:
            raise CommandError(f"--author: no active user '{options['author']}'.")
        if not (
            permissions.has_perm(author, workflows.AUTHOR)
            or permissions.has_perm(author, workflows.CONTROL)
        ):
            raise CommandError(f"--author: {author.username} may not write documents.")
        sites = []
        for code in options["site"]:
            site = Site.objects.filter(code__iexact=code).first()
            if site is None:
                raise CommandError(f"--site: no site '{code}'.")
            sites.append(site)
        try:
            report = importer.import_folder(
                options["folder"],
                actor=author,
                document_type=document_type,
                sites=sites,
                dry_run=options["dry_run"],
                recursive=options["recursive"],
            )
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        for line in report.files:
            status = "ok     " if line.ok else "REFUSED"
            number = line.number or "-"
            self.stdout.write(f"{status} {number:<10} {line.name}  {line.title}  ({line.message})")
        if not report.files:
            raise CommandError(f"{options['folder']} holds no files to import.")
        if report.refused:
            raise CommandError(
                f"{len(report.refused)} of {len(report.files)} files refused: nothing imported."
            )
        verb = "would be imported (dry run: nothing saved)" if not report.saved else "imported"
        self.stderr.write(f"{len(report.files)} documents {verb}, as drafts.")
