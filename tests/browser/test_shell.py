"""A person signs in, finds their way around, filters and exports a list, and signs out."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.core import notifications
from qualitas.core.models import User
from tests.factories import PASSWORD, DepartmentFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


@pytest.fixture
def helen(db: None) -> User:
    person = UserFactory(
        username="helen", first_name="Helen", last_name="Marsh", job_title="Quality Manager"
    )
    return with_role(person, "quality-manager")


def test_sign_in_navigate_filter_export_and_sign_out(
    page: Any, live_server: Any, helen: User
) -> None:
    quality = DepartmentFactory(name="Quality Assurance")
    UserFactory(username="inspector1", first_name="Ivy", last_name="Inspector", department=quality)
    UserFactory(username="machinist", first_name="Max", last_name="Machinist")
    base = live_server.url

    _sign_in(page, base, "helen")
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").inner_text() == "My work"
    assert page.get_by_test_id("user-menu").inner_text().strip() == "Helen Marsh"

    page.get_by_role("button", name="Organisation").or_(
        page.get_by_text("Organisation", exact=True)
    ).first.click()
    page.get_by_role("link", name="People").click()
    page.wait_for_url(f"{base}/people/")
    assert page.locator("#list-table tbody tr").count() == 3

    page.select_option("#id_department", label="Quality Assurance")
    expect(page.locator("#list-table tbody tr")).to_have_count(1)
    assert "inspector1" in page.locator("#list-table tbody").inner_text()
    assert f"department={quality.pk}" in page.url

    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    downloaded = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(downloaded)))
    assert [r[0] for r in rows[1:]] == ["inspector1"]

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/login/")
    page.goto(f"{base}/people/")
    assert page.url.startswith(f"{base}/login/")
    assert page.console_errors == []


def test_a_wrong_password_shows_a_clear_message(page: Any, live_server: Any, helen: User) -> None:
    _sign_in(page, live_server.url, "helen", "not-my-password")

    assert (
        "Please enter a correct username and password" in page.locator(".alert-danger").inner_text()
    )


def test_the_bell_shows_unread_notifications(page: Any, live_server: Any, helen: User) -> None:
    notifications.notify(helen, title="Audit AUD-2026-004 starts Monday", url="/people/")
    base = live_server.url

    _sign_in(page, base, "helen")
    page.wait_for_url(f"{base}/")
    assert page.get_by_test_id("unread-count").inner_text() == "1"
    page.get_by_label("Notifications (1 unread)").click()

    page.locator("#notification-menu").get_by_text("Audit AUD-2026-004 starts Monday").wait_for()
    assert "Audit AUD-2026-004" in page.get_by_test_id("panel-notifications").inner_text()


def test_the_shell_works_on_a_tablet(page: Any, live_server: Any, helen: User) -> None:
    page.set_viewport_size({"width": 820, "height": 1180})
    base = live_server.url

    _sign_in(page, base, "helen")
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("link", name="People").is_visible() is False
    page.get_by_label("Toggle navigation").click()
    page.get_by_text("Organisation", exact=True).click()
    page.get_by_role("link", name="People").click()

    page.wait_for_url(f"{base}/people/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_global_search_finds_people(page: Any, live_server: Any, helen: User) -> None:
    UserFactory(
        username="ostrowski", first_name="Olga", last_name="Ostrowski", job_title="Metrologist"
    )
    base = live_server.url

    _sign_in(page, base, "helen")
    page.wait_for_url(f"{base}/")
    page.get_by_label("Search").fill("metrolog")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{base}/search/?q=metrolog")
    page.get_by_role("link", name="Olga Ostrowski").click()
    assert page.locator("h1").inner_text().startswith("Olga Ostrowski")


def test_sorting_reloads_the_table_and_record_links_open_the_record(
    page: Any, live_server: Any, helen: User
) -> None:
    UserFactory(username="aaron", first_name="Aaron", last_name="Zimmer", job_title="Welder")
    base = live_server.url
    _sign_in(page, base, "helen")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/people/")

    page.locator("#list-table thead").get_by_role("link", name="Job title").click()
    page.wait_for_url("**/people/?sort=job_title")
    expect(page.locator("#list-table tbody tr").first).to_contain_text("Quality Manager")
    page.locator("#list-table tbody").get_by_role("link", name="aaron", exact=True).click()

    page.wait_for_url(f"{base}/people/*/")
    assert page.locator("h1").inner_text().startswith("Aaron Zimmer")
    assert page.locator("nav.qualitas-nav").count() == 1
