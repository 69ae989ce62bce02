"""Reading the command line's input tables (CSV, semicolon or tab separated, or XLSX), and the
one-line user error every ``qualitas spc`` command raises."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from qualitas.spc import delimited
from qualitas.spc.errors import SpcInputError

__all__ = ["CliError", "Table", "read_table"]


class CliError(Exception):
    """A user error on the command line; printed as one line."""


class Table:
    """A CSV (or XLSX) table: a header and rows of strings."""

    def __init__(
        self,
        path: Path,
        header: list[str],
        rows: list[list[str]],
        *,
        decimal_comma: bool = False,
        lines: Sequence[int] = (),
    ) -> None:
        self.path = path
        self.header = header
        self.rows = rows
        # A comma is a decimal mark only between tab- or semicolon-separated columns.
        self.decimal_comma = decimal_comma
        self.lines = list(lines) or list(range(2, len(rows) + 2))

    def index(self, name: str) -> int:
        """Position of a column, or a readable error naming it."""
        if name in self.header:
            return self.header.index(name)
        lowered = [h.lower() for h in self.header]
        if name.lower() in lowered:
            return lowered.index(name.lower())
        raise CliError(
            f"{self.path.name}: unknown column {name!r}; columns are {', '.join(self.header)}"
        )

    def text(self, name: str) -> list[str]:
        """The cells of a column as stripped strings."""
        i = self.index(name)
        return [(row[i] if i < len(row) else "").strip() for row in self.rows]

    def numbers(self, name: str) -> NDArray[np.float64]:
        """A numeric column; empty cells are missing (NaN)."""
        cells = self.text(name)
        out = np.empty(len(cells), dtype=np.float64)
        column = self.header[self.index(name)]
        for k, cell in enumerate(cells):
            if cell == "" or cell.upper() in ("NA", "NAN"):
                out[k] = np.nan
                continue
            number = delimited.to_number(cell, decimal_comma=self.decimal_comma)
            if number is None:
                row = self.lines[k]
                message = delimited.decimal_comma_message(row, column, cell)
                raise CliError(
                    f"{self.path.name}: "
                    + (message or f"row {row}, column {column!r}: {cell!r} is not a number")
                )
            out[k] = number
        return out


def read_table(path: str) -> Table:
    """Read a CSV file (comma, semicolon or tab separated) or, if openpyxl is installed, XLSX."""
    p = Path(path)
    if not p.is_file():
        raise CliError(f"file not found: {path}")
    if p.suffix.lower() == ".xlsx":
        try:
            import openpyxl
        except ImportError:
            raise CliError("reading .xlsx needs openpyxl; save the sheet as CSV") from None
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
        sheet = book.active
        if sheet is None:
            raise CliError(f"{p.name}: the workbook has no sheet")
        grid = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        lines = [k for k, row in enumerate(grid, start=1) if any(c.strip() for c in row)]
        grid = [row for row in grid if any(c.strip() for c in row)]
        decimal_comma = False
    else:
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CliError(f"{p.name}: not a UTF-8 text file") from None
        try:
            found = delimited.read_delimited(text)
        except SpcInputError as exc:
            raise CliError(f"{p.name}: {exc}") from None
        grid = [list(row) for row in found.rows]
        lines, decimal_comma = list(found.lines), found.decimal_comma
    if not grid:
        raise CliError(f"{p.name}: the file is empty")
    header = [h.strip() for h in grid[0]]
    if len(grid) < 2:
        raise CliError(f"{p.name}: the file has a header but no data rows")
    return Table(p, header, grid[1:], decimal_comma=decimal_comma, lines=lines[1:])
