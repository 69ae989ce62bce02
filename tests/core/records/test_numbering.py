"""Record numbers: readable, per type, gap-free, unique under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone

from qualitas.core import numbering, records
from qualitas.core.errors import InvalidInput
from qualitas.core.models import User
from tests.recordtypes.models import Deviation

pytestmark = pytest.mark.django_db


def test_numbers_follow_the_pattern_and_count_up(raise_deviation: object) -> None:
    first, second = raise_deviation(), raise_deviation()  # type: ignore[operator]

    year = timezone.now().year
    assert (first.number, second.number) == (f"DEV-{year}-0001", f"DEV-{year}-0002")


def test_a_refused_creation_uses_no_number(raise_deviation: object) -> None:
    raise_deviation()  # type: ignore[operator]
    with pytest.raises(InvalidInput):
        raise_deviation(title="")  # type: ignore[operator]

    third = raise_deviation()  # type: ignore[operator]

    assert third.number.endswith("-0002")


def test_a_rolled_back_creation_gives_its_number_back(raise_deviation: object) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_deviation()  # type: ignore[operator]
        raise RuntimeError("the surrounding work failed")

    assert raise_deviation().number.endswith("-0001")  # type: ignore[operator]


def test_the_pattern_is_configurable(raise_deviation: object) -> None:
    with override_settings(NUMBER_PATTERNS='{"deviation": "DV{seq:06}"}'):
        created = raise_deviation()  # type: ignore[operator]

    assert created.number == "DV000001"


@pytest.mark.parametrize("pattern", ["DEV-{year}", "DEV-{seq}-{month}"])
def test_a_pattern_without_seq_or_with_unknown_fields_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="number pattern"):
        numbering.validate_pattern(pattern)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_creates_get_fifty_consecutive_numbers(
    deviations: records.RecordType, author: User
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises whole transactions)")
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def create_one(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            records.create(deviations, actor=author, title=f"Concurrent {n}", description="x")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create_one, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    sequence = sorted(
        int(n.rsplit("-", 1)[1]) for n in Deviation.objects.values_list("number", flat=True)
    )
    assert sequence == list(range(1, 51))


@pytest.mark.parametrize(
    ("zone", "utc_moment", "year"),
    [
        # 31 Dec 23:30 UTC is already 1 January in Auckland (UTC+13 in summer) ...
        ("Pacific/Auckland", "2026-12-31T23:30:00+00:00", 2027),
        # ... and 1 Jan 03:00 UTC is still 31 December evening in New York (UTC-5).
        ("America/New_York", "2027-01-01T03:00:00+00:00", 2026),
        ("UTC", "2026-12-31T23:30:00+00:00", 2026),
    ],
)
def test_the_year_of_a_number_is_the_organisations_year(
    raise_deviation: object, settings: object, zone: str, utc_moment: str, year: int
) -> None:
    import time_machine

    settings.TIME_ZONE = zone  # type: ignore[attr-defined]
    with time_machine.travel(utc_moment, tick=False):
        created = raise_deviation()  # type: ignore[operator]

    assert created.number == f"DEV-{year}-0001"
