"""The training matrix page (/training/matrix/) and its Excel export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.html import format_html

from qualitas.core import exports, permissions
from qualitas.core.models import Department, Site
from qualitas.core.pagination import ListPaginator
from qualitas.core.views import signed_in_user
from qualitas.training import matrix, workflows as w

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

    from qualitas.core.models import User

PEOPLE_PER_PAGE = 50

# One cell of the matrix. A page holds 50 x 300 of them: rendering each through the
# template (three lookups and escapes a cell) cost most of the page, so each state's cell
# is made once per page and a row's cells are put together in one format_html.
CELL = '<td class="text-center"><span class="badge {}" data-state="{}">{}</span></td>'


def cell_fragments() -> dict[str, SafeString]:
    """Each state's cell, escaped once by format_html (the labels and classes are ours)."""
    return {
        code: format_html(CELL, css, code, label) for code, (label, css) in matrix.STATES.items()
    }


def row_cells(rows: Sequence[matrix.Row]) -> list[tuple[User, SafeString | str]]:
    """Each person with their row's cells as HTML. The person's name and site are left to
    the template's autoescaping."""
    fragments = cell_fragments()
    shaped = []
    for row in rows:
        cells: SafeString | str = ""
        if row.cells:
            cells = format_html("{}" * len(row.cells), *(fragments[code] for code in row.cells))
        shaped.append((row.person, cells))
    return shaped


@login_required
def training_matrix(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW_RECORDS)
    filters = matrix.filters_from(request.GET)
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_stream(
            "training-matrix",
            matrix.export_rows(user, filters),
            title="Training matrix",
            neutralised=True,  # matrix.export_rows neutralises names and codes itself
        )
    lines = matrix.columns(user, filters)
    page = ListPaginator(matrix.people(user, filters), PEOPLE_PER_PAGE).page(
        request.GET.get("page", 1)
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    sites = permissions.sites_with_perm(user, w.VIEW_RECORDS)
    site_choices = Site.objects.order_by("name")
    department_choices = Department.objects.select_related("site").order_by("site__name", "name")
    if sites is not None:
        site_choices = site_choices.filter(pk__in=sites)
        department_choices = department_choices.filter(site_id__in=sites)
    context = {
        "title": "Training matrix",
        "lines": lines,
        "rows": row_cells(matrix.rows(list(page.object_list), lines)),
        "page": page,
        "states": matrix.STATES,
        "filters": filters,
        "sites": site_choices,
        "departments": department_choices,
        "query": query.urlencode(),
    }
    return render(request, "training/matrix.html", context)
