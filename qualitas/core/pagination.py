"""Paging in one place: the API's shape ({count, page, page_size, next, results}; a `page`
that is not a number from 1 is a 422 naming it, one past the end an empty page) and the
pages' (junk in ?page= shows the first page, a page past the end is a 404 saying which is
the last).

Record lists also page by cursor: `next` is an opaque cursor to the row after the last one
returned, and `?after=<cursor>` continues from there. It is a keyset (WHERE (created_at, id)
< …, served by each record table's `<x>_recent_idx`), so its cost does not grow with the
page's depth and rows added meanwhile neither shift nor repeat what the client reads.
"""

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from qualitas.core.errors import InvalidInput, NotFound

# Beyond this a page number cannot become a row offset in a 64-bit database integer.
MAX_PAGE = 10**12


def requested_page(value: Any) -> int:
    """The page a person asked for (?page=): junk and numbers below 1 give page 1 (a link
    typed by hand, harmless to answer); a number too large for any list stays too large."""
    try:
        number = int(str(value).strip())
    except ValueError:  # also digit strings too long to convert
        return MAX_PAGE if str(value).strip().isdigit() else 1
    return max(1, min(number, MAX_PAGE))


class ListPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator for list pages: junk gives the first page, a page past the end
    is a 404 naming the last one (a bookmark to page 40 of a list that has shrunk), never
    a 500 (Django's EmptyPage)."""

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        wanted, last = requested_page(number), max(1, self.num_pages)
        if wanted > last:
            more = getattr(self, "capped", False)
            raise NotFound(
                f"Page {wanted} is past the last page ({last})."
                + (
                    " The list holds more records than it pages through: narrow it with"
                    " the filters, or sort it the other way to see the oldest first."
                    if more
                    else ""
                )
            )
        return super().page(wanted)


class CappedPaginator(ListPaginator):
    """Counts at most `QUALITAS_LIST_COUNT_CAP` rows (SELECT COUNT(*) over a LIMITed
    subquery), so a page of a million-row list costs the same as one of ten thousand; the
    deepest page is then at that offset. `capped` says the list holds more ("10,000+"):
    the oldest are the first page in the other sort order."""

    capped = False

    @cached_property
    def count(self) -> int:
        cap = settings.QUALITAS_LIST_COUNT_CAP
        rows: Any = self.object_list
        # A django-tables2 table pages its BoundRows; the queryset is two levels down.
        queryset = getattr(getattr(rows, "data", None), "data", rows)
        found = queryset[: cap + 1].count() if isinstance(queryset, QuerySet) else len(rows)
        self.capped = found > cap
        return min(int(found), cap)

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        page = super().page(number)
        bottom = (page.number - 1) * self.per_page
        queryset = self._queryset()
        # The last page of a long list, read as the first page of the reversed order and
        # turned round: OFFSET would make the database walk past every row before it. Only
        # when the order ends on the primary key, so the reversal is the exact mirror.
        if (
            page.number == self.num_pages
            and bottom >= REVERSE_FROM
            and not self.capped
            and queryset is not None
            and _ends_on_key(queryset)
        ):
            rows = list(queryset.reverse()[: self.count - bottom])
            rows.reverse()
            bound: Any = self.object_list
            page.object_list = type(bound)(data=rows, table=bound.table)
        return page

    def _queryset(self) -> QuerySet[Any] | None:
        """The queryset under a django-tables2 table's rows (None for other lists)."""
        if getattr(self.object_list, "table", None) is None:
            return None
        found = getattr(getattr(self.object_list, "data", None), "data", None)
        return found if isinstance(found, QuerySet) else None


# From this offset on, the last page is read in the reversed order instead (an OFFSET of a
# few hundred rows costs nothing worth saving).
REVERSE_FROM = 500


def _ends_on_key(queryset: QuerySet[Any]) -> bool:
    ordering = list(queryset.query.order_by or queryset.model._meta.ordering or ())
    if not ordering or not isinstance(ordering[-1], str):
        return False
    last = ordering[-1].lstrip("-")
    return last in {"pk", queryset.model._meta.pk.name, queryset.model._meta.pk.attname}


def cursor_of(item: Any) -> str:
    """The opaque cursor just past `item` in newest-first order."""
    raw = f"{item.created_at.isoformat()}|{item.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _bar, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        return datetime.fromisoformat(stamp), int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput.for_field(
            "after", "Not a cursor from this list: pass a `next` value unchanged."
        ) from None


