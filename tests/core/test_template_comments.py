"""A `{# … #}` comment must close on its own line: Django shows a multi-line one as text on
the page (the list's export links once carried such a comment to every user)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "qualitas"


def test_no_template_comment_spans_lines() -> None:
    spanning = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in ROOT.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.count("{#") > line.count("#}")
    ]
    assert spanning == [], "use {% comment %} … {% endcomment %} for these"
