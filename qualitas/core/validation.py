"""Turn Django validation into the core's InvalidInput, naming each field."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from qualitas.core.errors import FieldError, InvalidInput

# A signed 64-bit integer (PostgreSQL's bigint, SQLite's INTEGER): ids and numbers beyond it
# are refused at the edge, before a query overflows.
SMALLEST_INTEGER = -(2**63)
LARGEST_INTEGER = 2**63 - 1


def fits_database_integer(value: int) -> bool:
    return SMALLEST_INTEGER <= value <= LARGEST_INTEGER


def errors_from(exc: ValidationError, *, default_field: str = "__all__") -> list[FieldError]:
    if hasattr(exc, "error_dict"):
        return [
            FieldError(name, " ".join(str(m) for m in ValidationError(messages).messages))
            for name, messages in exc.error_dict.items()
        ]
    return [FieldError(default_field, " ".join(exc.messages))]


def clean_or_raise(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run model validation (types, lengths, choices, uniqueness) or raise InvalidInput."""
    # full_clean skips empty values of blank=True fields, so a null (JSON `null` in a PATCH)
    # for a NOT NULL text column would reach the database as an IntegrityError: refuse it here.
    nulls = [
        FieldError(field.name, "This field cannot be null.")
        for field in instance._meta.concrete_fields
        if field.blank
        and not field.null
        and field.name not in (exclude or ())
        and getattr(instance, field.attname) is None
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
        and not field.primary_key
    ]
    nulls += too_long(instance, exclude=exclude)
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidInput(nulls + errors_from(exc)) from None
    if nulls:
        raise InvalidInput(nulls)


def text_limit(field: models.Field) -> int | None:  # type: ignore[type-arg]
    """How many characters a free-text field takes: its own max_length, else
    QUALITAS_TEXT_MAX_CHARS (TextFields have no limit of their own)."""
    if not isinstance(field, models.TextField):
        return None
    return field.max_length or settings.TEXT_MAX_CHARS


def too_long(instance: models.Model, *, exclude: list[str] | None = None) -> list[FieldError]:
    """Free-text fields longer than they may be (a 10 MB paste), one error each."""
    found = []
    for field in instance._meta.concrete_fields:
        limit = text_limit(field)
        value = getattr(instance, field.attname)
        if (
            limit
            and field.name not in (exclude or ())
            and isinstance(value, str)
            and len(value) > limit
        ):
            found.append(
                FieldError(
                    field.name,
                    f"At most {limit:,} characters ({len(value):,} given): put a longer "
                    "text in an attachment.",
                )
            )
    return found
