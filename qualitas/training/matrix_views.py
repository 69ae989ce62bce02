"""The training matrix page (/training/matrix/) and its Excel export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from qualitas.core import exports, permissions
from qualitas.core.models import Department, Site
from qualitas.core.pagination import ListPaginator
from qualitas.core.views import signed_in_user
from qualitas.training import matrix, workflows as w

PEOPLE_PER_PAGE = 50


@login_required
def training_matrix(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    permissions.require(user, w.VIEW_RECORDS)
    filters = matrix.filters_from(request.GET)
    if request.GET.get("export") == "xlsx":
        return exports.xlsx_stream(
            "training-matrix", matrix.export_rows(user, filters), title="Training matrix"
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
        "rows": [
            (row.person, [(code, *matrix.STATES[code]) for code in row.cells])
            for row in matrix.rows(list(page.object_list), lines)
        ],
        "page": page,
        "states": matrix.STATES,
        "filters": filters,
        "sites": site_choices,
        "departments": department_choices,
        "query": query.urlencode(),
    }
    return render(request, "training/matrix.html", context)
