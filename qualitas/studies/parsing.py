"""Measurements from CSV, pasted text or XLSX, with errors that name the row and the column."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from qualitas.core import archives
from qualitas.core.errors import FieldError, InvalidInput

MAX_ROWS = 200_000


@dataclass(frozen=True)
class Table:
    """Columns of text cells by header; row numbers are those a spreadsheet shows (header = 1)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, name: str, *, field: str) -> list[str]:
        if name not in self.headers:
            known = ", ".join(self.headers)
            raise InvalidInput.for_field(
                field, f"There is no column '{name}'; the columns are {known}."
            )
        index = self.headers.index(name)
        return [row[index] if index < len(row) else "" for row in self.rows]

    def numbers(self, name: str, *, field: str, whole: bool = False) -> list[float]:
        """The column as numbers; empty cells are missing values (NaN)."""
        values: list[float] = []
        errors: list[FieldError] = []
        for offset, cell in enumerate(self.column(name, field=field), start=2):
            text = (
                cell.strip().replace(",", ".")
                if cell.count(",") == 1 and "." not in cell
                else cell.strip()
            )
            if text == "":
                values.append(math.nan)
                continue
            try:
                number = float(text)
            except ValueError:
                errors.append(
                    FieldError(field, f"Row {offset}, column '{name}': '{cell}' is not a number.")
                )
                continue
            if whole and (number < 0 or number != int(number)):
                errors.append(
                    FieldError(
                        field, f"Row {offset}, column '{name}': {cell} is not a whole count."
                    )
                )
            values.append(number)
            if len(errors) >= 10:
                break
        if errors:
            raise InvalidInput(errors)
        return values

    def first_numeric_column(self) -> str | None:
        for name in self.headers:
            cells = [c for c in self.column(name, field="column") if c.strip()]
            try:
                [float(c) for c in cells[:20]]
            except ValueError:
                continue
            if cells:
                return name
        return None


def parse_text(text: str, *, source: str = "pasted data") -> Table:
    """CSV (comma, semicolon or tab separated) with a header row."""
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise InvalidInput.for_field(
            "data", "There is no data: upload a file or paste measurements."
        )
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [tuple(cell.strip() for cell in row) for row in csv.reader(io.StringIO(text), dialect)]
    rows = [row for row in rows if any(row)]
    if len(rows) < 2:
        raise InvalidInput.for_field(
            "data", f"{source} needs a header row and at least one data row."
        )
    if len(rows) > MAX_ROWS + 1:
        raise InvalidInput.for_field("data", f"{source} has more than {MAX_ROWS:,} rows.")
    headers = tuple(h or f"column {i + 1}" for i, h in enumerate(rows[0]))
    if len(set(headers)) != len(headers):
        raise InvalidInput.for_field("data", f"{source} has two columns with the same name.")
    return Table(headers, tuple(rows[1:]))


def parse_upload(content: bytes, name: str) -> Table:
    """A CSV/TXT or XLSX file's first sheet."""
    if content[:4] == b"PK\x03\x04":
        return _parse_xlsx(content, name)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            raise InvalidInput.for_field(
                "file", f"'{name}' is neither CSV text nor an Excel workbook."
            ) from None
    return parse_text(text, source=f"'{name}'")


def _parse_xlsx(content: bytes, name: str) -> Table:
    from openpyxl import load_workbook

    # A workbook is a zip: one that would unpack to gigabytes is refused before openpyxl
    # reads it (its read-only mode still loads shared strings and styles whole).
    archives.check(content, name=name)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise InvalidInput.for_field(
            "file", f"'{name}' is not a readable Excel workbook."
        ) from None
    sheet = workbook.worksheets[0]
    rows = []
    for row in sheet.iter_rows(values_only=True):
        cells = tuple("" if v is None else str(v) for v in row)
        if any(cells):
            rows.append(cells)
        if len(rows) > MAX_ROWS + 1:
            raise InvalidInput.for_field("file", f"'{name}' has more than {MAX_ROWS:,} rows.")
    workbook.close()
    if len(rows) < 2:
        raise InvalidInput.for_field(
            "file", f"'{name}' needs a header row and at least one data row."
        )
    headers = tuple(h or f"column {i + 1}" for i, h in enumerate(rows[0]))
    return Table(headers, tuple(rows[1:]))
