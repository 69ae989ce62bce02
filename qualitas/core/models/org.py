"""The organisation: sites, departments, people and their roles (ISO 9001 5.3)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from qualitas.core.auditing import AuditedQuerySet


class AuditedUserManager(UserManager.from_queryset(AuditedQuerySet)):  # type: ignore[misc]
    """People are audited: bulk updates may only touch untracked fields (last sign-in)."""


def audited_manager() -> Any:
    return AuditedQuerySet.as_manager()


class Site(models.Model):
    """A physical or organisational location the quality system covers (a plant, an office)."""

    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. BRN")
    name = models.CharField(max_length=120, unique=True)
    address = models.TextField(blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    objects = audited_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Department(models.Model):
    """An organisational unit that owns processes and records (operations, quality, IT …)."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=120, unique=True)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="departments",
        null=True,
        blank=True,
        help_text="Leave empty for a department that spans all sites.",
    )
    head = models.ForeignKey(
        "core.User",
        on_delete=models.PROTECT,
        related_name="headed_departments",
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(default=True)

    objects = audited_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who works in the quality system.

    Users are never deleted (they may have signed records); they are deactivated, and a
    username is never reused.
    """

    job_title = models.CharField(max_length=120, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    must_change_password = models.BooleanField(
        default=False,
        editable=False,
        help_text="Set when someone else chose the password: the owner must replace it.",
    )

    objects: ClassVar[UserManager[User]] = AuditedUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.printed_name

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        # Derived bookkeeping for the optional password-age rule (Part 11 §11.300(b)).
        from django.utils import timezone

        self.password_changed_at = timezone.now()
        self.must_change_password = False

    @property
    def printed_name(self) -> str:
        """The name shown beside a signature (Part 11 §11.50: printed name of the signer)."""
        return self.get_full_name() or self.username


class Role(models.Model):
    """A named set of permissions given to people (Quality Manager, Auditor …)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    is_system = models.BooleanField(
        default=False,
        help_text="System roles ship with Qualitas; their permissions are kept in code.",
    )
    requires_mfa = models.BooleanField(
        "requires MFA",
        default=False,
        help_text="People holding this role must sign in and sign with an authenticator code.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RolePermission(models.Model):
    """One permission carried by a role; codes are declared in qualitas.core.permissions."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="grants")
    permission = models.CharField(max_length=80)

    objects = audited_manager()

    class Meta:
        ordering = ["role", "permission"]
        constraints = [
            models.UniqueConstraint(fields=["role", "permission"], name="unique_role_permission")
        ]

    def __str__(self) -> str:
        return f"{self.role.code}: {self.permission}"


class RoleAssignment(models.Model):
    """A role held by a user, at one site or (site empty) at every site."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        null=True,
        blank=True,
        help_text="Empty means the role applies at every site.",
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    objects = audited_manager()

    class Meta:
        ordering = ["user", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "site"], name="unique_role_assignment_per_site"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(site__isnull=True),
                name="unique_role_assignment_all_sites",
            ),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site else "all sites"
        return f"{self.user} — {self.role} ({where})"
