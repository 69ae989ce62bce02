"""Issue 13: the audit trail page fits a 1280-pixel screen and shows SPC data changes as a
summary; exports carry every value whole."""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core import records
from qualitas.core.changes import brief
from qualitas.core.models import User

pytestmark = pytest.mark.django_db


def test_measurements_read_as_a_summary_and_long_text_is_cut_with_a_tooltip() -> None:
    values = [74.012 + n / 1000 for n in range(125)]
    assert brief(values) == f"125 values: {values[0]} … {values[-1]}"
    assert brief([1, 2]) == "1, 2"
    assert brief(None) == brief("") == "—"
    assert brief(0) == "0"
    cut = brief("<b>" + "x" * 200)
    assert cut.startswith('<span title="&lt;b&gt;xxx') and cut.endswith("…</span>")
    assert "<b>" not in cut


def test_the_trail_page_and_the_history_cut_what_the_export_keeps_whole(
    client_for: Any, admin: User, author: User, raise_deviation: Any
) -> None:
    long_text = "Gauge R&R repeated on the bore: " + "measured again, " * 20
    deviation = raise_deviation(title="Bore check")
    records.change_record(
        deviation, actor=author, expected_version=deviation.version, title=long_text[:200]
    )
    client = client_for(admin)

    page = client.get("/audit-trail/").content.decode()
    history = client.get(f"/deviations/{deviation.pk}/").content.decode()
    export = client.get("/audit-trail/", {"export": "csv"})
    exported = b"".join(export.streaming_content).decode()

    cut = long_text[:80].replace("&", "&amp;") + "…</span>"
    for shown in (page, history):
        assert '<span title="Gauge R&amp;R repeated' in shown
        assert cut in shown
    assert long_text[:200] in exported
