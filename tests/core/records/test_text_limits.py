"""Issue 13, defect 15: a 10 MB text never finished in the browser and, posted directly,
got a bare "Bad Request (400)". Free-text fields take QUALITAS_TEXT_MAX_CHARS characters,
said at the form (maxlength, an error on the field), the API (422 naming it, and in the
published schema) and the service; a request too large to read is the site's 413 page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db

DEVIATIONS = "deviation"


@pytest.fixture
def short_texts(settings: Any) -> int:
    settings.TEXT_MAX_CHARS = 50
    return 50


def _description_field() -> str:
    record_type = records.RECORD_TYPES[DEVIATIONS]
    model = record_type.model
    return next(
        name
        for name in record_type.editable_fields
        if model._meta.get_field(name).get_internal_type() == "TextField"
    )


def test_the_service_refuses_a_text_over_the_limit_naming_the_field(
    author: User, raise_deviation: Any, short_texts: int
) -> None:
    name = _description_field()
    events = AuditEvent.objects.count()

    with pytest.raises(InvalidInput) as refused:
        raise_deviation(title="Long text", **{name: "x" * (short_texts + 1)})

    assert [e.field for e in refused.value.errors] == [name]
    assert "At most 50 characters (51 given)" in refused.value.errors[0].message
    assert AuditEvent.objects.count() == events
    raise_deviation(title="Just fits", **{name: "x" * short_texts})


def test_the_api_refuses_a_text_past_the_limit_naming_it(
    api_for: Any, author: User, short_texts: int
) -> None:
    name = _description_field()
    refused = api_for(author).post("/deviations", {"title": "Long", name: "y" * 51})

    assert refused.status_code == 422
    assert name in [e["field"] for e in refused.json()["errors"]]


def test_the_published_schema_says_how_long_a_text_may_be(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    name = _description_field()
    created = schema["DeviationIn"]["properties"][name]
    lengths = [option.get("maxLength") for option in created.get("anyOf", [created])]
    # QUALITAS_TEXT_MAX_CHARS as the schema was built (once per process).
    assert any(isinstance(length, int) and length > 0 for length in lengths), created
    assert schema["DeviationIn"]["properties"]["title"]["maxLength"] == 200


def test_the_form_marks_the_limit_and_shows_the_error_on_the_field(
    client_for: Any, author: User, short_texts: int
) -> None:
    name = _description_field()
    client = client_for(author)
    page = client.get("/deviations/new/")
    posted = client.post("/deviations/new/", {"title": "Long", name: "z" * 51})

    assert f'maxlength="{short_texts}"' in page.content.decode()
    assert posted.status_code == 422
    assert "At most 50 characters" in posted.content.decode() or "at most 50" in (
        posted.content.decode()
    )


def test_a_request_too_large_to_read_is_the_sites_413_page(
    quality_manager: User, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    browser = Client(raise_request_exception=False)
    browser.force_login(quality_manager)

    page = browser.post("/deviations/new/", {"title": "x", "description": "w" * 5000})
    from qualitas.core import services

    _token, plain = services.create_token(actor=quality_manager, name="large")
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {plain}").post(
        "/api/v1/deviations", {"title": "x" * 5000}, content_type="application/json"
    )

    assert page.status_code == 413
    assert "larger than" in page.content.decode() and "<nav" in page.content.decode()
    assert api.status_code == 413
    assert api.json()["detail"].startswith("What was sent is larger than")
