"""Map service errors raised in HTML views to the right status page, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qualitas.core.errors import NotFound, QualitasError
from qualitas.core.validation import fits_database_integer


class QualitasErrorMiddleware:
    """A PermissionDenied from a service becomes a 403 page, NotFound a 404, and so on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        # An id in the path (<int:pk>) that no database integer can hold names nothing.
        if any(isinstance(v, int) and not fits_database_integer(v) for v in kwargs.values()):
            return self.process_exception(request, NotFound("No such page."))
        # No text may hold a NUL character (PostgreSQL refuses it even in a search).
        if not request.path.startswith("/api/"):
            for data in (request.GET, request.POST):
                for name, values in data.lists():
                    if any("\x00" in value for value in values):
                        refused = QualitasError(f"{name}: a NUL character is not allowed.")
                        return self.process_exception(request, refused)
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, OverflowError):
            # SQLite refusing an integer beyond 64 bits that a form or filter passed on (e.g.
            # Django's ModelMultipleChoiceField queries `pk__in` with the raw values).
            exc = QualitasError("A number in the request is too large to be an id or a count.")
        if not isinstance(exc, QualitasError) or request.path.startswith("/api/"):
            return None
        return render(
            request,
            "core/error.html",
            {"status": exc.status, "detail": exc.detail, "title": _TITLES.get(exc.status, "Error")},
            status=exc.status,
        )


_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input",
}
