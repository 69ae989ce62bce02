"""Quantities and dates that cannot be true are refused, naming the field, by the service,
the API and the page alike (issue 13, defect 14)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from qualitas.core import records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from qualitas.nonconformance.models import DefectCode, Nonconformance

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()

IMPOSSIBLE = [
    (
        "more nonconforming than affected",
        {"quantity_affected": Decimal(5), "quantity_nonconforming": Decimal(8)},
        "quantity_nonconforming",
        "The nonconforming quantity (8 pcs) cannot be larger than the quantity affected (5 pcs).",
    ),
    (
        "detected tomorrow",
        {"detected_on": TODAY + timedelta(days=1)},
        "detected_on",
        f"The detection date cannot be in the future (today is {TODAY.isoformat()}).",
    ),
    (
        "due before detection",
        {"detected_on": TODAY - timedelta(days=3), "due_on": TODAY - timedelta(days=4)},
        "due_on",
        "The due date cannot be before the detection date "
        f"({(TODAY - timedelta(days=3)).isoformat()}).",
    ),
]


@pytest.mark.parametrize(("_case", "fields", "field", "message"), IMPOSSIBLE)
def test_the_service_refuses_it(
    raise_nc: Any, _case: str, fields: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        raise_nc(**fields)

    assert [(e.field, e.message) for e in refused.value.errors] == [(field, message)]
    assert not Nonconformance.objects.exists()


@pytest.mark.parametrize(("_case", "fields", "field", "message"), IMPOSSIBLE)
def test_an_edit_is_refused_too(
    raise_nc: Any, inspector: User, _case: str, fields: dict[str, Any], field: str, message: str
) -> None:
    nc = raise_nc()

    with pytest.raises(InvalidInput) as refused:
        records.change_record(nc, actor=inspector, expected_version=nc.version, **fields)

    assert [e.field for e in refused.value.errors] == [field]
    nc.refresh_from_db()
    assert nc.version == 1


def test_the_boundaries_are_accepted(raise_nc: Any) -> None:
    nc = raise_nc(
        quantity_affected=Decimal(8),
        quantity_nonconforming=Decimal(8),
        detected_on=TODAY,
        due_on=TODAY,
    )

    assert (nc.quantity_nonconforming, nc.detected_on, nc.due_on) == (Decimal(8), TODAY, TODAY)


def test_an_unstated_quantity_affected_is_at_least_the_nonconforming_one(
    inspector: User, codes: dict[str, DefectCode]
) -> None:
    from qualitas.nonconformance import services

    nc = services.raise_nonconformance(
        actor=inspector, title="Burr", source="in_process", quantity_nonconforming=Decimal(3)
    )

    assert nc.quantity_affected == Decimal(3)


@pytest.mark.parametrize(
    ("_case", "body", "field"),
    [
        (
            "quantities",
            {"quantity_affected": "5", "quantity_nonconforming": "8"},
            "quantity_nonconforming",
        ),
        ("future", {"detected_on": (TODAY + timedelta(days=1)).isoformat()}, "detected_on"),
        (
            "due before detection",
            {
                "detected_on": (TODAY - timedelta(days=3)).isoformat(),
                "due_on": (TODAY - timedelta(days=5)).isoformat(),
            },
            "due_on",
        ),
    ],
)
def test_the_api_answers_422_naming_the_field(
    api_for: Any, quality_manager: User, site: Any, _case: str, body: dict[str, str], field: str
) -> None:
    payload = {"title": "Bore oversize", "source": "in_process", "site": site.pk, **body}

    answer = api_for(quality_manager).post("/nonconformances", payload)

    assert answer.status_code == 422, answer.content
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert not Nonconformance.objects.exists()


def test_the_form_shows_the_error_on_its_field(
    client_for: Any, quality_manager: User, site: Any
) -> None:
    page = client_for(quality_manager).post(
        "/nonconformances/new/",
        {
            "title": "Bore oversize",
            "source": "in_process",
            "quantity_affected": "5",
            "quantity_nonconforming": "8",
            "unit": "pcs",
            "detected_on": (TODAY + timedelta(days=1)).isoformat(),
            "site": site.pk,
            "priority": "medium",
        },
    )

    assert page.status_code == 422
    errors = page.context["form"].errors
    assert errors["quantity_nonconforming"] == [
        "The nonconforming quantity (8 pcs) cannot be larger than the quantity affected (5 pcs)."
    ]
    assert errors["detected_on"] == [
        f"The detection date cannot be in the future (today is {TODAY.isoformat()})."
    ]
    assert not Nonconformance.objects.exists()
