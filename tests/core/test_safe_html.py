"""User text reaches HTML only through autoescaping or json_script.

Security review finding 1 was chart data written with `|safe` into a script tag. This check
fails the build on every way of switching escaping off, outside a short list of places that
build HTML from text they have escaped themselves. Adding a place to the list is a security
review: say in the code, beside it, what was escaped.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "qualitas"

# Template constructs that turn autoescaping off, and Python calls that mark text as safe.
TEMPLATE_UNSAFE = re.compile(r"\|\s*safe(seq)?\b|{%\s*autoescape\s+off|\|\s*json_encode")
PYTHON_UNSAFE = re.compile(r"\bmark_safe\(|\bSafeString\(|\bSafeText\(|\|safe\b")
# A JSON blob inside a <script> must come from json_script, which escapes <, > and &.
SCRIPT_JSON = re.compile(r"<script[^>]*application/json[^>]*>\s*{{")

# file (relative to qualitas/) → how many unsafe constructs it may hold, each reviewed.
ALLOWED = {
    # Ishikawa SVG: every label goes through xml.sax.saxutils.escape.
    "capa/diagram.py": 1,
    # Markdown with raw HTML switched off in the parser.
    "documents/content.py": 1,
    # Search snippets: text escaped, then our own <mark> tags added.
    "documents/search.py": 1,
    # Compare rows: text escaped, then our own <del>/<ins> tags added.
    "documents/compare.py": 2,
}


def _unsafe_in(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        return sum(len(PYTHON_UNSAFE.findall(line)) for line in lines)
    return len(TEMPLATE_UNSAFE.findall(text)) + len(SCRIPT_JSON.findall(text))


def _sources() -> list[Path]:
    return [
        p
        for p in sorted(ROOT.rglob("*"))
        if p.suffix in {".py", ".html", ".svg", ".xml"}  # .txt: plain-text e-mail, never HTML
        and "migrations" not in p.parts
        and "node_modules" not in p.parts
    ]


def test_nothing_switches_escaping_off_outside_the_reviewed_list() -> None:
    found = Counter({str(p.relative_to(ROOT)): n for p in _sources() if (n := _unsafe_in(p))})
    unexpected = {f: n for f, n in found.items() if n > ALLOWED.get(f, 0)}
    assert unexpected == {}, (
        "These files switch HTML escaping off (|safe, mark_safe, autoescape off, or JSON "
        "written into a <script> by hand). Use autoescaping, format_html or json_script; "
        f"see tests/core/test_safe_html.py: {unexpected}"
    )


def test_the_reviewed_list_is_not_stale() -> None:
    """A place that no longer needs its exception loses it, so it cannot be reused quietly."""
    for name, allowed in ALLOWED.items():
        assert _unsafe_in(ROOT / name) == allowed, name


def test_the_check_sees_what_it_is_for(tmp_path: Path) -> None:
    samples = {
        "a.html": '<script type="application/json" id="x">{{ data|safe }}</script>',
        "b.html": "{% autoescape off %}{{ name }}{% endautoescape %}",
        "c.py": "html = mark_safe(user_text)",
        "d.html": '<script type="application/json">{{ chart }}</script>',
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
        assert _unsafe_in(tmp_path / name) >= 1, name
    (tmp_path / "ok.html").write_text('{{ chart|json_script:"x" }}<p>{{ name }}</p>')
    assert _unsafe_in(tmp_path / "ok.html") == 0


def test_htmx_sends_no_csrf_header_from_the_page_shell() -> None:
    """The CSRF token travels in forms (their hidden field), never in a page-wide hx-headers
    that any injected hx-post element would inherit; htmx evaluates no script."""
    for path in _sources():
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"hx-headers=[^>]*csrf", text, re.IGNORECASE), path
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    for setting in ('"allowEval": false', '"allowScriptTags": false', '"selfRequestsOnly": true'):
        assert setting in base
