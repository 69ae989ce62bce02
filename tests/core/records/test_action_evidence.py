"""Evidence files on action items: attached by whoever may complete the action, served only to
those who may see it, checked like every attachment."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qualitas.core import actions, attachments
from qualitas.core.models import User
from tests.factories import SiteFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 calibration certificate"


@pytest.fixture
def action(raise_deviation: object, author: User) -> actions.ActionItem:
    record = raise_deviation()  # type: ignore[operator]
    return actions.assign(
        record, actor=author, title="Recalibrate", assignee=author, due_on=timezone.localdate()
    )


def test_evidence_through_the_page(
    client_for: object, author: User, action: actions.ActionItem
) -> None:
    client = client_for(author)  # type: ignore[operator]

    client.post(f"/actions/{action.pk}/files/", {"file": SimpleUploadedFile("cert.pdf", PDF)})
    refused = client.post(
        f"/actions/{action.pk}/files/",
        {"file": SimpleUploadedFile("cert.pdf", b"MZ\0\0")},
        follow=True,
    )
    (added,) = attachments.attachments_of(action)
    page = client.get(f"/deviations/{action.object_id}/").content.decode()

    assert b"executable" in refused.content
    assert client.get(f"/actions/{action.pk}/files/{added.pk}/").content == PDF
    assert f"/actions/{action.pk}/files/{added.pk}/" in page


def test_evidence_through_the_api(
    api_for: object, author: User, action: actions.ActionItem
) -> None:
    api = api_for(author)  # type: ignore[operator]
    url = f"/api/v1/actions/{action.pk}/attachments"

    uploaded = api.client.post(
        url, {"file": SimpleUploadedFile("cert.pdf", PDF)}, headers=api.headers
    )
    listed = api.get(f"/actions/{action.pk}/attachments").json()
    downloaded = api.client.get(f"{url}/{uploaded.json()['id']}", headers=api.headers)

    assert uploaded.status_code == 201 and uploaded.json()["media_type"] == "application/pdf"
    assert [f["original_name"] for f in listed] == ["cert.pdf"]
    assert downloaded.content == PDF


def test_strangers_can_neither_attach_nor_read(
    api_for: object, client_for: object, author: User, contributor: User, deviations: object
) -> None:
    from qualitas.core import records

    away = SiteFactory(code="AWAY")
    remote = with_role(UserFactory(), "quality-manager", site=away)
    record = records.create(deviations, actor=remote, title="Remote", site=away)  # type: ignore[arg-type]
    remote_action = actions.assign(
        record, actor=remote, title="Fix", assignee=remote, due_on=timezone.localdate()
    )
    outsider = with_role(UserFactory(), "viewer", site=SiteFactory(code="HOME"))
    attachments.add(
        remote_action, actor=remote, file=SimpleUploadedFile("x.pdf", PDF), name="x.pdf"
    )

    not_seen = api_for(outsider).get(f"/actions/{remote_action.pk}/attachments")  # type: ignore[operator]
    not_allowed = client_for(contributor).post(  # type: ignore[operator]
        f"/actions/{remote_action.pk}/files/", {"file": SimpleUploadedFile("y.pdf", PDF)}
    )

    assert not_seen.status_code == 404  # may not even know the record exists
    assert not_allowed.status_code == 403  # sees the record, may not change it
    assert attachments.attachments_of(remote_action).count() == 1


def test_the_actions_tab_does_not_query_per_action(
    client_for: object, author: User, raise_deviation: object
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record = raise_deviation()  # type: ignore[operator]
    client = client_for(author)  # type: ignore[operator]
    first = actions.assign(
        record, actor=author, title="A", assignee=author, due_on=timezone.localdate()
    )
    attachments.add(first, actor=author, file=SimpleUploadedFile("a.pdf", PDF), name="a.pdf")
    client.get(f"/deviations/{record.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/deviations/{record.pk}/")
    for n in range(5):
        more = actions.assign(
            record, actor=author, title=f"B{n}", assignee=author, due_on=timezone.localdate()
        )
        attachments.add(
            more,
            actor=author,
            file=SimpleUploadedFile(f"b{n}.pdf", PDF + bytes([n])),
            name=f"b{n}.pdf",
        )
    with CaptureQueriesContext(connection) as many:
        client.get(f"/deviations/{record.pk}/")

    assert len(many) == len(few)
