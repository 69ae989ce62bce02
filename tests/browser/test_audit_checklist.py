"""An auditor answers a checklist on a phone-sized screen in the field: two answers saved as
given, the connection drops, a third answer is kept on the device (the banner says so),
the connection comes back and it is saved; nothing is lost."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.audits import checklists, services
from qualitas.audits.models import Audit, ChecklistItem
from qualitas.core import permissions, workflow
from tests.audits.conftest import person
from tests.factories import PASSWORD, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _audit_in_fieldwork() -> Audit:
    plant = SiteFactory(code="SHF", name="Sheffield Works")
    qm = person("qm", permissions.QUALITY_MANAGER, site=plant)
    lead = person("auditor", permissions.AUDITOR, site=plant)
    audit_ = services.raise_audit(
        actor=qm,
        title="Production process audit",
        audit_type="internal",
        site=plant,
        lead_auditor=lead,
        planned_start=datetime.date(2026, 3, 10),
    )
    for question in (
        "Are the gauges at the machines in calibration?",
        "Are nonconforming parts tagged and segregated?",
        "Are the work instructions at hand?",
        "Is the shift handover recorded?",
    ):
        checklists.add_question(audit_, actor=qm, question=question)
    audit_ = workflow.fire(Audit.objects.get(pk=audit_.pk), "prepare", actor=qm)
    started: Audit = workflow.fire(audit_, "start", actor=lead)
    return started


def _answers(audit_: Audit) -> list[tuple[str, str]]:
    return list(
        ChecklistItem.objects.filter(audit=audit_).order_by("order").values_list("answer", "notes")
    )


def test_a_checklist_answered_on_a_phone_survives_a_dropped_connection(
    browser: Any, live_server: Any
) -> None:
    audit_ = _audit_in_fieldwork()
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/login/")
        page.fill("#id_username", "auditor")
        page.fill("#id_password", PASSWORD)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{base}/")

        page.goto(f"{base}/audits/checklists/{audit_.pk}/")
        expect(page.get_by_test_id("progress")).to_have_text("0 of 4 answered")
        # One column of cards: nothing wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        first = page.get_by_test_id("item-1")
        first.get_by_test_id("answer-conforming").click()
        expect(page.get_by_test_id("status-1")).to_contain_text("Saved")

        second = page.get_by_test_id("item-2")
        second.locator("textarea[name=notes]").fill("Two parts on rack 3 without a tag")
        second.get_by_test_id("answer-minor_nc").click()
        expect(page.get_by_test_id("status-2")).to_contain_text("Saved")
        assert _answers(audit_)[:2] == [
            ("conforming", ""),
            ("minor_nc", "Two parts on rack 3 without a tag"),
        ]

        context.set_offline(True)
        page.get_by_test_id("item-3").get_by_test_id("answer-observation").click()
        banner = page.get_by_test_id("offline-banner")
        expect(banner).to_be_visible()
        expect(banner).to_have_text("Offline — 1 answer kept on this device")
        expect(page.get_by_test_id("status-3")).to_contain_text("Kept on this device")
        expect(page.get_by_test_id("progress")).to_have_text("3 of 4 answered")
        assert _answers(audit_)[2] == ("", "")

        context.set_offline(False)
        expect(page.get_by_test_id("status-3")).to_contain_text("Saved", timeout=20000)
        expect(banner).to_be_hidden()
        assert [answer for answer, _ in _answers(audit_)] == [
            "conforming",
            "minor_nc",
            "observation",
            "",
        ]
        # Nothing is left on the device once it is saved.
        assert page.evaluate("Object.keys(localStorage).length") == 0

        # The page read again shows the answers the server holds.
        page.reload()
        expect(page.get_by_test_id("progress")).to_have_text("3 of 4 answered")
        expect(page.get_by_test_id("item-3").locator("input[value=observation]")).to_be_checked()
        assert errors == []
    finally:
        context.close()
