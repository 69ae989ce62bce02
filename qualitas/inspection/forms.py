"""The inspection pages' forms: a plan item, and the measurement entry grid (one row per
sample item, one column per characteristic), which turns typed cells into ingest rows."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from qualitas.core.errors import FieldError
from qualitas.core.forms import StyledForm
from qualitas.inspection import ingest
from qualitas.inspection.measurement_files import parse_attribute
from qualitas.inspection.models import (
    Characteristic,
    CharacteristicKind,
    InspectionLot,
    InspectionPlan,
    LotCheck,
    Measurement,
    Sampling,
)
from qualitas.spc.aqltables import LEVELS

# Counts a database integer column holds (PositiveIntegerField: 2**31 - 1 on PostgreSQL).
LARGEST_COUNT = 2_147_483_647


class PlanItemForm(StyledForm):
    """A characteristic of a draft plan and how it is sampled; the service checks the
    sampling against the ISO 2859-1 tables (so an AQL the tables lack is refused there)."""

    characteristic = forms.ModelChoiceField(Characteristic.objects.none())
    sampling = forms.ChoiceField(choices=Sampling.choices, initial=Sampling.AQL)
    sample_size = forms.IntegerField(
        min_value=1,
        max_value=LARGEST_COUNT,
        required=False,
        label="Sample size n",
        help_text="Fixed sampling",
    )
    acceptance_number = forms.IntegerField(
        min_value=0,
        max_value=LARGEST_COUNT,
        required=False,
        initial=0,
        label="Ac",
        help_text="Fixed sampling",
    )
    inspection_level = forms.ChoiceField(
        choices=[(level, level) for level in LEVELS], initial="II", label="Inspection level"
    )
    aql = forms.FloatField(required=False, label="AQL (%)", help_text="Tables and skip-lot")
    skip_every = forms.IntegerField(
        min_value=1,
        max_value=32_767,
        required=False,
        label="Skip-lot: one lot in",
        help_text="Skip-lot",
    )
    reaction = forms.CharField(max_length=300, required=False, help_text="What to do on a failure")

    def __init__(self, *args: Any, plan: InspectionPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = Characteristic.objects.filter(revision_id=plan.part_revision_id, is_active=True)
        self.fields["characteristic"].queryset = choices  # type: ignore[attr-defined]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "characteristic": data["characteristic"],
            "sampling": data["sampling"],
            "sample_size": data.get("sample_size"),
            "acceptance_number": data.get("acceptance_number") or 0,
            "inspection_level": data["inspection_level"],
            "aql": data.get("aql"),
            "skip_every": data.get("skip_every"),
            "reaction": data.get("reaction") or "",
        }


# One page of the grid: a 100 % check of a large lot is uploaded as a file instead. A page
# sends at most GRID_CELLS cells, below Django's 1,000 fields a request may carry
# (DATA_UPLOAD_MAX_NUMBER_FIELDS), so many characteristics mean fewer rows.
GRID_ROWS = 200
GRID_CELLS = 900


@dataclass
class Column:
    check: LotCheck
    characteristic: Characteristic

    @property
    def kind(self) -> str:
        return str(self.characteristic.kind)

    @property
    def step(self) -> str:
        decimals = self.characteristic.decimals
        return "1" if decimals == 0 else f"0.{'0' * (decimals - 1)}1"

    def limits(self) -> dict[str, Any]:
        c = self.characteristic
        return {
            "kind": self.kind,
            "lsl": c.lsl,
            "usl": c.usl,
            "decimals": c.decimals,
            "label": f"{c.number} {c.name}",
        }


@dataclass
class Cell:
    """One cell: an input while the sample item is still to measure, the recorded value
    (read-only) once measured, or nothing beyond the characteristic's sample size."""

    column: Column
    sample_no: int
    state: str  # "input", "measured" or "beyond"
    text: str = ""
    conforming: bool = True
    # What the form sent for this cell; for a measured cell only when the same form is sent
    # twice (its batch key then finds the batch the first sending made).
    typed: str = ""

    @property
    def name(self) -> str:
        return f"m-{self.column.check.pk}-{self.sample_no}"

    @property
    def label(self) -> str:
        c = self.column.characteristic
        return f"Item {self.sample_no}, {c.number} {c.name}"


@dataclass
class GridRow:
    sample_no: int
    cells: list[Cell]
    has_error: bool = False


