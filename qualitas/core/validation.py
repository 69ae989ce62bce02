"""Turn Django validation into the core's InvalidInput, naming each field."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from qualitas.core.errors import FieldError, InvalidInput


def errors_from(exc: ValidationError, *, default_field: str = "__all__") -> list[FieldError]:
    if hasattr(exc, "error_dict"):
        return [
            FieldError(name, " ".join(str(m) for m in ValidationError(messages).messages))
            for name, messages in exc.error_dict.items()
        ]
    return [FieldError(default_field, " ".join(exc.messages))]


def clean_or_raise(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run model validation (types, lengths, choices, uniqueness) or raise InvalidInput."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidInput(errors_from(exc)) from None
