"""API conventions: authentication, the one error format, pagination, filters, OpenAPI."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from openapi_spec_validator import validate

from qualitas.core import permissions, services
from qualitas.core.models import Site, User
from tests.conftest import ApiClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_openapi_document_is_valid_openapi_3() -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    validate(document)
    assert {"/api/v1/me", "/api/v1/users", "/api/v1/tokens", "/api/v1/sites"} <= set(
        document["paths"]
    )


def test_the_interactive_docs_are_served_without_a_cdn() -> None:
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle" in response.content
    assert b"cdn." not in response.content


def test_a_call_without_credentials_gets_401_in_the_common_format(anonymous_api: ApiClient) -> None:
    response = anonymous_api.get("/users")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication required: sign in, or send a valid bearer token.",
        "errors": [],
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_user_without_the_permission_gets_403(api_for: object, nobody: User) -> None:
    response = api_for(nobody).get("/users")  # type: ignore[operator]

    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert "See people, departments, sites and roles" in body["detail"]


def test_an_unknown_record_gets_404(api_for: object, viewer: User) -> None:
    response = api_for(viewer).get("/users/999999")  # type: ignore[operator]

    assert response.status_code == 404
    assert response.json()["errors"] == []


def test_invalid_fields_get_422_naming_each_field(api_for: object, admin: User) -> None:
    response = api_for(admin).post("/users", {"username": "", "department": 424242})  # type: ignore[operator]

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert "username" in fields
    assert not User.objects.filter(username="").exists()


def test_a_wrong_type_gets_422_naming_the_field(api_for: object, admin: User) -> None:
    response = api_for(admin).post(
        "/sites", {"code": "X1", "name": "Plant", "address": ["not", "text"]}
    )  # type: ignore[operator]

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "address"
    assert not Site.objects.filter(code="X1").exists()


def test_an_unknown_reference_gets_422_naming_the_field(api_for: object, admin: User) -> None:
    response = api_for(admin).post("/users", {"username": "newbie", "department": 424242})  # type: ignore[operator]

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "department", "message": "No department with id 424242."}
    ]
    assert not User.objects.filter(username="newbie").exists()


def test_a_reused_username_gets_409(api_for: object, admin: User) -> None:
    UserFactory(username="taken", is_active=False)

    response = api_for(admin).post("/users", {"username": "TAKEN"})  # type: ignore[operator]

    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "username", "message": "Already taken."}]


def test_malformed_json_gets_a_4xx_not_a_500(admin: User) -> None:
    _t, plain = services.create_token(actor=admin, name="t")
    response = Client().post(
        "/api/v1/sites",
        "{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {plain}"},
    )

    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_lists_are_paginated_with_a_total(api_for: object, viewer: User) -> None:
    UserFactory.create_batch(7)

    page = api_for(viewer).get("/users", page=2, page_size=3).json()  # type: ignore[operator]

    assert page["count"] == 8
    assert page["page"] == 2
    assert page["page_size"] == 3
    assert len(page["results"]) == 3


def test_a_page_size_over_the_limit_is_refused(api_for: object, viewer: User) -> None:
    response = api_for(viewer).get("/users", page_size=100000)  # type: ignore[operator]

    assert response.status_code == 422


def test_list_filters_are_query_parameters(api_for: object, viewer: User, site: Site) -> None:
    UserFactory(username="at-hq", site=site)
    UserFactory(username="elsewhere")

    page = api_for(viewer).get("/users", site=site.pk).json()  # type: ignore[operator]

    assert [u["username"] for u in page["results"]] == ["at-hq"]


def test_session_auth_needs_the_csrf_token_for_writes(admin: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    refused = client.post(
        "/api/v1/sites", {"code": "S9", "name": "Nine"}, content_type="application/json"
    )
    csrf = client.get("/me/").cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/sites",
        {"code": "S9", "name": "Nine"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )

    assert refused.status_code == 403
    assert accepted.status_code == 201


def test_me_lists_roles_and_permissions(api_for: object, quality_manager: User) -> None:
    me = api_for(quality_manager).get("/me").json()  # type: ignore[operator]

    assert me["username"] == "qm"
    assert [r["role"] for r in me["roles"]] == ["quality-manager"]
    assert "org.manage_structure" in me["permissions"]
    assert "org.manage_users" not in me["permissions"]


def test_patch_changes_only_the_fields_sent(api_for: object, admin: User) -> None:
    person = UserFactory(username="pat", job_title="Inspector", first_name="Pat")

    response = api_for(admin).patch(f"/users/{person.pk}", {"job_title": "Senior inspector"})  # type: ignore[operator]

    person.refresh_from_db()
    assert response.status_code == 200
    assert (person.job_title, person.first_name) == ("Senior inspector", "Pat")


def test_roles_are_listed_with_their_permissions(api_for: object, viewer: User) -> None:
    roles = {r["code"]: r for r in api_for(viewer).get("/roles").json()}  # type: ignore[operator]

    assert set(roles) == {
        "quality-manager",
        "document-controller",
        "auditor",
        "approver",
        "contributor",
        "viewer",
        "administrator",
    }
    assert roles["viewer"]["permissions"] == sorted(permissions.DEFAULT_GRANTS["viewer"])
    assert not any(code.startswith("org.manage") for code in roles["viewer"]["permissions"])
    assert "*" in roles["administrator"]["permissions"]


def test_every_error_response_is_documented_in_the_common_format() -> None:
    document = Client().get("/api/v1/openapi.json").json()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "422"):
                assert status in operation["responses"], f"{method.upper()} {path} lacks {status}"


def test_nobody_renames_themselves_through_the_api(
    api_for: Callable[[User], ApiClient], viewer: User, admin: User
) -> None:
    """Security review finding 2: PATCH /users/{me} took first_name/last_name/email."""
    own = api_for(viewer).patch(f"/users/{viewer.pk}", {"first_name": "Helen", "last_name": "X"})
    no_reason = api_for(admin).patch(f"/users/{viewer.pk}", {"last_name": "Marsh"})
    renamed = api_for(admin).patch(
        f"/users/{viewer.pk}", {"last_name": "Marsh", "reason": "Legal name change"}
    )
    job = api_for(viewer).patch(f"/users/{viewer.pk}", {"job_title": "Lab technician"})

    assert own.status_code == 403
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    assert renamed.status_code == 200
    assert renamed.json()["printed_name"].endswith("Marsh")
    assert job.status_code == 200