@dataclass
class EntryGrid:
    """The entry grid of a lot: its columns (checks not skipped), rows up to the largest
    sample size (at most GRID_ROWS), and what is already measured."""

    lot: InspectionLot
    # Every check of the lot, skipped ones too (the columns are those with a sample).
    checks: list[LotCheck]
    columns: list[Column]
    rows: list[GridRow]
    largest_sample: int
    key: str
    errors: list[FieldError] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.largest_sample > len(self.rows)

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def measured_count(self) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.state == "measured")

    @property
    def open_count(self) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.state == "input")

    def script_data(self) -> dict[str, Any]:
        return {"columns": {str(col.check.pk): col.limits() for col in self.columns}}

    @staticmethod
    def new_key() -> str:
        return f"grid-{uuid.uuid4().hex}"

    @classmethod
    def build(
        cls, lot: InspectionLot, *, data: QueryDict | None = None, key: str | None = None
    ) -> EntryGrid:
        every = list(lot.checks.select_related("characteristic"))
        checks = [c for c in every if not c.skipped]
        columns = [Column(check=c, characteristic=c.characteristic) for c in checks]
        largest = max((c.sample_size for c in checks), default=0)
        shown = min(largest, GRID_ROWS, max(1, GRID_CELLS // max(1, len(columns))))
        # One query for everything already measured on this page, whatever the sample sizes.
        measured = {
            (m.characteristic_id, m.sample_no): m
            for m in Measurement.objects.filter(lot=lot, sample_no__lte=shown).only(
                "characteristic_id", "sample_no", "value", "conforming", "defects"
            )
        }
        rows = []
        for n in range(1, shown + 1):
            cells = []
            for col in columns:
                found = measured.get((col.characteristic.pk, n))
                if found is not None:
                    cell = Cell(col, n, "measured", _shown(found, col), found.conforming)
                elif n > col.check.sample_size:
                    cell = Cell(col, n, "beyond")
                else:
                    cell = Cell(col, n, "input")
                if data is not None and cell.state != "beyond":
                    cell.typed = data.get(cell.name, "").strip()[:40]
                    if cell.state == "input":
                        cell.text = cell.typed
                cells.append(cell)
            rows.append(GridRow(n, cells))
        return cls(
            lot=lot,
            checks=every,
            columns=columns,
            rows=rows,
            largest_sample=largest,
            key=key or cls.new_key(),
        )

    def typed_rows(self) -> tuple[list[ingest.Row], list[FieldError]]:
        """The filled cells as ingest rows (their line is the grid row, the sample item),
        and the cells that are not a value of their kind, named by grid row as the ingest
        names its own refusals."""
        rows: list[ingest.Row] = []
        errors: list[FieldError] = []
        for grid_row in self.rows:
            for cell in grid_row.cells:
                if cell.state == "beyond" or not cell.typed:
                    continue
                row, problem = _row_from(cell.column.characteristic, cell.sample_no, cell.typed)
                if problem:
                    errors.append(FieldError(f"row {grid_row.sample_no}", problem))
                elif row is not None:
                    rows.append(row)
        return rows, errors

    def show_errors(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        named = {e.field for e in errors}
        for grid_row in self.rows:
            grid_row.has_error = f"row {grid_row.sample_no}" in named


def _shown(m: Measurement, col: Column) -> str:
    if col.kind == CharacteristicKind.VARIABLE and m.value is not None:
        return f"{m.value:.{col.characteristic.decimals}f}"
    if col.kind == CharacteristicKind.DEFECTS and m.defects is not None:
        return str(m.defects)
    return "pass" if m.conforming else "fail"


def _row_from(c: Characteristic, sample_no: int, text: str) -> tuple[ingest.Row | None, str]:
    label = f"{c.number} {c.name}"
    if c.kind == CharacteristicKind.VARIABLE:
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            return None, f"{label}: '{text}' is not a number."
        if not math.isfinite(value):
            return None, f"{label}: '{text}' is not a number."
        return ingest.Row(
            characteristic=c.number, sample_no=sample_no, value=value, line=sample_no
        ), ""
    if c.kind == CharacteristicKind.ATTRIBUTE:
        verdict = parse_attribute(text)
        if verdict is None:
            return None, f"{label}: '{text}' is neither pass (p, ok, 1) nor fail (f, nok, 0)."
        return ingest.Row(
            characteristic=c.number, sample_no=sample_no, conforming=verdict, line=sample_no
        ), ""
    try:
        defects = int(text)
    except ValueError:
        return None, f"{label}: '{text}' is not a count of defects."
    if defects < 0:
        return None, f"{label}: a count of defects is not negative."
    if defects > LARGEST_COUNT:
        return None, f"{label}: {defects} defects on one item is more than a count holds."
    return ingest.Row(
        characteristic=c.number, sample_no=sample_no, defects=defects, line=sample_no
    ), ""
