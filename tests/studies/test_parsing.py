"""Pasted measurements: the decimal comma read where it is unambiguous, and every refusal
naming the row (and column) to correct."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import Workbook

from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.studies import parsing
from qualitas.studies.models import SpcStudy
from tests.factories import UserFactory, with_role

DECIMAL_HINT = (
    "Commas separate the columns here; decimal commas are read when the columns are "
    "separated by semicolons or tabs."
)
# Piston rings, two samples of three, as a European spreadsheet writes them.
RINGS = [("1", "74,012"), ("1", "73,995"), ("1", "74,021"), ("2", "74,002"), ("2", "73,988")]


def _text(separator: str, rows: list[tuple[str, str]] = RINGS) -> str:
    return "\n".join(separator.join(row) for row in [("sample", "diameter"), *rows])


@pytest.mark.parametrize(("_case", "separator"), [("semicolon", ";"), ("tab", "\t")])
def test_decimal_commas_are_read_between_semicolons_or_tabs(_case: str, separator: str) -> None:
    table = parsing.parse_text(_text(separator))

    assert table.headers == ("sample", "diameter")
    assert table.numbers("diameter", field="value_column") == [
        74.012,
        73.995,
        74.021,
        74.002,
        73.988,
    ]


@pytest.mark.parametrize(
    ("_case", "text", "message"),
    [
        (
            "one column",
            "diameter\n74.030\n74,012\n73.995",
            f"Use a decimal point: row 3 has '74,012'. {DECIMAL_HINT}",
        ),
        (
            "sample and value",
            "sample,diameter\n1,74.030\n1,74.002\n2,74,012",
            # "2,74" and "74,012" could each be the number: the whole row is quoted.
            f"Use a decimal point: row 4 has '2,74,012'. {DECIMAL_HINT}",
        ),
        (
            "value then label",
            "diameter,operator\n74.030,Ann\n74,012,Ann",
            f"Use a decimal point: row 3 has '74,012'. {DECIMAL_HINT}",
        ),
    ],
)
def test_a_decimal_comma_between_commas_is_refused_with_its_row(
    _case: str, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        parsing.parse_text(text)

    assert [(e.field, e.message) for e in refused.value.errors] == [("data", message)]


def test_a_quoted_decimal_comma_between_commas_is_refused_with_its_cell() -> None:
    table = parsing.parse_text('sample,diameter\n1,74.030\n1,"74,012"')

    with pytest.raises(InvalidInput) as refused:
        table.numbers("diameter", field="value_column")

    assert refused.value.errors[0].message == (
        "Use a decimal point: row 3, column 'diameter' has '74,012'. Decimal commas are read "
        "when the columns are separated by semicolons or tabs."
    )


def test_a_row_with_more_cells_than_columns_is_named() -> None:
    with pytest.raises(InvalidInput) as refused:
        parsing.parse_text("sample,diameter\n1,74.030\n1,74.002,late")

    assert refused.value.errors[0].message == (
        "Row 3 has 3 cells but the header names 2: sample, diameter."
    )


def test_rows_are_numbered_as_the_paste_shows_them_across_blank_lines() -> None:
    table = parsing.parse_text("diameter\n74.030\n\n74.002\nabc")

    with pytest.raises(InvalidInput) as refused:
        table.numbers("diameter", field="value_column")

    assert refused.value.errors[0].message == "Row 5, column 'diameter': 'abc' is not a number."


def test_rows_are_numbered_as_the_sheet_shows_them() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["diameter"], [74.03], [None], ["74,012"]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    table = parsing.parse_upload(buffer.getvalue(), "rings.xlsx")

    with pytest.raises(InvalidInput) as refused:
        table.numbers("diameter", field="value_column")

    assert refused.value.errors[0].message.startswith(
        "Use a decimal point: row 4, column 'diameter' has '74,012'."
    )


def test_infinity_is_not_a_measurement() -> None:
    with pytest.raises(InvalidInput, match=r"Row 3, column 'x': 'inf' is not a number\."):
        parsing.parse_text("x\n1\ninf").numbers("x", field="value_column")


# Through the page: what the quality engineer sees after pasting.


@pytest.fixture
def engineer(db: None) -> User:
    return with_role(UserFactory(username="engineer"), "contributor")


def _post(client_for: Any, engineer: User, pasted: str, **settings: str) -> Any:
    form = {
        "title": "Rings",
        "characteristic": "Inside diameter",
        "chart_type": "xbar-r",
        "rules": "nelson",
        "pasted": pasted,
        **settings,
    }
    return client_for(engineer).post("/spc-studies/new/", form)


def _errors(response: Any) -> list[str]:
    found = re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</', response.content.decode())
    return [m.replace("&#x27;", "'").strip() for m in found]


@pytest.mark.django_db
def test_a_comma_decimal_paste_is_refused_naming_the_row(client_for: Any, engineer: User) -> None:
    response = _post(client_for, engineer, _text(","), subgroup_column="sample")

    assert response.status_code == 422
    assert _errors(response) == [f"Use a decimal point: row 2 has '1,74,012'. {DECIMAL_HINT}"]
    assert not SpcStudy.objects.exists()


@pytest.mark.django_db
def test_a_text_cell_is_named_by_row_and_column(client_for: Any, engineer: User) -> None:
    rows = [row.replace("74,021", "n/a").replace(",", ".") for row in _text(";").splitlines()]

    response = _post(client_for, engineer, "\n".join(rows), subgroup_column="sample")

    assert response.status_code == 422
    assert _errors(response) == ["Row 4, column 'diameter': 'n/a' is not a number."]
    assert not SpcStudy.objects.exists()


@pytest.mark.django_db
def test_a_tab_separated_paste_with_decimal_commas_is_recorded(
    client_for: Any, engineer: User
) -> None:
    response = _post(client_for, engineer, _text("\t"), subgroup_column="sample")

    study = SpcStudy.objects.get()
    assert response.status_code == 302
    # The measurements, not the sample numbers, although both columns hold numbers.
    assert study.data["values"] == [74.012, 73.995, 74.021, 74.002, 73.988]
    assert study.data["subgroups"] == ["1", "1", "1", "2", "2"]


@pytest.mark.django_db
def test_no_column_of_numbers_names_the_columns(client_for: Any, engineer: User) -> None:
    response = _post(client_for, engineer, "operator;note\nAnn;ok\nBob;late")

    assert response.status_code == 422
    assert _errors(response) == [
        "No column of numbers was found among operator, note: name the column of measurements."
    ]


@pytest.mark.parametrize(
    ("_case", "text", "column"),
    [
        ("sample numbers first", "sample,diameter\n1,74.030\n2,74.002\n3,74.019", "diameter"),
        ("repeated sample numbers", "sample;diameter\n1;74,030\n1;74,002\n2;74,019", "diameter"),
        ("counts are measurements", "lot,defects\nA,3\nB,4\nC,5", "defects"),
        ("nothing else to take", "sample\n1\n2\n3", "sample"),
    ],
)
def test_the_default_column_is_the_measurements_not_the_sample_numbers(
    _case: str, text: str, column: str
) -> None:
    assert parsing.parse_text(text).first_numeric_column() == column


def test_measurements_pasted_without_a_header_keep_their_first_value() -> None:
    """The first row was taken as the column's name: a measurement lost without a word."""
    from qualitas.studies.parsing import parse_text

    table = parse_text("74.012\n74.015\n74.009")
    both = parse_text("1;74,012\n2;74,015")

    assert table.headers == ("column 1",)
    assert [row[0] for row in table.rows] == ["74.012", "74.015", "74.009"]
    assert table.lines == (1, 2, 3)
    assert both.headers == ("column 1", "column 2") and len(both.rows) == 2
    assert parse_text("diameter\n74.012\n74.015").headers == ("diameter",)
