"""The NinjaAPI instance, mounted at /api/v1/ by qualitas.urls."""

from __future__ import annotations

import re
from collections import defaultdict

from ninja import NinjaAPI

from qualitas.api import errors, integers
from qualitas.api.auth import api_auth
from qualitas.core import recordapi, records
from qualitas.core.api import router as core_router
from qualitas.core.registry import registry

api = NinjaAPI(
    title="Qualitas API",
    version="1",
    description=(
        "REST API of Qualitas, the open-source eQMS. Authenticate with a personal access "
        "token (`Authorization: Bearer qlt_…`, created on your profile page or with "
        "`qualitas token create`) or with the browser session plus CSRF token. Errors always "
        'read `{"detail": "...", "errors": [{"field": "...", "message": "..."}]}`. Lists take '
        "`page` and `page_size` and return `count`, `page`, `page_size`, `results`. Send "
        "`Idempotency-Key: <unique value>` with a POST, PUT or PATCH to retry it safely: the "
        "same key for the same request within 24 hours replays the first answer "
        "(`Idempotent-Replayed: true`) instead of acting twice."
    ),
    auth=api_auth,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
# Before any query: an id or filter beyond 64 bits is a 422 naming it, not an overflow.
api.add_decorator(integers.within_database_range)
api.add_router("", core_router)
# One tree per record type: a module's own endpoints (/nonconformances/{id}/disposition) sit
# under its record type's resource, beside the generic ones every record type gets. The
# module's come first so that its fixed paths (/nonconformances/pareto) are not taken for
# a record id.
resources = {f"/{t.resource}": t for t in records.RECORD_TYPES.values()}
given: dict[str, set[tuple[str, str]]] = defaultdict(set)
for prefix, module_router in registry.api_routers:
    owner = resources.get(prefix)
    # Under a record type's resource, one section of the API reference for both.
    api.add_router(prefix, module_router, tags=[owner.label_plural.lower()] if owner else None)
    for path, view in module_router.path_operations.items():
        for operation in view.operations:
            given[prefix].update((m, re.sub(r"{[^}]*}", "{}", path)) for m in operation.methods)
for prefix, record_type in resources.items():
    routes = recordapi.build_router(record_type, given=frozenset(given[prefix]))
    api.add_router(prefix, routes)
