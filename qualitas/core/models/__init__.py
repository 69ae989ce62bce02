"""Core models: organisation, the audit trail, the record base and its cross-cutting parts."""

from qualitas.core.models.actions import ActionItem, ActionState, ReminderLog
from qualitas.core.models.attachments import Attachment
from qualitas.core.models.audit import AuditAction, AuditChainHead, AuditEvent
from qualitas.core.models.exports import ExportJob, ExportState
from qualitas.core.models.idempotency import IdempotentRequest
from qualitas.core.models.links import LinkKind, RecordLink
from qualitas.core.models.notifications import Notification
from qualitas.core.models.org import Department, Role, RoleAssignment, RolePermission, Site, User
from qualitas.core.models.passwords import PasswordHistory
from qualitas.core.models.records import NumberSequence, Priority, QualityRecord, record_indexes
from qualitas.core.models.sessions import UserSession
from qualitas.core.models.signatures import Meaning, Signature
from qualitas.core.models.sso import ExternalIdentity, IdentityProvider
from qualitas.core.models.tokens import ApiToken

__all__ = [
    "ActionItem",
    "ActionState",
    "ApiToken",
    "Attachment",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "Department",
    "ExportJob",
    "ExportState",
    "ExternalIdentity",
    "IdempotentRequest",
    "IdentityProvider",
    "LinkKind",
    "Meaning",
    "Notification",
    "NumberSequence",
    "PasswordHistory",
    "Priority",
    "QualityRecord",
    "RecordLink",
    "ReminderLog",
    "Role",
    "RoleAssignment",
    "RolePermission",
    "Signature",
    "Site",
    "User",
    "UserSession",
    "record_indexes",
]
