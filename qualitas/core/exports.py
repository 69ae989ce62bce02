"""CSV and XLSX export of a list: the same table the user sees, all filtered rows."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

# A cell starting with one of these is run as a formula by spreadsheet programs
# (CSV injection, OWASP); prefixing a quote keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def filename(base: str, extension: str) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return f"{base}-{stamp}.{extension}"


def csv_response(base_name: str, rows: Iterable[Sequence[object]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    # The BOM makes Excel read UTF-8 names (Müller, Ørsted) correctly.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(base_name, "csv")}"'
    return response


# Rows are written out in pieces of about this size, so memory does not grow with the list.
_CSV_PIECE = 64 * 1024
# A workbook this small stays in memory; a larger one spills to a temporary file.
_XLSX_IN_MEMORY = 4 * 1024 * 1024


def csv_stream(
    base_name: str, rows: Iterable[Sequence[object]], *, neutralised: bool = False
) -> StreamingHttpResponse:
    """A list export of any length: rows are written as the database hands them over.

    `neutralised`: the rows' formulas are already neutralised (export_plan does it as it
    makes each cell, the cheaper place for 100,000 rows)."""
    response = StreamingHttpResponse(
        csv_pieces(rows, neutralised=neutralised), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(base_name, "csv")}"'
    return response


def csv_pieces(rows: Iterable[Sequence[object]], *, neutralised: bool) -> Iterator[str]:
    """The CSV text in pieces of about 64 KiB: sent by csv_stream, written to a file by a
    background export (qualitas.core.backgroundexports)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # as csv_response: Excel then reads UTF-8 names correctly
    formula = frozenset(_FORMULA_START)
    for row in rows:
        if not neutralised:  # neutralise(), inlined: it runs for every cell of every row
            row = [f"'{c}" if type(c) is str and c[:1] in formula else c for c in row]
        writer.writerow(row)
        if buffer.tell() >= _CSV_PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_stream(
    base_name: str, rows: Iterable[Sequence[object]], *, title: str, neutralised: bool = False
) -> FileResponse:
    """A workbook of any length: openpyxl writes rows to disk, the file is sent in blocks.

    `neutralised`: as csv_stream's, the rows are ready as they are (their text neutralised,
    no aware datetimes): the training matrix's 600,000 cells are mostly fixed labels."""
    spool = tempfile.SpooledTemporaryFile(max_size=_XLSX_IN_MEMORY)  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(rows, spool, title=title, neutralised=neutralised)
    spool.seek(0)
    response = FileResponse(spool, content_type=XLSX_TYPE)
    response.block_size = 64 * 1024
    response["Content-Disposition"] = f'attachment; filename="{filename(base_name, "xlsx")}"'
    return response


def write_xlsx(
    rows: Iterable[Sequence[object]], target: IO[bytes], *, title: str, neutralised: bool = False
) -> None:
    """A workbook of one sheet written to `target`: openpyxl's write-only mode keeps the rows
    in a temporary file, not in memory. Used by xlsx_stream and by background exports.

    `neutralised`: the rows are written as they are (see xlsx_stream)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    try:
        for row in rows:
            sheet.append(row if neutralised else [_xlsx_cell(cell) for cell in row])
    except BaseException:
        # The rows failed half way: close openpyxl's half-written sheet and remove its
        # temporary file now (it would stay until the server stops), then let the error go on.
        with contextlib.suppress(Exception):
            sheet.close()
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()
        raise
    workbook.save(target)


def xlsx_response(base_name: str, rows: Iterable[Sequence[object]], *, title: str) -> HttpResponse:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, title=title)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(base_name, "xlsx")}"'
    return response


def _xlsx_cell(value: object) -> object:
    if isinstance(value, datetime):
        # Excel has no time zones: write UTC wall time, as the column header says.
        return value.astimezone(UTC).replace(tzinfo=None)
    if value is None or isinstance(value, int | float | bool):
        return value
    return neutralise(str(value))
