"""An engineer records the SPC studies that are not control charts in the browser: sampling
plans, Gage R&R, ARL design; and a chart study whose capability follows the data's shape."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from scipy import stats

from qualitas.studies.analyses import gage
from qualitas.studies.models import SpcStudy
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)

# A picture counts as shown once the browser has decoded it: a broken or refused PNG keeps
# naturalWidth at 0.
LOADED = "img => img.complete && img.naturalWidth > 0"
# The page's label of the interaction row, with its multiplication sign.
INTERACTION = "Part \u00d7 Operator"


def _signed_in_as_erin(page: Any, live_server: Any) -> str:
    """An engineer who may record studies, signed in; the site's address."""
    with_role(UserFactory(username="erin", first_name="Erin", last_name="Engineer"), "contributor")
    base = str(live_server.url)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    return base


def _picture_loaded(page: Any, name: str) -> None:
    """The figure's <img> came from the study's PNG and the browser drew it. The pictures are
    lazy-loaded, so scroll to each as a reader would."""
    img = page.get_by_test_id(f"figure-{name}").locator("img")
    expect(img).to_have_attribute("src", re.compile(rf"/spc-studies/\d+/figures/{name}\.png$"))
    img.scroll_into_view_if_needed()
    page.wait_for_function(LOADED, arg=img.element_handle(), timeout=15_000)


def _sampling_study(page: Any, base: str) -> None:
    """From the chart form, through the chooser, to a recorded ISO 2859-1 plan."""
    page.goto(f"{base}/spc-studies/new/")
    page.get_by_test_id("study-kinds").get_by_role("link", name="Acceptance sampling plan").click()
    page.wait_for_url(f"{base}/spc-studies/new/sampling/")
    page.fill("#id_title", "Incoming housings, lot 24-117")
    page.fill("#id_lot_size", "1000")
    page.fill("#id_aql", "1.0")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/spc-studies/\d+/$"))


def test_sampling_plan_from_the_chooser_iso_2859_1(page: Any, live_server: Any) -> None:
    """ISO 2859-1:1999 Table 1: lot 501-1200 at general level II is code letter J; Table 2-A
    (single, normal): letter J, AQL 1.0 is n 80, Ac 2, Re 3 (the same in ANSI/ASQ Z1.4)."""
    base = _signed_in_as_erin(page, live_server)
    _sampling_study(page, base)

    panel = page.get_by_test_id("analysis-panel")
    expect(panel).to_have_attribute("data-analysis", "sampling")
    rows = panel.get_by_test_id("sampling-plan").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text(["1", "80", "2", "3"])
    expect(panel.get_by_test_id("plan-source")).to_contain_text("code letter J")
    _picture_loaded(page, "oc")
    assert page.console_errors == []


def _aiag_csv() -> str:
    """The AIAG MSA 4th ed. ch. III-B data sheet (10 parts x appraisers A, B, C x 3 trials),
    one row per measurement, as a spreadsheet export would have it."""
    rows = zip(
        gage.EXAMPLE["parts"], gage.EXAMPLE["operators"], gage.EXAMPLE["values"], strict=True
    )
    return "part,operator,value\n" + "\n".join(f"{p},{o},{v}" for p, o, v in rows)


def _numbers(cells: list[str]) -> list[float]:
    return [float(c) for c in cells]


def test_gage_rr_pasted_shows_the_aiag_anova_and_verdict(page: Any, live_server: Any) -> None:
    """AIAG MSA 4th ed. (2010) Table III-B 16 (and Minitab's print of the same data, "Two-Way
    ANOVA Table With Interaction"): Part df 9 SS 88.3619 MS 9.81799 F 492.291; Operator df 2
    SS 3.1673 MS 1.58363 F 79.406; Part x Operator df 18 SS 0.3590 MS 0.01994 F 0.434 P 0.974;
    Repeatability df 60 SS 2.7589 MS 0.04598; Total df 89 SS 94.6471. GRR is 27.9 % of the
    total variation and ndc 4: "may be acceptable" by AIAG's 10/30 % guideline, ndc < 5."""
    base = _signed_in_as_erin(page, live_server)
    page.goto(f"{base}/spc-studies/new/gage-rr/")
    page.fill("#id_title", "Caliper 12, AIAG study")
    page.fill("#id_characteristic", "Caliper 12, thickness")
    page.fill("#id_pasted", _aiag_csv())
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/spc-studies/\d+/$"))

    table = page.get_by_test_id("gage-anova-full")
    expect(table.locator("tbody tr")).to_have_count(5)
    published = {
        # label: (df, SS, MS, F, P) as AIAG prints them; None where a cell is empty.
        "Part": (9, 88.3619, 9.81799, 492.291, None),
        "Operator": (2, 3.1673, 1.58363, 79.406, None),
        INTERACTION: (18, 0.3590, 0.01994, 0.434, 0.974),
        "Repeatability": (60, 2.7589, 0.04598, None, None),
        "Total": (89, 94.6471, None, None, None),
    }
    shown = {
        row.locator("th").inner_text(): row.locator("td").all_inner_texts()
        for row in table.locator("tbody tr").all()
    }
    assert list(shown) == list(published)
    for label, (df, ss, ms, f, p) in published.items():
        cells = shown[label]
        assert int(cells[0]) == df, label
        assert float(cells[1]) == pytest.approx(ss, abs=1e-4), label
        if ms is not None:
            assert float(cells[2]) == pytest.approx(ms, rel=5e-4), label
        if f is not None:
            assert float(cells[3]) == pytest.approx(f, rel=1e-3), label
        if p is not None:
            assert cells[4] == f"{p:.3f}", label
    interaction = table.get_by_test_id("gage-interaction-row")
    expect(interaction.locator("th")).to_have_text(INTERACTION)
    expect(page.get_by_test_id("gage-pooling")).to_contain_text("pooled into repeatability")

    verdict = page.get_by_test_id("gage-verdict")
    expect(verdict).to_have_attribute("data-verdict", "marginal")
    expect(verdict).to_contain_text("may be acceptable")
    expect(verdict).to_contain_text("Gage R&R 27.9 % of study variation")
    expect(page.get_by_test_id("gage-ndc")).to_have_text("Number of distinct categories: 4")
    _picture_loaded(page, "components")
    _picture_loaded(page, "interaction")
    assert page.console_errors == []


