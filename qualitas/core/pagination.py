"""Paging in one place: the API's shape ({count, page, page_size, results}, a bad `page` is a
422 naming it) and the pages' (a bad ?page= shows the nearest page that exists)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from qualitas.core.errors import InvalidInput

# Beyond this a page number cannot become a row offset in a 64-bit database integer.
MAX_PAGE = 10**12


def requested_page(value: Any, last_page: int = MAX_PAGE) -> int:
    """The page a person asked for (?page=), or the nearest that exists: junk and numbers
    below 1 give page 1, numbers past the end the last page."""
    try:
        number = int(str(value).strip())
    except ValueError:  # also digit strings too long to convert
        number = 1
    return max(1, min(number, last_page))


class NearestPagePaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator for list pages, showing the nearest page instead of raising."""

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        return super().page(requested_page(number, max(1, self.num_pages)))


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
        page: int = Field(1, ge=1, le=MAX_PAGE)
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
            raise InvalidInput.for_field("page_size", f"page_size may be at most {limit}.")
        count = queryset.count()
        last_page = max(1, -(-count // pagination.page_size))
        if pagination.page > last_page:
            raise InvalidInput.for_field(
                "page", f"Page {pagination.page} is past the last page ({last_page})."
            )
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "results": list(queryset[offset : offset + pagination.page_size]),
        }
