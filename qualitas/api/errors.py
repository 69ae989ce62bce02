"""One error format for every API response: {"detail": "...", "errors": [{field, message}]}."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from qualitas.core.errors import QualitasError


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _location(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes where the value came from ("body", "query", "path") and the
    # parameter's name; people want the field itself.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"payload", "data", "filters", "pagination"}:
        parts = parts[1:]
    # A tagged union's member (e.g. "analysis:sampling") is which shape, not a field.
    parts = [p for p in parts if ":" not in p]
    return ".".join(parts) or "__all__"


# Where SQLite and PostgreSQL name the column a constraint refused.
_COLUMN = (
    re.compile(r"constraint failed: \w+\.(\w+)"),  # SQLite: NOT NULL / UNIQUE … failed: t.col
    re.compile(r'null value in column "(\w+)"'),  # PostgreSQL NOT NULL
    re.compile(r"Key \((\w+)(?:,[^)]*)?\)="),  # PostgreSQL UNIQUE / FOREIGN KEY detail
)


def integrity_error_of(exc: IntegrityError) -> dict[str, str]:
    """The field a database constraint refused (when the message names it) and why."""
    text = str(exc)
    field = "__all__"
    for pattern in _COLUMN:
        found = pattern.search(text)
        if found:
            field = found.group(1).removesuffix("_id")
            break
    if "NOT NULL" in text or "null value" in text:
        message = "This field cannot be null."
    elif "UNIQUE" in text or "unique" in text:
        message = "This value is already taken."
    else:
        message = "This value is not allowed here."
    return {"field": field, "message": message}


def _error(e: dict[str, Any]) -> dict[str, str]:
    return {"field": _location(e.get("loc", ())), "message": str(e.get("msg", "Invalid value."))}


def _union_tag(e: dict[str, Any]) -> dict[str, str] | None:
    """A body of several shapes chosen by one field (a tagged union whose discriminator
    function is named after that field, its tags "field:value"): an unknown value is an
    error on that field listing the values it may take."""
    if e.get("type") != "union_tag_invalid":
        return None
    ctx = e.get("ctx") or {}
    field = str(ctx.get("discriminator", "")).removesuffix("()")
    prefix = f"{field}:"
    tag = str(ctx.get("tag", "")).removeprefix(prefix)
    expected = str(ctx.get("expected_tags", "")).replace(prefix, "")
    return {"field": field, "message": f"Unknown {field} '{tag}': use one of {expected}."}


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every error into the common format."""

    @api.exception_handler(QualitasError)
    def qualitas_error(request: HttpRequest, exc: QualitasError) -> HttpResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        return api.create_response(request, error_body(exc.detail, errors), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [_union_tag(e) or _error(e) for e in exc.errors]
        return api.create_response(
            request, error_body("The request has invalid fields.", errors), status=422
        )

    @api.exception_handler(IntegrityError)
    def integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # A service should have refused this first; the database is the last line, not a 500.
        error = integrity_error_of(exc)
        detail = f"{error['field']}: {error['message']}"
        return api.create_response(request, error_body(detail, [error]), status=422)

    @api.exception_handler(OverflowError)
    def overflow_error(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # The last line behind qualitas.api.integers: SQLite refusing a number beyond 64 bits.
        detail = "A number in the request is too large to be an id or a count."
        return api.create_response(request, error_body(detail), status=422)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        # A refused bearer token says why (qualitas.api.auth.BearerRefused).
        detail = getattr(exc, "detail", None) or (
            "Authentication required: sign in, or send a valid bearer token."
        )
        response = api.create_response(request, error_body(detail), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="qualitas"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(request, error_body(str(exc)), status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, error_body("Not found."), status=404)

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return api.create_response(request, error_body(str(exc) or "Forbidden."), status=403)
