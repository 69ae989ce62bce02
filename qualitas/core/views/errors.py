"""Map service errors raised in HTML views to the right status page, in one place."""

from __future__ import annotations

import sys
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


# A database that does not answer (restarting, failing over) or is busy (SQLite's "database
# is locked") is a passing state: 503 with Retry-After tells people and clients to retry,
# where a 500 says the software is broken. The page is written here, not from a template:
# the base template's menus and bell would ask the database again.
RETRY_AFTER_SECONDS = 5
_UNAVAILABLE_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Try again in a moment"
    "</title></head><body style='font-family:system-ui,sans-serif;margin:3rem'>"
    "<h1>Try again in a moment</h1><p>Qualitas cannot reach its database just now (it may be "
    "restarting). Nothing you sent was saved: reload the page in a few seconds.</p></body></html>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 when the database is unavailable, else Django's own 500 page."""
    from django.db import OperationalError
    from django.http import JsonResponse
    from django.views.defaults import server_error as django_server_error

    failure = sys.exc_info()[1]
    if not isinstance(failure, OperationalError):
        return django_server_error(request)
    response: HttpResponse
    if request.path.startswith("/api/"):
        detail = "The database is not answering just now; nothing was saved. Retry shortly."
        response = JsonResponse({"detail": detail, "errors": []}, status=503)
    else:
        response = HttpResponse(_UNAVAILABLE_PAGE, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: the site's error page (JSON for the API); a request larger than Django
    reads (DATA_UPLOAD_MAX_MEMORY_SIZE) is a 413 saying so."""
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig
    from django.http import JsonResponse

    if isinstance(exception, RequestDataTooBig):
        status = 413
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        detail = (
            f"What was sent is larger than {limit_mb} MB, more than any form or API call takes: "
            "shorten the text, or add long documents as attachments. Nothing was saved."
        )
    else:
        status, detail = 400, "The request could not be read. Nothing was saved."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "errors": []}, status=status)
    titles = {413: "Too large", 400: "Bad request"}
    context = {"status": status, "detail": detail, "title": titles[status]}
    return render(request, "core/error.html", context, status=status)
