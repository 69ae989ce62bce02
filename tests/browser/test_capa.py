"""From a nonconformance to a closed CAPA, in the browser."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qualitas.capa.models import Capa
from qualitas.nonconformance import services as nc_services
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _step(page: Any, name: str, *, password: bool = False, comment: str = "") -> None:
    page.get_by_test_id("transitions").get_by_role("link", name=name).click()
    if comment:
        page.fill("#id_comment", comment)
    if password:
        page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


def _edit(page: Any, **fields: str) -> None:
    page.get_by_test_id("transitions").get_by_role("link", name="Edit").click()
    for name, value in fields.items():
        if page.locator(f"select#id_{name}").count():
            page.select_option(f"#id_{name}", value)
        else:
            page.fill(f"#id_{name}", value)
    page.locator("main button[type=submit]").click()


def test_escalate_analyse_act_and_close(page: Any, live_server: Any) -> None:
    helen = with_role(
        UserFactory(username="helen", first_name="Helen", last_name="Marsh"), "quality-manager"
    )
    with_role(UserFactory(username="ana", first_name="Ana", last_name="Costa"), "approver")
    nc = nc_services.raise_nonconformance(
        actor=helen,
        title="Bore oversize on HSG-4471",
        source="in_process",
        part_number="HSG-4471",
        quantity_nonconforming=Decimal(3),
        severity="critical",
        finding="Ø74.041",
    )
    base = live_server.url
    today = timezone.localdate().isoformat()

    _sign_in(page, base, "helen")
    page.goto(f"{base}/nonconformances/{nc.pk}/")
    expect(page.get_by_test_id("escalation")).to_contain_text("Critical severity")
    page.get_by_test_id("escalate").click()
    expect(page.get_by_test_id("record-state")).to_have_text("Initiated")
    capa_url = page.url
    _step(page, "Start investigation")
    _edit(page, containment_summary="All HSG-4471 stock gauged")
    _step(page, "Containment confirmed")
    page.fill("#id_why", "Bore oversize")
    page.fill("#id_because", "No tool-life limit on CNC-3")
    page.get_by_role("button", name="Add why").click()
    page.get_by_test_id("whys").get_by_role("button", name="mark as root cause").click()
    expect(page.get_by_test_id("whys")).to_contain_text("verified root cause")
    _edit(page, root_cause="No tool-life limit on CNC-3", root_cause_category="machine")
    _step(page, "Root cause found")
    page.get_by_role("tab", name="Actions").click()
    page.fill("#id_title", "Tool-life counter on CNC-3")
    page.select_option("#id_assignee", label="Helen Marsh")
    page.fill("#id_due_on", today)
    page.get_by_role("button", name="Assign").click()
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, base, "ana")
    page.goto(capa_url)
    _step(page, "Approve the action plan", password=True, comment="Plan approved")
    expect(page.get_by_test_id("record-state")).to_have_text("Implementation")
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, base, "helen")
    page.goto(capa_url)
    page.get_by_role("tab", name="Actions").click()
    page.get_by_label("What was done for Tool-life counter on CNC-3").fill(
        "Counter set to 350 parts"
    )
    page.get_by_role("button", name="Done").click()
    _edit(
        page, effectiveness_criteria="No DIM-01 on HSG-4471 for 90 days", effectiveness_due_on=today
    )
    _step(page, "Actions implemented")
    page.get_by_test_id("record-effectiveness").click()
    page.get_by_label("Effective: the problem has not come back").check()
    page.fill("#id_evidence", "No repeat")
    page.get_by_role("button", name="Record the check").click()
    _step(page, "Effective: close", password=True, comment="Effective")

    expect(page.get_by_test_id("record-state")).to_have_text("Closed")
    expect(page.get_by_test_id("signatures")).to_contain_text("— Closed")
    expect(page.get_by_test_id("signatures")).to_contain_text("Signed by Ana Costa")
    assert Capa.objects.get().state == "closed"
    assert [e for e in page.console_errors if "status of 422" not in e] == []
