"""The escalation prompt only while it is to act on (issue 13, defect 8), and money with its
currency's decimals wherever it is shown (defect 9)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.template import Context, Template

from qualitas.core import workflow
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.core.money import format_money
from qualitas.nonconformance import services

pytestmark = pytest.mark.django_db


def _suggested(client: Any, nc: Any) -> bool:
    return 'data-testid="escalation"' in client.get(f"/nonconformances/{nc.pk}/").content.decode()


def test_the_suggestion_goes_once_the_nc_is_escalated(
    client_for: Any, raise_nc: Any, quality_manager: User
) -> None:
    nc = raise_nc(severity="critical")
    client = client_for(quality_manager)
    shown_before = _suggested(client, nc)

    services.escalate_to_capa(nc, actor=quality_manager)

    assert shown_before is True
    assert _suggested(client, nc) is False
    assert services.escalation_suggestion(nc) is None
    assert "Critical severity" in services.escalation_reason(nc)  # the rule still holds


def test_a_cancelled_nc_suggests_nothing(raise_nc: Any, inspector: User) -> None:
    nc = raise_nc(severity="critical")

    nc = workflow.fire(nc, "cancel", actor=inspector, comment="Raised twice")

    assert services.escalation_suggestion(nc) is None


def test_a_closed_nc_shows_no_suggestion_on_its_page(
    client_for: Any, raise_nc: Any, quality_manager: User
) -> None:
    from qualitas.core import signatures
    from tests.factories import PASSWORD

    nc = raise_nc(severity="critical")
    qm = quality_manager
    nc = workflow.fire(nc, "contain", actor=qm, comment="Hold")
    nc = workflow.fire(nc, "submit_review", actor=qm)
    nc = services.set_disposition(
        nc,
        actor=qm,
        lines=[services.DispositionInput("scrap", nc.quantity_nonconforming)],
        expected_version=nc.version,
    )
    for step in ("dispose", "carry_out"):
        nc = workflow.fire(nc, step, actor=qm)
    nc = workflow.fire(nc, "close", actor=qm, signature=signatures.authenticate(qm, PASSWORD))

    assert nc.state == "closed"
    assert _suggested(client_for(qm), nc) is False


def test_my_work_lists_only_ncs_still_to_escalate(
    client_for: Any, raise_nc: Any, quality_manager: User
) -> None:
    escalated = raise_nc(severity="critical", title="Cracked housing")
    waiting = raise_nc(severity="critical", title="Missing thread")
    services.escalate_to_capa(escalated, actor=quality_manager)

    page = client_for(quality_manager).get("/").content.decode()

    panel = page[page.index('data-testid="panel-escalations"') :]
    assert waiting.number in panel
    assert escalated.number not in panel


def test_a_repeat_pattern_leaves_my_work_once_every_nc_of_it_is_escalated(
    client_for: Any, raise_nc: Any, quality_manager: User, settings: Any
) -> None:
    settings.QUALITAS_ESCALATION_REPEATS = 2
    first, second = raise_nc(), raise_nc()
    client = client_for(quality_manager)
    shown_before = "on part HSG-4471" in client.get("/").content.decode()

    for nc in (first, second):
        services.escalate_to_capa(nc, actor=quality_manager)

    assert shown_before is True
    assert "on part HSG-4471" not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("772.5"), "GBP", "772.50 GBP"),
        (Decimal("360"), "EUR", "360.00 EUR"),
        (Decimal("1234567.8"), "usd", "1,234,567.80 USD"),
        (Decimal("1500"), "JPY", "1,500 JPY"),
        (Decimal("1.25"), "KWD", "1.250 KWD"),
        (772.5, "", "772.50"),
        (None, "GBP", ""),
    ],
)
def test_money_is_written_with_the_currency_decimals(
    amount: Any, currency: str, shown: str
) -> None:
    rendered = Template("{% load money %}{{ amount|money:currency }}").render(
        Context({"amount": amount, "currency": currency})
    )

    assert format_money(amount, currency) == shown
    assert rendered == shown


def test_the_cost_total_shows_pence(client_for: Any, raise_nc: Any, inspector: User) -> None:
    nc = raise_nc()
    services.add_cost(nc, actor=inspector, category="scrap", amount="412.50", currency="GBP")
    services.add_cost(nc, actor=inspector, category="rework", amount="360", currency="GBP")
    services.add_cost(nc, actor=inspector, category="sorting", amount="1500", currency="JPY")

    page = client_for(inspector).get(f"/nonconformances/{nc.pk}/").content.decode()

    assert 'data-testid="cost-total">772.50 GBP<' in page
    assert 'data-testid="cost-total">1,500 JPY<' in page
    assert ">412.50 GBP<" in page and ">360.00 GBP<" in page
    assert "772.5 GBP" not in page


def test_the_cost_pareto_shows_amounts_with_decimals(
    client_for: Any, raise_nc: Any, inspector: User, quality_manager: User
) -> None:
    nc = raise_nc()
    services.add_cost(nc, actor=inspector, category="scrap", amount="700", currency="GBP")

    page = client_for(quality_manager).get("/nonconformances/analysis/?by=cost")

    assert '<td class="text-end">700.00 GBP</td>' in page.content.decode()


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1500.50", "JPY", "JPY amounts have no decimals: '1500.50' has more."),
        ("12.345", "GBP", "GBP amounts have 2 decimals: '12.345' has more."),
    ],
)
def test_an_amount_finer_than_the_currency_is_refused(
    raise_nc: Any, inspector: User, amount: str, currency: str, message: str
) -> None:
    nc = raise_nc()

    with pytest.raises(InvalidInput) as refused:
        services.add_cost(nc, actor=inspector, category="scrap", amount=amount, currency=currency)

    assert [(e.field, e.message) for e in refused.value.errors] == [("amount", message)]
    assert not nc.cost_lines.exists()


def test_the_cost_pareto_never_adds_up_different_currencies(
    client_for: Any, api_for: Any, raise_nc: Any, inspector: User, quality_manager: User
) -> None:
    nc = raise_nc()
    services.add_cost(nc, actor=inspector, category="scrap", amount="412.50", currency="GBP")
    services.add_cost(nc, actor=inspector, category="rework", amount="360", currency="GBP")
    services.add_cost(nc, actor=inspector, category="sorting", amount="1500", currency="JPY")
    client = client_for(quality_manager)

    page = client.get("/nonconformances/analysis/", {"by": "cost"})
    in_yen = client.get("/nonconformances/analysis/", {"by": "cost", "currency": "JPY"})
    api = api_for(quality_manager).get("/nonconformances/pareto", by="cost", currency="jpy")

    assert [b.weight for b in page.context["bars"]] == [772.5]
    assert page.context["currency"] == "GBP" and page.context["other_currencies"] == ["JPY"]
    assert "772.50 GBP" in page.content.decode()
    assert [b.weight for b in in_yen.context["bars"]] == [1500.0]
    assert "1,500 JPY" in in_yen.content.decode()
    assert api.status_code == 200 and [b["weight"] for b in api.json()] == [1500.0]
