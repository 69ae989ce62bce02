"""Measurements as delimited text (a CSV file, cells pasted from a spreadsheet): which
character separates the columns, and whether a comma in a number is its decimal mark.

A comma is read as the decimal mark only when the columns are separated by tabs or
semicolons, so that "74,012" can mean nothing else: Excel copies cells with tabs, and saves
CSV with semicolons where the comma is the decimal mark. Between comma-separated columns
"74,012" could as well be seventy-four thousand and twelve, and is refused with its row.
Rows are numbered as the spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass

from qualitas.spc.errors import SpcInputError

__all__ = ["Delimited", "decimal_comma_message", "read_delimited", "to_number"]

# Tab and semicolon first: they leave the comma free to be a decimal mark.
SEPARATORS = ("\t", ";", ",")
DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")
_WHOLE = re.compile(r"[+-]?\d+")
_DIGITS = re.compile(r"\d+")
_HINT = "decimal commas are read when the columns are separated by semicolons or tabs."


@dataclass(frozen=True)
class Delimited:
    """The rows that hold something, each with the line it came from (1 = the first)."""

    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    separator: str

    @property
    def decimal_comma(self) -> bool:
        return self.separator != ","


def to_number(cell: str, *, decimal_comma: bool) -> float | None:
    """The cell's number, NaN for an empty cell (a missing value), None when it is not one."""
    text = cell.strip()
    if text == "":
        return math.nan
    if decimal_comma and DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    # "inf" or "nan" written in a cell is no measurement (an empty cell is the missing one).
    return number if math.isfinite(number) else None


def decimal_comma_message(row: int, column: str, cell: str) -> str | None:
    """What to say about a cell that is a number with a decimal comma, where one is not read."""
    if not DECIMAL_COMMA.fullmatch(cell.strip()):
        return None
    return f"Use a decimal point: row {row}, column '{column}' has '{cell.strip()}'. " + (
        _HINT[0].upper() + _HINT[1:]
    )


def _separator(lines: list[str]) -> str:
    """Tab or semicolon when the header and the rows split into the same columns by it
    (rows may have fewer cells), else the comma (also for a single column)."""
    for separator in SEPARATORS[:-1]:
        rows = [row for row in csv.reader(lines[:200], delimiter=separator) if any(row)]
        header = len(rows[0]) if rows else 0
        data = rows[1:]
        if (
            header >= 2
            and all(len(_trimmed(row)) <= header for row in data)
            and any(len(row) >= 2 for row in data)
        ):
            return separator
    return ","


def _trimmed(row: list[str]) -> list[str]:
    """The row without empty cells at its end (a spreadsheet's trailing separators)."""
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return row[:end]


def _broken_number(cells: list[str]) -> str:
    """The number a decimal comma broke in two, when only one reading is possible; else
    the whole row."""
    candidates = [
        f"{cells[i]},{cells[i + 1]}"
        for i in range(len(cells) - 1)
        if _WHOLE.fullmatch(cells[i]) and _DIGITS.fullmatch(cells[i + 1])
    ]
    return candidates[0] if len(candidates) == 1 else ",".join(cells)


def _too_many_cells(line: int, cells: list[str], header: tuple[str, ...]) -> str:
    if any(_DIGITS.fullmatch(cell) for cell in cells[1:]):
        # "74,012" between comma-separated columns: the decimal comma split the number.
        return (
            f"Use a decimal point: row {line} has '{_broken_number(cells)}'. Commas "
            f"separate the columns here; {_HINT}"
        )
    columns = ", ".join(header)
    return f"Row {line} has {len(cells)} cells but the header names {len(header)}: {columns}."


def read_delimited(text: str) -> Delimited:
    """The rows of the text, split by its separator. Refuses a row with more cells than the
    header names (SpcInputError naming the row): a decimal comma between comma-separated
    columns, most often."""
    lines = text.splitlines()
    separator = _separator(lines)
    found = [
        (line, tuple(cell.strip() for cell in row))
        for line, row in enumerate(csv.reader(lines, delimiter=separator), start=1)
        if any(cell.strip() for cell in row)
    ]
    if found:
        header = found[0][1]
        for line, row in found[1:]:
            cells = _trimmed(list(row))
            if len(cells) > len(header):
                raise SpcInputError(_too_many_cells(line, cells, header))
    return Delimited(
        rows=tuple(row for _, row in found),
        lines=tuple(line for line, _ in found),
        separator=separator,
    )
