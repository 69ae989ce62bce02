"""Contract 2: every transition of the workflow, seen from the initial state by every role.
What is not possible says why in words; firing it anyway answers 4xx and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import records
from tests.contract.conftest import Cast, also_the_raiser, audit_count, readable

pytestmark = pytest.mark.django_db


@also_the_raiser
def test_refused_transitions_say_why_and_change_nothing(
    record_type: records.RecordType,
    make_record: Any,
    cast: Cast,
    api_for: Any,
    role: str,
) -> None:
    record = make_record()
    api = api_for(cast.person(role, record_type))
    base = f"/{record_type.resource}/{record.pk}"
    workflow = record_type.workflow

    listing = api.get(f"{base}/transitions")

    assert listing.status_code in (200, 404), listing.content
    listed = {t["name"]: t for t in listing.json()} if listing.status_code == 200 else {}
    expected = [
        t.name for t in workflow.transitions if workflow.initial in t.sources and not t.automatic
    ]
    if listing.status_code == 200:
        assert sorted(listed) == sorted(expected)
    for transition in workflow.transitions:
        shown = listed.get(transition.name)
        if shown is not None and shown["allowed"]:
            continue  # possible for this person: firing it is the module's own test
        if shown is not None:
            assert shown["refusals"], f"{transition.name} is refused without a reason"
            for refusal in shown["refusals"]:
                assert readable(refusal["message"]), refusal
        events, state, version = audit_count(), record.state, record.version

        fired = api.post(f"{base}/transitions/{transition.name}", {"version": version})

        assert 400 <= fired.status_code < 500, (transition.name, fired.status_code, fired.content)
        assert readable(fired.json()["detail"]), (transition.name, fired.json())
        record.refresh_from_db()
        assert (record.state, record.version) == (state, version), transition.name
        assert audit_count() == events, f"{transition.name} left an audit event"
