"""Measurements from a file (CSV or XLSX, read by the studies' table parser): the columns
characteristic, sample and value / result / defects, each cell checked and refused with its
row before anything is recorded; `ingest.record_measurements` then takes the rows."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Protocol

from qualitas.core.errors import FieldError, InvalidInput
from qualitas.inspection.ingest import MAX_ERRORS, Row
from qualitas.spc import delimited


class TableLike(Protocol):
    """What `qualitas.studies.parsing.Table` holds: headers, text rows, their lines."""

    @property
    def headers(self) -> tuple[str, ...]: ...
    @property
    def rows(self) -> tuple[tuple[str, ...], ...]: ...
    @property
    def decimal_comma(self) -> bool: ...
    @property
    def lines(self) -> tuple[int, ...]: ...


# Pass/fail as inspectors type it in the grid and gauge exports write it.
PASS = frozenset({"p", "pass", "ok", "1", "y", "yes", "true", "io", "i.o.", "good", "conforming"})
FAIL = frozenset(
    {"f", "fail", "nok", "0", "n", "no", "false", "nio", "n.i.o.", "bad", "nonconforming"}
)
# Header spellings taken for each column (compared lower case, spaces and dashes as "_").
HEADERS = {
    "characteristic": ("characteristic", "char", "balloon", "characteristic_no"),
    "sample": ("sample", "sample_no", "sample_number", "item"),
    "value": ("value", "measured", "measurement"),
    "result": ("result", "conforming", "pass_fail"),
    "defects": ("defects", "defect_count"),
    "measured_at": ("measured_at", "time", "timestamp"),
    "gauge": ("gauge", "gauge_id", "gage", "instrument"),
}
_WHOLE = re.compile(r"[+-]?\d+(\.0*)?")


def _column_map(headers: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = re.sub(r"[\s\-]+", "_", header.strip().lower())
        for column, spellings in HEADERS.items():
            if name in spellings and column not in found:
                found[column] = index
    return found


def rows_from_table(table: TableLike) -> list[Row]:
    """The rows of a file with the columns characteristic, sample, and value (variables),
    result (pass/fail, ok/nok, 1/0 for attributes) or defects (counts); an optional
    measured_at (ISO 8601) and gauge (its identifier in the register). Cells that are not
    what their column holds are refused with their row, all of them before anything is
    recorded."""
    columns = _column_map(table.headers)
    missing = [c for c in ("characteristic", "sample") if c not in columns]
    if not {"value", "result", "defects"} & set(columns):
        missing.append("value, result or defects")
    if missing:
        raise InvalidInput.for_field(
            "file",
            f"The file needs the column{'s' if len(missing) > 1 else ''} "
            f"{' and '.join(missing)}; its columns are {', '.join(table.headers)}.",
        )
    lines = table.lines or tuple(range(2, len(table.rows) + 2))
    errors: list[FieldError] = []
    refused = 0
    rows: list[Row] = []

    def cell(row: tuple[str, ...], column: str) -> str:
        index = columns.get(column)
        return row[index].strip() if index is not None and index < len(row) else ""

    for line, raw in zip(lines, table.rows, strict=True):
        problems: list[str] = []
        sample_text = cell(raw, "sample")
        sample = int(float(sample_text)) if _WHOLE.fullmatch(sample_text) else None
        if sample is None:
            problems.append(f"sample '{sample_text}' is not a whole number")
        value: float | None = None
        value_text = cell(raw, "value")
        if value_text:
            number = delimited.to_number(value_text, decimal_comma=table.decimal_comma)
            if number is None:
                problems.append(
                    f"value '{value_text}' is not a number"
                    + (
                        " (a decimal comma is read only between semicolon- or tab-separated "
                        "columns)"
                        if delimited.DECIMAL_COMMA.fullmatch(value_text)
                        else ""
                    )
                )
            else:
                value = number
        result_text = cell(raw, "result")
        conforming: bool | None = None
        if result_text:
            conforming = parse_attribute(result_text)
            if conforming is None:
                problems.append(f"result '{result_text}' is not pass/fail, ok/nok or 1/0")
        defects_text = cell(raw, "defects")
        defects: int | None = None
        if defects_text:
            if _WHOLE.fullmatch(defects_text):
                defects = int(float(defects_text))
            else:
                problems.append(f"defects '{defects_text}' is not a whole count")
        time_text = cell(raw, "measured_at")
        measured_at: datetime.datetime | None = None
        if time_text:
            try:
                measured_at = datetime.datetime.fromisoformat(time_text)
            except ValueError:
                problems.append(f"measured_at '{time_text}' is not a date and time (ISO 8601)")
        if problems:
            refused += 1
            if len(errors) < MAX_ERRORS:
                errors.append(FieldError(f"row {line}", "; ".join(problems).capitalize() + "."))
            continue
        rows.append(
            Row(
                characteristic=cell(raw, "characteristic"),
                sample_no=sample if sample is not None else 0,
                value=value,
                conforming=conforming,
                defects=defects,
                measured_at=measured_at,
                line=line,
                gauge=cell(raw, "gauge") or None,
            )
        )
    if refused:
        more = f" (the first {len(errors)} are listed)" if refused > len(errors) else ""
        raise InvalidInput(
            errors,
            detail=f"{refused} of {len(table.rows)} rows cannot be read{more}; nothing was "
            "recorded. " + "; ".join(f"{e.field}: {e.message}" for e in errors[:3]),
        )
    return rows


def parse_attribute(text: str) -> bool | None:
    """Pass/fail as inspectors type it; None when it is neither."""
    word = text.strip().lower()
    if word in PASS:
        return True
    if word in FAIL:
        return False
    return None
