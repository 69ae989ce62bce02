"""Who may and who may not: the same policy answers in services, pages and the API."""

from __future__ import annotations

import pytest

from qualitas.core import permissions, services
from qualitas.core.errors import PermissionDenied
from qualitas.core.models import Site, User
from tests.factories import SiteFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db

ROLE_FIXTURES = ["admin", "quality_manager", "auditor", "contributor", "viewer", "nobody"]


@pytest.mark.parametrize(
    ("actor_fixture", "may_create_site"),
    [
        ("admin", True),
        ("quality_manager", True),
        ("auditor", False),
        ("contributor", False),
        ("viewer", False),
        ("nobody", False),
    ],
)
def test_who_may_create_a_site(
    request: pytest.FixtureRequest, actor_fixture: str, may_create_site: bool
) -> None:
    actor = request.getfixturevalue(actor_fixture)

    if may_create_site:
        services.create_site(actor=actor, code="NEW", name="New plant")
        assert Site.objects.filter(code="NEW").exists()
    else:
        with pytest.raises(PermissionDenied):
            services.create_site(actor=actor, code="NEW", name="New plant")
        assert not Site.objects.filter(code="NEW").exists()


@pytest.mark.parametrize(
    ("actor_fixture", "status"),
    [("admin", 201), ("quality_manager", 403), ("auditor", 403), ("viewer", 403), ("nobody", 403)],
)
def test_who_may_open_an_account_through_the_api(
    request: pytest.FixtureRequest, api_for: object, actor_fixture: str, status: int
) -> None:
    actor = request.getfixturevalue(actor_fixture)

    response = api_for(actor).post(
        "/users", {"username": "newcomer", "password": "Juniper-Anchor-64"}
    )  # type: ignore[operator]

    assert response.status_code == status
    assert User.objects.filter(username="newcomer").exists() is (status == 201)


@pytest.mark.parametrize(
    ("actor_fixture", "status"),
    [("admin", 200), ("quality_manager", 200), ("viewer", 200), ("nobody", 403)],
)
def test_who_may_see_the_people_page(
    request: pytest.FixtureRequest, client_for: object, actor_fixture: str, status: int
) -> None:
    response = client_for(request.getfixturevalue(actor_fixture)).get("/people/")  # type: ignore[operator]

    assert response.status_code == status


def test_a_forbidden_page_says_what_is_missing(client_for: object, viewer: User) -> None:
    response = client_for(viewer).get("/sites/new/")  # type: ignore[operator]

    assert response.status_code == 403
    assert b"Create and change sites and departments" in response.content


def test_who_may_grant_roles(
    api_for: object, admin: User, quality_manager: User, viewer: User
) -> None:
    body = {"role": "auditor"}

    refused = api_for(quality_manager).post(f"/users/{viewer.pk}/roles", body)  # type: ignore[operator]
    granted = api_for(admin).post(f"/users/{viewer.pk}/roles", body)  # type: ignore[operator]

    assert refused.status_code == 403
    assert granted.status_code == 201
    assert sorted(viewer.role_assignments.values_list("role__code", flat=True)) == [
        "auditor",
        "viewer",
    ]


def test_a_role_held_at_one_site_does_not_reach_another() -> None:
    home, away = SiteFactory(code="A"), SiteFactory(code="B")
    local_qm = with_role(UserFactory(), permissions.QUALITY_MANAGER, site=home)

    assert permissions.has_perm(local_qm, permissions.MANAGE_STRUCTURE, site=home)
    assert not permissions.has_perm(local_qm, permissions.MANAGE_STRUCTURE, site=away)


def test_a_role_held_everywhere_reaches_every_site(quality_manager: User) -> None:
    assert permissions.has_perm(quality_manager, permissions.MANAGE_STRUCTURE, site=SiteFactory())


def test_a_deactivated_user_holds_no_permission(admin: User, quality_manager: User) -> None:
    services.deactivate_user(quality_manager, actor=admin)

    assert not permissions.has_perm(quality_manager, permissions.VIEW_DIRECTORY)


def test_the_administrator_holds_every_permission(admin: User) -> None:
    assert all(permissions.has_perm(admin, code) for code in permissions.PERMISSIONS)


def test_an_unknown_permission_is_a_programming_error(admin: User) -> None:
    with pytest.raises(ValueError, match="unknown permission"):
        permissions.has_perm(admin, "org.fly_to_the_moon")


def test_granting_a_role_takes_effect_on_the_same_user_object(admin: User, nobody: User) -> None:
    assert not permissions.has_perm(nobody, permissions.VIEW_DIRECTORY)

    services.grant_role(nobody, actor=admin, role=services.Role.objects.get(code="viewer"))

    assert permissions.has_perm(nobody, permissions.VIEW_DIRECTORY)


def test_system_roles_carry_the_permissions_declared_in_code() -> None:
    from qualitas.core.models import Role

    qm = Role.objects.get(code=permissions.QUALITY_MANAGER)

    assert (
        set(qm.grants.values_list("permission", flat=True))
        == permissions.DEFAULT_GRANTS[permissions.QUALITY_MANAGER]
    )


def test_navigation_shows_only_what_the_user_may_open(
    client_for: object, nobody: User, viewer: User
) -> None:
    assert b"Organisation" not in client_for(nobody).get("/").content  # type: ignore[operator]
    assert b"Organisation" in client_for(viewer).get("/").content  # type: ignore[operator]
