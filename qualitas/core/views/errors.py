"""Map service errors raised in HTML views to the right status page, in one place."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qualitas.core.errors import QualitasError


class QualitasErrorMiddleware:
    """A PermissionDenied from a service becomes a 403 page, NotFound a 404, and so on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
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
