"""How long the answers to API writes sent with an `Idempotency-Key` are kept, and the job
that removes them (the middleware that keeps them is `qualitas.api.idempotency`)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qualitas.core.models import IdempotentRequest

KEEP = timedelta(hours=24)


def remove_expired_keys() -> str:
    """Idempotency keys and the answers they hold live 24 hours."""
    removed, _ = IdempotentRequest.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return f"{removed} expired idempotency key(s) removed"
