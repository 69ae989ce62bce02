"""A list table as HTML, made in Python from a plan of its columns (issue 12).

django-tables2 renders each cell through `BoundRow.get_cell`: it inspects the column's
render function's signature, recomputes the column's attributes and walks the accessor for
every cell, and its template resolves a dozen lookups per cell. For a page of 25 rows and
13 columns that was most of the time a list page took at a million records. Here each
column is studied once per page (how its value is read, whether a choice label stands in
for it, which arguments its render function takes, its `<td>` attributes when they do not
depend on the row), then every row is one pass over the plan.

The HTML is the same as django-tables2's `table.html` gives (the tests compare the two for
every list): cells come from the columns' own render functions and links, and text reaches
the page only through `format_html`/`conditional_escape`.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.template.defaultfilters import date as date_filter
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django_tables2.rows import BoundRow
from django_tables2.utils import A, AttributeDict, signature


class _Unplanned(Exception):
    """A column this plan does not cover (many-to-many): the table is rendered by
    django-tables2 itself."""


@dataclass
class _Cell:
    bound_column: Any
    read: Callable[[Any], Any]
    render: Callable[..., Any]
    arguments: tuple[str, ...] | None  # None: the function takes **kwargs (everything)
    fixed: dict[str, Any]
    default: Any
    empty_values: tuple[Any, ...]
    td: SafeString | None  # None: the attributes depend on the row
    localize: bool | None
    # The column shows its value as it is (no render function of its own, no link): the
    # cell needs neither the arguments nor the call.
    plain: bool = False


def _reader(bound_column: Any, model: type[models.Model] | None) -> Callable[[Any], Any]:
    """How a cell's value is read from a record: the choice label when the accessor ends
    on a field with choices (as django-tables2 does), else the accessor's value."""
    accessor = A(bound_column.accessor)
    bits = accessor.bits
    field = None
    if model is not None:
        current: Any = model
        for bit in bits:
            try:
                field = current._meta.get_field(bit)
            except (FieldDoesNotExist, AttributeError):
                field = None
                break
            current = field.related_model if field.is_relation else None
    if field is not None and getattr(field, "choices", None):
        *path, last = bits

        def label(record: Any) -> Any:
            holder = record
            for bit in path:
                holder = getattr(holder, bit, None)
                if holder is None:
                    return None
            display = getattr(holder, f"get_{last}_display", None)
            return display() if display is not None else getattr(holder, last, None)

        return label

    column = bound_column.column
    if field is not None and len(bits) == len(accessor.bits) and not field.is_relation:
        # A path of model fields (`site__code`): attribute reads, no callables to call.
        read = operator.attrgetter(".".join(bits))

        def attribute(record: Any) -> Any:
            try:
                return read(record)
            except AttributeError:  # a relation on the way is empty
                return None

        return attribute

    def value(record: Any) -> Any:
        try:
            return accessor.resolve(record)
        except Exception:  # as django-tables2: a column not backed by a field (a link text)
            if isinstance(column, tables.columns.linkcolumn.BaseLinkColumn) and column.text:
                return _NO_VALUE
            return None

    return value


_NO_VALUE = object()


def _static_td(bound_column: Any) -> SafeString | None:
    table = bound_column._table
    merged = {**dict(table.attrs), **dict(bound_column.column.attrs)}
    td = merged.get("td", merged.get("cell", {}))
    if any(callable(v) for v in td.values()):
        return None
    return AttributeDict(bound_column.attrs["td"]).as_html()  # type: ignore[no-any-return]


_DATE_TEMPLATE = re.compile(r'^\{\{ value\|date:"([^"]*)"\|default:default \}\}$')


def _date_render(column: Any) -> Callable[..., Any] | None:
    """A date column's render without its template: django-tables2 parses
    `{{ value|date:"…"|default:default }}` anew for every cell."""
    if type(column) not in (tables.DateColumn, tables.DateTimeColumn):
        return None
    found = _DATE_TEMPLATE.match(getattr(column, "template_code", None) or "")
    if found is None:
        return None
    shape = found.group(1)

    def render(value: Any, bound_column: Any) -> SafeString:
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)  # as a template shows a datetime
        shown = date_filter(value, shape) or bound_column.default
        return conditional_escape(formats.localize(shown))

    return render


def _plan(table: tables.Table) -> list[_Cell]:
    model = getattr(getattr(table.data, "data", None), "model", None)
    cells = []
    for bound_column in table.columns:
        column = bound_column.column
        if isinstance(column, tables.ManyToManyColumn):
            raise _Unplanned(bound_column.name)
        render = _date_render(column) or bound_column.render
        arguments, catch_all = signature(render)
        plain = getattr(render, "__func__", None) is tables.Column.render and not (
            bound_column.link
        )
        cells.append(
            _Cell(
                bound_column=bound_column,
                read=_reader(bound_column, model),
                render=render,
                arguments=None if catch_all else tuple(arguments),
                fixed={"column": column, "bound_column": bound_column, "table": table},
                default=bound_column.default,
                empty_values=tuple(column.empty_values),
                td=_static_td(bound_column),
                localize=column.localize,
                plain=plain,
            )
        )
    return cells


