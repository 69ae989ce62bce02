"""What a controlled document's content is: its text, its Markdown as HTML, its controlled copy.

Three jobs, none of which needs Django:

- ``extract_text`` turns every uploaded file into plain text, so revisions can be searched and
  compared whatever format they came in. A damaged upload must not stop anyone working, so it
  yields no text (and a warning in the log) rather than an error.
- ``render_markdown`` shows Markdown written in the app. Raw HTML is switched off in the parser,
  so everything a user types is escaped and the output needs no sanitiser; markdown-it also
  refuses ``javascript:``, ``vbscript:`` and non-image ``data:`` link targets.
- ``controlled_copy_pdf`` makes the only PDF a person may print or download. ISO 9001 (7.5.3)
  and 21 CFR 820.40 need an obsolete paper copy to be recognisable, so the footer (which
  revision, when it was printed, by whom, "uncontrolled when printed") is on *every* page: a
  page that has become separated from the rest still says what it is. The app builds the PDF
  itself, from the Markdown or by stamping the uploaded PDF, instead of handing out the
  uploaded file, so that no copy leaves the system without that footer.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import html
import logging
import re
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

import pypdf
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from pypdf import PasswordType, PdfReader, PdfWriter, Transformation

from qualitas.core import archives

if TYPE_CHECKING:  # python-docx and openpyxl are imported where used: the worker needs one
    from docx.table import Table, _Cell

log = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_TYPES = frozenset({"text/markdown", "text/plain", "text/csv"})

MAX_TEXT = 2_000_000
"""The most characters ``extract_text`` returns; enough for any procedure, bounded for search."""


DEFAULT_MAX_UNPACKED = 200 * 1024 * 1024
"""What an Office file may unpack to if the caller gives no limit (settings.MAX_UNPACKED_MB)."""


class ContentError(ValueError):
    """A file cannot be used as it is (damaged, encrypted); the message says so to the user."""


# --- Text ------------------------------------------------------------------------------------


def extract_text(data: bytes, media_type: str, *, max_unpacked: int = DEFAULT_MAX_UNPACKED) -> str:
    """The plain text of a file, for search and compare; "" for images and unreadable files.

    Parses in this process: for files people upload, use ``read_text``, which parses in a
    worker held to memory and time limits. Never raises on a damaged file. Trailing spaces are
    stripped from every line, runs of more than two blank lines are shortened to two, NUL
    characters are dropped (PostgreSQL cannot store them) and the result is capped at
    ``MAX_TEXT`` characters.
    """
    try:
        return _extract(data, media_type, max_unpacked=max_unpacked)
    except Exception:  # parsers raise anything on malformed input; never block the upload
        log.warning(
            "Could not extract the text of a %s file (%d bytes)",
            _kind(media_type),
            len(data),
            exc_info=True,
        )
        return ""


def _kind(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def _extract(data: bytes, media_type: str, *, max_unpacked: int) -> str:
    """``extract_text`` that raises when the file cannot be read (the worker runs this)."""
    kind = _kind(media_type)
    extractor = _EXTRACTORS.get(kind)
    if extractor is None:  # images, archives: nothing to read
        return ""
    if kind in (DOCX, XLSX):  # zips: refuse a bomb before a parser unpacks it
        problem = archives.problem(data, max_unpacked=max_unpacked)
        if problem:
            raise ContentError(f"The file is not read: {problem}.")
    with _pdf_limits(max_unpacked):
        return _normalise(extractor(data, media_type))


@contextlib.contextmanager
def _pdf_limits(max_unpacked: int) -> Iterator[None]:
    """pypdf's caps on what one stream may decompress to, no higher than ``max_unpacked``.

    pypdf 7 already stops each FlateDecode/LZW/RunLength/JBIG2/Brotli stream at 75 MB; this
    lowers the caps with the installation's limit. (The worker's memory limit bounds the sum.)
    """
    cap = min(max_unpacked, 75_000_000)
    with pypdf.apply_configuration(
        maximum_declared_stream_length=cap,
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        jbig2_maximum_output_length=cap,
        brotli_maximum_output_length=cap,
        array_based_stream_maximum_output_length=cap,
        image_maximum_buffer_size=cap,
    ):
        yield


# --- Text in a worker ------------------------------------------------------------------------

ISOLATED = frozenset({PDF, DOCX, XLSX})
"""Formats whose parsers a crafted file can make eat memory or time: parsed in a worker."""

_UNREADABLE: OrderedDict[str, None] = OrderedDict()
"""Files (by SHA-256) the worker recently gave up on: not tried again at every re-index."""
_UNREADABLE_SIZE = 256


def read_text(
    data: bytes,
    media_type: str,
    *,
    seconds: int = 60,
    memory_mb: int = 1024,
    max_unpacked: int = DEFAULT_MAX_UNPACKED,
) -> str | None:
    """The text of an uploaded file, as ``extract_text``, or None if it could not be read.

    PDF, Word and Excel files are parsed by a separate process (``textworker``) whose address
    space is capped at ``memory_mb`` and which is killed after ``seconds``: a decompression
    bomb or a pathological file can only end that process. None means the file should have had
    text but it was damaged or exceeded those limits: the caller keeps the file and says its
    text was not extracted. Costs one process start per file (about 0.2 s).
    """
    kind = _kind(media_type)
    if kind not in ISOLATED:
        return extract_text(data, media_type, max_unpacked=max_unpacked)
    digest = hashlib.sha256(data).hexdigest()
    if digest in _UNREADABLE:
        return None
    command = [
        sys.executable,
        "-m",
        "qualitas.documents.textworker",
        kind,
        str(memory_mb),
        str(seconds),
        str(max_unpacked),
    ]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
            command, input=data, capture_output=True, timeout=seconds, check=False
        )
    except subprocess.TimeoutExpired:  # run() has killed it
        log.warning("Gave up reading the text of a %s file after %d s", kind, seconds)
        _unreadable(digest)
        return None
    if done.returncode != 0:
        log.warning(
            "Could not read the text of a %s file (%d bytes; worker exit %d): %s",
            kind,
            len(data),
            done.returncode,
            done.stderr.decode("utf-8", "replace")[-2000:].strip(),
        )
        _unreadable(digest)
        return None
    return done.stdout.decode("utf-8", "replace")


def _unreadable(digest: str) -> None:
    _UNREADABLE[digest] = None
    while len(_UNREADABLE) > _UNREADABLE_SIZE:
        _UNREADABLE.popitem(last=False)


def _normalise(text: str) -> str:
    text = text[: 2 * MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{4,}", "\n\n\n", text).strip("\n")
    return text[:MAX_TEXT]


def _pdf_text(data: bytes, media_type: str) -> str:
    reader = PdfReader(BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        log.info("A PDF needs a password to open; it has no searchable text")
        return ""
    pages: list[str] = []
    size = 0
    for page in reader.pages:
        pages.append(page.extract_text())
        size += len(pages[-1])
        if size > MAX_TEXT:
            break
    return "\n\n".join(pages)


def _cell_text(cell: _Cell) -> str:
    from docx.text.paragraph import Paragraph

    parts = [
        block.text if isinstance(block, Paragraph) else " ".join(_table_lines(block))
        for block in cell.iter_inner_content()
    ]
    return " ".join(" ".join(parts).split())  # one line, so the row stays one line


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        texts, previous = [], None
        for cell in row.cells:
            if cell is previous:  # a horizontally merged cell is repeated once per column
                continue
            previous = cell
            texts.append(_cell_text(cell))
        lines.append("\t".join(texts))
    return lines


def _docx_text(data: bytes, media_type: str) -> str:
    from docx import Document
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in Document(BytesIO(data)).iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            lines.extend(_table_lines(block))
    return "\n".join(lines)


def _cell_value(value: Any) -> str:
    return " ".join(str(value).split())  # no tabs or line breaks inside a cell


def _xlsx_text(data: bytes, media_type: str) -> str:
    import openpyxl

    workbook = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
    sheets: list[str] = []
    size = 0
    try:
        for sheet in workbook.worksheets:
            lines = [f"# {sheet.title}"]
            for row in sheet.iter_rows(values_only=True):
                values = [_cell_value(v) for v in row if v is not None]
                line = "\t".join(v for v in values if v)
                if line:
                    lines.append(line)
                    size += len(line)
            sheets.append("\n".join(lines))
            if size > MAX_TEXT:
                break
    finally:
        workbook.close()
    return "\n\n".join(sheets)


def _plain_text(data: bytes, media_type: str) -> str:
    encoding = "utf-8-sig"
    match = re.search(r";\s*charset=\"?([\w.:-]+)", media_type, re.IGNORECASE)
    if match:
        with contextlib.suppress(LookupError):  # an unknown charset: assume UTF-8
            encoding = codecs.lookup(match[1]).name
        if encoding == "utf-8":
            encoding = "utf-8-sig"  # drop a byte-order mark
    return data.decode(encoding, errors="replace")


_EXTRACTORS: dict[str, Callable[[bytes, str], str]] = {
    PDF: _pdf_text,
    DOCX: _docx_text,
    XLSX: _xlsx_text,
    **dict.fromkeys(TEXT_TYPES, _plain_text),
}


# --- Markdown --------------------------------------------------------------------------------

# "html": False makes markdown-it escape every tag the author types, so the output contains only
# the HTML markdown-it itself generates and needs no sanitiser. Its default validateLink drops
# javascript:, vbscript:, file: and non-image data: targets (the text stays, without a link).
_MARKDOWN = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)


def render_markdown(text: str) -> SafeString:
    """Markdown written in the app as HTML. Raw HTML is off in the parser, so whatever the
    author typed comes out escaped, and the result may go into a page as it is."""
    rendered: str = _MARKDOWN.render(text)
    return mark_safe(rendered)  # noqa: S308


# --- Controlled copies -----------------------------------------------------------------------

_FOOTER_CSS = "font: 7pt/1.35 sans-serif; color: #222; white-space: pre-line;"

_PAGE_CSS = """
html { font-family: sans-serif; font-size: 10pt; line-height: 1.45; color: #111; }
body { margin: 0; }
h1.title { font-size: 17pt; margin: 0 0 10pt; padding-bottom: 4pt; border-bottom: 1pt solid #555; }
h1 { font-size: 15pt; } h2 { font-size: 13pt; } h3 { font-size: 11.5pt; } h4 { font-size: 10.5pt; }
h1, h2, h3, h4, h5, h6 { margin: 14pt 0 5pt; break-after: avoid; }
p, ul, ol, pre, blockquote, table { margin: 0 0 7pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.6pt solid #777; padding: 2.5pt 4pt; text-align: left; vertical-align: top; }
th { background: #eee; }
tr { break-inside: avoid; }
code { font-family: monospace; font-size: 9pt; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 5pt; border: 0.5pt solid #ccc; }
blockquote { margin-left: 0; padding-left: 8pt; border-left: 2pt solid #bbb; color: #333; }
img { max-width: 100%; }
hr { border: 0; border-top: 0.6pt solid #999; }
"""


@dataclass(frozen=True)
class ApprovalLine:
    """One approver of the printed revision: who, what the signature means, and when (in
    UTC and in the company's local time). The times are empty while not yet signed."""

    approver: str
    meaning: str = ""
    signed_utc: str = ""
    signed_local: str = ""


_APPROVAL_CSS = """
section.approval { margin: 0 0 12pt; break-inside: avoid; }
section.approval h2 { font-size: 11pt; margin: 0 0 4pt; }
section.approval td, section.approval th { font-size: 9pt; }
"""


def _approval_block(approvals: Sequence[ApprovalLine]) -> str:
    """The approval block: a reader of the paper sees who approved it, meaning and when."""
    if not approvals:
        rows = '<tr><td colspan="4">No approver chosen: this revision is not approved.</td></tr>'
    else:
        rows = "".join(
            "<tr>"
            f"<td>{html.escape(line.approver)}</td>"
            f"<td>{html.escape(line.meaning or '—')}</td>"
            f"<td>{html.escape(line.signed_utc or 'Not yet signed')}</td>"
            f"<td>{html.escape(line.signed_local or '—')}</td>"
            "</tr>"
            for line in approvals
        )
    return (
        '<section class="approval"><h2>Approval</h2><table>'
        "<tr><th>Approved by</th><th>Meaning of the signature</th>"
        "<th>Signed (UTC)</th><th>Signed (local time)</th></tr>"
        f"{rows}</table></section>"
    )


def controlled_copy_pdf(
    *,
    footer: str,
    markdown_text: str | None = None,
    source_pdf: bytes | None = None,
    title: str = "",
    approvals: Sequence[ApprovalLine] | None = None,
) -> bytes:
    """The PDF of a controlled copy, with ``footer`` and "Page X of Y" at the foot of every page.

    Give exactly one of ``markdown_text`` (typeset on A4 under the heading ``title``) or
    ``source_pdf`` (stamped page by page; its content, page sizes and rotation are kept).
    With ``approvals`` the copy carries the approval block: under the title of a typeset
    copy, on a last A4 page of a stamped one (counted in "Page X of Y").
    Raises ``ValueError`` for a wrong call (both, neither, or an empty footer) and
    ``ContentError`` when the source PDF is damaged or password-protected. WeasyPrint needs
    Pango; importing it raises ``OSError`` on a machine without it.
    """
    if not footer.strip():
        raise ValueError("A controlled copy needs its footer.")
    block = _approval_block(approvals) if approvals is not None else ""
    if markdown_text is not None and source_pdf is None:
        return _markdown_pdf(markdown_text, footer=footer, title=title, approval=block)
    if source_pdf is not None and markdown_text is None:
        return _stamped_pdf(source_pdf, footer=footer, approval=block)
    raise ValueError("Give exactly one of markdown_text and source_pdf.")


def _css_string(text: str) -> str:
    """``text`` as a double-quoted CSS string that is also safe inside an HTML <style>."""
    out = []
    for char in text:
        if char in '\\"<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            # A hex escape ends at the next space; "\A" is a line break under white-space: pre-*.
            out.append("\\A " if char == "\n" else f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _footer_box(footer: str, placement: str) -> str:
    """The CSS of the footer box: the footer, then "Page X of Y" on a line of its own.

    Both share one box across the page's full width: beside a separate page-number box the
    centre box is too narrow for a typical footer, which would then wrap on A4.
    """
    page_number = '"Page " counter(page) " of " counter(pages)'
    content = f'{_css_string(footer)} "\\A " {page_number}'
    return f"@bottom-center {{ content: {content}; {_FOOTER_CSS} {placement} }}"


def html_to_pdf(document: str) -> bytes:
    """A PDF of an HTML page of ours, fetching nothing from outside it."""
    from weasyprint import HTML  # loads Pango, so only when a PDF is made
    from weasyprint.urls import URLFetcher

    # Fetch nothing but inline data: URLs, so a Markdown image can neither reach the network
    # nor read the server's files.
    fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1, allow_redirects=False)
    return bytes(HTML(string=document, url_fetcher=fetcher).write_pdf())


def _markdown_pdf(markdown_text: str, *, footer: str, title: str, approval: str = "") -> bytes:
    css = (
        "@page { size: A4; margin: 20mm 16mm 24mm 16mm; "
        + _footer_box(footer, "vertical-align: bottom; padding-bottom: 8mm;")
        + " }"
        + _PAGE_CSS
        + _APPROVAL_CSS
    )
    heading = f'<h1 class="title">{html.escape(title)}</h1>' if title.strip() else ""
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{css}</style></head>"
        f"<body>{heading}{approval}{render_markdown(markdown_text)}</body></html>"
    )
    return html_to_pdf(document)


def _open_pdf(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise ContentError(
                "The PDF is password-protected. Remove the protection and upload it again."
            )
        if not reader.pages:
            raise ContentError("The PDF has no pages.")
        for page in reader.pages:  # parse every page now, so damage shows here
            _ = page.cropbox, page.rotation
    except ContentError:
        raise
    except Exception as exc:  # pypdf raises anything on malformed input
        raise ContentError(f"The PDF cannot be read; it may be damaged ({exc}).") from exc
    return reader


def _overlay_pdf(sizes: list[tuple[float, float]], footer: str, appendix: str = "") -> bytes:
    """One page per size, blank but for the footer and "Page i of n" at the bottom centre;
    then, given an ``appendix`` (HTML), the A4 page(s) that carry it, counted in n."""
    names: dict[tuple[float, float], str] = {}
    rules = []
    for size in sizes:
        if size not in names:
            names[size] = f"s{len(names)}"
            rules.append(f"@page {names[size]} {{ size: {size[0]:.3f}pt {size[1]:.3f}pt; }}")
    css = (
        "@page { margin: 0 8mm 16mm 8mm; "
        + _footer_box(footer, "vertical-align: bottom; padding-bottom: 5mm;")
        + " } html, body { margin: 0; } div { break-before: page; height: 1pt; }"
        + "".join(rules)
    )
    pages = "".join(f'<div style="page: {names[size]}"></div>' for size in sizes)
    if appendix:
        css += (
            "@page appendix { size: A4; margin: 20mm 16mm 24mm 16mm; }"
            " section.appendix { page: appendix; break-before: page; }"
            + _PAGE_CSS.replace("body { margin: 0; }", "")
            + _APPROVAL_CSS
        )
        pages += f'<section class="appendix">{appendix}</section>'

    return html_to_pdf(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}</style></head>'
        f"<body>{pages}</body></html>"
    )


def _placement(rotation: int, width: float, height: float, x0: float, y0: float) -> Transformation:
    """Where an upright overlay goes on a page shown turned by ``rotation`` degrees clockwise.

    ``width`` and ``height`` are the unrotated crop box's; ``(x0, y0)`` its lower-left corner.
    """
    upright = {
        0: Transformation(),
        90: Transformation().rotate(90).translate(width, 0),
        180: Transformation().rotate(180).translate(width, height),
        270: Transformation().rotate(270).translate(0, height),
    }[rotation]
    return upright.translate(x0, y0)


def _stamped_pdf(source: bytes, *, footer: str, approval: str = "") -> bytes:
    with _pdf_limits(DEFAULT_MAX_UNPACKED):  # stamping decompresses each page's content
        return _stamped_pdf_within_limits(source, footer=footer, approval=approval)


def _stamped_pdf_within_limits(source: bytes, *, footer: str, approval: str = "") -> bytes:
    reader = _open_pdf(source)
    geometry = []
    for page in reader.pages:
        box = page.cropbox  # the part of the page a viewer shows and a printer prints
        width, height = float(box.width), float(box.height)
        rotation = page.rotation % 360 if page.rotation % 90 == 0 else 0
        geometry.append((rotation, width, height, float(box.left), float(box.bottom)))
    sizes = [(h, w) if rot in (90, 270) else (w, h) for rot, w, h, _, _ in geometry]
    overlay = PdfReader(BytesIO(_overlay_pdf(sizes, footer, approval)))
    extra = len(overlay.pages) - len(sizes)
    if extra < 0 or (extra == 0) != (not approval):
        raise RuntimeError(f"The footer overlay has {len(overlay.pages)} pages, not {len(sizes)}.")
    try:
        writer = PdfWriter(clone_from=reader)
        stamps = overlay.pages[: len(sizes)]
        for page, stamp, place in zip(writer.pages, stamps, geometry, strict=True):
            page.merge_transformed_page(stamp, _placement(*place))
        for appendix in overlay.pages[len(sizes) :]:
            writer.add_page(appendix)
        out = BytesIO()
        writer.write(out)
    except Exception as exc:  # a page that parsed may still fail to copy
        raise ContentError(f"The PDF cannot be stamped; it may be damaged ({exc}).") from exc
    return out.getvalue()
