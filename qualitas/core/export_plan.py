"""Export rows of a list table from plain `values()` rows, without building model instances.

django-tables2's `as_values()` resolves every cell through an accessor on a model instance
and introspects the column's value function for each cell: an export of 100,000
nonconformances then spends most of its time in `inspect.signature`, and the audit
`post_init` hook snapshots every record loaded. Here each column is studied once: which
`values()` key holds its data, its choices labels, how a related object is labelled, which
value/render function to call with which arguments, and which plain fields that function
reads from `record`. The cells are the same texts `as_values()` gives, with spreadsheet
formulas neutralised, in the list's order with ties broken by primary key.

A table with a column that cannot be read this way (a property such as `printed_name`, a
many-to-many column) is exported through `BoundRow.get_cell_value`, still one chunk of
instances at a time.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.utils.encoding import force_str
from django_tables2.rows import BoundRow

CHUNK_SIZE = 2000
_DISPLAY = re.compile(r"^get_(\w+)_display$")
# What django-tables2 may pass a value/render function (bound_row needs an instance row).
_CELL_ARGUMENTS = frozenset({"value", "record", "column", "bound_column", "table"})


class Unplannable(Exception):
    """This column needs model instances; the table is exported row by row."""


@dataclass
class _Column:
    header: object
    key: str | None = None
    labels: dict[Any, Any] | None = None  # choices: stored value -> label
    related: type[models.Model] | None = None  # the key holds this model's primary key
    related_labels: dict[Any, str] = field(default_factory=dict)
    convert: Callable[[Any], Any] | None = None  # a date column's isoformat
    none_text: object = None  # a date column's text for no date
    function: Callable[..., Any] | None = None
    arguments: frozenset[str] = frozenset()
    fixed: dict[str, Any] = field(default_factory=dict)
    empty_values: tuple[Any, ...] = (None, "")


def _record_class(
    fields: dict[str, int], displays: dict[str, tuple[int, Callable[[Any], Any]]]
) -> type[Any]:
    """The `record` a value function sees: the plain fields it reads, from the values row."""

    def plain(index: int) -> property:
        return property(lambda self: self._row[index])

    def display(index: int, label_of: Callable[[Any], Any]) -> property:
        return property(lambda self: lambda: label_of(self._row[index]))

    attributes: dict[str, Any] = {"__slots__": ("_row",)}
    attributes.update({name: plain(index) for name, index in fields.items()})
    attributes.update({name: display(*how) for name, how in displays.items()})
    return type("ExportedRecord", (), attributes)


class ExportPlan:
    def __init__(self, table: tables.Table, queryset: QuerySet[Any]) -> None:
        self.table = table
        self.queryset = queryset
        self.model: type[models.Model] = queryset.model
        self.record_keys: dict[str, str] = {}
        self.record_displays: dict[str, tuple[str, Callable[[Any], Any]]] = {}
        self.needs_record = False
        self.columns = [self._plan_column(bc) for bc in exported_columns(table)]

    @property
    def header(self) -> list[object]:
        return [c.header for c in self.columns]

    def keys(self) -> list[str]:
        # A DISTINCT list (documents at a site) must not merge two records' equal cells.
        wanted = ["pk"] if self.queryset.query.distinct else []
        wanted += [c.key for c in self.columns if c.key] + list(self.record_keys.values())
        wanted += [key for key, _ in self.record_displays.values()]
        # values_list() of nothing would read every field.
        return list(dict.fromkeys(wanted)) or ["pk"]

    def rows(self) -> Iterator[list[object]]:
        keys = self.keys()
        index = {key: position for position, key in enumerate(keys)}
        for column in self.columns:
            if column.related is not None and column.key:
                # One query per related column: the labels of the objects the rows point to.
                ids = self.queryset.values(column.key)
                found = column.related._base_manager.filter(pk__in=ids)
                column.related_labels = {obj.pk: str(obj) for obj in found}
        make_row = _row_function(self.columns, index)
        rows = self.queryset.values_list(*keys).iterator(chunk_size=CHUNK_SIZE)
        if not self.needs_record:
            for row in rows:
                yield make_row(row, None)
            return
        record_class = _record_class(
            {name: index[key] for name, key in self.record_keys.items()},
            {name: (index[key], how) for name, (key, how) in self.record_displays.items()},
        )
        # One record, pointed at each row in turn: value functions read it while the row's
        # cells are made and keep nothing (a new object per row cost a third of the time).
        record = record_class()
        for row in rows:
            record._row = row
            yield make_row(row, record)

    # --- planning ------------------------------------------------------------------------

    def _plan_column(self, bound_column: Any) -> _Column:
        column = bound_column.column
        planned = _Column(header=force_str(bound_column.header, strings_only=True))
        planned.empty_values = tuple(column.empty_values)
        final = self._locate(bound_column.accessor, planned)
        function = bound_column.value
        own = getattr(function, "__self__", None) is column
        if own and _is_plain(type(column)):
            return planned
        if own and type(column).value in _DATE_VALUES:
            planned.convert = _date_conversion(type(column), final)
            # An empty date renders the column's template (its default, "—"): once, not per row.
            planned.none_text = force_str(
                column.value(
                    value=None,
                    record=None,
                    column=column,
                    bound_column=bound_column,
                    bound_row=SimpleNamespace(row_counter=0),
                    table=self.table,
                ),
                strings_only=True,
            )
            return planned
        if planned.related is not None:
            raise Unplannable(f"{bound_column.name}: a value function given a related object")
        if own and type(column).value is tables.Column.value:
            function = column.render  # Column.value hands its arguments to render
        self._plan_function(planned, function, bound_column)
        return planned

    def _locate(self, accessor: str, planned: _Column) -> models.Field[Any, Any] | None:
        bits = str(accessor).split("__") if "__" in str(accessor) else str(accessor).split(".")
        model = self.model
        if len(bits) == 1 and bits[0] in self.queryset.query.annotations:
            planned.key = bits[0]
            return None
        for position, bit in enumerate(bits):
            last = position == len(bits) - 1
            try:
                found = model._meta.pk if bit == "pk" else model._meta.get_field(bit)
            except FieldDoesNotExist as exc:
                raise Unplannable(f"{accessor} is not a field") from exc
            if found is None:
                raise Unplannable(f"{accessor} is not a field")
            if found.is_relation:
                forward = found.many_to_one or (found.one_to_one and found.concrete)
                if not forward or found.related_model is None:
                    raise Unplannable(f"{accessor} crosses a to-many relation")
                if last:
                    planned.key = "__".join(bits)
                    planned.related = found.related_model  # type: ignore[assignment]
                    return found  # type: ignore[return-value]
                model = found.related_model  # type: ignore[assignment]
                continue
            if not last:
                raise Unplannable(f"{accessor} reads into a plain field")
            planned.key = "__".join(bits)
            if found.choices:  # type: ignore[union-attr]
                planned.labels = dict(found.flatchoices)  # type: ignore[union-attr]
            return found  # type: ignore[return-value]
        return None

    def _plan_function(
        self, planned: _Column, function: Callable[..., Any], bound_column: Any
    ) -> None:
        parameters = inspect.signature(function).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            names = set(_CELL_ARGUMENTS) | {"bound_row"}
        else:
            names = set(parameters) & (_CELL_ARGUMENTS | {"bound_row"})
        if "bound_row" in names:
            raise Unplannable(f"{bound_column.name} reads the bound row")
        if "record" in names:
            self._plan_record(function, bound_column.name)
            self.needs_record = True
        planned.function = function
        planned.arguments = frozenset(names)
        planned.fixed = {
            "column": bound_column.column,
            "bound_column": bound_column,
            "table": self.table,
        }

    def _plan_record(self, function: Callable[..., Any], name: str) -> None:
        """The fields a value function reads as `record.<field>` or `record.get_<f>_display()`."""
        try:
            source = textwrap.dedent(inspect.getsource(function))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError) as exc:
            raise Unplannable(f"{name}: the value function's source cannot be read") from exc
        read: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _is_record(node.value):
                read.add(node.attr)
        bare = sum(isinstance(n, ast.Name) and n.id == "record" for n in ast.walk(tree))
        attributes = sum(
            isinstance(n, ast.Attribute) and _is_record(n.value) for n in ast.walk(tree)
        )
        if bare != attributes:  # `record` handed on whole (detail_url(record)): needs instances
            raise Unplannable(f"{name}: the value function uses the whole record")
        for attribute in read:
            self._plan_record_attribute(attribute, name)

    def _plan_record_attribute(self, attribute: str, name: str) -> None:
        meta = self.model._meta
        display = _DISPLAY.match(attribute)
        if display:
            found = _plain_field(meta, display.group(1))
            if found is None:
                raise Unplannable(f"{name} reads record.{attribute}")
            self.record_displays[attribute] = (found.attname, _label_of(self.model, found))
            return
        if attribute == "pk":
            self.record_keys["pk"] = "pk"
            return
        found = _plain_field(meta, attribute)
        if found is None:
            raise Unplannable(f"{name} reads record.{attribute}")
        self.record_keys[attribute] = found.attname


def exported_columns(table: tables.Table) -> list[Any]:
    """The columns `as_values()` exports, in its order."""
    return [c for c in table.columns.iterall() if not c.column.exclude_from_export]


def export_rows(table: tables.Table) -> Iterator[list[object]]:
    """The header, then one list of cells per row: `table.as_values()`, streamed, with
    spreadsheet formulas neutralised (exports.neutralise) as the cells are made."""
    queryset = stable_order(table.data.data)
    try:
        plan = ExportPlan(table, queryset)
    except Unplannable:
        yield from _instance_rows(table, queryset)
        return
    yield [_safe_text(header) for header in plan.header]
    yield from plan.rows()


def stable_order(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The list's order, with the primary key last: rows that tie on the sort (same owner,
    same day) come out in the same order in every export, on every database."""
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering or ())
    names = {str(o).lstrip("-") for o in ordering if isinstance(o, str)}
    if names & {"pk", queryset.model._meta.pk.attname, queryset.model._meta.pk.name}:
        return queryset
    return queryset.order_by(*ordering, "pk")


