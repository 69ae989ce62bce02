"""Compliance: what the module adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.compliance import api, services
from qualitas.compliance.models import Framework, Requirement, RequirementMapping
from qualitas.core import permissions as p
from qualitas.core.modules import Api, Audited, Menu, Module, Pages, Permission
from qualitas.core.registry import MenuItem

GROUP = "Compliance"

MODULE = Module(
    name="compliance",
    permissions=(
        # Frameworks are reference data: everyone may read what a clause asks.
        Permission(services.VIEW, "See frameworks and their requirements.", roles=p.EVERYONE),
        Permission(
            services.MANAGE,
            "Import the organisation's own frameworks and new versions of them.",
            roles=(p.QUALITY_MANAGER,),
        ),
    ),
    audited=(Audited(Framework), Audited(Requirement), Audited(RequirementMapping)),
    menu=(
        Menu(GROUP, MenuItem("Frameworks", "compliance:frameworks", "bookshelf", services.VIEW)),
        Menu(
            GROUP,
            MenuItem("Requirements", "compliance:requirements", "list-check", services.VIEW),
        ),
    ),
    pages=(Pages("compliance/", "qualitas.compliance.urls"),),
    api=(Api("/frameworks", api.router),),
    # The frameworks shipped in the package, new or upgraded, after each migrate.
    after_migrate=services.load_after_migrate,
)