class Mapped:
    """A queryset whose rows are turned into API dicts only for the page that is shown.

    `keyset=True` declares the queryset newest first on (created_at, id), so the list also
    pages by cursor."""

    def __init__(
        self, queryset: QuerySet[Any], row: Callable[[Any], Any], *, keyset: bool = False
    ) -> None:
        self.queryset = queryset
        self.row = row
        self.keyset = keyset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return [self.row(item) for item in self.queryset[page]]

    def after(self, cursor: str, size: int) -> tuple[list[Any], str | None]:
        """Up to `size` rows after the cursor, and the cursor after them (None at the end)."""
        stamp, pk = _position(cursor)
        # (created_at, id) < (stamp, pk), written so that PostgreSQL starts the index scan at
        # the cursor: the `<=` bound is a range on the index, the OR only trims its edge.
        later = self.queryset.filter(
            Q(created_at__lte=stamp) & (Q(created_at__lt=stamp) | Q(pk__lt=pk))
        )
        rows = list(later[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return [self.row(item) for item in rows], cursor_of(rows[-1]) if more else None


class PageNumber(PaginationBase):
    """Page numbers from 1; page_size up to NINJA_PAGINATION_MAX_PER_PAGE_SIZE."""

    items_attribute = "results"

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1)
        after: str | None = Field(
            None,
            max_length=200,
            description="Record lists: continue after this cursor (a `next` value); "
            "`page` and `count` are then left out",
        )

    class Output(Schema):
        count: int | None
        page: int | None
        page_size: int
        next: str | None = Field(
            None, description="Record lists: the cursor to pass as `after` for the next page"
        )
        count_capped: bool = Field(
            default=False,
            description="Record lists count at most QUALITAS_LIST_COUNT_CAP rows: true when "
            "there are more (page on with `after`)",
        )
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
        keyset = isinstance(queryset, Mapped) and queryset.keyset
        if pagination.after is not None:
            if not keyset:
                raise InvalidInput.for_field("after", "This list pages by `page` only.")
            results, following = queryset.after(pagination.after, pagination.page_size)  # type: ignore[union-attr]
            return {
                "count": None,
                "page": None,
                "page_size": pagination.page_size,
                "next": following,
                "results": results,
            }
        capped = False
        if keyset:
            # A record list counts at most the cap, as its page does: the cost of page 1 must
            # not grow with the table; deeper than that, the cursor goes on.
            cap = settings.QUALITAS_LIST_COUNT_CAP
            count = queryset.queryset[: cap + 1].count()  # type: ignore[union-attr]
            capped = count > cap
            count = min(count, cap)
        else:
            count = queryset.count()
        offset = (pagination.page - 1) * pagination.page_size
        if offset >= count and not capped:
            # Past the end: an empty page (a client walking pages stops on it), no query.
            return {
                "count": count,
                "page": pagination.page,
                "page_size": pagination.page_size,
                "next": None,
                "results": [],
            }
        if keyset and (offset + pagination.page_size < count or capped):
            page_rows = list(queryset.queryset[offset : offset + pagination.page_size])  # type: ignore[union-attr]
            return {
                "count": count,
                "count_capped": capped,
                "page": pagination.page,
                "page_size": pagination.page_size,
                # Past the counted rows a page may run out (an empty page ends the walk).
                "next": cursor_of(page_rows[-1])
                if len(page_rows) == pagination.page_size
                else None,
                "results": [queryset.row(item) for item in page_rows],  # type: ignore[union-attr]
            }
        return {
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "next": None,
            "results": list(queryset[offset : offset + pagination.page_size]),
        }
