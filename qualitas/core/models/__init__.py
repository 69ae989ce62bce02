"""Core models: the organisation, who may do what, API tokens and notifications."""

from qualitas.core.models.audit import AuditAction, AuditChainHead, AuditEvent
from qualitas.core.models.notifications import Notification
from qualitas.core.models.org import Department, Role, RoleAssignment, RolePermission, Site, User
from qualitas.core.models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "Department",
    "Notification",
    "Role",
    "RoleAssignment",
    "RolePermission",
    "Site",
    "User",
]
