"""Contracts 3 to 5: every change is in the history (API and page), a stale version is
refused naming who changed the record, and records are never deleted."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import records
from tests.contract.conftest import Cast, audit_count, detail_url

pytestmark = pytest.mark.django_db


def test_an_edit_is_in_the_history_with_who_made_it(
    record_type: records.RecordType, make_record: Any, cast: Cast, api_for: Any, client_for: Any
) -> None:
    record = make_record()
    editor = cast.editor(record_type)
    new_title = f"{record.title} (corrected)"

    changed = api_for(editor).patch(
        f"/{record_type.resource}/{record.pk}", {"version": record.version, "title": new_title}
    )
    history = api_for(editor).get(f"/{record_type.resource}/{record.pk}/history")
    page = client_for(editor).get(detail_url(record_type, record.pk))

    assert changed.status_code == 200, changed.content
    assert history.status_code == 200, history.content
    edits = [e for e in history.json() if "title" in e["changes"] and e["action"] != "create"]
    assert len(edits) == 1, history.json()
    assert (edits[0]["actor"], edits[0]["actor_name"]) == (editor.pk, editor.printed_name)
    assert edits[0]["changes"]["title"]["new"] == new_title
    assert page.status_code == 200
    body = page.content.decode()
    shown = body[body.index('data-testid="history"') :]
    shown = shown[: shown.index("</table>")]
    assert editor.printed_name in shown and new_title in shown


def test_a_stale_version_is_refused_naming_who_changed_it(
    record_type: records.RecordType, make_record: Any, cast: Cast, api_for: Any
) -> None:
    record = make_record()
    raiser, editor = cast.raiser(record_type), cast.editor(record_type)
    url = f"/{record_type.resource}/{record.pk}"
    late = api_for(raiser)
    first = api_for(editor).patch(url, {"version": record.version, "title": "Changed first"})
    assert first.status_code == 200, first.content
    events = audit_count()

    stale = late.patch(url, {"version": record.version, "title": "Changed late"})

    assert stale.status_code == 409, stale.content
    assert editor.printed_name in stale.json()["detail"]
    assert "version" in [e["field"] for e in stale.json()["errors"]]
    record.refresh_from_db()
    assert (record.title, record.version) == ("Changed first", first.json()["version"])
    assert audit_count() == events


def test_records_are_never_deleted(
    record_type: records.RecordType, make_record: Any, cast: Cast, api_for: Any
) -> None:
    record = make_record()
    api = api_for(cast.people["administrator"])
    events = audit_count()

    response = api.delete(f"/{record_type.resource}/{record.pk}")

    assert response.status_code in (404, 405), response.content
    assert record_type.model.objects.filter(pk=record.pk).exists()
    assert audit_count() == events
