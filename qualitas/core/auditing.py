"""Which models the audit trail covers and how, and the guards the models themselves carry
(querysets that refuse bulk writes behind the trail's back, the refusal to delete).

Split from `audit` so that the models can import it: it imports no model, and `audit`
(which reads and writes the trail's own models) builds on it. `audit` re-exports these
names; call them as `audit.register`, `audit.AuditedQuerySet` ….
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from qualitas.core.errors import Conflict


class AuditContextMissing(RuntimeError):
    """An audited model was saved outside an audit context: a programming error."""


class DeletionRefused(Conflict):
    """Quality records and the people who worked on them are never deleted."""


@dataclass(frozen=True)
class AuditSpec:
    """How one model is audited."""

    fields: tuple[str, ...]
    secret_fields: frozenset[str] = field(default_factory=frozenset)
    regulated: bool = False
    protect_delete: bool = True
    # The fields' column attributes (`owner_id` for `owner`), in the same order.
    attnames: tuple[str, ...] = ()


REGISTRY: dict[type[models.Model], AuditSpec] = {}

# Called before the trail is read: `core.audit` appends a running service's waiting events
# (it adds its `flush` when it loads; it imports the models, not the models it).
BEFORE_TRAIL_READ: list[Callable[[], None]] = []


def register(
    model: type[models.Model],
    *,
    exclude: tuple[str, ...] = (),
    secret: tuple[str, ...] = (),
    regulated: bool = False,
    protect_delete: bool = True,
) -> None:
    """Audit every change to `model`'s concrete fields except `exclude`.

    `secret` fields are recorded as changed without their values (password hashes);
    `regulated` types need a reason for any change after creation; `protect_delete`
    refuses deletion outright.
    """
    audited = [
        f for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude
    ]
    REGISTRY[model] = AuditSpec(
        tuple(f.name for f in audited),
        frozenset(secret),
        regulated,
        protect_delete,
        tuple(f.attname for f in audited),
    )


def spec_for(model: type[models.Model]) -> AuditSpec | None:
    return REGISTRY.get(model)


class AuditedQuerySet(models.QuerySet[Any]):
    """Bulk writes skip per-object capture, so they may touch untracked fields only
    (a token's last use, a person's last sign-in); anything else goes through a service."""

    def update(self, **kwargs: Any) -> int:
        spec = REGISTRY.get(self.model)
        tracked = set(kwargs) & set(spec.fields) if spec else set()
        if tracked:
            raise AuditContextMissing(
                f"{self.model.__name__}.objects.update() would change audited fields "
                f"{sorted(tracked)} without an audit trail; save each object through a service"
            )
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AuditContextMissing(
            f"bulk_update() on {self.model.__name__} bypasses the audit trail"
        )

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if self.model in REGISTRY:
            raise AuditContextMissing(
                f"bulk_create() on {self.model.__name__} bypasses the audit trail"
            )
        return super().bulk_create(objs, *args, **kwargs)
