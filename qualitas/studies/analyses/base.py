"""What every analysis kind declares (see `qualitas.studies.analyses`), and the shared steps:
validating inputs, running the engine with its errors on the right field, JSON-safe results.

An `Analysis` names its inputs (a Schema: the API's body for that kind, and what the study
keeps in `parameters`), how the engine turns them into results (plain JSON), the pictures
drawn from those results (page and PDF draw the same ones), the lines of the PDF summary and
the form that gathers the inputs on the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ninja import Schema
from pydantic import ValidationError

from qualitas.core.errors import FieldError, InvalidInput
from qualitas.spc.errors import SpcInputError

if TYPE_CHECKING:
    from qualitas.studies.forms import AnalysisForm

Results = dict[str, Any]


@dataclass(frozen=True)
class Figure:
    """A picture of a study's results: `draw(parameters, results)` returns a matplotlib
    figure. `alt` is what a screen reader says instead."""

    name: str
    title: str
    alt: str
    draw: Callable[[dict[str, Any], Results], Any]
    # Whether this study's results have what the picture needs (e.g. AOQ needs a lot size).
    shown: Callable[[dict[str, Any], Results], bool] = lambda _params, _results: True


@dataclass(frozen=True)
class Analysis:
    key: str
    label: str
    inputs: type[Schema]
    run: Callable[[Any], Results]
    template: str
    summary: Callable[[dict[str, Any], Results], list[str]]
    form: type[AnalysisForm]
    figures: Sequence[Figure] = ()
    # What the study's "characteristic" means here, e.g. "the gauge and what it measures".
    subject: str = "What was measured"
    needs_subject: bool = True
    help: str = ""
    references: tuple[str, ...] = field(default_factory=tuple)

    def figure(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)


def json_safe(value: Any) -> Any:
    """Results as PostgreSQL's jsonb and every JSON reader take them: no NaN or infinity
    (they become null), NumPy scalars as Python numbers, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return json_safe(value.tolist())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if hasattr(value, "__float__"):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def field_of(message: str, fields: Sequence[str], default: str) -> str:
    """The input an engine message is about: the field it starts with ("aql: …", "h must
    …"), else the first field it names (as `lot_size` or "lot size"), else `default`."""
    lowered = message.lower()

    def pattern(name: str) -> str:
        name = name.lower()
        return rf"\b({re.escape(name)}|{re.escape(name.replace('_', ' '))})\b"

    for name in fields:
        if re.match(pattern(name), lowered):
            return name
    for name in fields:
        if re.search(pattern(name), lowered):
            return name
    return default


def run(analysis: Analysis, inputs: Schema) -> Results:
    """The results of `inputs`, or an InvalidInput naming the field the engine refused."""
    try:
        results = analysis.run(inputs)
    except SpcInputError as exc:
        names = [name for name in analysis.inputs.model_fields if name != "analysis"]
        message = str(exc)
        field = field_of(message, names, "data")
        # The error names its field already; "aql: aql: …" would say it twice.
        message = message.removeprefix(f"{field}:").strip()
        raise InvalidInput([FieldError(field, message[:1].upper() + message[1:])]) from None
    safe: Results = json_safe(results)
    return safe


def validate(analysis: Analysis, raw: dict[str, Any]) -> Schema:
    """`raw` (a saved study's parameters, or what a form gathered) as the analysis's inputs;
    a refused value is an InvalidInput naming its field."""
    try:
        return analysis.inputs.model_validate({**raw, "analysis": analysis.key})
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "__all__", e["msg"])
            for e in exc.errors()
        ]
        raise InvalidInput(errors) from None


def parameters_of(analysis: Analysis, inputs: Schema) -> dict[str, Any]:
    """What a study keeps of its inputs: the analysis's own fields, not the study's title
    (the API's body carries both)."""
    own = [name for name in analysis.inputs.model_fields if name != "analysis"]
    kept: dict[str, Any] = json_safe(inputs.model_dump(include=set(own)))
    return kept