def _content(cell: _Cell, record: Any, table: tables.Table) -> Any:
    value = cell.read(record)
    if cell.plain:
        if value is _NO_VALUE or value in cell.empty_values:
            return cell.default
        return value
    given = {**cell.fixed, "record": record}
    if value is _NO_VALUE:
        value = None
    elif value in cell.empty_values:
        return cell.default
    given["value"] = value
    if cell.arguments is None or "bound_row" in cell.arguments or cell.bound_column.link:
        given["bound_row"] = BoundRow(record, table=table)
    if cell.arguments is None:
        content = cell.render(**given)
    elif any(name not in given for name in cell.arguments):
        content = None  # as call_with_appropriate: an argument it cannot be given
    else:
        content = cell.render(**{name: given[name] for name in cell.arguments})
    link = cell.bound_column.link
    return link(content, **given) if link else content


def _shown(value: Any, *, localize: bool | None) -> Any:
    """A cell as `{{ cell }}` (or |localize, |unlocalize) shows it in a template, before
    escaping (format_html escapes it)."""
    if type(value) is str:  # most cells: text, which localizing leaves as it is
        return value
    if localize is None:
        return formats.localize(value)
    return formats.localize(value, use_l10n=bool(localize))


@functools.cache
def _row_shape(cells: int) -> str:
    return "<tr {}>" + "<td {}>{}</td>" * cells + "</tr>"


def _row(cells: list[_Cell], record: Any, table: tables.Table, counter: int) -> SafeString:
    row_attrs = AttributeDict(
        tables.utils.computed_values(table.row_attrs, kwargs={"table": table, "record": record})
    )
    parity = "odd" if counter % 2 else "even"
    row_attrs["class"] = f"{row_attrs['class']} {parity}" if row_attrs.get("class") else parity
    # One format_html for the whole row (it escapes every cell): one per cell was most of
    # a page's time.
    given: list[Any] = [row_attrs.as_html()]
    for cell in cells:
        content = _content(cell, record, table)
        td = cell.td
        if td is None:
            bound_column = cell.bound_column
            bound_column.current_value, bound_column.current_record = content, record
            td = AttributeDict(bound_column.attrs["td"]).as_html()
        given += (td, _shown(content, localize=cell.localize))
    return format_html(_row_shape(len(cells)), *given)


def _query(request: HttpRequest, **updates: Any) -> str:
    params = dict(request.GET)
    params.update({k: v for k, v in updates.items() if k})
    return "?" + urlencode(params, doseq=True)


def _header(table: tables.Table, request: HttpRequest) -> SafeString:
    cells = []
    for bound_column in table.columns:
        header = conditional_escape(bound_column.header)
        if bound_column.orderable:
            href = _query(
                request, **{table.prefixed_order_by_field: bound_column.order_by_alias.next}
            )
            caret = ""
            if bound_column.is_ordered:
                way = "down" if bound_column.order_by_alias.is_descending else "up"
                caret = format_html(' <i class="bi bi-caret-{}-fill" aria-hidden="true"></i>', way)
            header = format_html('<a href="{}">{}{}</a>', href, header, caret)
        th = AttributeDict(bound_column.attrs["th"]).as_html()
        cells.append((th, header))
    return format_html_join("", '<th {} scope="col">{}</th>', cells)


def render(table: tables.Table, request: HttpRequest) -> SafeString:
    """The `<table>` of the page of rows shown: header with sort links, then the rows."""
    rows = table.page.object_list.data if table.page else table.data
    try:
        cells = _plan(table)
    except _Unplanned:
        cells = []
    if cells or not table.columns:
        # Rows alternate even/odd from the page's first row, as django-tables2 counts them.
        body = format_html_join(
            "", "{}", ((_row(cells, record, table, n),) for n, record in enumerate(rows))
        )
    else:
        body = format_html_join(
            "",
            "<tr {}>{}</tr>",
            (
                (row.attrs.as_html(), format_html_join("", "<td {}>{}</td>", _cells_of(row)))
                for row in table.paginated_rows
            ),
        )
    if not body and table.empty_text:
        body = format_html(
            '<tr><td colspan="{}">{}</td></tr>', len(table.columns), table.empty_text
        )
    head = (
        format_html(
            '<thead hx-boost="true" {}><tr>{}</tr></thead>',
            AttributeDict(table.attrs.get("thead", {})).as_html(),
            _header(table, request),
        )
        if table.show_header
        else ""
    )
    return format_html(
        "<table {}>{}<tbody {}>{}</tbody></table>",
        AttributeDict({"class": "table", **dict(table.attrs)}).as_html(),
        head,
        AttributeDict(table.attrs.get("tbody", {})).as_html(),
        body,
    )


def _cells_of(row: BoundRow) -> list[tuple[str, str]]:
    return [
        (column.attrs["td"].as_html(), _shown(cell, localize=column.localize))
        for column, cell in row.items()
    ]
