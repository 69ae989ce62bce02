"""What every installation needs after a migrate: the system account and the system roles."""

from __future__ import annotations

from typing import Any

from qualitas.core import audit, permissions


def after_migrate(**_kwargs: Any) -> None:
    """Create the system account and bring the system roles in line with the code (audited)."""
    from qualitas.core import services

    with audit.context(actor=None, actor_name="Qualitas setup (migrate)"):
        services.system_user()
        permissions.sync_system_roles()
