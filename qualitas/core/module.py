"""The core's own declaration: organisation, people and the platform's periodic jobs."""

from __future__ import annotations

from typing import Any

from qualitas.core import (
    backgroundexports,
    idempotency,
    jobs,
    kpis,
    navigation,
    notifications,
    permissions as p,
    search,
    security_checks,
    setup,
)
from qualitas.core.models import (
    ActionItem,
    ApiToken,
    Attachment,
    Department,
    ExternalIdentity,
    RecordLink,
    Role,
    RoleAssignment,
    RolePermission,
    Site,
    User,
)
from qualitas.core.modules import Audited, Job, Menu, Module, Moved, Permission
from qualitas.core.registry import HomePanel, MenuItem, SearchSource

ORGANISATION = "Organisation"


def after_migrate(**kwargs: Any) -> None:
    """The system account and roles, then the SQLite search indexes a table rebuild in a
    migration may have dropped (search.ensure_indexes)."""
    setup.after_migrate(**kwargs)
    search.after_migrate(**kwargs)


MODULE = Module(
    name="core",
    permissions=(
        Permission(p.VIEW_DIRECTORY, "See people, departments, sites and roles.", roles=p.EVERYONE),
        Permission(
            p.MANAGE_STRUCTURE,
            "Create and change sites and departments.",
            roles=(p.QUALITY_MANAGER,),
        ),
        Permission(p.MANAGE_USERS, "Create, change, deactivate and reactivate user accounts."),
        Permission(p.MANAGE_ROLES, "Grant and revoke roles, define roles."),
        Permission(
            p.VIEW_AUDIT_TRAIL,
            "Search and export the whole audit trail.",
            roles=(p.QUALITY_MANAGER, p.AUDITOR),
        ),
        Permission(p.MANAGE_ALL_TOKENS, "See and revoke every user's API tokens."),
        Permission(
            kpis.VIEW_KPIS,
            "See the quality indicators (open and overdue records, reading) on My work.",
            roles=(p.QUALITY_MANAGER, p.AUDITOR),
        ),
    ),
    # Who may do what, and who they are, is audited like any quality record
    # (Part 11 §11.10(d), (g)); people and structure are never deleted.
    audited=(
        Audited(User, exclude=("last_login",), secret=("password",)),
        Audited(Site),
        Audited(Department),
        Audited(Role),
        Audited(RolePermission, protect_delete=False),
        Audited(RoleAssignment, exclude=("granted_at",), protect_delete=False),
        Audited(ApiToken, exclude=("last_used_at",), secret=("token_hash",)),
        Audited(ActionItem),
        Audited(Attachment),
        Audited(RecordLink),
        # Which identity provider vouches for whom, and the groups it said they are in.
        Audited(ExternalIdentity, exclude=("last_sign_in",)),
    ),
    menu=(
        Menu(ORGANISATION, MenuItem("People", "core:user_list", "people", p.VIEW_DIRECTORY), 900),
        Menu(
            ORGANISATION,
            MenuItem("Departments", "core:department_list", "diagram-3", p.VIEW_DIRECTORY),
            900,
        ),
        Menu(ORGANISATION, MenuItem("Sites", "core:site_list", "buildings", p.VIEW_DIRECTORY), 900),
        Menu(
            ORGANISATION, MenuItem("Roles", "core:role_list", "shield-lock", p.VIEW_DIRECTORY), 900
        ),
        Menu(
            ORGANISATION,
            MenuItem("Audit trail", "core:audit_trail", "clock-history", p.VIEW_AUDIT_TRAIL),
            900,
        ),
    ),
    # Record pages lived under /records/<resource>/ until 0.5; they are at /<resource>/ now.
    moved=(Moved("/records/", "/"),),
    search=(SearchSource("People", navigation.search_people, navigation.describe_person),),
    kpis=(kpis.Indicator("actions.overdue", "Overdue actions", kpis.overdue_actions, order=300),),
    compliance_checks=security_checks.CHECKS,
    home_panels=(
        HomePanel("my-actions", navigation.my_actions_panel, order=5),
        HomePanel("awaiting-signature", navigation.awaiting_signature_panel, order=6),
        HomePanel("notifications", navigation.notifications_panel, order=10),
    ),
    jobs=(
        Job(
            jobs.CHECKPOINT_JOB,
            "Sign the audit trail's chain head into the checkpoint folder.",
            jobs.checkpoint_audit_trail,
        ),
        Job(
            "dormant-accounts",
            "Deactivate accounts unused for QUALITAS_DORMANT_ACCOUNT_DAYS days.",
            jobs.deactivate_dormant_accounts,
        ),
        Job(
            "sessions-expire",
            "Mark sessions that timed out as ended; clear expired sessions.",
            jobs.expire_sessions,
        ),
        Job(
            "action-reminders",
            "Remind assignees of actions due soon or overdue.",
            notifications.remind_actions,
        ),
        Job(
            "idempotency-keys-expire",
            "Remove API idempotency keys and the answers they hold after 24 hours.",
            idempotency.remove_expired_keys,
        ),
        Job(
            "exports-expire",
            "Remove background list exports and their files after 24 hours; fail lost ones.",
            backgroundexports.remove_expired,
        ),
    ),
    after_migrate=after_migrate,
)
