"""The demo's bulk inspection history (40 weeks here, 78 in `qualitas demo`): written in bulk,
yet every lot is what the services would have made of it — judged by its Ac/Re, signed
validly by its inspector, its batch hash matching its measurements, its events on an
intact chain — and every chart has its special cause."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from qualitas.core import auditverify, signatures
from qualitas.core.models import AuditEvent, Department, Signature, Site, User
from qualitas.inspection import demo_history, ingest, live, services
from qualitas.inspection.models import (
    Characteristic,
    ChartAlarm,
    InspectionLot,
    InspectionPlan,
    LotCheck,
    Measurement,
    MeasurementBatch,
    Part,
    SwitchingState,
)

WEEKS = 40


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The history, loaded once for the module and rolled back after it."""
    from django.test import override_settings

    from qualitas.core import demo

    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(DEMO_INSPECTION_WEEKS=WEEKS),
    ):
        demo._load_company()
        names = ["acosta", "hmarsh", "mkowalski", "jokafor"]
        people = {u.username: u for u in User.objects.filter(username__in=names)}
        site, operations = Site.objects.get(code="SHF"), Department.objects.get(code="OPS")
        demo_history.load(people, site, operations)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def history(loaded: None, db: None) -> list[InspectionLot]:
    return list(InspectionLot.objects.order_by("pk"))


def test_the_plants_parts_plans_and_lots(history: list[InspectionLot]) -> None:
    assert Part.objects.count() == 28
    assert Characteristic.objects.count() == 140
    # 12 bought-in parts with an incoming plan; 16 machined with in-process and final.
    stages = Counter(
        InspectionPlan.objects.filter(state="approved").values_list("stage", flat=True)
    )
    assert stages == {"incoming": 12, "in_process": 16, "final": 16}
    assert len(history) == WEEKS * (12 + 16 * 2 + 16)
    assert {lot.state for lot in history} == {"accepted"}
    suppliers = {lot.supplier_name for lot in history if lot.stage == "incoming"}
    assert suppliers == set(demo_history.SUPPLIERS.values())


def test_every_lot_is_judged_by_its_acceptance_numbers(history: list[InspectionLot]) -> None:
    counted = Counter(Measurement.objects.values_list("lot_id", "characteristic_id"))
    for check in LotCheck.objects.all():
        assert (
            check.measured == check.sample_size == counted[(check.lot_id, check.characteristic_id)]
        )
        assert check.nonconforming <= check.acceptance_number < check.rejection_number
    for lot in history[:: len(history) // 20]:
        verdict, _, failing = services.judge(lot)
        assert (verdict, failing) == ("accept", [])


def test_each_lot_signed_by_its_inspector_and_the_signature_valid(
    history: list[InspectionLot],
) -> None:
    kind = ContentType.objects.get_for_model(InspectionLot)
    signed = {s.object_id: s for s in Signature.objects.filter(object_type=kind)}
    assert set(signed) == {lot.pk for lot in history}
    for lot in history[:: len(history) // 50]:
        signature = signed[lot.pk]
        assert signature.signer_id == lot.owner_id
        assert signature.transition == "sign_inspection"
        assert signatures.is_valid(signature, lot)
    # Changed after signing, a lot's signature no longer holds.
    lot = history[0]
    with connection.cursor() as cursor:  # as someone with database access would
        cursor.execute(
            f"UPDATE {InspectionLot._meta.db_table} SET quantity = quantity + 1 WHERE id = %s",  # noqa: S608
            [lot.pk],
        )
    lot.refresh_from_db()
    assert not signatures.is_valid(signed[lot.pk], lot)


def test_a_batch_hash_is_the_hash_of_its_measurements(history: list[InspectionLot]) -> None:
    for batch in MeasurementBatch.objects.order_by("pk")[:: len(history) // 10]:
        rows = [
            ingest.Row(
                m.characteristic.number,
                m.sample_no,
                value=m.value,
                conforming=m.conforming if m.characteristic.kind == "attribute" else None,
                defects=m.defects,
                measured_at=m.measured_at,
            )
            for m in Measurement.objects.filter(batch=batch).select_related("characteristic")
        ]
        assert len(rows) == batch.count
        assert ingest.content_hash(rows) == batch.sha256


def test_the_history_is_on_the_audit_chain_by_each_inspector(
    history: list[InspectionLot],
) -> None:
    kind = ContentType.objects.get_for_model(InspectionLot)
    created = AuditEvent.objects.filter(object_type=kind, action="create")
    assert created.count() == len(history)
    by_lot = dict(created.values_list("object_id", "actor_id"))
    assert all(by_lot[lot.pk] == lot.owner_id for lot in history)
    assert set(created.values_list("reason", flat=True)) == {demo_history.HISTORY_REASON}
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(MeasurementBatch), action="create"
    ).count() == len(history)
    assert auditverify.verify().intact


def test_each_chart_has_a_frozen_baseline_and_its_special_cause(
    history: list[InspectionLot],
) -> None:
    for characteristic in Characteristic.objects.filter(kind="variable").order_by("pk")[::7]:
        data = live.chart_data(characteristic)
        assert data["baseline"] is not None and data["baseline"]["points"] == 25
        assert data["alarms"], f"{characteristic} has no alarm"
    # The special causes' lots were judged as new batches are: alarms kept to react to.
    variables = Characteristic.objects.filter(kind="variable").count()
    alarmed = ChartAlarm.objects.values("characteristic").distinct().count()
    assert alarmed > variables * 2 // 3


def test_switching_states_hold_the_history(history: list[InspectionLot]) -> None:
    states = SwitchingState.objects.all()
    assert {s.state for s in states} == {"normal"}
    # Each incoming AQL characteristic, per supplier that delivered it.
    lots_per_state = Counter(
        (c.characteristic_id, c.lot.supplier_name)
        for c in LotCheck.objects.filter(sampling="aql").select_related("lot")
    )
    assert {(s.characteristic_id, s.supplier_name): len(s.history) for s in states} == dict(
        lots_per_state
    )
