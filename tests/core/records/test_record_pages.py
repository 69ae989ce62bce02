"""The pages every record type gets: list, detail, raise, edit, transitions, files, audit trail."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualitas.core import actions, attachments, links, workflow
from qualitas.core.models import Signature, User
from tests.factories import PASSWORD
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_record(raise_deviation: object, author: User) -> Deviation:
    """A deviation with an action (no department), a file, a link and a transition."""
    record = raise_deviation(impact="Low")  # type: ignore[operator]
    actions.assign(
        record, actor=author, title="Check", assignee=author, due_on=timezone.localdate()
    )
    attachments.add(record, actor=author, file=io.BytesIO(b"%PDF-1.7 x"), name="cert.pdf")
    links.add(raise_deviation(title="Other"), actor=author, target=record, kind="caused_by")  # type: ignore[operator]
    return workflow.fire(record, "submit", actor=author, comment="for review")


def test_the_detail_page_shows_every_part(
    client_for: object, author: User, full_record: Deviation
) -> None:
    response = client_for(author).get(f"/deviations/{full_record.pk}/")  # type: ignore[operator]

    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        full_record.number,
        "Submitted",
        "Check",
        "cert.pdf",
        "caused",
        "for review",
        "Not signed yet.",
    ):
        assert text in body


def test_the_detail_page_needs_permission_to_see_the_record(
    client_for: object, full_record: Deviation
) -> None:
    from qualitas.core import records
    from tests.factories import SiteFactory, UserFactory, with_role

    stranger = with_role(UserFactory(), "viewer", site=SiteFactory(code="ELSE"))
    records.update(
        full_record,
        actor=full_record.owner,
        expected_version=full_record.version,
        site=SiteFactory(code="HERE"),
    )

    assert client_for(stranger).get(f"/deviations/{full_record.pk}/").status_code == 404  # type: ignore[operator]


def test_the_list_exports_what_it_shows(
    client_for: object, author: User, full_record: Deviation
) -> None:
    response = client_for(author).get("/deviations/", {"state": "submitted", "export": "csv"})  # type: ignore[operator]

    rows = list(csv.reader(io.StringIO(response.getvalue().decode().lstrip("\ufeff"))))
    assert rows[0][:3] == ["Number", "Title", "State"]
    assert [r[0] for r in rows[1:]] == [full_record.number]
    assert rows[1][2] == "Submitted"


def test_list_and_detail_queries_stay_flat(
    client_for: object, author: User, raise_deviation: object
) -> None:
    client = client_for(author)  # type: ignore[operator]
    raise_deviation()  # type: ignore[operator]
    client.get("/deviations/")
    with CaptureQueriesContext(connection) as few:
        client.get("/deviations/")
    for _ in range(15):
        raise_deviation()  # type: ignore[operator]
    with CaptureQueriesContext(connection) as many:
        client.get("/deviations/")

    assert len(many) == len(few)


def test_raising_through_the_form(client_for: object, author: User) -> None:
    client = client_for(author)  # type: ignore[operator]

    refused = client.post("/deviations/new/", {"title": "", "priority": "medium"})
    created = client.post(
        "/deviations/new/",
        {"title": "Alternate solvent", "priority": "high", "description": "x"},
    )

    assert refused.status_code == 422
    record = Deviation.objects.get()
    assert created["Location"] == f"/deviations/{record.pk}/"
    assert (record.title, record.priority, record.owner) == ("Alternate solvent", "high", author)


def test_a_stale_edit_shows_who_changed_the_record(
    client_for: object, author: User, quality_manager: User, raise_deviation: object
) -> None:
    record = raise_deviation()  # type: ignore[operator]
    form = {
        "title": "Mine",
        "priority": "medium",
        "description": "d",
        "site": record.site_id,
        "version": 1,
    }
    client_for(quality_manager).post(f"/deviations/{record.pk}/edit/", {**form, "title": "QM's"})  # type: ignore[operator]

    response = client_for(author).post(f"/deviations/{record.pk}/edit/", form)  # type: ignore[operator]

    assert response.status_code == 422
    assert quality_manager.printed_name.encode() in response.content
    assert Deviation.objects.get(pk=record.pk).title == "QM's"


def test_signing_on_the_transition_page(
    client_for: object, approver: User, full_record: Deviation
) -> None:
    client = client_for(approver)  # type: ignore[operator]
    page = client.get(f"/deviations/{full_record.pk}/transitions/approve/")

    wrong = client.post(
        page.request["PATH_INFO"], {"password": "nope-nope-nope", "version": full_record.version}
    )
    signed = client.post(
        page.request["PATH_INFO"],
        {"password": PASSWORD, "comment": "OK", "version": full_record.version},
    )

    assert b"electronic signature" in page.content and b'type="password"' in page.content
    assert wrong.status_code == 422 and b"Wrong password" in wrong.content
    assert signed.status_code == 302
    assert Signature.objects.get().signer == approver
    assert b"Signed by Abe Approver" in client.get(f"/deviations/{full_record.pk}/").content


def test_a_refused_transition_page_says_why(
    client_for: object, author: User, full_record: Deviation
) -> None:
    response = client_for(author).get(f"/deviations/{full_record.pk}/transitions/approve/")  # type: ignore[operator]

    assert b"This is not possible now" in response.content
    assert b"someone else must do this" in response.content or b"Only" in response.content


def test_files_upload_and_download_through_the_page(
    client_for: object, author: User, raise_deviation: object
) -> None:
    record = raise_deviation()  # type: ignore[operator]
    client = client_for(author)  # type: ignore[operator]

    client.post(
        f"/deviations/{record.pk}/files/",
        {"file": SimpleUploadedFile("sop.pdf", b"%PDF-1.7 sop")},
    )
    refused = client.post(
        f"/deviations/{record.pk}/files/",
        {"file": SimpleUploadedFile("sop.pdf", b"MZ\0\0")},
        follow=True,
    )
    added = attachments.attachments_of(record).get()
    download = client.get(f"/deviations/{record.pk}/files/{added.pk}/")

    assert b"executable" in refused.content
    assert download.content == b"%PDF-1.7 sop"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_actions_links_from_the_page(
    client_for: object, author: User, raise_deviation: object
) -> None:
    first, second = raise_deviation(), raise_deviation()  # type: ignore[operator]
    client = client_for(author)  # type: ignore[operator]
    due = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()

    client.post(
        f"/deviations/{first.pk}/actions/",
        {"title": "Sort lot", "assignee": author.pk, "due_on": due},
    )
    client.post(f"/deviations/{first.pk}/links/", {"target": second.number, "kind": "references"})
    action = actions.actions_of(first).get()
    client.post(f"/actions/{action.pk}/complete/", {"note": "Sorted"})

    assert actions.actions_of(first).get().state == "done"
    assert [v.other for v in links.links_of(first, viewer=author)] == [second]


def test_my_work_lists_my_actions_and_what_waits_for_my_signature(
    client_for: object, author: User, approver: User, full_record: Deviation
) -> None:
    assert b"Check" in client_for(author).get("/").content  # type: ignore[operator]
    waiting = client_for(approver).get("/").content  # type: ignore[operator]
    assert full_record.number.encode() in waiting
    assert f"/deviations/{full_record.pk}/transitions/approve/".encode() in waiting


def test_the_audit_trail_page_is_for_quality_managers_and_exports(
    client_for: object, quality_manager: User, author: User, full_record: Deviation
) -> None:
    refused = client_for(author).get("/audit-trail/")  # type: ignore[operator]
    page = client_for(quality_manager).get("/audit-trail/", {"record_type": "deviation"})  # type: ignore[operator]
    export = client_for(quality_manager).get(
        "/audit-trail/", {"record_type": "deviation", "export": "csv"}
    )  # type: ignore[operator]

    assert refused.status_code == 403
    assert full_record.number.encode() in page.content
    rows = list(csv.reader(io.StringIO(export.getvalue().decode().lstrip("\ufeff"))))
    assert rows[0][:4] == ["#", "When (UTC)", "Who", "Action"]
    assert {r[3] for r in rows[1:]} == {"Created", "Transition"}


def test_the_history_tab_lists_the_newest_first_in_utc(
    client_for: object, author: User, raise_deviation: object
) -> None:
    record = raise_deviation()  # type: ignore[operator]
    from qualitas.core import records

    records.update(record, actor=author, expected_version=1, impact="Second change")

    with override_settings(TIME_ZONE="America/Chicago"):
        body = client_for(author).get(f"/deviations/{record.pk}/").content.decode()  # type: ignore[operator]

    history = body[body.index('data-testid="history"') :]
    assert history.index("Changed") < history.index("Created")
    utc_time = record.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    assert utc_time in history


def test_nobody_is_shown_an_edit_form_they_could_not_submit(
    client_for: object, viewer: User, author: User, raise_deviation: object
) -> None:
    """Security review finding 10: a viewer was shown the edit form of any record they could
    see. The page now refuses with the reason, as the service would on saving."""
    record = raise_deviation()  # type: ignore[operator]

    refused = client_for(viewer).get(f"/deviations/{record.pk}/edit/")  # type: ignore[operator]
    allowed = client_for(author).get(f"/deviations/{record.pk}/edit/")  # type: ignore[operator]

    assert refused.status_code == 403
    assert b"<form" not in refused.content.split(b"<main")[1].replace(b'role="search"', b"")
    assert allowed.status_code == 200
