"""Finding 8 of the security review, value by value: bad paging, ids beyond 64 bits and
nulls for required fields answer with a clear 4xx naming the parameter, never a 500. On a
list page junk in ?page= shows the first page and a page past the end is a 404 naming the
last; in the API a page past the end is empty (issue 12). (The route-wide sweep is
test_hostile_routes.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core.models import Department, Site, User
from tests.factories import UserFactory


@pytest.mark.parametrize("page", ["x", "0", "-5", "", "1.5"])
def test_junk_in_page_shows_the_first_page(client_for: Any, viewer: User, page: str) -> None:
    UserFactory.create_batch(30)  # two pages of 25; per_page=-5 is the nearest, 1 a page

    default = client_for(viewer).get("/people/", {"page": page})
    one_a_page = client_for(viewer).get("/people/", {"page": page, "per_page": "-5"})

    assert default.status_code == one_a_page.status_code == 200
    assert default.context["table"].page.number == one_a_page.context["table"].page.number == 1


@pytest.mark.parametrize("page", ["3", "999999", "7" + "0" * 35, "9" * 5000])
def test_a_page_past_the_end_is_a_404_naming_the_last(
    client_for: Any, viewer: User, page: str
) -> None:
    UserFactory.create_batch(30)  # with the viewer and the fixtures' people: two pages of 25

    response = client_for(viewer).get("/people/", {"page": page})
    last = client_for(viewer).get("/people/", {"page": "2"})

    assert response.status_code == 404
    assert "past the last page (2)" in response.content.decode()
    assert last.status_code == 200
    assert last.context["table"].page.number == 2


def test_the_api_answers_a_page_past_the_end_with_an_empty_page(api_for: Any, viewer: User) -> None:
    UserFactory.create_batch(3)
    counted = api_for(viewer).get("/users", page=1, page_size=2).json()["count"]

    response = api_for(viewer).get("/users", page=999999, page_size=2)

    assert response.status_code == 200
    assert response.json() == {
        "count": counted,
        "count_capped": False,
        "page": 999999,
        "page_size": 2,
        "next": None,
        "results": [],
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": "x"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "7" + "0" * 35}, "page"),
        ({"page_size": "-5"}, "page_size"),
        ({"page_size": "100000"}, "page_size"),
        ({"site": "1" + "0" * 22}, "site"),
        ({"site": "1e22"}, "site"),
    ],
)
def test_the_api_names_a_bad_paging_or_filter_value(
    api_for: Any, viewer: User, query: dict[str, str], field: str
) -> None:
    response = api_for(viewer).get("/users", **query)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_last_page_and_an_empty_first_page_are_fine(api_for: Any, viewer: User) -> None:
    assert api_for(viewer).get("/users", page=1, page_size=1).status_code == 200
    assert api_for(viewer).get("/departments", page=1).json()["results"] == []


def test_ids_beyond_64_bits_are_refused_not_overflowed(
    api_for: Any, client_for: Any, admin: User
) -> None:
    huge = 10**22

    by_path = api_for(admin).get(f"/users/{huge}")
    in_body = api_for(admin).post("/departments", {"code": "QA", "name": "QA", "site": huge})
    page = client_for(admin).get(f"/people/{huge}/")

    assert by_path.status_code == 422
    assert by_path.json()["errors"][0]["field"] == "user_id"
    assert in_body.status_code == 422
    assert in_body.json()["errors"][0]["field"] == "site"
    assert page.status_code == 404
    assert Department.objects.count() == 0


def test_null_for_a_required_field_is_a_422_naming_it(api_for: Any, admin: User) -> None:
    made = api_for(admin).post("/sites", {"code": "LDS", "name": "Leeds", "address": "1 Road"})
    site_id = made.json()["id"]

    response = api_for(admin).patch(f"/sites/{site_id}", {"address": None})
    refused_create = api_for(admin).post("/sites", {"code": None, "name": "Leeds 2"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["address"]
    assert Site.objects.get(pk=site_id).address == "1 Road"
    assert refused_create.status_code == 422
    assert refused_create.json()["errors"][0]["field"] == "code"


@pytest.mark.parametrize(
    ("message", "field", "says"),
    [
        ("NOT NULL constraint failed: core_site.address", "address", "cannot be null"),
        ("UNIQUE constraint failed: core_site.code", "code", "already taken"),
        (
            'null value in column "owner_id" of relation "capa_capa" violates not-null '
            "constraint\nDETAIL:  Failing row contains (1, null).",
            "owner",
            "cannot be null",
        ),
        (
            'duplicate key value violates unique constraint "core_site_code_key"\n'
            "DETAIL:  Key (code)=(LDS) already exists.",
            "code",
            "already taken",
        ),
        ("CHECK constraint failed: something", "__all__", "not allowed"),
    ],
)
def test_integrity_errors_name_the_field(message: str, field: str, says: str) -> None:
    from django.db import IntegrityError

    from qualitas.api.errors import integrity_error_of

    error = integrity_error_of(IntegrityError(message))

    assert error["field"] == field
    assert says in error["message"]


def test_a_form_choice_beyond_64_bits_is_refused(client_for: Any, admin: User) -> None:
    from qualitas.documents.models import DocumentType

    procedure = DocumentType.objects.get(code="procedure")
    form = {
        "name": "Renamed",
        "number_pattern": "{prefix}-{seq:04}",
        "revision_scheme": procedure.revision_scheme,
        "review_interval_months": 12,
        "approval_order": procedure.approval_order,
        "default_reviewers": str(10**22),  # Django queries pk__in with it: SQLite overflows
    }

    response = client_for(admin).post(f"/documents/types/{procedure.pk}/edit/", form)

    # SQLite overflows (the error page says why); PostgreSQL finds no such person (the form).
    assert response.status_code in {400, 422}
    assert b"too large" in response.content or b"valid choice" in response.content
    procedure.refresh_from_db()
    assert procedure.name != "Renamed"


def test_a_nul_character_is_refused_naming_the_field(
    client_for: Any, api_for: Any, admin: User
) -> None:
    page = client_for(admin).get("/search/", {"q": "bore\x00"})
    api = api_for(admin).post("/sites", {"code": "NUL", "name": "Null\x00 plant"})

    assert page.status_code == 400
    assert b"q: a NUL character is not allowed" in page.content
    assert api.status_code == 422
    assert [e["field"] for e in api.json()["errors"]] == ["name"]
    assert not Site.objects.filter(code="NUL").exists()
