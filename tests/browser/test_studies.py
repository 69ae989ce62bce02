"""An engineer records an SPC study in the browser and sees the chart with its signals."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_paste_data_see_the_chart_and_download_the_report(page: Any, live_server: Any) -> None:
    values = [10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 10.3, 9.9, 10.1, 10.0] * 3 + [13.5]
    pasted = "reading\n" + "\n".join(str(v) for v in values)
    base = _signed_in_as_erin(page, live_server)

    page.goto(f"{base}/spc-studies/new/")
    page.fill("#id_title", "Fill weight, filler 2")
    page.fill("#id_characteristic", "Fill weight")
    page.select_option("#id_chart_type", "imr")
    page.fill("#id_pasted", pasted)
    page.fill("#id_usl", "14")
    page.locator("main button[type=submit]").click()

    expect(page.get_by_test_id("record-state")).to_have_text("Recorded")
    expect(page.locator("#spc-charts")).to_have_attribute("data-drawn", "true")
    assert page.locator("#spc-charts canvas").count() == 2
    expect(page.get_by_test_id("spc-signals")).to_contain_text("1 point beyond a control limit")
    expect(page.get_by_test_id("spc-signals")).to_contain_text("sample 31")
    expect(page.get_by_test_id("capability")).to_contain_text("Ppk")
    with page.expect_download() as download:
        page.get_by_test_id("pdf-report").click()
    assert download.value.suggested_filename.startswith("SPC-")
    assert page.console_errors == []


def test_a_decimal_comma_is_named_then_excel_cells_are_read(page: Any, live_server: Any) -> None:
    """Issue 13's SPC journey: a paste with decimal commas between comma-separated columns
    is refused naming the row; the same values pasted from Excel (tabs) are read."""
    readings = ["74,012", "74,015", "74,009", "74,011", "74,013", "74,010"] * 4
    base = _signed_in_as_erin(page, live_server)

    page.goto(f"{base}/spc-studies/new/")
    page.fill("#id_title", "Bore diameter, CNC-3")
    page.fill("#id_characteristic", "Bore diameter")
    page.select_option("#id_chart_type", "imr")
    page.fill("#id_pasted", "diameter\n" + "\n".join(readings))
    page.locator("main button[type=submit]").click()

    expect(page.locator("main")).to_contain_text("Use a decimal point: row 2 has '74,012'")
    page.fill(
        "#id_pasted",
        "sample\tdiameter\n"
        + "\n".join(f"{n}\t{value}" for n, value in enumerate(readings, start=1)),
    )
    page.locator("main button[type=submit]").click()

    expect(page.get_by_test_id("record-state")).to_have_text("Recorded")
    expect(page.locator("#spc-charts")).to_have_attribute("data-drawn", "true")
    # The refused paste answered 422, which the browser logs; nothing else may go wrong.
    assert [e for e in page.console_errors if "status of 422" not in e] == []
