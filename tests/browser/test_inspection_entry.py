"""An inspector measures a lot by keyboard alone, signs the inspection, and sees the lot
rejected with its nonconformance: a fixed sample of 5 with Ac 0 rejects at 1 nonconforming
item (Re = Ac + 1)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.core import audit, signatures, workflow
from qualitas.inspection import services
from qualitas.inspection.models import (
    Characteristic,
    InspectionLot,
    Measurement,
    Part,
    PartRevision,
)
from tests.factories import PASSWORD, SiteFactory, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _open_lot() -> InspectionLot:
    """An approved incoming plan (bore and burr, each a fixed sample of 5 with Ac 0) and a
    lot of 200 opened against it by Ivy."""
    site = SiteFactory(code="HQ", name="Headquarters")
    planner = with_role(UserFactory(username="paul", site=site), "approver")
    manager = with_role(UserFactory(username="helen", site=site), "quality-manager")
    ivy = UserFactory(username="ivy", first_name="Ivy", last_name="Inspector", site=site)
    with_role(ivy, "contributor")
    with audit.context(actor=None, actor_name="test fixture"):
        part = Part.objects.create(number="HSG-4471", name="Pump housing")
        revision = PartRevision.objects.create(part=part, revision="C")
        bore = Characteristic.objects.create(
            revision=revision, number="10", name="Bore Ø74", kind="variable",
            lsl=73.95, usl=74.05, unit="mm", decimals=3,
        )  # fmt: skip
        burr = Characteristic.objects.create(
            revision=revision, number="20", name="Burr free", kind="attribute"
        )
    plan = services.create_plan(
        actor=planner, title="Incoming HSG-4471", part_revision=revision, stage="incoming",
        site=site,
    )  # fmt: skip
    for characteristic in (bore, burr):
        services.set_item(
            plan, actor=planner, characteristic=characteristic, sampling="fixed",
            sample_size=5, acceptance_number=0,
        )  # fmt: skip
    token = signatures.authenticate(manager, PASSWORD, subject=plan)
    plan = workflow.fire(plan, "approve", actor=manager, signature=token)
    lot: InspectionLot = services.open_lot(
        actor=ivy, title="Lot 2611 from Acme", plan=plan, lot_number="2611", quantity=200,
        supplier_name="Acme Castings", site=site,
    )  # fmt: skip
    return lot


def test_measure_by_keyboard_sign_and_see_the_rejection(page: Any, live_server: Any) -> None:
    lot = _open_lot()
    checks = {c.characteristic.number: c.pk for c in lot.checks.select_related("characteristic")}
    base = str(live_server.url)
    page.goto(f"{base}/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/inspection-lots/{lot.pk}/")
    expect(page.get_by_test_id("verdict")).to_contain_text("Pending")
    page.locator(f'input[name="m-{checks["10"]}-1"]').focus()
    bores = ["74.001", "73.998", "74.080", "74.012", "73.990"]
    for n, bore in enumerate(bores, start=1):
        page.keyboard.type(bore)
        page.keyboard.press("Tab")
        page.keyboard.type("ok")
        if n == 3:  # above the USL 74.05: red while it is typed, before anything is saved
            cell = page.locator(f'td:has(> input[name="m-{checks["10"]}-3"])')
            expect(cell).to_have_class(re.compile(r"\btable-danger\b"))
            ok = page.locator(f'td:has(> input[name="m-{checks["10"]}-2"])')
            expect(ok).not_to_have_class(re.compile(r"\btable-danger\b"))
        page.keyboard.press("Enter")  # down to the next item's bore
    expect(page.get_by_test_id("save-measurements")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("main")).to_contain_text("10 measurements saved")
    values = dict(
        Measurement.objects.filter(lot=lot, characteristic__number="10").values_list(
            "sample_no", "value"
        )
    )
    assert values == {n: float(v) for n, v in enumerate(bores, start=1)}
    assert Measurement.objects.filter(lot=lot, conforming=False).count() == 1
    expect(page.get_by_test_id("lot-checks")).to_contain_text("Bore")
    expect(page.get_by_test_id("entry-grid").get_by_test_id("measured")).to_have_count(10)

    page.get_by_test_id("transitions").get_by_role("link", name="Sign the inspection").click()
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()

    expect(page.get_by_test_id("record-state")).to_have_text("Rejected")
    lot.refresh_from_db()
    assert lot.nonconformance_number.startswith("NC-")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("Rejected")
    expect(verdict).to_contain_text("10 Bore Ø74: 1 nonconforming of 5, Re 1")
    expect(page.get_by_test_id("verdict-nc")).to_have_text(lot.nonconformance_number)
    expect(page.get_by_test_id("signatures")).to_contain_text("Signed by Ivy Inspector on")
    assert page.console_errors == []
