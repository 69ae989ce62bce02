"""Contract 6: per system role, who may raise records of each type (from the API, the pages
and the module's service) and who sees their list; a person with no role sees nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from qualitas.core import records
from qualitas.core.errors import PermissionDenied
from qualitas.core.models import User
from tests.contract.conftest import (
    NO_ROLE,
    Cast,
    Maker,
    api_payload,
    create_page_url,
    create_url_name,
    detail_url,
    form_data,
    list_url,
    new,
    role_holds,
)
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db


def test_who_may_raise_a_record(
    record_type: records.RecordType,
    maker: Maker,
    cast: Cast,
    api_for: Any,
    client_for: Any,
    role: str,
) -> None:
    person = cast.person(role)
    may = role_holds(role, record_type.permissions.create)
    api, client = api_for(person), client_for(person)
    before = record_type.model.objects.count()

    if maker.fields is not None:
        fields = maker.fields(cast)
        by_api = api.post(f"/{record_type.resource}", api_payload(fields))
        if by_api.status_code == 201:
            maker.release_one(record_type.model.objects.get(pk=by_api.json()["id"]), person)
        form = client.get(create_page_url(record_type))
        by_page = client.post(create_page_url(record_type), form_data(record_type, fields))

        statuses = (by_api.status_code, form.status_code, by_page.status_code)
        assert statuses == ((201, 200, 302) if may else (403, 403, 403)), by_api.content
        assert record_type.model.objects.count() == before + (2 if may else 0)
        return

    # Raised only through the module: its own page and service decide, the generic form
    # refuses those who may not (where it sends the others is the creation contract).
    own_page = create_url_name(record_type)
    if own_page is not None:
        assert client.get(reverse(own_page)).status_code == (200 if may else 403)
    if not may:
        assert client.get(create_page_url(record_type)).status_code == 403
        with pytest.raises(PermissionDenied):
            maker.raise_one(record_type, cast, person, 1)
        assert record_type.model.objects.count() == before
    else:
        raised = maker.raise_one(record_type, cast, person, 1)
        assert raised.created_by == person
        assert record_type.model.objects.count() == before + 1


def _at_branch_only(cast: Cast, role: str) -> User:
    person = new(UserFactory, username="branchonly", site=cast.branch)
    return with_role(person, role, site=cast.branch)


def test_raising_at_a_site_needs_the_permission_at_that_site(
    record_type: records.RecordType, maker: Maker, cast: Cast, api_for: Any, client_for: Any
) -> None:
    if maker.fields is None or not record_type.site_required:
        pytest.skip("raised only through the module, or its records belong to no site")
    # The everyday raiser's role (audits are planned by auditors and quality managers).
    role = next(
        r
        for r in ("contributor", "approver", "document-controller", "auditor", "quality-manager")
        if role_holds(r, record_type.permissions.create)
    )
    person = _at_branch_only(cast, role)
    fields = {**maker.fields(cast), "site": cast.hq}
    before = record_type.model.objects.count()

    by_api = api_for(person).post(f"/{record_type.resource}", api_payload(fields))
    by_page = client_for(person).post(create_page_url(record_type), form_data(record_type, fields))
    at_home = api_for(person).post(
        f"/{record_type.resource}", api_payload({**fields, "site": cast.branch})
    )

    assert by_api.status_code == 403, by_api.content
    # The page keeps the form and puts the refusal on it, like any other error (422), so
    # the person can choose a site where they may raise one.
    assert by_page.status_code == 422
    assert "You may not do this at Headquarters" in by_page.content.decode()
    assert at_home.status_code == 201, at_home.content
    assert record_type.model.objects.count() == before + 1


def test_everyone_who_may_view_sees_the_list(
    record_type: records.RecordType,
    make_record: Any,
    cast: Cast,
    api_for: Any,
    client_for: Any,
    role: str,
) -> None:
    record = make_record()
    person = cast.person(role)

    page = client_for(person).get(list_url(record_type))
    listed = api_for(person).get(f"/{record_type.resource}")

    if role == NO_ROLE or not role_holds(role, record_type.permissions.view):
        assert page.status_code == 403
        assert listed.status_code == 403 or listed.json()["results"] == []
        assert client_for(person).get(detail_url(record_type, record.pk)).status_code in (
            403,
            404,
        )
        return
    assert (page.status_code, listed.status_code) == (200, 200)
    if record_type.visibility is None:  # else the module says who sees which (drafts)
        assert [r["id"] for r in listed.json()["results"]] == [record.pk]
        assert record.number in page.content.decode()
        assert client_for(person).get(detail_url(record_type, record.pk)).status_code == 200
