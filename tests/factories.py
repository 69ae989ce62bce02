"""Factories for the organisation (tests build data through these or through services)."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory as BaseModelFactory

from qualitas.core import audit
from qualitas.core.models import Department, Role, RoleAssignment, Site, User

PASSWORD = "Correct-Horse-Battery-9"


class DjangoModelFactory(BaseModelFactory):  # type: ignore[type-arg]
    """Test data is written in its own audit context, as the demo loader's is."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        with audit.context(actor=None, actor_name="test fixture"):
            return super()._create(model_class, *args, **kwargs)


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"Site {n}")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    job_title = "Engineer"
    # Everyone works somewhere: records they raise without naming a site belong to theirs.
    site = factory.SubFactory(SiteFactory, code="MAIN", name="Main plant")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            with audit.context(actor=None, actor_name="test fixture"):
                obj.save()


def with_role(user: User, role_code: str, *, site: Site | None = None) -> User:
    with audit.context(actor=None, actor_name="test fixture"):
        RoleAssignment.objects.create(user=user, role=Role.objects.get(code=role_code), site=site)
    return user
