"""The API every record type gets, exercised on the test-only deviations."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qualitas.core.models import AuditEvent, Signature, User
from tests.conftest import ApiClient
from tests.factories import PASSWORD
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"


def _raise(api: ApiClient, **fields: object) -> dict[str, object]:
    body = {"title": "Alternate gauge", "description": "Gauge 12 at calibration", **fields}
    response = api.post("/deviations", body)
    assert response.status_code == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def test_raise_read_and_list(api_for: object, author: User) -> None:
    api = api_for(author)  # type: ignore[operator]

    created = _raise(api, impact="Low")

    assert created["number"].startswith("DEV-")
    assert (created["state"], created["state_label"], created["owner"]) == (
        "draft",
        "Draft",
        author.pk,
    )
    assert api.get(f"/deviations/{created['id']}").json()["title"] == "Alternate gauge"
    assert [r["id"] for r in api.get("/deviations", state="draft").json()["results"]] == [
        created["id"]
    ]


def test_bad_input_names_the_field_and_saves_nothing(api_for: object, author: User) -> None:
    api = api_for(author)  # type: ignore[operator]

    missing = api.post("/deviations", {"description": "no title"})
    unknown_ref = api.post("/deviations", {"title": "x", "assignee": 99999})
    bad_choice = api.post("/deviations", {"title": "x", "priority": "urgentest"})

    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "title"
    assert unknown_ref.status_code == 422 and unknown_ref.json()["errors"] == [
        {"field": "assignee", "message": "No user with id 99999."}
    ]
    assert bad_choice.status_code == 422 and bad_choice.json()["errors"][0]["field"] == "priority"
    assert not Deviation.objects.exists()


def test_a_stale_patch_gets_409_and_changes_nothing(
    api_for: object, author: User, quality_manager: User
) -> None:
    created = _raise(api_for(author))  # type: ignore[operator]
    api_for(quality_manager).patch(f"/deviations/{created['id']}", {"version": 1, "title": "By QM"})  # type: ignore[operator]

    response = api_for(author).patch(
        f"/deviations/{created['id']}", {"version": 1, "title": "By author"}
    )  # type: ignore[operator]

    assert response.status_code == 409
    assert quality_manager.printed_name in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "version"
    assert Deviation.objects.get(pk=created["id"]).title == "By QM"


def test_transitions_list_what_is_possible_and_why_not(
    api_for: object, author: User, viewer: User
) -> None:
    created = _raise(api_for(author), description="")  # type: ignore[operator]

    listed = {
        t["name"]: t for t in api_for(viewer).get(f"/deviations/{created['id']}/transitions").json()
    }  # type: ignore[operator]

    assert set(listed) == {"submit", "cancel"}
    assert listed["submit"]["allowed"] is False
    assert [r["code"] for r in listed["submit"]["refusals"]] == ["not_permitted", "missing_field"]


def test_signing_through_the_api(api_for: object, author: User, approver: User) -> None:
    created = _raise(api_for(author), impact="Low")  # type: ignore[operator]
    api_for(author).post(f"/deviations/{created['id']}/transitions/submit", {"comment": "please"})  # type: ignore[operator]
    api = api_for(approver)  # type: ignore[operator]
    path = f"/deviations/{created['id']}/transitions/approve"

    no_password = api.post(path, {})
    wrong = api.post(path, {"password": "guess-guess-guess"})
    signed = api.post(path, {"password": PASSWORD, "comment": "Acceptable"})

    assert no_password.status_code == 422 and no_password.json()["errors"][0]["field"] == "password"
    assert wrong.status_code == 403 and "Wrong password" in wrong.json()["detail"]
    assert signed.status_code == 200 and signed.json()["state"] == "approved"
    (signature,) = api.get(f"/deviations/{created['id']}/signatures").json()
    assert (signature["printed_name"], signature["meaning"], signature["valid"]) == (
        "Abe Approver",
        "approved",
        True,
    )
    assert AuditEvent.objects.filter(action="signature_refused", actor=approver).count() == 1


def test_a_signer_field_in_the_request_is_ignored(
    api_for: object, author: User, approver: User, second_approver: User
) -> None:
    created = _raise(api_for(author), impact="Low")  # type: ignore[operator]
    api_for(author).post(f"/deviations/{created['id']}/transitions/submit", {})  # type: ignore[operator]

    api_for(approver).post(  # type: ignore[operator]
        f"/deviations/{created['id']}/transitions/approve",
        {"password": PASSWORD, "signer": second_approver.pk, "signer_id": second_approver.pk},
    )

    assert Signature.objects.get().signer == approver


def test_the_author_is_told_why_they_cannot_approve(api_for: object, author: User) -> None:
    from tests.factories import with_role

    with_role(author, "approver")
    created = _raise(api_for(author), impact="Low")  # type: ignore[operator]
    api_for(author).post(f"/deviations/{created['id']}/transitions/submit", {})  # type: ignore[operator]

    response = api_for(author).post(
        f"/deviations/{created['id']}/transitions/approve", {"password": PASSWORD}
    )  # type: ignore[operator]

    assert response.status_code == 403
    assert "someone else must do this" in response.json()["detail"]
    assert not Signature.objects.exists()


def test_history_shows_every_change(api_for: object, author: User) -> None:
    api = api_for(author)  # type: ignore[operator]
    created = _raise(api)
    api.patch(f"/deviations/{created['id']}", {"version": 1, "impact": "None"})
    api.post(f"/deviations/{created['id']}/transitions/submit", {"comment": "ok"})

    history = api.get(f"/deviations/{created['id']}/history").json()

    assert [e["action"] for e in history] == ["create", "update", "transition"]
    assert history[1]["changes"]["impact"] == {"old": "", "new": "None"}
    assert (history[2]["reason"], history[2]["actor_name"]) == ("ok", author.printed_name)


def test_files_upload_download_and_refusal(api_for: object, author: User, viewer: User) -> None:
    api = api_for(author)  # type: ignore[operator]
    created = _raise(api)
    url = f"/api/v1/deviations/{created['id']}/attachments"

    uploaded = api.client.post(
        url,
        {"file": SimpleUploadedFile("cert.pdf", PDF), "description": "Cal cert"},
        headers=api.headers,
    )
    refused = api.client.post(
        url, {"file": SimpleUploadedFile("cert.pdf", b"MZ" + b"\0" * 100)}, headers=api.headers
    )
    download = api.client.get(f"{url}/{uploaded.json()['id']}", headers=api.headers)

    assert uploaded.status_code == 201 and uploaded.json()["media_type"] == "application/pdf"
    assert refused.status_code == 422 and "executable" in refused.json()["errors"][0]["message"]
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Disposition"].startswith('attachment; filename="cert.pdf"')
    assert download["X-Checksum-SHA256"] == uploaded.json()["sha256"]


def test_files_of_records_you_cannot_see_are_not_served(
    api_for: object, deviations: object
) -> None:
    from qualitas.core import attachments, records
    from tests.factories import SiteFactory, UserFactory, with_role

    home, away = SiteFactory(code="H"), SiteFactory(code="A")
    owner = with_role(UserFactory(), "quality-manager", site=away)
    outsider = with_role(UserFactory(), "viewer", site=home)
    record = records.create(deviations, actor=owner, title="Remote", site=away)  # type: ignore[arg-type]
    import io

    added = attachments.add(record, actor=owner, file=io.BytesIO(PDF), name="secret.pdf")

    response = api_for(outsider).get(f"/deviations/{record.pk}/attachments/{added.pk}")  # type: ignore[operator]

    assert response.status_code == 404


def test_links_and_actions_through_the_api(api_for: object, author: User) -> None:
    api = api_for(author)  # type: ignore[operator]
    first, second = _raise(api, title="First"), _raise(api, title="Second")
    due = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()

    linked = api.post(
        f"/deviations/{second['id']}/links",
        {"target_type": "deviation", "target_id": first["id"], "kind": "caused_by"},
    )
    reverse = api.get(f"/deviations/{first['id']}/links").json()
    action = api.post(
        f"/deviations/{first['id']}/actions",
        {"title": "Check gauge", "due_on": due, "assignee": author.pk},
    )
    mine = api.get("/actions").json()["results"]
    done = api.post(f"/actions/{action.json()['id']}/complete", {"note": "Gauge OK"})

    assert linked.status_code == 201 and linked.json()[0]["phrase"] == "caused by"
    assert (reverse[0]["phrase"], reverse[0]["record_number"]) == ("caused", second["number"])
    assert action.status_code == 201
    assert [a["title"] for a in mine] == ["Check gauge"]
    assert done.json()["state"] == "done"


def test_the_audit_trail_search_is_for_quality_managers_and_auditors(
    api_for: object, author: User, quality_manager: User, auditor: User
) -> None:
    _raise(api_for(author))  # type: ignore[operator]

    refused = api_for(author).get("/audit-events")  # type: ignore[operator]
    found = api_for(quality_manager).get("/audit-events", record_type="deviation").json()  # type: ignore[operator]

    assert refused.status_code == 403
    assert [e["action"] for e in found["results"]] == ["create"]
    assert api_for(auditor).get("/audit-events", actor=author.pk).status_code == 200  # type: ignore[operator]


def test_record_endpoints_are_in_the_openapi_document() -> None:
    from django.test import Client

    paths = Client().get("/api/v1/openapi.json").json()["paths"]

    for path in (
        "/api/v1/deviations",
        "/api/v1/deviations/{record_id}/transitions",
        "/api/v1/deviations/{record_id}/transitions/{name}",
        "/api/v1/deviations/{record_id}/history",
        "/api/v1/deviations/{record_id}/attachments",
        "/api/v1/deviations/{record_id}/links",
        "/api/v1/deviations/{record_id}/actions",
        "/api/v1/audit-events",
    ):
        assert path in paths


def test_a_field_the_record_type_does_not_take_is_a_422_naming_it(
    api_for: Any, author: User, raise_deviation: Any
) -> None:
    """A typo or a field another step records is refused, never silently dropped."""
    deviation = raise_deviation(title="Valve sticks")
    api = api_for(author)

    created = api.post("/deviations", {"title": "Pump", "severty": "high"})
    changed = api.patch(
        f"/deviations/{deviation.pk}", {"version": deviation.version, "titel": "Typo"}
    )

    assert created.status_code == changed.status_code == 422
    assert [e["field"] for e in created.json()["errors"]] == ["severty"]
    assert [e["field"] for e in changed.json()["errors"]] == ["titel"]
    deviation.refresh_from_db()
    assert deviation.title == "Valve sticks"
