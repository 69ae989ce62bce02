"""Errors raised by services; views, the API and the CLI each map them in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field (or CSV column, or row)."""

    field: str
    message: str


class QualitasError(Exception):
    """Base of every error a service raises on purpose; `status` is the HTTP status it maps to."""

    status = 400

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class PermissionDenied(QualitasError):
    """The actor may not do this."""

    status = 403


class NotFound(QualitasError):
    """The thing does not exist, or the actor may not know it exists."""

    status = 404


class Conflict(QualitasError):
    """The request clashes with the current state (a duplicate, a stale version)."""

    status = 409


class InvalidInput(QualitasError):
    """One or more fields are invalid; nothing was saved."""

    status = 422

    def __init__(self, errors: list[FieldError] | FieldError, detail: str | None = None) -> None:
        if isinstance(errors, FieldError):
            errors = [errors]
        message = detail or "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(message, errors=errors)

    @classmethod
    def for_field(cls, name: str, message: str) -> InvalidInput:
        return cls([FieldError(name, message)])
