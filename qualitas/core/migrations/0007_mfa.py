"""MFA: roles can require it; on by default for administrators, quality managers, approvers."""

from typing import Any

from django.db import migrations, models

MFA_BY_DEFAULT = ("administrator", "quality-manager", "approver")


def require_for_privileged_roles(apps: Any, schema_editor: Any) -> None:
    # Existing installations: the system roles exist already (new ones get the flag from
    # permissions.sync_system_roles when the role is first created).
    Role = apps.get_model("core", "Role")
    Role.objects.filter(code__in=MFA_BY_DEFAULT, is_system=True).update(requires_mfa=True)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_passwords_sessions")]

    operations = [
        migrations.AddField(
            model_name="role",
            name="requires_mfa",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "People holding this role must sign in and sign with an authenticator code."
                ),
                verbose_name="requires MFA",
            ),
        ),
        migrations.RunPython(require_for_privileged_roles, migrations.RunPython.noop),
    ]
