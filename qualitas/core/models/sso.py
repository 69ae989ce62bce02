"""Single sign-on: who a person is at the organisation's identity provider."""

from __future__ import annotations

from django.db import models

from qualitas.core.auditing import AuditedQuerySet


class IdentityProvider(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    LDAP = "ldap", "LDAP directory"


class ExternalIdentity(models.Model):
    """Links a user to their account at an identity provider (OIDC `sub`, or directory DN).

    A user has at most one: the provider that vouches for them. `mapped_assignments` lists
    the role assignments that group mapping granted, so the next sign-in can revoke exactly
    those and leave the ones an administrator made by hand alone.
    """

    user = models.OneToOneField(
        "core.User", on_delete=models.PROTECT, related_name="external_identity"
    )
    provider = models.CharField(max_length=10, choices=IdentityProvider.choices)
    subject = models.CharField(max_length=255, help_text="OIDC subject, or the directory DN.")
    groups = models.JSONField(default=list, blank=True, help_text="Groups at the last sign-in.")
    mapped_assignments = models.JSONField(default=list, blank=True)
    last_sign_in = models.DateTimeField(null=True, blank=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="unique_external_identity")
        ]

    def __str__(self) -> str:
        return f"{self.user.username} via {self.get_provider_display()}"
