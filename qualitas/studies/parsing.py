"""Measurements from CSV, pasted text or XLSX, with errors that name the row and the column."""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import dataclass

from qualitas.core import archives
from qualitas.core.errors import FieldError, InvalidInput
from qualitas.spc import delimited
from qualitas.spc.errors import SpcInputError

MAX_ROWS = 200_000


@dataclass(frozen=True)
class Table:
    """Columns of text cells by header; row numbers are those a spreadsheet shows (header = 1).

    `decimal_comma` says a comma in a number is its decimal mark: true only when the columns
    are separated by tabs or semicolons, so that "74,012" can mean nothing else.
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    decimal_comma: bool = False
    # The line each row came from, when blank lines were left out (default: 2, 3, …).
    lines: tuple[int, ...] = ()

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
        cells = self.column(name, field=field)
        for row, cell in zip(self.lines or range(2, len(cells) + 2), cells, strict=True):
            number = delimited.to_number(cell, decimal_comma=self.decimal_comma)
            if number is None:
                message = delimited.decimal_comma_message(row, name, cell) or (
                    f"Row {row}, column '{name}': '{cell.strip()}' is not a number."
                )
                errors.append(FieldError(field, message))
            elif whole and not math.isnan(number) and (number < 0 or number != int(number)):
                errors.append(
                    FieldError(field, f"Row {row}, column '{name}': {cell} is not a whole count.")
                )
            else:
                values.append(number)
            if len(errors) >= 10:
                break
        if errors:
            raise InvalidInput(errors)
        return values

    def numeric_columns(self, *, skip: tuple[str, ...] = ()) -> list[str]:
        """Columns that are mostly numbers (`numbers` names the few bad cells)."""
        found = []
        for name in self.headers:
            if name in skip:
                continue
            cells = [c.strip() for c in self.column(name, field="column") if c.strip()][:50]
            readable = [
                c
                for c in cells
                if delimited.to_number(c, decimal_comma=self.decimal_comma) is not None
                or delimited.DECIMAL_COMMA.fullmatch(c)
            ]
            if cells and len(readable) * 2 >= len(cells):
                found.append(name)
        return found

    def first_numeric_column(self, *, skip: tuple[str, ...] = ()) -> str | None:
        """The measurements, by default: the first column of numbers that does not number
        the samples (1, 1, 2, 2, 3 …), unless there is no other."""
        found = self.numeric_columns(skip=skip)
        measured = [name for name in found if not self._numbers_samples(name)]
        chosen = measured or found
        return chosen[0] if chosen else None

    def _numbers_samples(self, name: str) -> bool:
        numbers: list[float] = []
        for cell in self.column(name, field="column"):
            number = delimited.to_number(cell, decimal_comma=self.decimal_comma)
            if number is None or math.isnan(number) or number != int(number):
                return False
            numbers.append(number)
        steps = {b - a for a, b in itertools.pairwise(numbers)}
        return steps <= {0, 1} and 1 in steps


def parse_text(text: str, *, source: str = "pasted data") -> Table:
    """CSV (comma, semicolon or tab separated) with a header row."""
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise InvalidInput.for_field(
            "data", "There is no data: upload a file or paste measurements."
        )
    try:
        found = delimited.read_delimited(text)
    except SpcInputError as exc:
        raise InvalidInput.for_field("data", str(exc)) from None
    if len(found.rows) > MAX_ROWS + 1:
        raise InvalidInput.for_field("data", f"{source} has more than {MAX_ROWS:,} rows.")
    first = found.rows[0]
    if all(
        (n := delimited.to_number(cell, decimal_comma=found.decimal_comma)) is not None
        and not math.isnan(n)
        for cell in first
    ):
        # Measurements pasted without a header: the first row is data, not a name (taking
        # it as one lost a measurement without a word).
        headers = tuple(f"column {i + 1}" for i in range(len(first)))
        return Table(headers, found.rows, decimal_comma=found.decimal_comma, lines=found.lines)
    if len(found.rows) < 2:
        raise InvalidInput.for_field(
            "data", f"{source} needs a header row and at least one data row."
        )
    headers = tuple(h or f"column {i + 1}" for i, h in enumerate(first))
    if len(set(headers)) != len(headers):
        raise InvalidInput.for_field("data", f"{source} has two columns with the same name.")
    return Table(headers, found.rows[1:], decimal_comma=found.decimal_comma, lines=found.lines[1:])


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
    rows, lines = [], []
    for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = tuple("" if v is None else str(v) for v in row)
        if any(cells):
            rows.append(cells)
            lines.append(line)
        if len(rows) > MAX_ROWS + 1:
            raise InvalidInput.for_field("file", f"'{name}' has more than {MAX_ROWS:,} rows.")
    workbook.close()
    if len(rows) < 2:
        raise InvalidInput.for_field(
            "file", f"'{name}' needs a header row and at least one data row."
        )
    headers = tuple(h or f"column {i + 1}" for i, h in enumerate(rows[0]))
    return Table(headers, tuple(rows[1:]), lines=tuple(lines[1:]))
