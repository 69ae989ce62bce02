"""Chart images label their limits with the precision of the process, not a fixed width."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qualitas.spc import capability, p_chart, xbar_r
from qualitas.spc.formatting import format_index, format_limit, format_ppm, format_spec
from qualitas.spc.plot import (
    _decimals,
    _pyplot,
    capability_figure,
    charts_figure,
    plot_charts,
    wrap_to_width,
)


@pytest.mark.parametrize(
    ("span", "decimals"), [(0.026, 4), (0.26, 3), (2.6, 2), (35.0, 1), (4200.0, 0)]
)
def test_limit_labels_keep_about_three_digits_of_the_limit_span(span: float, decimals: int) -> None:
    assert _decimals(span) == decimals


def test_a_chart_image_is_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    xbar, r = xbar_r(74.0 + rng.normal(0, 0.01, size=(25, 5)))

    written = plot_charts([xbar, r], tmp_path / "rings.png", title="rings")

    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# What the printed charts say on their axes, and how their titles fit the page.


def _rings(samples: int) -> np.ndarray:
    return 74.0 + np.random.default_rng(7).normal(0, 0.01, size=(samples, 5))


def _visible_ticks(ax: Any, axis: str) -> list[float]:
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
    return [float(t) for t in ticks if low <= t <= high]


@pytest.mark.parametrize("samples", [4, 20, 22, 60])
def test_sample_axes_tick_whole_samples(samples: int) -> None:
    fig = charts_figure(list(xbar_r(_rings(samples))))
    fig.canvas.draw()

    for ax in fig.axes:
        ticks = _visible_ticks(ax, "x")
        assert ticks and all(t == int(t) and 1 <= t <= samples for t in ticks), ticks
    _pyplot().close(fig)


def test_chart_axes_say_what_they_show_in_the_unit() -> None:
    fig = charts_figure(list(xbar_r(_rings(10))), unit="mm")

    labels = [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]

    assert labels == [("Sample", "Sample mean (mm)"), ("Sample", "Sample range (mm)")]
    _pyplot().close(fig)


def test_attribute_charts_are_labelled_without_the_unit() -> None:
    fig = charts_figure(
        [p_chart(np.array([3, 5, 2, 4]), np.array([100, 100, 100, 100]))], unit="mm"
    )

    assert fig.axes[0].get_ylabel() == "Fraction nonconforming"
    _pyplot().close(fig)


def _fits(fig: Any, text: Any) -> bool:
    box = text.get_window_extent(fig.canvas.get_renderer())
    return bool(box.x0 >= 0 and box.x1 <= fig.bbox.width)


def test_a_long_chart_title_wraps_inside_the_page() -> None:
    title = "SPC-2026-0042 " + "Inside diameter of the piston ring bore after honing " * 3
    fig = charts_figure(list(xbar_r(_rings(10))), title=title)
    fig.canvas.draw()

    heading = fig._suptitle
    assert heading.get_text().split() == title.split()
    assert heading.get_text().count("\n") >= 1
    assert _fits(fig, heading)
    _pyplot().close(fig)


def test_wrapped_lines_fit_the_width_and_keep_every_word() -> None:
    text = "Bore " * 40 + "X" * 200

    lines = wrap_to_width(text, width_in=3.0, fontsize=10)

    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    fig = _pyplot().figure(figsize=(3.0, 1.0))
    for line in lines:
        assert _fits(fig, fig.text(0, 0.5, line, fontsize=10))
    _pyplot().close(fig)


def test_the_histogram_counts_values_on_a_labelled_axis() -> None:
    values = 74.0 + np.random.default_rng(3).normal(0, 0.01, size=100)
    result = capability(values, lsl=73.97, usl=74.03)

    fig = capability_figure(values, result, title="Bore", xlabel="Inside diameter (mm)")
    fig.canvas.draw()
    ax = fig.axes[0]
    bars = [patch.get_height() for patch in ax.patches]
    low, high = ax.get_ylim()

    assert (ax.get_ylabel(), ax.get_xlabel()) == ("Number of values", "Inside diameter (mm)")
    assert sum(bars) == 100
    assert max(bars) <= high <= 100 and low == 0
    assert all(t == int(t) for t in _visible_ticks(ax, "y"))
    _pyplot().close(fig)


def test_the_histogram_summary_prints_indices_to_two_decimals() -> None:
    values = 74.0 + np.random.default_rng(3).normal(0, 0.01, size=100)
    result = capability(values, lsl=73.97, usl=74.03)

    fig = capability_figure(values, result)
    summary = next(t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("n = "))

    assert f"Cpk = {result.cpk:.2f}\n" in summary
    assert re.search(r"mean = \d+\.\d{4}\nsigma within = 0\.\d{4}\n", summary), summary
    _pyplot().close(fig)


@pytest.mark.parametrize(
    ("value", "printed"),
    [(0.0, "0"), (0.0312, "0.031"), (3.14159, "3.1"), (31.4, "31"), (12345.6, "12,346")],
)
def test_ppm_keep_two_significant_digits(value: float, printed: str) -> None:
    assert format_ppm(value) == printed


def test_indices_and_limits_have_their_own_precision() -> None:
    assert (format_index(1.33333), format_index(0.9)) == ("1.33", "0.90")
    assert format_limit(74.01234567, 0.0226) == "74.0123"
    assert format_spec(74.05) == "74.05"
