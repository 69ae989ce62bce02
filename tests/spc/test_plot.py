"""Chart images label their limits with the precision of the process, not a fixed width."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualitas.spc import xbar_r
from qualitas.spc.plot import _decimals, plot_charts


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
