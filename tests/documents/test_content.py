"""A controlled document's content: text extraction, Markdown, controlled copies (no database)."""

from __future__ import annotations

import logging
from io import BytesIO

import openpyxl
import pytest
from docx import Document
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from qualitas.documents import content
from qualitas.documents.content import (
    DOCX,
    MAX_TEXT,
    PDF,
    XLSX,
    ContentError,
    controlled_copy_pdf,
    extract_text,
    render_markdown,
)

FOOTER = (
    "Controlled copy — SOP-0042 revision B, effective 2026-11-01 — printed 2026-11-22 "
    "14:05 UTC by Zoë Ångström; uncontrolled when printed"
)


def html_pdf(body: str, css: str = "") -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=f"<style>{css}</style>{body}").write_pdf())


@pytest.fixture(scope="module")
def source_pdf() -> bytes:
    """Three pages: A4 portrait, A4 landscape, A4 portrait."""
    return html_pdf(
        "<div>Alpha portrait page</div><div class=wide>Bravo landscape page</div>"
        "<div>Charlie portrait page</div>",
        "@page { size: A4 } @page wide { size: A4 landscape } .wide { page: wide }"
        " div { break-before: page }",
    )


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def footer_position(page: object) -> tuple[float, float]:
    """Where, in the page's own coordinates, the footer's text starts."""
    found: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.startswith("Controlled copy"):
            x, y = tm[4], tm[5]
            found.append((x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    assert len(found) == 1
    return found[0]


# --- extract_text ----------------------------------------------------------------------------


def test_pdf_text_joins_pages(source_pdf: bytes) -> None:
    text = extract_text(source_pdf, PDF)
    assert text == "Alpha portrait page\n\nBravo landscape page\n\nCharlie portrait page"


def test_docx_text_has_paragraphs_and_tables_in_order() -> None:
    document = Document()
    document.add_heading("Purpose", level=1)
    document.add_paragraph("Clean the line after every batch.   ")
    table = document.add_table(rows=2, cols=3)
    for r, values in enumerate([("Step", "Who", "When"), ("Rinse", "Operator", "Daily")]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "Spans two"
    merged.cell(0, 2).text = "Last\ncell"
    document.add_paragraph("Records are kept for 5 years.")
    out = BytesIO()
    document.save(out)

    assert extract_text(out.getvalue(), DOCX) == (
        "Purpose\nClean the line after every batch.\nStep\tWho\tWhen\nRinse\tOperator\tDaily\n"
        "Spans two\tLast cell\nRecords are kept for 5 years."
    )


def test_xlsx_text_has_a_heading_per_sheet_and_tab_separated_rows() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Limits"
    sheet.append(["Parameter", "Min", "Max"])
    sheet.append(["pH", 6.5, None, 8])
    sheet.append([None, None])
    second = workbook.create_sheet("Zoë's notes")
    second["B2"] = "Check\tweekly"
    out = BytesIO()
    workbook.save(out)

    assert extract_text(out.getvalue(), XLSX) == (
        "# Limits\nParameter\tMin\tMax\npH\t6.5\t8\n\n# Zoë's notes\nCheck weekly"
    )


def test_text_types_are_decoded_and_tidied() -> None:
    data = "\ufeff# Title  \r\n\r\n\r\n\r\n\r\nBody — Zoë\t\r\nend\x00".encode()
    assert extract_text(data, "text/markdown") == "# Title\n\n\nBody — Zoë\nend"
    assert extract_text(b"a;b\n1;2\n", "text/csv") == "a;b\n1;2"
    assert extract_text("café".encode("latin-1"), "text/plain; charset=ISO-8859-1") == "café"
    assert extract_text(b"caf\xe9", "text/plain") == "caf\ufffd"


def test_text_is_capped() -> None:
    assert len(extract_text(b"x" * (MAX_TEXT + 10), "text/plain")) == MAX_TEXT


@pytest.mark.parametrize("media_type", [PDF, DOCX, XLSX])
def test_a_damaged_file_has_no_text_and_a_warning(
    media_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger=content.__name__):
        assert extract_text(b"PK\x03\x04 this is not really a file", media_type) == ""
    assert "Could not extract the text" in caplog.text


def test_a_truncated_pdf_has_no_text(source_pdf: bytes) -> None:
    assert extract_text(source_pdf[: len(source_pdf) // 3], PDF) == ""


def test_images_and_unknown_types_have_no_text(source_pdf: bytes) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    assert extract_text(png, "image/png") == ""
    assert extract_text(b"hello", "application/octet-stream") == ""
    assert extract_text(source_pdf, "image/jpeg") == ""  # the declared type decides


# --- render_markdown -------------------------------------------------------------------------


def test_markdown_renders_headings_tables_and_emphasis() -> None:
    rendered = render_markdown(
        "# Scope\n\nThis is *important* and ~~obsolete~~.\n\n"
        "| Step | Who |\n|---|---|\n| 1 | QA |\n"
    )
    assert "<h1>Scope</h1>" in rendered
    assert "<em>important</em>" in rendered
    assert "<s>obsolete</s>" in rendered
    assert "<table>" in rendered
    assert "<th>Step</th>" in rendered
    assert "<td>QA</td>" in rendered


def test_markdown_escapes_raw_html() -> None:
    rendered = render_markdown('<script>alert("x")</script>\n\nHi <img src=x onerror=alert(1)>')
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "&lt;script&gt;" in rendered


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "<javascript:alert(1)>",
        "[x]: javascript:alert(1)\n\n[x]",
        "![x](javascript:alert(1))",
    ],
)
def test_markdown_makes_no_script_links(source: str) -> None:
    rendered = render_markdown(source).lower()
    assert "href=" not in rendered
    assert "src=" not in rendered


def test_markdown_keeps_ordinary_links() -> None:
    assert '<a href="https://example.com/sop">SOP</a>' in render_markdown(
        "[SOP](https://example.com/sop)"
    )


# --- controlled_copy_pdf ---------------------------------------------------------------------


def test_markdown_copy_has_the_footer_and_page_number_on_every_page() -> None:
    markdown_text = "# Purpose\n\n| Step | Who |\n|---|---|\n| Rinse | Zoë |\n\n" + "\n\n".join(
        f"Paragraph {n}: clean the filler nozzle and record it." for n in range(150)
    )
    pdf = controlled_copy_pdf(footer=FOOTER, markdown_text=markdown_text, title="Line cleaning")

    texts = pages_text(pdf)
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert FOOTER in text
        assert f"Page {number} of {len(texts)}" in text
    assert "Line cleaning" in texts[0]
    assert "Rinse" in texts[0]
    assert "Paragraph 149" in texts[-1]
    assert PdfReader(BytesIO(pdf)).metadata.title == "Line cleaning"  # type: ignore[union-attr]


def test_footer_characters_that_mean_something_in_css_or_html_print_as_written() -> None:
    footer = 'Copy \\ "quoted" </style><b>not bold</b> & done\nsecond line'
    pdf = controlled_copy_pdf(footer=footer, markdown_text="Body")
    text = pages_text(pdf)[0]
    assert 'Copy \\ "quoted" </style><b>not bold</b> & done\nsecond line' in text


def test_source_pdf_copy_is_stamped_on_every_page(source_pdf: bytes) -> None:
    pdf = controlled_copy_pdf(footer=FOOTER, source_pdf=source_pdf)

    texts = pages_text(pdf)
    assert len(texts) == 3
    originals = ["Alpha portrait page", "Bravo landscape page", "Charlie portrait page"]
    for number, (text, original) in enumerate(zip(texts, originals, strict=True), start=1):
        assert original in text
        assert FOOTER in text
        assert f"Page {number} of 3" in text


def test_source_pdf_copy_keeps_page_sizes_and_puts_the_footer_at_the_bottom(
    source_pdf: bytes,
) -> None:
    before = PdfReader(BytesIO(source_pdf)).pages
    after = PdfReader(BytesIO(controlled_copy_pdf(footer=FOOTER, source_pdf=source_pdf))).pages
    for old, new in zip(before, after, strict=True):
        assert new.mediabox == old.mediabox
        x, y = footer_position(new)
        assert 0 < x < float(new.mediabox.width) / 2  # centred: starts left of the middle
        assert 0 < y < 40  # within the last 14 mm
    assert after[1].mediabox.width > after[1].mediabox.height  # landscape stays landscape


@pytest.mark.parametrize(
    ("rotation", "edge"),
    [(90, "right"), (180, "top"), (270, "left")],
)
def test_footer_is_at_the_bottom_of_a_rotated_page_as_shown(
    source_pdf: bytes, rotation: int, edge: str
) -> None:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(source_pdf)))
    writer.pages[0].rotate(rotation)
    turned = BytesIO()
    writer.write(turned)

    page = PdfReader(BytesIO(controlled_copy_pdf(footer=FOOTER, source_pdf=turned.getvalue())))
    first = page.pages[0]
    assert first.rotation == rotation
    width, height = float(first.mediabox.width), float(first.mediabox.height)
    x, y = footer_position(first)
    near = {"right": width - x, "top": height - y, "left": x}[edge]
    assert 0 < near < 40


def test_footer_follows_an_offset_crop_box(source_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(source_pdf)))
    writer.pages[0].cropbox = RectangleObject([100, 200, 500, 700])
    cropped = BytesIO()
    writer.write(cropped)

    page = PdfReader(BytesIO(controlled_copy_pdf(footer=FOOTER, source_pdf=cropped.getvalue())))
    x, y = footer_position(page.pages[0])
    assert 100 < x < 300
    assert 200 < y < 260  # the narrow page wraps the footer onto two lines


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"markdown_text": "Body", "source_pdf": b"%PDF-1.7"},
        {"markdown_text": "Body", "footer": " "},
    ],
)
def test_a_copy_needs_one_source_and_a_footer(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"exactly one|footer"):
        controlled_copy_pdf(**{"footer": FOOTER, **kwargs})  # type: ignore[arg-type]


def test_a_damaged_source_pdf_is_refused(source_pdf: bytes) -> None:
    with pytest.raises(ContentError, match="cannot be read"):
        controlled_copy_pdf(footer=FOOTER, source_pdf=b"this is not a PDF at all")
    with pytest.raises(ContentError):
        controlled_copy_pdf(footer=FOOTER, source_pdf=source_pdf[: len(source_pdf) // 3])


def test_an_encrypted_source_pdf_is_refused(source_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(source_pdf)))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = BytesIO()
    writer.write(locked)
    with pytest.raises(ContentError, match="password"):
        controlled_copy_pdf(footer=FOOTER, source_pdf=locked.getvalue())
