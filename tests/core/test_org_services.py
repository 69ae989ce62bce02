"""Rules of the organisation services: accounts are never deleted, names never reused."""

from __future__ import annotations

import pytest

from qualitas.core import permissions, services
from qualitas.core.errors import Conflict, InvalidInput
from qualitas.core.models import ApiToken, AuditEvent, Role, User
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_deactivating_keeps_the_account_and_revokes_its_tokens(admin: User, viewer: User) -> None:
    token, _plain = services.create_token(actor=viewer, name="script")

    services.deactivate_user(viewer, actor=admin)

    viewer.refresh_from_db()
    token.refresh_from_db()
    assert viewer.is_active is False
    assert token.revoked_by == admin


def test_nobody_deactivates_themselves(admin: User) -> None:
    with pytest.raises(InvalidInput, match="your own account"):
        services.deactivate_user(admin, actor=admin)


def test_the_last_administrator_cannot_be_deactivated(admin: User) -> None:
    other = UserFactory(username="helper")
    services.grant_role(other, actor=admin, role=Role.objects.get(code=permissions.ADMINISTRATOR))
    services.deactivate_user(other, actor=admin)
    lone_admin = admin

    system = services.system_user()
    with pytest.raises(Conflict, match="last active administrator"):
        services.deactivate_user(lone_admin, actor=system)

    assert User.objects.get(pk=lone_admin.pk).is_active


def test_the_last_administrator_role_cannot_be_revoked(admin: User) -> None:
    assignment = admin.role_assignments.get()

    with pytest.raises(Conflict, match="last active administrator"):
        services.revoke_role(assignment, actor=admin)

    assert admin.role_assignments.count() == 1


def test_a_username_is_never_reused_even_after_deactivation(admin: User) -> None:
    former = UserFactory(username="jsmith")
    services.deactivate_user(former, actor=admin)

    with pytest.raises(Conflict, match="never reused"):
        services.create_user(actor=admin, username="JSmith", password=None)

    assert User.objects.filter(username__iexact="jsmith").count() == 1


def test_a_role_cannot_be_granted_twice_at_the_same_place(admin: User, viewer: User) -> None:
    with pytest.raises(Conflict, match="already holds"):
        services.grant_role(viewer, actor=admin, role=Role.objects.get(code="viewer"))


def test_people_may_change_their_job_title_but_not_their_name_nor_their_place(
    viewer: User,
) -> None:
    """Security review finding 2: a user renamed themselves and then "signed" as someone
    else. Their name and e-mail are who signs: only an administrator changes them."""
    services.update_user(viewer, actor=viewer, job_title="Metrologist")
    other = DepartmentFactory(code="X", name="Elsewhere")

    for change in ({"department": other}, {"first_name": "Helen"}, {"email": "h@x.test"}):
        with pytest.raises(services.permissions.PermissionDenied):
            services.update_user(viewer, actor=viewer, reason="mine", **change)

    viewer.refresh_from_db()
    assert (viewer.job_title, viewer.department) == ("Metrologist", None)
    assert viewer.first_name != "Helen"


def test_an_administrator_renames_a_person_only_with_a_reason_that_is_recorded(
    admin: User, viewer: User
) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.update_user(viewer, actor=admin, last_name="Okafor-Marsh")
    assert refused.value.errors[0].field == "reason"

    services.update_user(viewer, actor=admin, last_name="Okafor-Marsh", reason="Marriage")

    event = AuditEvent.objects.filter(action="update", object_id=viewer.pk).last()
    assert event is not None
    assert event.reason == "Marriage"
    assert event.changes["last_name"]["new"] == "Okafor-Marsh"


def test_an_unknown_field_is_refused_by_name(admin: User, viewer: User) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.update_user(viewer, actor=admin, is_superuser=True)

    assert refused.value.errors[0].field == "is_superuser"
    viewer.refresh_from_db()
    assert viewer.is_superuser is False


def test_an_invalid_email_is_refused_and_nothing_saved(admin: User) -> None:
    with pytest.raises(InvalidInput) as refused:
        services.create_user(actor=admin, username="mail", password=None, email="not-an-address")

    assert refused.value.errors[0].field == "email"
    assert not User.objects.filter(username="mail").exists()


def test_duplicate_site_codes_are_refused_by_field(admin: User) -> None:
    services.create_site(actor=admin, code="SHF", name="Sheffield")

    with pytest.raises(InvalidInput) as refused:
        services.create_site(actor=admin, code="SHF", name="Another")

    assert refused.value.errors[0].field == "code"


def test_the_system_account_cannot_sign_in_or_hold_roles(admin: User) -> None:
    system = services.system_user()

    assert system.has_usable_password() is False
    with pytest.raises(InvalidInput):
        services.grant_role(system, actor=admin, role=Role.objects.get(code="viewer"))
    with pytest.raises(InvalidInput):
        services.reactivate_user(system, actor=admin)
    assert not ApiToken.objects.filter(user=system).exists()


def test_the_people_page_creates_an_account(client_for: object, admin: User) -> None:
    response = client_for(admin).post(  # type: ignore[operator]
        "/people/new/",
        {"username": "newhire", "first_name": "New", "last_name": "Hire", "password": "short"},
    )

    assert response.status_code == 422
    assert b"at least 12 characters" in response.content
    assert not User.objects.filter(username="newhire").exists()

    response = client_for(admin).post(  # type: ignore[operator]
        "/people/new/",
        {
            "username": "newhire",
            "first_name": "New",
            "last_name": "Hire",
            "password": "Quartz-Harvest-19",
        },
    )

    created = User.objects.get(username="newhire")
    assert response.status_code == 302
    assert response["Location"] == f"/people/{created.pk}/"


def test_the_person_page_grants_and_revokes_roles(
    client_for: object, admin: User, viewer: User
) -> None:
    client = client_for(admin)  # type: ignore[operator]
    auditor_role = Role.objects.get(code="auditor")

    client.post(f"/people/{viewer.pk}/roles/", {"role": auditor_role.pk})
    granted = viewer.role_assignments.get(role=auditor_role)
    client.post(f"/people/{viewer.pk}/roles/{granted.pk}/revoke/")

    assert list(viewer.role_assignments.values_list("role__code", flat=True)) == ["viewer"]
