"""Lists are written from a plan of their columns (core.listrender) and select boxes in
Python (core.formrender), for speed at scale (issue 12): the HTML must be what
django-tables2's and Django's own templates give, for every list and every kind of select."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.test import RequestFactory

from qualitas.core import records
from qualitas.core.formrender import FormRenderer
from qualitas.core.models import User
from qualitas.core.views.audit import AuditTrailView
from qualitas.core.views.org import UserListView
from qualitas.core.views.records import RecordListView
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_TAGS_APART = re.compile(r">\s+<")
_SPACE = re.compile(r"\s+")
_CARET = re.compile(r' <i class="bi bi-caret-(up|down)-fill" aria-hidden="true"></i>')


def _normal(html: str) -> str:
    """Whitespace between and inside tags does not show; compare what does."""
    html = _TAGS_APART.sub("><", html.strip())
    html = _SPACE.sub(" ", html)
    return html.replace(" >", ">").replace("> ", ">").replace(" <", "<")


def table_of(view_class: type, user: User, query: str = "", **kwargs: Any) -> tuple[Any, Any]:
    request = RequestFactory().get(f"/x/?{query}")
    request.user = user
    view = view_class()
    view.setup(request, **kwargs)
    table, _filters = view.filtered_table(request)
    from qualitas.core.pagination import CappedPaginator

    table.paginate(CappedPaginator, page=1, per_page=25)
    return table, request


def both(table: Any, request: Any) -> tuple[str, str]:
    """The table by django-tables2's template and by listrender."""
    theirs = Template(
        '{% load django_tables2 %}{% render_table table "django_tables2/table.html" %}'
    ).render(Context({"table": table, "request": request}))
    ours = Template("{% load qualitas_lists %}{% list_table table %}").render(
        Context({"table": table, "request": request})
    )
    # The table itself: the library's wrapper and pagination are not ours to compare here.
    theirs = theirs[theirs.index("<table") : theirs.index("</table>") + len("</table>")]
    # Our header is boosted by htmx, says its scope and marks the sorted column with a caret
    # (as the page always did).
    ours = ours.replace('<thead hx-boost="true"', "<thead").replace(' scope="col"', "")
    ours = _CARET.sub("", ours)
    return _normal(theirs), _normal(ours)


def test_the_audit_trail_list_renders_as_django_tables2_does(admin: User, raise_nc: Any) -> None:
    raise_nc(title="Scratch on cover")
    table, request = table_of(AuditTrailView, admin)
    theirs, ours = both(table, request)
    assert "<td" in ours
    assert ours == theirs


def test_the_people_list_renders_as_django_tables2_does(admin: User) -> None:
    UserFactory.create_batch(4)
    for query in ("", "sort=-printed_name", "sort=site"):
        table, request = table_of(UserListView, admin, query)
        theirs, ours = both(table, request)
        assert ours.count("<tr") >= 5
        assert ours == theirs


def test_an_empty_list_says_so(quality_manager: User) -> None:
    record_type = records.RECORD_TYPES["nonconformance"]
    table, request = table_of(
        RecordListView, quality_manager, "q=nothing-like-this", resource=record_type.resource
    )
    theirs, ours = both(table, request)
    assert "No nonconformances match these filters." in ours
    assert ours == theirs


def test_user_text_in_a_cell_is_escaped(quality_manager: User, raise_nc: Any) -> None:
    raise_nc(title="</td><script>alert(1)</script>")
    table, request = table_of(
        RecordListView, quality_manager, resource=records.RECORD_TYPES["nonconformance"].resource
    )
    _theirs, ours = both(table, request)
    assert "<script>" not in ours
    assert "&lt;/td&gt;&lt;script&gt;" in ours


class _Choices(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), ("b", '"quoted"')])
    grouped = forms.ChoiceField(
        choices=[("Metals", [("st", "Steel"), ("al", "Alu")]), ("x", "Other <x>")]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")])
    yes_no = forms.NullBooleanField()
    people = forms.ModelChoiceField(queryset=User.objects.order_by("pk"), required=False)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "a", "grouped": "al", "many": ["1", "2"], "yes_no": "true"},
        {"plain": "zz", "grouped": "x", "many": ["2"], "yes_no": "false"},
    ],
)
def test_select_boxes_are_written_as_django_writes_them(data: dict[str, Any]) -> None:
    UserFactory(first_name="Ann <b>", last_name="O'Neil & Sons")
    for name in ("plain", "grouped", "many", "yes_no", "people"):
        bound = _Choices(data or None)[name]
        widget = bound.field.widget
        widget.attrs.update({"class": "form-select", "required": True, "disabled": False})
        ours = widget.render(bound.html_name, bound.value(), renderer=FormRenderer())
        theirs = widget.render(bound.html_name, bound.value(), renderer=DjangoTemplates())
        assert ours == theirs, name
