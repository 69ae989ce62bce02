"""CSV and XLSX export of a list: the same table the user sees, all filtered rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.http import HttpResponse
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


def _filename(base: str, extension: str) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return f"{base}-{stamp}.{extension}"


def csv_response(base_name: str, rows: Iterable[Sequence[object]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    # The BOM makes Excel read UTF-8 names (Müller, Ørsted) correctly.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(base_name, "csv")}"'
    return response


def xlsx_response(base_name: str, rows: Iterable[Sequence[object]], *, title: str) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(base_name, "xlsx")}"'
    return response


def _xlsx_cell(value: object) -> object:
    if isinstance(value, datetime):
        # Excel has no time zones: write UTC wall time, as the column header says.
        return value.astimezone(UTC).replace(tzinfo=None)
    if value is None or isinstance(value, int | float | bool):
        return value
    return neutralise(str(value))
