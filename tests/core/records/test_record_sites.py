"""Security review findings 3 and 6: a record's site decides who handles it, so nobody moves
a record to a site where they have no rights, nobody raises one that belongs nowhere, and
only people who handle such records there can be made their owner."""

from __future__ import annotations

import pytest

from qualitas.core import records
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import User
from tests.factories import SiteFactory, UserFactory, with_role
from tests.recordtypes.models import Deviation


@pytest.fixture
def plants(db: None) -> tuple[object, object]:
    return SiteFactory(code="SHF", name="Sheffield"), SiteFactory(code="LDS", name="Leeds")


def test_a_record_cannot_be_moved_to_a_site_where_the_mover_has_no_rights(
    deviations: records.RecordType, plants: tuple[object, object]
) -> None:
    sheffield, leeds = plants
    local = with_role(UserFactory(site=sheffield), "quality-manager", site=sheffield)
    raised = records.create(deviations, actor=local, title="Torque wrench", site=sheffield)

    with pytest.raises(PermissionDenied, match="Leeds"):
        records.update(raised, actor=local, expected_version=1, site=leeds)

    raised.refresh_from_db()
    assert (raised.site, raised.version) == (sheffield, 1)


def test_a_site_bound_record_cannot_be_moved_to_no_site(
    deviations: records.RecordType, raise_deviation: object, quality_manager: User
) -> None:
    raised = raise_deviation()  # type: ignore[operator]

    with pytest.raises(InvalidInput) as refused:
        records.update(raised, actor=quality_manager, expected_version=1, site=None)

    assert refused.value.errors[0].field == "site"


def test_a_new_record_belongs_to_the_raisers_site_or_must_name_one(
    deviations: records.RecordType, plants: tuple[object, object]
) -> None:
    sheffield, leeds = plants
    homeless = with_role(UserFactory(site=None), "contributor")
    at_two_sites = with_role(UserFactory(site=None), "contributor", site=sheffield)
    with_role(at_two_sites, "contributor", site=leeds)
    at_one_site = with_role(UserFactory(site=None), "contributor", site=leeds)
    resident = with_role(UserFactory(site=sheffield), "contributor")

    for person in (homeless, at_two_sites):
        with pytest.raises(InvalidInput) as refused:
            records.create(deviations, actor=person, title="Where?")
        assert refused.value.errors[0].field == "site"
    assert not Deviation.objects.exists()

    assert records.create(deviations, actor=at_one_site, title="Leeds").site == leeds
    assert records.create(deviations, actor=resident, title="Home").site == sheffield


def test_site_bound_people_see_what_is_raised_at_their_site(
    deviations: records.RecordType, plants: tuple[object, object]
) -> None:
    """The reported effect: a record raised without a site was invisible to them."""
    sheffield, _ = plants
    local_viewer = with_role(UserFactory(site=sheffield), "viewer", site=sheffield)
    raiser = with_role(UserFactory(site=sheffield), "contributor")

    raised = records.create(deviations, actor=raiser, title="Spindle runout")

    assert records.visible_to(local_viewer, deviations).filter(pk=raised.pk).exists()


def test_only_people_who_handle_such_records_there_can_own_one(
    deviations: records.RecordType, plants: tuple[object, object], author: User, viewer: User
) -> None:
    sheffield, leeds = plants
    leeds_engineer = with_role(UserFactory(site=leeds), "contributor", site=leeds)
    former = with_role(UserFactory(is_active=False), "contributor")

    for owner in (viewer, leeds_engineer, former):
        with pytest.raises(InvalidInput) as refused:
            records.create(deviations, actor=author, title="x", site=sheffield, owner=owner)
        assert refused.value.errors[0].field == "owner"
    assert not Deviation.objects.exists()

    colleague = with_role(UserFactory(), "contributor")
    owned = records.create(deviations, actor=author, title="x", site=sheffield, owner=colleague)
    assert owned.owner == colleague


def test_the_api_refuses_an_owner_who_cannot_handle_the_record(
    api_for: object, author: User, viewer: User
) -> None:
    response = api_for(author).post(  # type: ignore[operator]
        "/deviations", {"title": "Torque", "priority": "low", "owner": viewer.pk}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner"
    assert not Deviation.objects.exists()
