"""GET /healthz: is the database (and the broker, when configured) answering?"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qualitas import __version__


def _check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up", "vendor": connection.vendor, "ms": _ms(started)}


def _check_broker() -> dict[str, Any]:
    from kombu.connection import Connection

    started = time.perf_counter()
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:  # type: ignore[no-untyped-call]
            broker.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up", "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _check_broker()
    healthy = all(check["status"] == "up" for check in checks.values())
    body = {"status": "ok" if healthy else "unhealthy", "version": __version__, "checks": checks}
    return JsonResponse(body, status=200 if healthy else 503)
