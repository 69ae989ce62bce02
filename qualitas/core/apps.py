from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """The platform core: organisation, roles and the policy every module uses."""

    name = "qualitas.core"
    label = "core"
    verbose_name = "Qualitas core"

    def ready(self) -> None:
        from django.db.models import signals

        from qualitas.core import audit, navigation, setup
        from qualitas.core.models import (
            ActionItem,
            ApiToken,
            Attachment,
            Department,
            RecordLink,
            Role,
            RoleAssignment,
            RolePermission,
            Site,
            User,
        )

        # Who may do what, and who they are, is audited like any quality record
        # (Part 11 §11.10(d), (g)); people and structure are never deleted.
        audit.register(User, exclude=("last_login",), secret=("password",))
        audit.register(Site)
        audit.register(Department)
        audit.register(Role)
        audit.register(RolePermission, protect_delete=False)
        audit.register(RoleAssignment, exclude=("granted_at",), protect_delete=False)
        audit.register(ApiToken, exclude=("last_used_at",), secret=("token_hash",))
        audit.register(ActionItem)
        audit.register(Attachment)
        audit.register(RecordLink)
        from qualitas.core.models import ExternalIdentity

        # Which identity provider vouches for whom, and the groups it said they are in.
        audit.register(ExternalIdentity, exclude=("last_sign_in",))
        # Periodic jobs register themselves on import.
        from qualitas.core import notifications  # noqa: F401 - registers its periodic job

        signals.post_init.connect(audit.on_post_init, dispatch_uid="qualitas-audit-init")
        signals.pre_save.connect(audit.on_pre_save, dispatch_uid="qualitas-audit-pre-save")
        signals.post_save.connect(audit.on_post_save, dispatch_uid="qualitas-audit-post-save")
        signals.pre_delete.connect(audit.on_pre_delete, dispatch_uid="qualitas-audit-pre-delete")
        signals.post_delete.connect(audit.on_post_delete, dispatch_uid="qualitas-audit-post-delete")
        # Sign-in lockouts are security events: audited and reported (Part 11 §11.300(d)).
        from axes.signals import user_locked_out

        from qualitas.core import lockouts

        user_locked_out.connect(lockouts.on_user_locked_out, dispatch_uid="qualitas-lockout")
        # System roles are code: their permissions are brought up to date after every migrate.
        post_migrate.connect(setup.after_migrate, sender=self)
        # SQLite's append-only triggers consult a function each connection must have.
        from django.db.backends.signals import connection_created

        from qualitas.core import appendonly, checks  # noqa: F401 - checks register themselves

        connection_created.connect(appendonly.on_connection_created, dispatch_uid="qualitas-ao")
        navigation.register()
