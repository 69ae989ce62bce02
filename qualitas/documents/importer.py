"""Bulk import of existing documents from a folder: one draft document per file.

All or nothing: every file is checked (type by content, size, title) and, if any is
refused, nothing is saved and the report says which and why. A dry run checks and
reports the same way and always saves nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from qualitas.core import attachments
from qualitas.core.errors import QualitasError
from qualitas.core.models import Site, User
from qualitas.documents import content, services
from qualitas.documents.models import DocumentType

MARKDOWN = {".md", ".markdown"}


@dataclass(frozen=True)
class FileReport:
    """What happened (or would happen) to one file."""

    name: str
    ok: bool
    message: str
    number: str = ""
    title: str = ""


@dataclass(frozen=True)
class ImportReport:
    files: list[FileReport]
    saved: bool

    @property
    def refused(self) -> list[FileReport]:
        return [f for f in self.files if not f.ok]


def title_from(path: Path) -> str:
    """'goods_receipt-inspection.pdf' → 'Goods receipt inspection'."""
    words = re.sub(r"[_\-.]+", " ", path.stem).strip()
    words = re.sub(r"\s+", " ", words)
    return (words[:1].upper() + words[1:])[:200] if words else ""


class _DryRun(Exception):
    """Raised to roll back a dry run after the report is complete."""


def import_folder(
    folder: Path,
    *,
    actor: User,
    document_type: DocumentType,
    sites: list[Site] | None = None,
    dry_run: bool = False,
    recursive: bool = False,
) -> ImportReport:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder.")
    pattern = "**/*" if recursive else "*"
    paths = sorted(
        p
        for p in folder.glob(pattern)
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    reports: list[FileReport] = []
    try:
        with transaction.atomic():
            for path in paths:
                reports.append(_one(path, folder, actor, document_type, sites or []))
            if dry_run or any(not r.ok for r in reports):
                raise _DryRun
    except _DryRun:
        return ImportReport(reports, saved=False)
    return ImportReport(reports, saved=True)


def _one(
    path: Path, folder: Path, actor: User, document_type: DocumentType, sites: list[Site]
) -> FileReport:
    name = str(path.relative_to(folder))
    title = title_from(path)
    limit = settings.MAX_ATTACHMENT_MB * 1024 * 1024
    if path.stat().st_size > limit:
        return FileReport(name, ok=False, message=f"larger than {settings.MAX_ATTACHMENT_MB} MB")
    data = path.read_bytes()
    sniffed = attachments.sniff(data, path.name)
    if sniffed.media_type not in attachments.ALLOWED:
        return FileReport(name, ok=False, message=f"refused: {sniffed.reason}")
    is_markdown = path.suffix.lower() in MARKDOWN
    try:
        # A savepoint per file, so one refusal does not break the rest of the report.
        with transaction.atomic():
            document = services.create_document(
                actor=actor,
                document_type=document_type,
                title=title,
                sites=sites,
                content_text=data.decode("utf-8") if is_markdown else "",
                change_reason=f"Imported from {path.name}",
            )
            if not is_markdown:
                with path.open("rb") as handle:
                    services.add_file(
                        document.revisions.get(), actor=actor, file=handle, name=path.name
                    )
    except QualitasError as exc:
        return FileReport(name, ok=False, message=f"refused: {exc.detail}", title=title)
    words = len(content.extract_text(data, sniffed.media_type or "").split())
    kind = "Markdown content" if is_markdown else sniffed.media_type
    return FileReport(
        name,
        ok=True,
        message=f"{kind}, {len(data):,} bytes, {words:,} words of text",
        number=document.number,
        title=title,
    )
