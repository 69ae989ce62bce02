"""The calibration's table of points in the browser: keyboard only, the verdict as typed,
rows added and removed, and the saved calibration showing its points."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.core.models import Site, User
from qualitas.inspection import gauges
from qualitas.inspection.models import Calibration, Gauge
from tests.factories import PASSWORD, UserFactory, with_role


@pytest.fixture
def people(site: Site) -> dict[str, User]:
    return {
        "planner": with_role(UserFactory(username="planner", site=site), "approver"),
        "inspector": with_role(UserFactory(username="inspector", site=site), "contributor"),
    }


@pytest.fixture
def gauge(people: dict[str, User], site: Site) -> Gauge:
    return gauges.create_gauge(
        actor=people["planner"], identifier="GA-0012", name="Bore gauge 70-80",
        gauge_type="Bore gauge", site=site, range_low=70.0, range_high=80.0, unit="mm",
        resolution=0.001, interval_days=180,
    )  # fmt: skip


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_two_points_by_keyboard_with_the_verdict_as_typed(
    page: Any,
    live_server: Any,
    people: dict[str, User],
    gauge: Gauge,
) -> None:
    base = str(live_server.url)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "inspector")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/calibrations/new/?gauge={gauge.pk}")
    expect(page.get_by_test_id("calibration-points")).to_contain_text("Nominal (mm)")
    page.fill("#id_title", "Calibration of GA-0012")
    points = page.get_by_test_id("calibration-points")
    rows = points.locator("tbody tr")
    expect(rows).to_have_count(3)
    page.locator('input[name="readings-0-nominal"]').focus()
    # Tab across the row; Enter after the tolerance goes on to the next point.
    for text, key in zip(
        ("70", "70.001", "70", "0.002"), ("Tab", "Tab", "Tab", "Enter"), strict=True
    ):
        page.keyboard.type(text)
        page.keyboard.press(key)
    expect(rows.nth(0).locator('output[data-result="as_found"]')).to_have_text("OK")
    expect(page.locator('input[name="readings-1-nominal"]')).to_be_focused()
    page.keyboard.type("80")
    page.keyboard.press("Tab")
    page.keyboard.type("80.004")  # 0.004 off a ±0.002 tolerance
    found = rows.nth(1).locator('output[data-result="as_found"]')
    expect(found).to_have_text("")  # no verdict before the tolerance is known
    page.keyboard.press("Tab")
    page.keyboard.type("80.001")
    page.keyboard.press("Tab")
    page.keyboard.type("0.002")
    expect(found).to_have_text("Out of tolerance")
    expect(rows.nth(1).locator('output[data-result="as_left"]')).to_have_text("OK")

    # Enter on through the empty third row: after its tolerance a fourth row is added.
    for _ in range(5):
        page.keyboard.press("Enter")
    expect(rows).to_have_count(4)
    expect(page.locator('input[name="readings-3-nominal"]')).to_be_focused()
    # Back to the third row's Remove button: the empty row goes, the rows renumber.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Remove point 3")).to_be_focused()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(3)
    expect(page.locator('input[name="readings-TOTAL_FORMS"]')).to_have_value("3")
    expect(page.locator('input[name="readings-2-nominal"]')).to_be_focused()
    page.get_by_test_id("save-calibration").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"{base}/calibrations/*/")
    readings = page.get_by_test_id("calibration-readings")
    expect(readings.locator("tbody tr")).to_have_count(2)
    expect(readings.locator("tbody tr").nth(1)).to_contain_text("80.004")
    expect(page.locator('[data-result="as-found-fail"]')).to_be_visible()
    calibration = Calibration.objects.get()
    assert [r["as_found"] for r in calibration.readings] == [70.001, 80.004]
    assert page.console_errors == []
