from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """The platform core: organisation, roles and the policy every module uses."""

    name = "qualitas.core"
    label = "core"
    verbose_name = "Qualitas core"

    def ready(self) -> None:
        from qualitas.core import navigation, permissions

        # System roles are code: their permissions are brought up to date after every migrate.
        post_migrate.connect(permissions.sync_system_roles_after_migrate, sender=self)
        navigation.register()
