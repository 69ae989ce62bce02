"""Contract 9 (issue 13, defect 1): opening a record's edit page and saving it unchanged
changes nothing. Date inputs once showed British dates that `<input type="date">` cannot
read: the field looked empty, and saving wiped the date or refused the form."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import models
from django.urls import reverse

from qualitas.core import records
from tests.contract.conftest import Cast, role_holds

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """What a browser would submit from the page's edit form, untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self.dates: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form" and found.get("method", "").lower() == "post":
            self._in_form = "action" not in found or not found["action"].startswith("/logout")
        if not self._in_form:
            return
        name = found.get("name")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in found:
                return
            if kind in {"submit", "button", "file"}:
                return
            missing = "on" if kind in {"checkbox", "radio"} else ""
            self.values.setdefault(name, []).append(found.get("value", missing))
            if kind == "date":
                self.dates[name] = found.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in found:
            self.values[self._select].append(found.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            # A browser drops the newline right after <textarea>.
            self.values[self._textarea][0] += (
                data.removeprefix("\n") if not self.values[self._textarea][0] else data
            )


def _date_fields(record_type: records.RecordType) -> list[str]:
    return [
        name
        for name in record_type.editable_fields
        if isinstance(record_type.model._meta.get_field(name), models.DateField)
        and not isinstance(record_type.model._meta.get_field(name), models.DateTimeField)
    ]


def test_saving_the_edit_page_unchanged_changes_nothing(
    record_type: records.RecordType, make_record: Any, cast: Cast, client_for: Any
) -> None:
    record = make_record()
    editor = cast.editor(record_type)
    dates = _date_fields(record_type)
    if dates:
        # Every date set, to a past day whose British and American writings differ
        # (13/01 against 01/13); the same day for all, which every date rule allows.
        given = dict.fromkeys(dates, datetime.date(2026, 1, 13))
        record = records.change_record(
            record, actor=editor, expected_version=record.version, **given
        )
    url = reverse("core:record_edit", args=(record_type.resource, record.pk))
    client = client_for(editor)
    page = client.get(url)
    if page.status_code == 404:
        pytest.skip(f"{record_type.label_plural} are edited on their module's own pages")
    assert page.status_code == 200, page.content
    form = _Form()
    form.feed(page.content.decode())
    before = {name: getattr(record, name) for name in record_type.editable_fields}

    saved = client.post(url, {k: v if len(v) != 1 else v[0] for k, v in form.values.items()})

    assert saved.status_code == 302, saved.content.decode()[-3000:]
    for name in dates:
        assert form.dates[name] == before[name].isoformat(), name  # what the browser shows
    record.refresh_from_db()
    after = {name: getattr(record, name) for name in record_type.editable_fields}
    assert after == before
    assert record.version == page.context["form"].initial["version"]


def test_who_may_only_read_is_not_shown_an_edit_form(
    record_type: records.RecordType, make_record: Any, cast: Cast, client_for: Any
) -> None:
    """Issue 13, defect 16: a form that could never be saved is a 403 page saying why."""
    record = make_record()
    readers = [
        person
        for role, person in cast.people.items()
        if role_holds(role, record_type.permissions.view)
        and not role_holds(role, record_type.permissions.edit)
        and person.pk not in {record.owner_id, record.created_by_id}
    ]
    if not readers:
        pytest.skip("every role that reads these records may also edit them")
    url = reverse("core:record_edit", args=(record_type.resource, record.pk))
    for reader in readers:
        page = client_for(reader).get(url)
        if not records.visible_to(reader, record_type).filter(pk=record.pk).exists():
            assert page.status_code == 404  # a draft document kept from them, say
            continue
        assert page.status_code == 403, (reader.username, page.status_code)
        assert "Not allowed" in page.content.decode()
        assert 'name="version"' not in page.content.decode()
