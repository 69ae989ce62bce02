"""Security review finding 1: text a contributor typed cannot become a request an
administrator's browser makes. The payload breaks out of a JSON script tag if chart data is
written with |safe, and htmx then fires it with the page's CSRF token."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from qualitas.core.models import RoleAssignment
from qualitas.studies import services as studies
from tests.factories import PASSWORD, UserFactory, with_role

pytestmark = pytest.mark.django_db(transaction=True)


def _payload(target: str) -> str:
    return f"</script><input name=role value=7 hx-post={target} hx-trigger=load>"


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _watch_writes(page: Any) -> list[str]:
    """Every request other than a plain GET the page makes."""
    made: list[str] = []
    page.on("request", lambda r: made.append(f"{r.method} {r.url}") if r.method != "GET" else None)
    return made


def test_supplier_and_part_payloads_stay_text_in_the_analysis(
    page: Any, live_server: Any, inspector: Any, raise_nc: Any
) -> None:
    with_role(UserFactory(username="sam", first_name="Sam", last_name="Patel"), "administrator")
    roles_url = f"/people/{inspector.pk}/roles/"
    raise_nc(supplier_name=_payload(roles_url), part_number=_payload(roles_url)[:60])
    base = live_server.url

    _sign_in(page, base, "sam")
    made = _watch_writes(page)
    for dimension in ("supplier", "part"):
        page.goto(f"{base}/nonconformances/analysis/?by={dimension}")
        table = page.get_by_test_id("pareto-table")
        expect(table).to_contain_text("</script><input name=role")
        # The chart drew from the JSON: the data tag was parsed, not broken out of.
        expect(page.locator("#nc-analysis-data")).to_have_count(1)
        assert page.locator("main input[name=role]").count() == 0
        page.wait_for_timeout(300)  # hx-trigger=load would have fired by now

    assert made == []
    assert not RoleAssignment.objects.filter(user=inspector, role__code="administrator").exists()


def test_spc_unit_payload_stays_text(page: Any, live_server: Any) -> None:
    erin = with_role(UserFactory(username="erin"), "contributor")
    with_role(UserFactory(username="sam"), "administrator")
    study = studies.record_study(
        actor=erin,
        title="Fill weight",
        characteristic="Weight",
        unit="</script><b id=pw>",  # the field holds 20 characters: enough to break out
        measurements=studies.Measurements(
            chart_type="imr", values=[10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 10.3, 9.9]
        ),
    )
    base = live_server.url

    _sign_in(page, base, "sam")
    made = _watch_writes(page)
    page.goto(f"{base}/spc-studies/{study.pk}/")
    expect(page.locator("#spc-charts")).to_have_attribute("data-drawn", "true")
    assert page.locator("b#pw").count() == 0
    page.wait_for_timeout(300)
    assert made == []
