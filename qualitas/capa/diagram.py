"""The Ishikawa (fishbone) diagram as SVG: six bones for the 6M, the effect at the head,
verified root causes in red. Drawn here, not in the browser, so the page and the PDF match."""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe

from qualitas.capa.models import Cause, CauseCategory

WIDTH, HEIGHT = 960, 420
SPINE_Y = HEIGHT // 2
HEAD_X = WIDTH - 190
TOP = list(CauseCategory)[:3]
BOTTOM = list(CauseCategory)[3:]


def _wrap(text: str, width: int = 26) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines[:3]


def fishbone_svg(effect: str, causes: Iterable[Cause]) -> SafeString:
    by_category: dict[str, list[Cause]] = {c.value: [] for c in CauseCategory}
    for cause in causes:
        by_category[cause.category].append(cause)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Ishikawa diagram" class="fishbone" font-family="DejaVu Sans, sans-serif" font-size="12">',
        f'<line x1="30" y1="{SPINE_Y}" x2="{HEAD_X}" y2="{SPINE_Y}" stroke="#14325c" stroke-width="3"/>',
        f'<rect x="{HEAD_X}" y="{SPINE_Y - 40}" width="175" height="80" rx="6" fill="#14325c"/>',
    ]
    for k, line in enumerate(_wrap(effect, 24)):
        parts.append(
            f'<text x="{HEAD_X + 88}" y="{SPINE_Y - 14 + k * 16}" fill="#fff" text-anchor="middle">{escape(line)}</text>'
        )
    slots = [(cat, True, i) for i, cat in enumerate(TOP)] + [
        (cat, False, i) for i, cat in enumerate(BOTTOM)
    ]
    for category, above, index in slots:
        x_spine = 140 + index * 230
        x_top = x_spine - 90
        y_end = 40 if above else HEIGHT - 40
        parts.append(
            f'<line x1="{x_top}" y1="{y_end}" x2="{x_spine}" y2="{SPINE_Y}" stroke="#1f7a8c" stroke-width="2"/>'
        )
        label_y = y_end - 12 if above else y_end + 22
        parts.append(
            f'<text x="{x_top}" y="{label_y}" font-weight="bold" fill="#14325c">{escape(str(category.label))}</text>'
        )
        for n, cause in enumerate(by_category[category.value][:5]):
            t = (n + 1) / 6
            x = x_top + (x_spine - x_top) * t
            y = y_end + (SPINE_Y - y_end) * t
            colour = "#c62828" if cause.is_root_cause else "#212529"
            weight = ' font-weight="bold"' if cause.is_root_cause else ""
            text = escape(cause.text[:40] + ("…" if len(cause.text) > 40 else ""))
            parts.append(
                f'<line x1="{x - 8}" y1="{y:.0f}" x2="{x + 6}" y2="{y:.0f}" stroke="#1f7a8c"/>'
            )
            parts.append(
                f'<text x="{x + 10}" y="{y + 4:.0f}" fill="{colour}"{weight}>{text}</text>'
            )
        extra = len(by_category[category.value]) - 5
        if extra > 0:
            parts.append(
                f'<text x="{x_spine - 20}" y="{SPINE_Y + (-8 if above else 18)}" fill="#5a6b85">+{extra} more</text>'
            )
    parts.append("</svg>")
    # Every text in the drawing went through escape(); the rest is our own markup.
    return mark_safe("".join(parts))  # noqa: S308
