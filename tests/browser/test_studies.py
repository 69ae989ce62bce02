"""An engineer records an SPC study in the browser and sees the chart with its signals."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_paste_data_see_the_chart_and_download_the_report(page: Any, live_server: Any) -> None:
    with_role(UserFactory(username="erin", first_name="Erin", last_name="Engineer"), "contributor")
    values = [10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 10.3, 9.9, 10.1, 10.0] * 3 + [13.5]
    pasted = "reading\n" + "\n".join(str(v) for v in values)
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")

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
