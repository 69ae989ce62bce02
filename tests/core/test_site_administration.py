"""An administrator of one site administers that site, not the company.

Found by the route-wide test (every route as every role held only at the wrong site): an
administrator whose role was held at a branch could deactivate anyone, grant roles at every
site (themselves included), and add files to another site's document revisions. Every
check that concerns a person, a role grant or a record now passes where it applies.
"""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import mfa, permissions, records, services
from qualitas.core.errors import PermissionDenied
from qualitas.core.models import Role, User
from tests.factories import SiteFactory, UserFactory, with_role


@pytest.fixture
def plants(db: None) -> tuple[Any, Any]:
    return SiteFactory(code="SHF", name="Sheffield"), SiteFactory(code="LDS", name="Leeds")


@pytest.fixture
def leeds_admin(plants: tuple[Any, Any]) -> User:
    _, leeds = plants
    return with_role(UserFactory(username="leedsadmin", site=leeds), "administrator", site=leeds)


def test_a_site_administrator_cannot_grant_anything_beyond_their_site(
    leeds_admin: User, plants: tuple[Any, Any]
) -> None:
    sheffield, leeds = plants
    newcomer = UserFactory(site=leeds)
    admin_role = Role.objects.get(code=permissions.ADMINISTRATOR)

    with pytest.raises(PermissionDenied, match="every site"):
        services.grant_role(leeds_admin, actor=leeds_admin, role=admin_role)
    with pytest.raises(PermissionDenied, match="Sheffield"):
        services.grant_role(newcomer, actor=leeds_admin, role=admin_role, site=sheffield)

    granted = services.grant_role(newcomer, actor=leeds_admin, role=admin_role, site=leeds)
    assert granted.site == leeds
    assert not leeds_admin.role_assignments.filter(site__isnull=True).exists()


def test_a_site_administrator_cannot_take_over_someone_whose_roles_reach_further(
    leeds_admin: User, quality_manager: User, plants: tuple[Any, Any]
) -> None:
    _, leeds = plants
    quality_manager.site = leeds  # works in Leeds, but holds the role at every site
    colleague = with_role(UserFactory(site=leeds), "contributor", site=leeds)

    for attempt in (
        lambda: services.set_password(
            quality_manager, actor=leeds_admin, password="Quarry-Sparrow-Ninety-4"
        ),
        lambda: services.deactivate_user(quality_manager, actor=leeds_admin),
        lambda: services.update_user(
            quality_manager, actor=leeds_admin, last_name="X", reason="test"
        ),
        lambda: mfa.reset_for(quality_manager, actor=leeds_admin, reason="lost"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    quality_manager.refresh_from_db()
    assert quality_manager.is_active

    services.deactivate_user(colleague, actor=leeds_admin)
    colleague.refresh_from_db()
    assert not colleague.is_active


def test_nobody_creates_a_token_that_acts_as_someone_else(admin: User, viewer: User) -> None:
    with pytest.raises(PermissionDenied, match="acts as its owner"):
        services.create_token(actor=admin, name="impersonation", user=viewer)

    assert not viewer.api_tokens.exists()


def test_a_record_of_another_site_is_not_editable_by_a_site_editor(
    leeds_admin: User, plants: tuple[Any, Any]
) -> None:
    sheffield, leeds = plants
    deviations = records.RECORD_TYPES["deviation"]
    raiser = with_role(UserFactory(site=sheffield), "contributor", site=sheffield)
    theirs = records.create(deviations, actor=raiser, title="Torque", site=sheffield)
    ours = records.create(deviations, actor=leeds_admin, title="Spindle", site=leeds)

    assert not records.may_edit(leeds_admin, theirs)
    assert records.may_edit(leeds_admin, ours)
    with pytest.raises(PermissionDenied, match="Sheffield"):
        records.update(theirs, actor=leeds_admin, expected_version=1, title="Mine now")


def test_a_site_less_record_needs_rights_where_it_applies(
    leeds_admin: User, plants: tuple[Any, Any], quality_manager: User
) -> None:
    """A document revision has no site of its own: its document says where it applies."""
    from qualitas.documents import services as documents
    from qualitas.documents.models import DocumentType

    sheffield, _ = plants
    document = documents.create_document(
        actor=quality_manager,
        document_type=DocumentType.objects.get(code="procedure"),
        title="Sheffield deburring",
        content_text="x",
        sites=[sheffield],
    )
    revision = document.revisions.get()

    assert records.sites_of(revision) == [sheffield]
    assert not records.may_link(leeds_admin, revision)
    assert records.may_link(quality_manager, revision)
