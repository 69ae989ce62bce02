"""Values no database column can hold (integers beyond 64 bits, text with a NUL character)
are refused before any query: a 422 naming the field.

Installed on the whole API (`api.add_decorator`), so it sees every operation's validated
path, query and body values, whatever module declared them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

from qualitas.core.errors import FieldError, InvalidInput
from qualitas.core.validation import fits_database_integer


def out_of_range(value: Any, name: str) -> Iterator[str]:
    """The names of the integers and texts in `value` that no database column can hold."""
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL text cannot hold it
            yield name or "__all__"
    elif isinstance(value, int):
        if not fits_database_integer(value):
            yield name or "__all__"
    elif isinstance(value, BaseModel):
        for field, info in type(value).model_fields.items():
            yield from out_of_range(getattr(value, field), _join(name, info.alias or field))
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            yield from out_of_range(item, _join(name, str(i)))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from out_of_range(item, _join(name, str(key)))


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def within_database_range(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an operation: refuse integers beyond 64 bits and NUL characters, naming each field."""

    @functools.wraps(view)
    def checked(request: Any, *args: Any, **kwargs: Any) -> Any:
        names: list[str] = []
        for key, value in kwargs.items():
            # A schema's fields are named as the client sent them, without the parameter's name.
            names.extend(out_of_range(value, "" if isinstance(value, BaseModel) else key))
        if names:
            raise InvalidInput(
                [
                    FieldError(name, "Too large a number, or a NUL character.")
                    for name in dict.fromkeys(names)
                ]
            )
        return view(request, *args, **kwargs)

    return checked
