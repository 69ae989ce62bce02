"""Contract 1: a record is raised through the module's own service, from the page and from
the API alike, with the same defaults; bad input names the field and saves nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from qualitas.core import records
from tests.contract.conftest import (
    Cast,
    Maker,
    api_payload,
    create_page_url,
    create_url_name,
    form_data,
)

pytestmark = pytest.mark.django_db

# Set by the system, different for every record, whichever way it is raised.
_OWN = {"id", "number", "created_at", "updated_at"}


def _content(record: Any) -> dict[str, Any]:
    return {
        f.attname: getattr(record, f.attname)
        for f in record._meta.concrete_fields
        if f.attname not in _OWN and not f.attname.endswith("_ptr_id")
    }


def _generic_fields(maker: Maker, cast: Cast) -> dict[str, Any]:
    if maker.fields is None:
        pytest.skip("raised only through the module's own page (see the refusal contract)")
    return maker.fields(cast)


def test_page_api_and_service_raise_the_same_record(
    record_type: records.RecordType, maker: Maker, cast: Cast, api_for: Any, client_for: Any
) -> None:
    fields = _generic_fields(maker, cast)
    raiser = cast.raiser(record_type)

    direct = records.raise_record(record_type, actor=raiser, **fields)
    maker.release_one(direct, raiser)
    response = api_for(raiser).post(f"/{record_type.resource}", api_payload(fields))
    assert response.status_code == 201, response.json()
    from_api = record_type.model.objects.get(pk=response.json()["id"])
    maker.release_one(from_api, raiser)
    page = client_for(raiser).post(create_page_url(record_type), form_data(record_type, fields))

    assert page.status_code == 302, page.content.decode()[-2000:]
    from_page = record_type.model.objects.exclude(pk__in=[direct.pk, from_api.pk]).get()
    maker.release_one(from_page, raiser)
    assert page["Location"] == reverse(
        "core:record_detail", args=(record_type.resource, from_page.pk)
    )
    direct.refresh_from_db()
    from_api.refresh_from_db()
    from_page.refresh_from_db()
    assert _content(from_api) == _content(direct)
    assert _content(from_page) == _content(direct)
    for name in record_type.defaulted_on_create:
        assert getattr(direct, name) not in (None, ""), f"the service left {name} empty"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"owner": 999_999}, "owner"),
        ({"priority": "urgentest"}, "priority"),
    ],
    ids=["no-title", "blank-title", "unknown-owner", "bad-choice"],
)
def test_bad_input_to_the_api_names_the_field_and_saves_nothing(
    record_type: records.RecordType,
    maker: Maker,
    cast: Cast,
    api_for: Any,
    change: dict[str, Any],
    field: str,
) -> None:
    payload = {**api_payload(_generic_fields(maker, cast)), **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    before = record_type.model.objects.count()

    response = api_for(cast.raiser(record_type)).post(f"/{record_type.resource}", payload)

    assert 400 <= response.status_code < 500, response.content
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert record_type.model.objects.count() == before


def _what_the_generic_form_asks(record_type: records.RecordType) -> dict[str, str]:
    """Text in every free-text field the generic form shows: all it could ever be given."""
    attempt = {}
    for name in record_type.editable_fields:
        field: Any = record_type.model._meta.get_field(name)
        if field.get_internal_type() in ("CharField", "TextField") and not field.choices:
            attempt[name] = "Generic"
    return attempt


def test_types_raised_by_their_own_module_refuse_the_generic_form_and_api(
    record_type: records.RecordType, maker: Maker, cast: Cast, api_for: Any, client_for: Any
) -> None:
    """A revision needs its document, a study its measurements: the generic create page sends
    the person to the module's page, and the generic API endpoint raises nothing."""
    if maker.fields is not None:
        pytest.skip("raised through the generic form and API (see the same-record contract)")
    raiser = cast.raiser(record_type)
    client = client_for(raiser)
    before = record_type.model.objects.count()

    attempt = _what_the_generic_form_asks(record_type)
    api = api_for(raiser).post(f"/{record_type.resource}", attempt)
    form = client.get(create_page_url(record_type))
    posted = client.post(create_page_url(record_type), attempt)

    assert 400 <= api.status_code < 500, api.content
    own_page = create_url_name(record_type)
    if own_page is not None and reverse(own_page) == create_page_url(record_type):
        # One tree: the record type's "new" page is the module's own (/spc-studies/new/),
        # and the generic fields alone are not enough for it.
        assert form.status_code == 200
        assert posted.status_code in (200, 422)
    elif own_page is not None:
        assert (form.status_code, form["Location"]) == (302, reverse(own_page))
        assert client.get(reverse(own_page)).status_code == 200
        assert (posted.status_code, posted.get("Location")) == (302, form["Location"])
    else:
        assert form.status_code == 404
        assert posted.status_code == 404
    assert record_type.model.objects.count() == before