def _instance_rows(table: tables.Table, queryset: QuerySet[Any]) -> Iterator[list[object]]:
    columns = exported_columns(table)
    yield [_safe_text(c.header) for c in columns]
    for record in queryset.iterator(chunk_size=CHUNK_SIZE):
        row = BoundRow(record, table=table)
        yield [_safe_text(row.get_cell_value(c.name)) for c in columns]


def _row_function(
    columns: list[_Column], index: dict[str, int]
) -> Callable[[tuple[Any, ...], Any], list[object]]:
    """One function that turns a values row into the row's cells, neutralised.

    It runs for every row of exports of 100,000 rows: written out as one expression per
    column (no call per cell) and compiled once. Only positions and generated names go into
    the source; every value it uses is passed in its namespace.
    """
    namespace: dict[str, Any] = {"T": _safe_text, "F": _FORMULA}
    cells = []
    for n, column in enumerate(columns):
        at = index[column.key] if column.key else None
        value = f"row[{at}]" if at is not None else "None"
        if column.related is not None:
            namespace[f"L{n}"] = {k: _safe_text(v) for k, v in column.related_labels.items()}
            cells.append(f"(None if (v{n} := {value}) is None else L{n}[v{n}])")
            continue
        if column.labels is not None:
            namespace[f"S{n}"] = {
                k: force_str(v, strings_only=True) for k, v in column.labels.items()
            }
            value = f"S{n}.get(w{n} := {value}, w{n})"
        if column.convert is not None:
            namespace[f"C{n}"], namespace[f"D{n}"] = column.convert, _safe_text(column.none_text)
            cells.append(f"(D{n} if (v{n} := {value}) is None else T(C{n}(v{n})))")
            continue
        namespace[f"E{n}"] = column.empty_values
        empty = f"(v{n} := {value}) in E{n}"
        if column.empty_values == (None, ""):  # the usual: two identity/equality tests
            empty = f"(v{n} := {value}) is None or v{n} == ''"
        if column.function is None:
            text = f"(('\\'' + v{n} if v{n}[:1] in F else v{n}) if type(v{n}) is str else T(v{n}))"
        else:
            namespace[f"P{n}"] = functools.partial(
                column.function,
                **{k: v for k, v in column.fixed.items() if k in column.arguments},
            )
            given = [f"{k}={k}" for k in ("value", "record") if k in column.arguments]
            given = [g.replace("value=value", f"value=v{n}") for g in given]
            text = f"T(P{n}({', '.join(given)}))"
        cells.append(f"(None if {empty} else {text})")
    # Everything the expressions use arrives as a default argument: a local, not a global.
    names = ", ".join(f"{name}={name}" for name in namespace)
    source = f"def make_row(row, record, {names}):\n    return [\n        "
    source += ",\n        ".join(cells) + ",\n    ]\n"
    exec(compile(source, "<export row>", "exec"), namespace)  # noqa: S102 (generated above)
    return namespace["make_row"]  # type: ignore[no-any-return]