def test_arl_with_a_word_among_the_shifts_stays_on_the_form(page: Any, live_server: Any) -> None:
    """A shift typed as a word is refused under the shifts field, the rest of the form is kept,
    and no study is recorded."""
    base = _signed_in_as_erin(page, live_server)
    before = SpcStudy.objects.count()
    page.goto(f"{base}/spc-studies/new/arl/")
    page.fill("#id_title", "CUSUM for bore drift")
    page.fill("#id_characteristic", "Bore diameter")
    page.fill("#id_shifts", "0, one")
    page.fill("#id_arl0", "370")
    page.locator("main button[type=submit]").click()

    expect(page.get_by_test_id("error-shifts")).to_have_text("Give numbers separated by commas.")
    expect(page.locator("#id_shifts")).to_have_value("0, one")
    expect(page.locator("#id_title")).to_have_value("CUSUM for bore drift")
    # The message sits in the shifts field's own column, not above the form, and a screen
    # reader hears it with the field (WCAG 2.1 SC 3.3.1): the input's description is it.
    shifts = page.locator("#id_shifts")
    expect(shifts.locator("xpath=..").get_by_test_id("error-shifts")).to_have_count(1)
    expect(shifts).to_have_attribute("aria-invalid", "true")
    expect(shifts).to_have_accessible_description(
        re.compile(r"Mean shifts in ., separated by commas.*Give numbers separated by commas\.")
    )
    assert page.locator(".alert-danger").count() == 0
    assert re.search(r"/spc-studies/new/arl/$", page.url)
    assert SpcStudy.objects.count() == before
    # The refused form answered 422, which the browser logs; nothing else may go wrong.
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_automatic_capability_on_skewed_data_chooses_box_cox(page: Any, live_server: Any) -> None:
    """Lognormal readings (seeded) fail the Anderson-Darling normality test (checked here
    with SciPy, independently of the engine), and all are positive: the automatic method
    must then use Box-Cox (Minitab's and the engine's documented rule: normal unless AD
    p < 0.05, then Box-Cox for positive data, else Johnson), and the histogram is drawn with
    the Box-Cox fit."""
    values = np.round(np.random.default_rng(2024).lognormal(0.0, 0.5, 100), 4)
    assert stats.anderson(values, "norm", method="interpolate").pvalue < 0.05
    assert values.min() > 0
    base = _signed_in_as_erin(page, live_server)

    page.goto(f"{base}/spc-studies/new/")
    page.fill("#id_title", "Surface roughness Ra, lapping 1")
    page.fill("#id_characteristic", "Roughness Ra")
    page.select_option("#id_chart_type", "imr")
    page.fill("#id_pasted", "ra\n" + "\n".join(f"{v:.4f}" for v in values))
    page.fill("#id_usl", "5")
    page.select_option("#id_capability_method", "auto")
    page.locator("main button[type=submit]").click()

    expect(page.get_by_test_id("record-state")).to_have_text("Recorded")
    method = page.get_by_test_id("capability-method")
    expect(method).to_contain_text("Method: boxcox (Box-Cox transformation to normality).")
    expect(method).to_contain_text("not normal")
    expect(page.locator("#spc-charts")).to_have_attribute("data-drawn", "true")
    labels = page.evaluate(
        """() => {
            const chart = window.Chart.getChart(document.getElementById("spc-histogram"));
            return chart ? chart.data.datasets.map((d) => d.label) : null;
        }"""
    )
    assert labels is not None, "the capability histogram was not drawn"
    assert "Measurements" in labels
    assert "Box-Cox fit (within)" in labels
    assert page.console_errors == []


def test_sampling_study_page_pictures_have_alt_text_and_the_report_is_reachable_by_tab(
    page: Any, live_server: Any
) -> None:
    """WCAG 2.1 SC 1.1.1: every picture carries a text alternative; SC 2.1.1: the PDF report
    is reachable with the keyboard alone."""
    base = _signed_in_as_erin(page, live_server)
    _sampling_study(page, base)

    images = page.get_by_test_id("analysis-panel").locator("img")
    assert images.count() >= 1
    for alt in images.evaluate_all("imgs => imgs.map((img) => img.getAttribute('alt'))"):
        assert alt is not None and alt.strip(), "an image in the panel has no alt text"

    report = page.get_by_test_id("analysis-panel").get_by_test_id("pdf-report")
    page.locator("body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if report.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the PDF report link is never reached with Tab")
    assert page.console_errors == []
