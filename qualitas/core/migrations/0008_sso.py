"""Single sign-on: a person's account at the identity provider (OIDC or LDAP directory)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0007_mfa")]

    operations = [
        migrations.CreateModel(
            name="ExternalIdentity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "provider",
                    models.CharField(
                        choices=[("oidc", "OpenID Connect"), ("ldap", "LDAP directory")],
                        max_length=10,
                    ),
                ),
                (
                    "subject",
                    models.CharField(
                        help_text="OIDC subject, or the directory DN.", max_length=255
                    ),
                ),
                (
                    "groups",
                    models.JSONField(
                        blank=True, default=list, help_text="Groups at the last sign-in."
                    ),
                ),
                ("mapped_assignments", models.JSONField(blank=True, default=list)),
                ("last_sign_in", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="external_identity",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "external identities",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("provider", "subject"), name="unique_external_identity"
                    )
                ],
            },
        ),
    ]
