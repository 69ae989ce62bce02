"""API schemas for a record type, derived from its model: references are ids ("owner": 7),
choices are their codes, dates ISO 8601. Modules may declare richer ones."""

from __future__ import annotations

import datetime
import decimal
from typing import Any, cast

from django.db import models
from ninja import Schema
from pydantic import ConfigDict, Field, create_model

from qualitas.core.records import RecordType
from qualitas.core.validation import text_limit

_TYPES: list[tuple[type[models.Field[Any, Any]], Any]] = [
    # Structured content (a calibration's readings): JSON in, JSON out; the service checks it.
    (models.JSONField, Any),
    (models.BooleanField, bool),
    (models.DateTimeField, datetime.datetime),
    (models.DateField, datetime.date),
    (models.DecimalField, decimal.Decimal),
    (models.IntegerField, int),
    (models.FloatField, float),
    (models.ForeignKey, int),
]

COMMON_OUT = (
    "id",
    "number",
    "title",
    "state",
    "owner",
    "site",
    "department",
    "priority",
    "due_on",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "version",
)


def python_type(field: models.Field[Any, Any]) -> Any:
    for django_type, python in _TYPES:
        if isinstance(field, django_type):
            return python
    return str


def _describe(field: models.Field[Any, Any]) -> str:
    text = str(field.help_text or field.verbose_name or "")
    if field.choices:
        text += " One of: " + ", ".join(str(value) for value, _ in field.choices) + "."
    if isinstance(field, models.ForeignKey):
        related: Any = field.related_model
        text += f" ({related._meta.verbose_name} id)"
    return text.strip()


class Written(Schema):
    """What a client sends to raise or change a record: a field the record type does not
    take (a typo, a field another step records) is a 422 naming it, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


def build(record_type: RecordType) -> tuple[type[Schema], type[Schema], type[Schema]]:
    """(Out, In, Patch) schemas for the record type."""
    model = record_type.model
    name = model.__name__
    out_fields: dict[str, Any] = {}
    for field_name in dict.fromkeys([*COMMON_OUT, *record_type.editable_fields]):
        field = cast("models.Field[Any, Any]", model._meta.get_field(field_name))
        kind = python_type(field)
        nullable = field.null or field_name == "due_on"
        out_fields[field_name] = (
            kind | None if nullable else kind,
            Field(description=_describe(field)),
        )
    out_fields["state_label"] = (str, Field(description="The state as people read it"))
    out = create_model(f"{name}Out", __base__=Schema, **out_fields)

    in_fields: dict[str, Any] = {}
    patch_fields: dict[str, Any] = {
        "version": (
            int,
            Field(description="The version you edited (from GET); a stale one gets 409"),
        ),
        "reason": (
            str,
            Field("", description="Why the change is made (required for regulated records)"),
        ),
    }
    for field_name in ("owner", *record_type.editable_fields):
        field = cast("models.Field[Any, Any]", model._meta.get_field(field_name))
        kind = python_type(field)
        optional = (
            field_name in ("owner", *record_type.defaulted_on_create)
            or field.blank
            or field.null
            or field.has_default()
        )
        description = _describe(field)
        default = field.default if field.has_default() and not callable(field.default) else None
        # Text lengths are part of the published contract (a 10 MB text is a 422 naming it).
        longest = (text_limit(field) or field.max_length) if kind is str else None
        in_fields[field_name] = (
            kind | None if optional else kind,
            Field(default if optional else ..., description=description, max_length=longest),
        )
        patch_fields[field_name] = (
            kind | None,
            Field(None, description=description, max_length=longest),
        )
    patch_fields.pop("owner")
    create = create_model(f"{name}In", __base__=Written, **in_fields)
    patch = create_model(f"{name}Patch", __base__=Written, **patch_fields)
    return out, create, patch


def to_out(record: Any) -> dict[str, Any]:
    """A record as the API shows it (references as ids)."""
    values = {field.name: getattr(record, field.attname) for field in record._meta.concrete_fields}
    values["state_label"] = record.get_state_display()
    return values
