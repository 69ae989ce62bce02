from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform core: organisation, roles and the policy every module uses."""

    name = "qualitas.core"
    label = "core"
    verbose_name = "Qualitas core"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.db.backends.signals import connection_created
        from django.db.models import signals

        from qualitas.core import appendonly, audit, checks, lockouts, modules  # noqa: F401
        from qualitas.core.module import MODULE

        modules.install(MODULE, self)
        # The audit trail's hooks: every change to a declared model is recorded.
        signals.post_init.connect(audit.on_post_init, dispatch_uid="qualitas-audit-init")
        signals.pre_save.connect(audit.on_pre_save, dispatch_uid="qualitas-audit-pre-save")
        signals.post_save.connect(audit.on_post_save, dispatch_uid="qualitas-audit-post-save")
        signals.pre_delete.connect(audit.on_pre_delete, dispatch_uid="qualitas-audit-pre-delete")
        signals.post_delete.connect(audit.on_post_delete, dispatch_uid="qualitas-audit-post-delete")
        # Sign-in lockouts are security events: audited and reported (Part 11 §11.300(d)).
        user_locked_out.connect(lockouts.on_user_locked_out, dispatch_uid="qualitas-lockout")
        # SQLite's append-only triggers consult a function each connection must have.
        connection_created.connect(appendonly.on_connection_created, dispatch_uid="qualitas-ao")
