"""Inspection's own endpoints beside the generic record ones (/api/v1/inspection-plans,
/api/v1/inspection-lots): ROUTERS lists (prefix, router) pairs the module declares.

No `from __future__ import annotations`: django-ninja reads annotations at runtime.
"""

from typing import Any

from qualitas.inspection import (
    alarms_api,
    certificate_api,
    gagestudies_api,
    gauges_api,
    live_api,
    measurements_api,
    parts_api,
    plans_api,
)

ROUTERS: list[tuple[str, Any]] = [
    ("/parts", parts_api.parts_router),
    ("/characteristics", parts_api.characteristics_router),
    ("/inspection-plans", plans_api.plans),
    ("/inspection-lots", plans_api.lots),
    ("/switching-states", plans_api.switching),
    ("/measurements", measurements_api.router),
    ("/inspection-lots", certificate_api.router),
    ("/gage-studies", gagestudies_api.router),
    ("/characteristics", live_api.router),
    ("/gauges", gauges_api.gauges_router),
    ("/calibrations", gauges_api.calibrations_router),
    ("/chart-alarms", alarms_api.router),
]
