"""The one pagination shape: ?page=&page_size= in, {count, page, page_size, results} out."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PaginationBase


class Mapped:
    """A queryset whose rows are turned into API dicts only for the page that is shown."""

    def __init__(self, queryset: QuerySet[Any], row: Callable[[Any], Any]) -> None:
        self.queryset = queryset
        self.row = row

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return [self.row(item) for item in self.queryset[page]]


class PageNumber(PaginationBase):
    """Page numbers from 1; page_size up to NINJA_PAGINATION_MAX_PER_PAGE_SIZE."""

    items_attribute = "results"

    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1)

    class Output(Schema):
        count: int
        page: int
        page_size: int
        results: list[Any]

    def paginate_queryset(
        self,
        queryset: QuerySet[Any] | Mapped,
        pagination: Any,
        request: HttpRequest,
        **params: Any,
    ) -> dict[str, Any]:
        limit = settings.NINJA_PAGINATION_MAX_PER_PAGE_SIZE
        if pagination.page_size > limit:
            raise HttpError(422, f"page_size may be at most {limit}.")
        count = queryset.count()
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "results": list(queryset[offset : offset + pagination.page_size]),
        }
