"""Idempotency-Key: a write retried with the same key is answered once, never done twice."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from qualitas.api import idempotency
from qualitas.core import audit, jobs, records, services
from qualitas.core.models import Attachment, IdempotentRequest, Site, User
from tests.conftest import ApiClient
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db

RAISE = {"title": "Alternate gauge", "description": "Gauge 12 at calibration"}


def send(api: ApiClient, path: str, body: Any, key: str | None, method: str = "post") -> Any:
    headers = dict(api.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    call = getattr(api.client, method)
    return call(
        f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers
    )


def test_the_same_key_twice_raises_one_record_and_replays_the_answer(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)

    first = send(api, "/deviations", RAISE, "raise-gauge-12")
    again = send(api, "/deviations", RAISE, "raise-gauge-12")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Deviation.objects.count() == 1


def test_the_same_key_for_another_request_is_refused_and_does_nothing(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)
    send(api, "/deviations", RAISE, "k-1")

    other_body = send(api, "/deviations", {**RAISE, "title": "Another gauge"}, "k-1")
    other_path = send(api, "/sites", {"code": "X1", "name": "Plant"}, "k-1")

    for refused in (other_body, other_path):
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
        assert set(refused.json()) == {"detail", "errors"}
    assert list(Deviation.objects.values_list("title", flat=True)) == ["Alternate gauge"]
    assert not Site.objects.filter(code="X1").exists()


def test_keys_are_per_person(
    api_for: Callable[[User], ApiClient], contributor: User, quality_manager: User
) -> None:
    mine = send(api_for(contributor), "/deviations", RAISE, "shared-key")
    theirs = send(api_for(quality_manager), "/deviations", RAISE, "shared-key")

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert not theirs.has_header("Idempotent-Replayed")
    assert Deviation.objects.count() == 2


def test_without_a_key_nothing_changes(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)

    first = send(api, "/deviations", RAISE, None)
    second = send(api, "/deviations", RAISE, None)

    assert first.status_code == second.status_code == 201
    assert Deviation.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


def test_a_refused_request_replays_its_422(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)

    first = send(api, "/deviations", {"description": "no title"}, "no-title")
    again = send(api, "/deviations", {"description": "no title"}, "no-title")

    assert first.status_code == again.status_code == 422
    assert first.json()["errors"][0]["field"] == "title"
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert not Deviation.objects.exists()


def test_a_server_error_is_not_kept_and_the_retry_runs_again(
    api_for: Callable[[User], ApiClient], contributor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = api_for(contributor)
    api.client.raise_request_exception = False
    real = records.raise_record
    failures = iter([RuntimeError("worker lost its disk")])

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(records, "raise_record", fails_once)

    failed = send(api, "/deviations", RAISE, "retry-after-500")
    retried = send(api, "/deviations", RAISE, "retry-after-500")

    assert failed.status_code == 500
    assert retried.status_code == 201
    assert not retried.has_header("Idempotent-Replayed")
    assert Deviation.objects.count() == 1


def test_a_database_refusal_answered_as_422_is_kept(
    api_for: Callable[[User], ApiClient],
    admin: User,
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On PostgreSQL the failed INSERT leaves the transaction unusable; the answer is kept anyway.
    def unchecked_create_site(*, actor: User, **fields: Any) -> Site:
        with audit.context(actor=actor):  # no validation first: the database refuses
            return Site.objects.create(**fields)

    monkeypatch.setattr(services, "create_site", unchecked_create_site)
    api = api_for(admin)

    first = send(api, "/sites", {"code": site.code, "name": "Second plant"}, "dup-site")
    again = send(api, "/sites", {"code": site.code, "name": "Second plant"}, "dup-site")

    assert first.status_code == 422, first.content
    assert first.json()["errors"][0]["field"] == "code"
    assert again.status_code == 422 and again["Idempotent-Replayed"] == "true"
    assert Site.objects.filter(code=site.code).count() == 1


def test_a_claim_left_by_a_worker_that_died_is_run_by_the_retry(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    # The worker claimed the key and died: its transaction, record included, was rolled back.
    body = json.dumps(RAISE).encode()
    IdempotentRequest.objects.create(
        user=contributor,
        key="died",
        fingerprint=idempotency.fingerprint(
            "POST", "/api/v1/deviations", hashlib.sha256(body).hexdigest()
        ),
    )

    retried = send(api_for(contributor), "/deviations", RAISE, "died")

    assert retried.status_code == 201
    assert Deviation.objects.count() == 1
    assert IdempotentRequest.objects.get(key="died").status == 201


def test_a_patch_with_a_key_is_replayed(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)
    created = send(api, "/deviations", RAISE, None).json()
    change = {"title": "Renamed", "version": created["version"]}

    first = send(api, f"/deviations/{created['id']}", change, "rename", method="patch")
    again = send(api, f"/deviations/{created['id']}", change, "rename", method="patch")

    assert first.status_code == 200, first.json()
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content


def test_an_upload_with_a_key_is_attached_once(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)
    created = send(api, "/deviations", RAISE, None).json()
    url = f"/api/v1/deviations/{created['id']}/attachments"
    headers = {**api.headers, "Idempotency-Key": "upload-cert"}

    def upload(content: bytes) -> Any:
        form = {"file": SimpleUploadedFile("cert.pdf", content), "description": "Certificate"}
        return api.client.post(url, form, headers=headers)

    first = upload(b"%PDF-1.7 calibration certificate")
    again = upload(b"%PDF-1.7 calibration certificate")
    other_file = upload(b"%PDF-1.7 another certificate")

    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other_file.status_code == 422
    assert Attachment.objects.count() == 1


def test_a_browser_session_uses_keys_too(client_for: Callable[[User], Client], admin: User) -> None:
    client = client_for(admin)
    headers = {"Idempotency-Key": "session-site"}
    body = json.dumps({"code": "S1", "name": "Session plant"})

    first = client.post("/api/v1/sites", body, content_type="application/json", headers=headers)
    again = client.post("/api/v1/sites", body, content_type="application/json", headers=headers)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Site.objects.filter(code="S1").count() == 1


def test_an_unauthenticated_request_is_answered_401_and_claims_nothing(
    anonymous_api: ApiClient,
) -> None:
    response = send(anonymous_api, "/deviations", RAISE, "anonymous")

    assert response.status_code == 401
    assert not IdempotentRequest.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "caf\u00e9", '""'])
def test_a_malformed_key_is_refused_naming_the_header(
    api_for: Callable[[User], ApiClient], contributor: User, key: str
) -> None:
    response = send(api_for(contributor), "/deviations", RAISE, key)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Deviation.objects.exists()


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("x" * 255, "x" * 255), ('"8e03978e-40d5"', "8e03978e-40d5"), ("a b~!", "a b~!")],
)
def test_keys_up_to_255_printable_characters_are_accepted(
    api_for: Callable[[User], ApiClient], contributor: User, sent: str, stored: str
) -> None:
    response = send(api_for(contributor), "/deviations", RAISE, sent)

    assert response.status_code == 201
    assert IdempotentRequest.objects.get().key == stored


def test_expired_keys_are_removed_by_the_periodic_job(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)
    send(api, "/deviations", RAISE, "yesterday")
    send(api, "/deviations", RAISE, "today")
    IdempotentRequest.objects.filter(key="yesterday").update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    summary = jobs.run_all(only=["idempotency-keys-expire"])

    assert summary == {"idempotency-keys-expire": "1 expired idempotency key(s) removed"}
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["today"]


def test_an_expired_key_not_yet_removed_runs_the_request_again(
    api_for: Callable[[User], ApiClient], contributor: User
) -> None:
    api = api_for(contributor)
    send(api, "/deviations", RAISE, "old-key")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))

    again = send(api, "/deviations", RAISE, "old-key")

    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert Deviation.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
def test_a_duplicate_sent_while_the_first_runs_gets_409_and_one_site_is_created(
    admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _token, plain = services.create_token(actor=admin, name="tests")
    started, release = threading.Event(), threading.Event()
    real = services.create_site

    def slow_create_site(**kwargs: Any) -> Site:
        started.set()
        release.wait(timeout=10)
        return real(**kwargs)

    monkeypatch.setattr(services, "create_site", slow_create_site)
    body = {"code": "C1", "name": "Concurrent plant"}
    answers: dict[str, Any] = {}

    def first_request() -> None:
        try:
            answers["first"] = send(ApiClient(plain), "/sites", body, "concurrent")
        finally:
            connection.close()

    worker = threading.Thread(target=first_request)
    worker.start()
    assert started.wait(timeout=10)
    duplicate = send(ApiClient(plain), "/sites", body, "concurrent")
    release.set()
    worker.join(timeout=20)
    after = send(ApiClient(plain), "/sites", body, "concurrent")

    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "Idempotency-Key"
    assert answers["first"].status_code == 201
    assert after.status_code == 201 and after["Idempotent-Replayed"] == "true"
    assert after.content == answers["first"].content
    assert Site.objects.filter(code="C1").count() == 1
