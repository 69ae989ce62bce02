"""The training matrix's cells, made once per state and put together per row (for speed,
bench/training): the same HTML as the template loop they replace, for every state, with
people's names and departments still escaped; and the export's text still neutralised."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.template import engines
from django.utils import timezone
from openpyxl import load_workbook

from qualitas.core.models import Department, User
from qualitas.training import matrix, matrix_views
from qualitas.training.models import Course, TrainingRecord
from tests.factories import DepartmentFactory, UserFactory
from tests.training import test_matrix

pytestmark = pytest.mark.django_db

URL = "/training/matrix/"
curriculum = test_matrix.curriculum

# The matrix page's rows as its template rendered them before the cells were premade
# (qualitas/training/templates/training/matrix.html, its <tbody>, copied unchanged).
OLD_BODY = """<tbody>
      {% for person, cells in rows %}
        <tr data-testid="matrix-row" data-person="{{ person.username }}">
          <th scope="row" class="small"><a href="{% url 'training:transcript' person.pk %}" title="Training transcript" data-testid="transcript-link">{{ person.printed_name }}</a><br><span class="fw-normal text-body-secondary">{{ person.site|default:"no site" }}{% if person.department %} · {{ person.department }}{% endif %}</span></th>
          {% for code, label, css in cells %}<td class="text-center"><span class="badge {{ css }}" data-state="{{ code }}">{{ label }}</span></td>{% endfor %}
        </tr>
      {% empty %}
        <tr><td colspan="{{ lines|length|add:1 }}" class="text-body-secondary">Nobody here whose training you may see.</td></tr>
      {% endfor %}
      </tbody>"""  # noqa: E501

# What that template made of one cell in each state, saved.
SAVED_CELLS = {
    "current": '<td class="text-center"><span class="badge text-bg-success" data-state="current">Current</span></td>',  # noqa: E501
    "due": '<td class="text-center"><span class="badge text-bg-info" data-state="due">Due</span></td>',  # noqa: E501
    "overdue": '<td class="text-center"><span class="badge text-bg-danger" data-state="overdue">Overdue</span></td>',  # noqa: E501
    "expired": '<td class="text-center"><span class="badge text-bg-warning" data-state="expired">Expired</span></td>',  # noqa: E501
    "missing": '<td class="text-center"><span class="badge text-bg-secondary" data-state="missing">Required, not assigned</span></td>',  # noqa: E501
    "not_required": '<td class="text-center"><span class="badge text-bg-light border" data-state="not_required">Not required</span></td>',  # noqa: E501
}  # fmt: skip


def _old_body(viewer: User) -> str:
    filters = matrix.Filters()
    lines = matrix.columns(viewer, filters)
    people = list(matrix.people(viewer, filters)[: matrix_views.PEOPLE_PER_PAGE])
    rows = [
        (row.person, [(code, *matrix.STATES[code]) for code in row.cells])
        for row in matrix.rows(people, lines)
    ]
    return engines["django"].from_string(OLD_BODY).render({"rows": rows, "lines": lines})


def _new_body(client: Any) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    body: str = re.search(r"<tbody>.*?</tbody>", response.text, re.S)[0]  # type: ignore[index]
    return body


def test_every_state_is_the_cell_the_old_template_made(cast: dict[str, User]) -> None:
    states = list(matrix.STATES)
    old = engines["django"].from_string(OLD_BODY.splitlines()[4].strip())
    shaped = matrix_views.row_cells([matrix.Row(cast["operator"], states)])

    assert set(SAVED_CELLS) == set(states)
    for code in states:
        made = str(matrix_views.row_cells([matrix.Row(cast["operator"], [code])])[0][1])
        assert made == SAVED_CELLS[code]
        assert made == old.render({"cells": [(code, *matrix.STATES[code])]})
    assert shaped[0][1] == "".join(SAVED_CELLS[code] for code in states)
    assert matrix_views.row_cells([matrix.Row(cast["operator"], [])]) == [(cast["operator"], "")]


@pytest.fixture
def hostile(cast: dict[str, User], assembly: Department, first_aid: Course) -> User:
    """Someone whose name and department would be markup if they were not escaped, covered
    by the assembly line after it ran (nothing assigned: missing), or by none."""
    lab = DepartmentFactory(code="RD", name='R&D <lab> "north"', site=assembly.site)
    UserFactory(
        username="amp",
        first_name="<b>Ann</b>",
        last_name='O\'Neil & "co"',
        site=assembly.site,
        department=assembly,
    )
    person: User = UserFactory(
        username="tag", first_name="<script>x</script>", site=assembly.site, department=lab
    )
    return person


def test_the_page_rows_are_those_the_old_template_made(
    cast: dict[str, User], curriculum: Any, hostile: User, first_aid: Course, client_for: Any
) -> None:
    lapses = TrainingRecord.objects.get(person=cast["operator"], course=first_aid).expires_on
    seen: set[str] = set()
    # Now (current, due, missing, not required), a month on (overdue), the day first aid
    # lapses (expired).
    for moment in (timezone.now(), timezone.now() + timedelta(days=31), lapses):
        with time_machine.travel(moment, tick=False):
            new = _new_body(client_for(cast["coordinator"]))
            assert new == _old_body(cast["coordinator"])
        seen |= set(re.findall(r'data-state="([a-z_]+)"', new))

    assert seen == set(matrix.STATES)
    assert "&lt;script&gt;x&lt;/script&gt;" in new and "<script>x" not in new
    assert "&lt;b&gt;Ann&lt;/b&gt;" in new and "O&#x27;Neil &amp; &quot;co&quot;" in new
    assert "R&amp;D &lt;lab&gt; &quot;north&quot;" in new


def test_the_export_neutralises_names_but_not_the_states(
    cast: dict[str, User], curriculum: Any, assembly: Department, client_for: Any
) -> None:
    sums = DepartmentFactory(code="SUM", name="=SUM(A1:A9)", site=assembly.site)
    UserFactory(
        username="@formula", first_name="=HYPERLINK(1)", last_name="", site=assembly.site,
        department=sums,
    )  # fmt: skip

    response = client_for(cast["coordinator"]).get(URL, {"export": "xlsx"})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    table = {row[1]: row for row in sheet.iter_rows(values_only=True)}
    assert table["'@formula"][:4] == (
        "'=HYPERLINK(1)",
        "'@formula",
        str(assembly.site),
        "'=SUM(A1:A9)",
    )
    labels = {label for label, _css in matrix.STATES.values()}
    assert {cell for row in list(table.values())[1:] for cell in row[4:]} <= labels
    assert table["oper"][4:] == tuple(
        matrix.STATES[code][0] for code in test_matrix._states(cast["coordinator"])["oper"]
    )
