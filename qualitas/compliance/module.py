"""Compliance: what the module adds to Qualitas, in one declaration."""

from __future__ import annotations

from qualitas.compliance import (
    api,
    checks,
    checks_api,
    demo,
    services,
    soa as soas,
    soa_api,
    soa_views,
    soa_workflows as soa_w,
)
from qualitas.compliance.check_models import CheckRun, ComplianceCheck
from qualitas.compliance.models import (
    Applicability,
    Evidence,
    Framework,
    Requirement,
    RequirementMapping,
    Scope,
)
from qualitas.compliance.soa_models import StatementOfApplicability
from qualitas.core import permissions as p
from qualitas.core.modules import Api, Audited, Job, Menu, Module, Pages, Permission
from qualitas.core.records import RecordPermissions, RecordPresentation, RecordType
from qualitas.core.registry import MenuItem

GROUP = "Compliance"

STATEMENT_OF_APPLICABILITY = RecordType(
    model=StatementOfApplicability,
    key=soas.RECORD_TYPE_KEY,
    label="Statement of Applicability",
    label_plural_text="Statements of Applicability",
    prefix="SOA",
    workflow=soa_w.WORKFLOW,
    permissions=RecordPermissions(view=soa_w.VIEW, create=soa_w.EDIT, edit=soa_w.EDIT),
    resource="statements-of-applicability",
    # Prepared from a scope's register (soa.prepare_soa), never from the generic form.
    generic_create=False,
    # The scope's site; a whole-organisation scope's SoA belongs to no site.
    site_required=False,
    editable_fields=("title", "due_on"),
    relations={"preparer": soas.preparers},
    unsigned_fields=soas.UNSIGNED,
    entails=soas.ENTAILS,
    presentation=RecordPresentation(
        menu_group=GROUP,
        menu_order=50,
        icon="file-earmark-check",
        display_fields=(
            "scope",
            "revision",
            "supersedes",
            "taken_at",
            "taken_by",
            "approved_at",
            "owner",
            "site",
        ),
        detail_panel=soa_views.panel,
        list_select_related=("owner", "site"),
    ),
)

MODULE = Module(
    name="compliance",
    permissions=(
        # Frameworks are reference data: everyone may read what a clause asks.
        Permission(services.VIEW, "See frameworks and their requirements.", roles=p.EVERYONE),
        Permission(
            services.MANAGE,
            "Import the organisation's own frameworks and new versions of them; run compliance "
            "checks on demand and add external ones.",
            roles=(p.QUALITY_MANAGER,),
        ),
        Permission(
            services.VIEW_COVERAGE,
            "See where frameworks apply, each requirement's applicability, evidence and "
            "coverage, and the gaps.",
            roles=(p.QUALITY_MANAGER, p.AUDITOR, p.APPROVER, p.DOCUMENT_CONTROLLER),
        ),
        Permission(
            soa_w.APPROVE,
            "Approve a Statement of Applicability by signature (not the one who prepared it).",
            roles=(p.QUALITY_MANAGER, p.APPROVER),
        ),
        Permission(
            checks.REPORT,
            "Post results of external compliance checks (a pipeline's scan or test).",
            roles=(p.QUALITY_MANAGER,),
        ),
    ),
    record_types=(STATEMENT_OF_APPLICABILITY,),
    audited=(
        Audited(Framework),
        Audited(Requirement),
        # An organisation's correspondence may be removed; the removal is on the trail.
        Audited(RequirementMapping, protect_delete=False),
        Audited(Scope),
        Audited(Applicability),
        Audited(Evidence),
        # A run's result is its own audited row; the check keeps only the state it moved to.
        Audited(ComplianceCheck, exclude=("last_run_at", "last_summary")),
        Audited(CheckRun),
    ),
    menu=(
        Menu(GROUP, MenuItem("Frameworks", "compliance:frameworks", "bookshelf", services.VIEW)),
        Menu(
            GROUP,
            MenuItem("Requirements", "compliance:requirements", "list-check", services.VIEW),
        ),
        Menu(
            GROUP,
            MenuItem(
                "Scopes and coverage",
                "compliance:scopes",
                "pie-chart",
                services.VIEW_COVERAGE,
                any_site=True,
            ),
        ),
        Menu(
            GROUP,
            MenuItem("Compliance checks", "compliance:checks", "clipboard-check", services.VIEW),
        ),
    ),
    pages=(Pages("compliance/", "qualitas.compliance.urls"),),
    api=(
        Api("/frameworks", api.router),
        Api("/compliance-checks", checks_api.router),
        Api("/statements-of-applicability", soa_api.router),
    ),
    jobs=(
        Job(
            "compliance-checks",
            "Run the built-in compliance checks that are due; a failing one raises one "
            "nonconformance.",
            checks.run_due,
        ),
    ),
    # The frameworks shipped in the package, new or upgraded, then the checks the modules
    # declare (mapped to those frameworks' requirements), after each migrate.
    after_migrate=checks.after_migrate,
    demo=demo.load,
)
