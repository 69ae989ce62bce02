"""Cost of poor quality, the escalation rule, Pareto and trend on known data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from qualitas.core import workflow
from qualitas.core.errors import InvalidInput, PermissionDenied
from qualitas.core.models import User
from qualitas.core.records import RecordLocked
from qualitas.nonconformance import queries, services
from qualitas.nonconformance.models import DefectCode

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_costs_add_up_per_currency(raise_nc: object, inspector: User) -> None:
    nc = raise_nc()  # type: ignore[operator]

    services.add_cost(nc, actor=inspector, category="scrap", amount="120.50", currency="gbp")
    services.add_cost(nc, actor=inspector, category="sorting", amount=80, currency="GBP")
    services.add_cost(
        nc, actor=inspector, category="expedited_freight", amount="300", currency="EUR"
    )

    assert services.cost_total(nc) == {"EUR": Decimal("300.00"), "GBP": Decimal("200.50")}


@pytest.mark.parametrize(
    ("amount", "field"), [("abc", "amount"), ("-5", "amount"), ("0", "amount")]
)
def test_bad_amounts_are_named(raise_nc: object, inspector: User, amount: str, field: str) -> None:
    nc = raise_nc()  # type: ignore[operator]

    with pytest.raises(InvalidInput) as refused:
        services.add_cost(nc, actor=inspector, category="scrap", amount=amount)

    assert refused.value.errors[0].field == field
    assert not nc.cost_lines.exists()


def test_strangers_cannot_book_costs(raise_nc: object, contributor: User) -> None:
    with pytest.raises(PermissionDenied):
        services.add_cost(raise_nc(), actor=contributor, category="scrap", amount=10)  # type: ignore[operator]


def test_the_costs_of_a_cancelled_nonconformance_are_final(
    raise_nc: object, inspector: User
) -> None:
    nc = raise_nc()  # type: ignore[operator]
    services.add_cost(nc, actor=inspector, category="scrap", amount=10, currency="GBP")
    nc = workflow.fire(nc, "cancel", actor=inspector, comment="Raised twice")

    with pytest.raises(RecordLocked, match="its costs are final"):
        services.add_cost(nc, actor=inspector, category="scrap", amount=20, currency="GBP")

    assert services.cost_total(nc) == {"GBP": Decimal(10)}


def test_critical_severity_suggests_escalation(raise_nc: object) -> None:
    assert "Critical severity" in services.escalation_reason(raise_nc(severity="critical"))  # type: ignore[operator]


def test_the_third_repeat_within_the_window_suggests_escalation(
    raise_nc: object, codes: dict[str, DefectCode]
) -> None:
    first = raise_nc(detected_on=TODAY - timedelta(days=80))  # type: ignore[operator]
    raise_nc(detected_on=TODAY - timedelta(days=200))  # outside the 90 days  # type: ignore[operator]
    raise_nc(part_number="OTHER-1")  # another part  # type: ignore[operator]
    raise_nc(defect_code=codes["COS-01"])  # another defect  # type: ignore[operator]
    second = raise_nc(detected_on=TODAY - timedelta(days=10))  # type: ignore[operator]

    assert services.escalation_reason(second) is None
    third = raise_nc()  # type: ignore[operator]

    reason = services.escalation_reason(third)
    assert reason is not None and "3 times on part HSG-4471 within 90 days" in reason
    assert services.escalation_reason(first) is None


def test_the_rule_is_configurable(raise_nc: object) -> None:
    raise_nc()  # type: ignore[operator]
    second = raise_nc()  # type: ignore[operator]

    with override_settings(QUALITAS_ESCALATION_REPEATS=2):
        assert services.escalation_reason(second) is not None


def test_pareto_by_defect_code_on_known_data(
    raise_nc: object, codes: dict[str, DefectCode], quality_manager: User
) -> None:
    for code, count in (("DIM-01", 5), ("COS-01", 3), ("DIM-02", 2)):
        for _ in range(count):
            raise_nc(defect_code=codes[code])  # type: ignore[operator]
    workflow.fire(
        raise_nc(defect_code=codes["DIM-02"]), "cancel", actor=quality_manager, comment="error"
    )  # type: ignore[operator]

    bars = queries.pareto(quality_manager, "defect_code")

    assert [(b.label, b.weight, b.percent, b.cumulative_percent) for b in bars] == [
        ("DIM-01 Diameter out", 5.0, 50.0, 50.0),
        ("COS-01 Scratch", 3.0, 30.0, 80.0),
        ("DIM-02 Length out", 2.0, 20.0, 100.0),
    ]


def test_pareto_by_cost_part_and_supplier(
    raise_nc: object, codes: dict[str, DefectCode], inspector: User, quality_manager: User
) -> None:
    a = raise_nc(defect_code=codes["DIM-01"], supplier_name="Northbar")  # type: ignore[operator]
    b = raise_nc(defect_code=codes["COS-01"], part_number="BRK-1180", supplier_name="Northbar")  # type: ignore[operator]
    raise_nc(defect_code=codes["COS-01"], part_number="BRK-1180", supplier_name="Calder")  # type: ignore[operator]
    services.add_cost(a, actor=inspector, category="scrap", amount=100)
    services.add_cost(b, actor=inspector, category="scrap", amount=300)

    by_cost = [(bar.label, bar.weight) for bar in queries.pareto(quality_manager, "cost")]
    by_part = [(bar.label, bar.weight) for bar in queries.pareto(quality_manager, "part")]
    by_supplier = [(bar.label, bar.weight) for bar in queries.pareto(quality_manager, "supplier")]

    assert by_cost == [("COS-01 Scratch", 300.0), ("DIM-01 Diameter out", 100.0)]
    assert by_part == [("BRK-1180", 2.0), ("HSG-4471", 1.0)]
    assert by_supplier == [("Northbar", 2.0), ("Calder", 1.0)]


def test_the_period_limits_the_pareto_and_the_trend(
    raise_nc: object, quality_manager: User
) -> None:
    raise_nc(detected_on=TODAY.replace(day=1) - timedelta(days=40))  # type: ignore[operator]
    raise_nc(detected_on=TODAY)  # type: ignore[operator]
    raise_nc(detected_on=TODAY)  # type: ignore[operator]

    recent = queries.pareto(quality_manager, "defect_code", since=TODAY - timedelta(days=5))
    months = queries.monthly_counts(quality_manager)

    assert recent[0].weight == 2.0
    assert months[-1] == (TODAY.strftime("%Y-%m"), 2)
    assert sum(n for _, n in months) == 3
