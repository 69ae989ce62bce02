"""The PDF report of a study: every line on the page, every number with its own precision."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from qualitas.core.models import User
from qualitas.spc.plot import _pyplot
from qualitas.studies import report, services
from qualitas.studies.models import SpcStudy
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db

LONG_TITLE = (
    "Inside diameter of the piston ring bores after honing on line 3, week 46, "
    "before and after the change of the honing stones"
)


@pytest.fixture
def study(db: None) -> SpcStudy:
    engineer = with_role(UserFactory(username="engineer"), "contributor")
    rings = 74.0 + np.random.default_rng(11).normal(0, 0.01, size=(25, 5))
    return services.record_study(
        actor=engineer,
        title=LONG_TITLE,
        characteristic="Inside diameter",
        unit="mm",
        measurements=services.Measurements(
            chart_type="xbar-r",
            values=list(rings.ravel()),
            subgroup_size=5,
            lsl=73.95,
            usl=74.05,
        ),
    )


def _lines(study: SpcStudy) -> list[str]:
    return [text for text, _size, _weight in report._summary_lines(study)]


def test_the_summary_page_keeps_every_line_inside_the_page(study: SpcStudy) -> None:
    fig = report._summary_page(study, printed_by="Erin Engineer")
    renderer = fig.canvas.get_renderer()

    boxes = [t.get_window_extent(renderer) for t in fig.texts if t.get_text()]
    printed = " ".join(t.get_text() for t in fig.texts)

    assert all(box.x0 >= 0 and box.x1 <= fig.bbox.width for box in boxes)
    assert f"{study.number} {LONG_TITLE}" in " ".join(printed.split())
    title_lines = [t for t in fig.texts if t.get_fontsize() == 15]
    assert len(title_lines) >= 2
    # Wrapped lines run down the page without overprinting each other.
    ys = [t.get_position()[1] for t in fig.texts if t.get_text()][:-1]
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == len(ys)
    _pyplot().close(fig)


def test_capability_indices_and_intervals_print_two_decimals(study: SpcStudy) -> None:
    cap = study.results["capability"]

    cpk = next(line for line in _lines(study) if line.startswith("Cpk = "))

    assert cpk == (
        f"Cpk = {cap['cpk']:.2f}  (95% CI {cap['cpk_ci'][0]:.2f} to {cap['cpk_ci'][1]:.2f})"
    )


def test_control_limits_print_the_digits_their_span_warrants(study: SpcStudy) -> None:
    xbar = study.results["charts"][0]

    line = next(line for line in _lines(study) if line.startswith("X-bar: "))

    # UCL - LCL is about 0.027 mm: three significant digits of it are four decimals.
    assert xbar["ucl"][-1] - xbar["lcl"][-1] == pytest.approx(0.027, abs=0.005)
    assert re.fullmatch(r"X-bar: centre 7\d\.\d{4}, LCL 7\d\.\d{4}, UCL 7\d\.\d{4}", line), line
    assert "Specification: LSL 73.95, USL 74.05, target —" in _lines(study)


def test_the_pages_label_their_axes(study: SpcStudy) -> None:
    charts, histogram = report.chart_pages(study)

    assert [ax.get_ylabel() for ax in charts.axes] == ["Sample mean (mm)", "Sample range (mm)"]
    assert histogram.axes[0].get_xlabel() == "Inside diameter (mm)"
    assert histogram.axes[0].get_ylim()[1] <= 125
    for figure in (charts, histogram):
        _pyplot().close(figure)


def test_the_pdf_is_served_to_who_may_see_the_study(
    client_for: Any, study: SpcStudy, viewer: User, nobody: User
) -> None:
    response = client_for(viewer).get(f"/spc-studies/{study.pk}/report.pdf")
    refused = client_for(nobody).get(f"/spc-studies/{study.pk}/report.pdf")

    assert refused.status_code in (403, 404)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{study.number}.pdf"'
    assert response.content.startswith(b"%PDF")


def test_fractions_print_the_digits_of_their_limits(study: SpcStudy) -> None:
    lots = services.record_study(
        actor=study.created_by,
        title="Leak test rejects",
        characteristic="Leaking housings",
        measurements=services.Measurements(
            chart_type="p", values=[3.0, 5.0, 2.0, 4.0, 1.0, 3.0], subgroup_size=100
        ),
    )

    line = next(line for line in _lines(lots) if line.startswith("Fraction nonconforming: "))

    # p-bar 0.03, UCL 0.0812, LCL 0: a six-digit 0.0811770 claims what the data cannot.
    assert line == "Fraction nonconforming: centre 0.0300, LCL 0.0000, UCL 0.0812"
