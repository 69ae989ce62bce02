"""The training matrix, GET /api/v1/training-matrix: the curriculum lines as columns, a
page of people as rows with their cells' states (current, due, overdue, expired, missing,
not_required), filtered by site and department as the page is.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from qualitas.core import permissions
from qualitas.core.models import User
from qualitas.core.pagination import MAX_PAGE, PageNumber
from qualitas.core.schemas import ErrorOut
from qualitas.training import matrix, workflows as w
from qualitas.training.models import Requirement

router = Router(tags=["training"])
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 422), ErrorOut)


class LineOut(Schema):
    id: int
    item: str = Field(..., description="Document number or course code")
    kind: str = Field(..., description="document or course")
    audience: str = Field(..., description="The job role, department or site it covers")
    gating: bool


class PersonOut(Schema):
    id: int
    username: str
    name: str
    site: int | None
    department: int | None
    cells: list[str] = Field(..., description="One state per requirement, in their order")


class MatrixOut(Schema):
    count: int
    page: int
    page_size: int
    next: str | None = None
    states: dict[str, str] = Field(..., description="What each cell state means")
    requirements: list[LineOut]
    results: list[PersonOut]


class MatrixQuery(Schema):
    site: int | None = Field(None, description="A site's id")
    department: int | None = Field(None, description="A department's id")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1)


class _People:
    """The people of the matrix, turned into rows only for the page asked for (in one
    batch, so the page costs the same few queries whatever its size)."""

    def __init__(self, people: QuerySet[User], lines: Sequence[Requirement]) -> None:
        self.people = people
        self.lines = lines

    def count(self) -> int:
        return self.people.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        return [
            {
                "id": row.person.pk,
                "username": row.person.username,
                "name": row.person.printed_name,
                "site": row.person.site_id,
                "department": row.person.department_id,
                "cells": row.cells,
            }
            for row in matrix.rows(list(self.people[page]), self.lines)
        ]


@router.get("", response={200: MatrixOut, **ERRORS}, summary="The training matrix")
def training_matrix(request: HttpRequest, query: Query[MatrixQuery]) -> Any:
    actor: User = request.user  # type: ignore[assignment]
    permissions.require(actor, w.VIEW_RECORDS)
    filters = matrix.filters_from({"site": query.site, "department": query.department})
    lines = matrix.columns(actor, filters)
    paging = PageNumber.Input(page=query.page, page_size=query.page_size, after=None)
    page = PageNumber().paginate_queryset(
        _People(matrix.people(actor, filters), lines),  # type: ignore[arg-type]
        paging,
        request,
    )
    return {
        **page,
        "states": {code: label for code, (label, _css) in matrix.STATES.items()},
        "requirements": [
            {
                "id": line.pk,
                "item": line.item_code,
                "kind": "document" if line.document_id is not None else "course",
                "audience": line.audience,
                "gating": line.gating,
            }
            for line in lines
        ],
    }