_FORMULA = frozenset(("=", "+", "-", "@", "\t", "\r"))  # as exports.neutralise


def _safe_text(value: Any) -> object:
    """force_str(strings_only=True), then a formula neutralised (exports.neutralise)."""
    text = value if type(value) is str else force_str(value, strings_only=True)
    if type(text) is str and text[:1] in _FORMULA:
        return "'" + text
    return text


def _is_plain(column_class: type[Any]) -> bool:
    """A column whose export value is the value itself."""
    return column_class.value is tables.Column.value and column_class.render is tables.Column.render


_DATE_VALUES = (tables.DateColumn.value, tables.DateTimeColumn.value)


def _date_conversion(
    column_class: type[Any], found: models.Field[Any, Any] | None
) -> Callable[[Any], Any]:
    # DateColumn exports any date (a datetime too) as isoformat(); DateTimeColumn a datetime
    # with a space. Anything else would render the column's template: not planned.
    if column_class.value is tables.DateTimeColumn.value:
        if isinstance(found, models.DateTimeField):
            return lambda value: value.isoformat(sep=" ")
    elif isinstance(found, models.DateField):
        return lambda value: value.isoformat()
    raise Unplannable("a date column on a field that is not a date")


def _label_of(model: type[models.Model], found: Any) -> Callable[[Any], Any]:
    """`record.get_<field>_display()` for a stored value: the model's own method (a record's
    state is labelled by its declared workflow, not by choices), asked once per distinct
    value on an unsaved instance holding only that value."""
    known: dict[Any, Any] = {}

    def label(value: Any) -> Any:
        if value not in known:
            probe = model(**{found.attname: value})
            known[value] = getattr(probe, f"get_{found.name}_display")()
        return known[value]

    return label


def _plain_field(meta: Any, name: str) -> Any:
    try:
        found = meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return None if found.is_relation or not found.concrete else found


def _is_record(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "record"
