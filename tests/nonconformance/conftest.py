from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qualitas.core import audit
from qualitas.core.models import User
from qualitas.nonconformance import services
from qualitas.nonconformance.models import DefectCategory, DefectCode
from tests.factories import UserFactory, with_role


@pytest.fixture
def codes(db: None) -> dict[str, DefectCode]:
    with audit.context(actor=None, actor_name="test fixture"):
        dimensional = DefectCategory.objects.create(code="dimensional", name="Dimensional")
        cosmetic = DefectCategory.objects.create(code="cosmetic", name="Cosmetic")
        return {
            "DIM-01": DefectCode.objects.create(
                category=dimensional, code="DIM-01", name="Diameter out"
            ),
            "DIM-02": DefectCode.objects.create(
                category=dimensional, code="DIM-02", name="Length out"
            ),
            "COS-01": DefectCode.objects.create(category=cosmetic, code="COS-01", name="Scratch"),
        }


@pytest.fixture
def inspector(db: None) -> User:
    return with_role(
        UserFactory(username="inspector", first_name="Ivy", last_name="Inspector"), "contributor"
    )


@pytest.fixture
def engineer(db: None) -> User:
    return with_role(
        UserFactory(username="engineer", first_name="Eli", last_name="Engineer"), "approver"
    )


@pytest.fixture
def raise_nc(inspector: User, codes: dict[str, DefectCode]) -> Any:
    def make(actor: User | None = None, **fields: Any) -> Any:
        values: dict[str, Any] = {
            "title": "Bore oversize on HSG-4471",
            "source": "in_process",
            "part_number": "HSG-4471",
            "quantity_affected": Decimal(50),
            "quantity_nonconforming": Decimal(10),
            "defect_code": codes["DIM-01"],
            "severity": "major",
            "finding": "Ø74.041 measured, 74.035 max",
        }
        values.update(fields)
        return services.raise_nonconformance(actor=actor or inspector, **values)

    return make
