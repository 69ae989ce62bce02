"""Measurements in (issue 15, "Measurements at production speed"): ingest.record_measurements,
POST/GET /api/v1/measurements, the upload page and `qualitas inspection import`.

What is checked: every row is validated before anything is written (a refusal names the row
and leaves no Measurement and no MeasurementBatch behind); conformity from the specification
limits, which are themselves conforming values (ISO 3534-2:2006 3.1.3-3.1.5: the limits
bound the permissible values and belong to them — typed from memory, the same reading as
ASME Y14.5 and ISO 14405-1 give for a size within its limits); a retry with the same key is
answered with the batch it already made; the lot's checks count what the table holds; the
trail keeps the batch with its hash, not one event per value; the query count of a batch
does not grow with its rows.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qualitas.core import audit, signatures, workflow
from qualitas.core.errors import Conflict, InvalidInput, PermissionDenied
from qualitas.core.models import AuditEvent, Site, User
from qualitas.core.views.records import detail_url
from qualitas.inspection import ingest, measurement_files, services
from qualitas.inspection.ingest import Row
from qualitas.inspection.models import (
    InspectionLot,
    InspectionPlan,
    LotCheck,
    Measurement,
    MeasurementBatch,
    PartRevision,
)
from qualitas.studies import parsing
from tests.conftest import ApiClient
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def plan(people: dict[str, User], revision: PartRevision, site: Site) -> InspectionPlan:
    """The bore inspected 100 % (n = the lot's quantity), burrs and scratches on 5 items."""
    planner = people["planner"]
    plan = services.create_plan(
        actor=planner, title="Final HSG-4471", part_revision=revision, stage="final", site=site
    )
    bore, burr, scratches = revision.characteristics.order_by("number")
    services.set_item(plan, actor=planner, characteristic=bore, sampling="100")
    for char in (burr, scratches):
        services.set_item(
            plan, actor=planner, characteristic=char, sampling="fixed", sample_size=5,
            acceptance_number=0,
        )  # fmt: skip
    token = signatures.authenticate(people["qm"], PASSWORD, subject=plan)
    return workflow.fire(plan, "approve", actor=people["qm"], signature=token)


def _open(people: dict[str, User], plan: InspectionPlan, number: str = "2611", **f: Any) -> Any:
    return services.open_lot(
        actor=people["inspector"], title=f"Lot {number}", plan=plan, lot_number=number,
        quantity=f.pop("quantity", 1000), site=plan.site, **f,
    )  # fmt: skip


@pytest.fixture
def lot(people: dict[str, User], plan: InspectionPlan) -> InspectionLot:
    return _open(people, plan)


def _good() -> list[Row]:
    """Ten values, three of them nonconforming (one per characteristic)."""
    return [
        Row("10", 1, value=74.0),
        Row("10", 2, value=74.012),
        Row("10", 3, value=73.949),  # below LSL 73.95: nonconforming
        Row("10", 4, value=74.05),  # on the USL: conforming
        Row("10", 5, value=73.95),  # on the LSL: conforming
        Row("20", 1, conforming=True),
        Row("20", 2, conforming=True),
        Row("20", 3, conforming=False),
        Row("30", 1, defects=0),
        Row("30", 2, defects=2),
    ]


def _record(lot: InspectionLot, actor: User, rows: list[Row], key: str = "k1") -> Any:
    return ingest.record_measurements(lot, actor=actor, rows=rows, key=key, source="test")


def _checks(lot: InspectionLot) -> dict[str, tuple[int, int]]:
    return {
        c.characteristic.number: (c.measured, c.nonconforming)
        for c in LotCheck.objects.filter(lot=lot).select_related("characteristic")
    }


def _nothing_saved() -> None:
    assert Measurement.objects.count() == 0
    assert MeasurementBatch.objects.count() == 0


# ----------------------------------------------------------------------------- the service


def test_a_batch_is_recorded_with_conformity_from_the_limits(
    people: dict, lot: InspectionLot
) -> None:
    batch = _record(lot, people["inspector"], _good())

    assert (batch.count, batch.source, batch.created_by) == (10, "test", people["inspector"])
    assert batch.sha256 == ingest.content_hash(_good())
    verdicts = {
        (m.characteristic.number, m.sample_no): m.conforming
        for m in Measurement.objects.select_related("characteristic")
    }
    assert [verdicts[("10", n)] for n in range(1, 6)] == [True, True, False, True, True]
    assert [verdicts[("20", n)] for n in (1, 2, 3)] == [True, True, False]
    assert [verdicts[("30", n)] for n in (1, 2)] == [True, False]
    assert Measurement.objects.get(sample_no=2, characteristic__number="30").defects == 2
    assert _checks(lot) == {"10": (5, 1), "20": (3, 1), "30": (2, 1)}


def test_a_second_batch_adds_to_the_counts(people: dict, lot: InspectionLot) -> None:
    _record(lot, people["inspector"], _good())
    _record(
        lot, people["inspector"], [Row("10", 6, value=74.06), Row("20", 4, conforming=True)], "k2"
    )

    assert _checks(lot) == {"10": (6, 2), "20": (4, 1), "30": (2, 1)}
    assert MeasurementBatch.objects.count() == 2


def test_the_trail_keeps_the_batch_and_its_hash_not_each_value(
    people: dict, lot: InspectionLot
) -> None:
    before = AuditEvent.objects.count()
    batch = _record(lot, people["inspector"], _good())

    kind = ContentType.objects.get_for_model(MeasurementBatch)
    created = AuditEvent.objects.get(object_type=kind, object_id=batch.pk)
    assert created.action == "create"
    assert created.changes["sha256"]["new"] == batch.sha256
    assert created.changes["count"]["new"] == 10
    # The batch, and one change of counts per check it touched: 4 events for 10 values.
    assert AuditEvent.objects.count() - before == 4
    check_kind = ContentType.objects.get_for_model(LotCheck)
    assert AuditEvent.objects.filter(object_type=check_kind, action="update").count() == 3


BAD_ROWS = {
    "unknown": (
        Row("99", 1, value=74.0),
        "Characteristic '99' is not in this lot's plan (10, 20, 30).",
    ),
    "sample-0": (
        Row("10", 0, value=74.0),
        "Sample 0 is outside the sample of characteristic 10 (1 to 1000).",
    ),
    "sample-past-n": (
        Row("20", 6, conforming=True),
        "Sample 6 is outside the sample of characteristic 20 (1 to 5).",
    ),
    "twice": (
        Row("10", 1, value=74.001),
        "Characteristic 10 sample 1 is twice in this batch (also row 2).",
    ),
    "no-value": (Row("10", 7), "Characteristic 10 is measured: give its value."),
    "infinite": (Row("10", 7, value=math.inf), "Characteristic 10 is measured: give its value."),
    "nan": (Row("10", 7, value=math.nan), "Characteristic 10 is measured: give its value."),
    "decimals": (
        Row("10", 7, value=74.0123),
        "74.0123 has 4 decimals; this characteristic is measured to 3.",
    ),
    "no-result": (Row("20", 4), "Characteristic 20 is pass/fail: give its result."),
    "no-count": (Row("30", 3), "Characteristic 30 counts defects: give the count."),
    "negative": (Row("30", 3, defects=-1), "A defect count cannot be negative (-1)."),
}


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_wrong_row_is_named_and_nothing_is_saved(
    people: dict, lot: InspectionLot, bad: Row, message: str
) -> None:
    rows = [Row("10", 1, value=74.0, line=2), Row("20", 1, conforming=True, line=3)]
    rows.append(Row(**{**bad.__dict__, "line": 4}))

    with pytest.raises(InvalidInput) as refused:
        _record(lot, people["inspector"], rows)

    assert [(e.field, e.message) for e in refused.value.errors] == [("row 4", message)]
    assert refused.value.detail.startswith("1 of 3 measurements refused; nothing was recorded.")
    _nothing_saved()
    assert _checks(lot) == {"10": (0, 0), "20": (0, 0), "30": (0, 0)}


def test_a_sum_off_in_the_last_binary_place_is_the_value_the_gauge_read(
    people: dict, lot: InspectionLot
) -> None:
    """A spreadsheet's nominal + deviation, 76.684 + (-2.665), is 74.01899999999999 in binary
    floating point (IEEE 754): 74.019 to the gauge's 3 decimals, not a fourth decimal."""
    computed = 76.684 + -2.665
    assert computed != 74.019  # the premise: the sum is not exactly the decimal number

    _record(lot, people["inspector"], [Row("10", 1, value=computed)])

    assert Measurement.objects.get().value == 74.019


def test_a_skipped_check_takes_no_measurements(people: dict, lot: InspectionLot) -> None:
    with audit.context(actor=None, actor_name="test fixture"):  # as skip-lot leaves it
        check = LotCheck.objects.get(lot=lot, characteristic__number="20")
        check.skipped = True
        check.save()

    with pytest.raises(InvalidInput) as refused:
        _record(lot, people["inspector"], [Row("20", 1, conforming=True)])

    assert refused.value.errors[0].field == "measurements.0"
    assert "skipped in this lot" in refused.value.errors[0].message
    _nothing_saved()


def test_a_sample_measured_before_is_refused(people: dict, lot: InspectionLot) -> None:
    _record(lot, people["inspector"], _good())

    rows = [Row("10", 6, value=74.0), Row("10", 2, value=74.003)]
    with pytest.raises(InvalidInput) as refused:
        _record(lot, people["inspector"], rows, key="k2")

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("measurements.1", "Characteristic 10 sample 2 is already measured in this lot.")
    ]
    assert Measurement.objects.count() == 10 and MeasurementBatch.objects.count() == 1


def test_at_most_twenty_rows_are_listed_with_the_count_of_all(
    people: dict, lot: InspectionLot
) -> None:
    rows = [Row("10", n, value=74.00001) for n in range(1, 26)]

    with pytest.raises(InvalidInput) as refused:
        _record(lot, people["inspector"], rows)

    assert len(refused.value.errors) == ingest.MAX_ERRORS == 20
    assert refused.value.detail.startswith("25 of 25 measurements refused (the first 20 are")
    _nothing_saved()


def test_the_same_key_and_content_is_the_same_batch(people: dict, lot: InspectionLot) -> None:
    first = _record(lot, people["inspector"], _good())
    # A retry may send the rows in another order: the content is the same.
    again = _record(lot, people["inspector"], list(reversed(_good())))

    assert again.pk == first.pk
    assert MeasurementBatch.objects.count() == 1 and Measurement.objects.count() == 10
    assert _checks(lot)["10"] == (5, 1)


def test_a_key_reused_for_other_content_is_a_conflict(people: dict, lot: InspectionLot) -> None:
    _record(lot, people["inspector"], _good())

    with pytest.raises(Conflict) as clash:
        _record(lot, people["inspector"], [Row("10", 6, value=74.0)])

    assert "The key 'k1' was already used" in clash.value.detail
    assert clash.value.errors[0].field == "key"
    assert Measurement.objects.count() == 10


def test_a_viewer_may_not_record(people: dict, lot: InspectionLot) -> None:
    with pytest.raises(PermissionDenied):
        _record(lot, people["viewer"], _good())
    _nothing_saved()


def test_a_closed_lot_takes_no_measurements(people: dict, lot: InspectionLot) -> None:
    workflow.fire(lot, "cancel", actor=people["qm"], comment="Lot scrapped at the supplier")
    lot.refresh_from_db()

    with pytest.raises(Conflict, match="Cancelled: measurements are recorded only while"):
        _record(lot, people["inspector"], _good())
    _nothing_saved()


def test_the_queries_do_not_grow_with_the_rows(people: dict, plan: InspectionPlan) -> None:
    """The same queries whatever the size: lock, key, checks, batch, the
    values in one statement, one count, one UPDATE per touched check, the trail's three."""
    # The first batch also looks up content types the trail caches: not the batch's cost.
    _record(_open(people, plan, "Q0"), people["inspector"], [Row("10", 1, value=74.0)], "Q0")
    counted = []
    for size, number in ((10, "Q1"), (1000, "Q2")):
        lot = _open(people, plan, number)
        rows = [Row("10", n, value=74.0 + (n % 40) / 1000) for n in range(1, size + 1)]
        with CaptureQueriesContext(connection) as queries:
            _record(lot, people["inspector"], rows, key=number)
        counted.append(len(queries))
        assert _checks(lot)["10"] == (size, 0)
    assert counted[0] == counted[1], counted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_writes_what_the_inserts_write(
    people: dict, plan: InspectionPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above COPY_FROM rows PostgreSQL takes them by COPY: the same rows as by INSERT."""
    rows = [Row("10", n, value=round(73.94 + n / 1000, 3)) for n in range(1, 121)]
    rows += [Row("20", 1, conforming=False), Row("30", 1, defects=3), Row("30", 2, defects=0)]
    read = []
    for number, copy_from in (("I", 10_000), ("C", 10)):
        monkeypatch.setattr(ingest, "COPY_FROM", copy_from)
        lot = _open(people, plan, number)
        _record(lot, people["inspector"], rows, key=number)
        read.append(
            (
                list(
                    Measurement.objects.filter(lot=lot)
                    .order_by("characteristic_id", "sample_no")
                    .values_list("characteristic_id", "sample_no", "value", "conforming", "defects")
                ),
                _checks(lot),
            )
        )
    assert read[0] == read[1]
    assert read[1][1] == {"10": (120, 19), "20": (1, 1), "30": (2, 1)}


def test_the_content_hash_ignores_order_and_lines() -> None:
    rows = _good()
    with_lines = [Row(**{**r.__dict__, "line": n}) for n, r in enumerate(rows, start=2)]

    assert ingest.content_hash(rows[::-1]) == ingest.content_hash(with_lines)
    assert ingest.content_hash([Row("10", 1, value=74)]) == ingest.content_hash(
        [Row("10", 1, value=74.0)]
    )
    assert ingest.content_hash(rows) != ingest.content_hash(rows[:-1])


# ----------------------------------------------------------------------------- files


def test_a_file_is_read_with_its_line_numbers() -> None:
    text = (
        "Characteristic;Sample;Value;Result;Defects\n"
        "10;1;74,012;;\n"
        "\n"  # a blank line keeps the numbering of the lines after it
        "20;1;;ok;\n"
        "20;2;;NOK;\n"
        "30;1;;;2\n"
    )
    rows = measurement_files.rows_from_table(parsing.parse_text(text))

    assert rows == [
        Row("10", 1, value=74.012, line=2),
        Row("20", 1, conforming=True, line=4),
        Row("20", 2, conforming=False, line=5),
        Row("30", 1, defects=2, line=6),
    ]


def test_unreadable_cells_are_refused_by_row() -> None:
    text = "characteristic,sample,value,result\n10,1,74.0,\n10,x,74.0,\n20,2,,maybe\n"

    with pytest.raises(InvalidInput) as refused:
        measurement_files.rows_from_table(parsing.parse_text(text))

    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("row 3", "Sample 'x' is not a whole number."),
        ("row 4", "Result 'maybe' is not pass/fail, ok/nok or 1/0."),
    ]


def test_a_file_without_the_columns_says_which() -> None:
    with pytest.raises(InvalidInput, match="needs the column sample; its columns are"):
        measurement_files.rows_from_table(parsing.parse_text("characteristic,value\n10,74.0\n"))


# ----------------------------------------------------------------------------- the API


def _body(lot: InspectionLot, key: str = "gauge-7/0001", **extra: Any) -> dict[str, Any]:
    return {
        "lot": lot.pk,
        "key": key,
        "source": "CMM 7",
        "measurements": [
            {"characteristic": "10", "sample_no": 1, "value": 74.012},
            {"characteristic": "10", "sample_no": 2, "value": 74.06},
            {"characteristic": "20", "sample_no": 1, "conforming": True},
            {
                "characteristic": "30",
                "sample_no": 1,
                "defects": 1,
                "measured_at": "2026-03-14T09:30:00+01:00",
            },
        ],
        **extra,
    }


def test_the_api_records_a_batch_and_answers_a_retry_with_it(
    people: dict, lot: InspectionLot, api_for: Callable[[User], ApiClient]
) -> None:
    api = api_for(people["inspector"])

    first = api.post("/measurements", _body(lot))
    again = api.post("/measurements", _body(lot))

    assert first.status_code == 201, first.content
    assert again.status_code == 200
    assert (first.json()["count"], first.json()["created"]) == (4, True)
    assert again.json()["created"] is False and again.json()["id"] == first.json()["id"]
    batch = MeasurementBatch.objects.get()
    assert first.json()["sha256"] == batch.sha256 and batch.source == "CMM 7"
    assert Measurement.objects.count() == 4
    assert _checks(lot) == {"10": (2, 1), "20": (1, 0), "30": (1, 1)}
    at = Measurement.objects.get(characteristic__number="30").measured_at
    assert at.isoformat() == "2026-03-14T08:30:00+00:00"


def test_the_api_refuses_a_reused_key(
    people: dict, lot: InspectionLot, api_for: Callable[[User], ApiClient]
) -> None:
    api = api_for(people["inspector"])
    api.post("/measurements", _body(lot))
    other = _body(lot)
    other["measurements"][0]["value"] = 74.013

    answer = api.post("/measurements", other)

    assert answer.status_code == 409
    assert answer.json()["errors"][0]["field"] == "key"
    assert "gauge-7/0001" in answer.json()["detail"]


def test_the_api_lists_the_refused_rows(
    people: dict, lot: InspectionLot, api_for: Callable[[User], ApiClient]
) -> None:
    body = _body(lot)
    body["measurements"][1]["value"] = 74.0601
    body["measurements"][3]["defects"] = -2

    answer = api_for(people["inspector"]).post("/measurements", body)

    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {
            "field": "measurements.1",
            "message": "74.0601 has 4 decimals; this characteristic is measured to 3.",
        },
        {"field": "measurements.3", "message": "A defect count cannot be negative (-2)."},
    ]
    _nothing_saved()


def test_the_api_checks_who_may_record(
    people: dict,
    lot: InspectionLot,
    nobody: User,
    api_for: Callable[[User], ApiClient],
) -> None:
    assert api_for(people["viewer"]).post("/measurements", _body(lot)).status_code == 403
    # Someone who may not see the lot is not told it exists.
    assert api_for(nobody).post("/measurements", _body(lot)).status_code == 404
    assert (
        api_for(people["inspector"]).post("/measurements", {**_body(lot), "lot": 10**6}).status_code
        == 404
    )
    _nothing_saved()
    assert api_for(people["inspector"]).post("/measurements", _body(lot)).status_code == 201


def test_the_api_refuses_a_closed_lot(
    people: dict, lot: InspectionLot, api_for: Callable[[User], ApiClient]
) -> None:
    workflow.fire(lot, "cancel", actor=people["qm"], comment="Lot scrapped at the supplier")

    answer = api_for(people["inspector"]).post("/measurements", _body(lot))

    assert answer.status_code == 409
    _nothing_saved()


def test_the_api_lists_a_lots_measurements_page_by_page(
    people: dict, lot: InspectionLot, api_for: Callable[[User], ApiClient]
) -> None:
    _record(lot, people["inspector"], _good())
    api = api_for(people["viewer"])

    page = api.get("/measurements", lot=lot.pk, page_size=4, page=2).json()
    bore = api.get("/measurements", lot=lot.pk, characteristic="10").json()

    assert page["count"] == 10 and len(page["results"]) == 4
    assert [(r["characteristic"], r["sample_no"]) for r in page["results"]] == [
        ("10", 5),
        ("20", 1),
        ("20", 2),
        ("20", 3),
    ]
    assert [r["value"] for r in bore["results"]] == [74.0, 74.012, 73.949, 74.05, 73.95]
    assert api_for(people["viewer"]).get("/measurements", lot=10**6).status_code == 404


# ----------------------------------------------------------------------------- the page


def _url(lot: InspectionLot) -> str:
    return f"/inspection/lots/{lot.pk}/upload/"


CSV = (
    b"characteristic,sample,value,result,defects\n"
    b"10,1,74.012,,\n10,2,73.940,,\n20,1,,pass,\n20,2,,fail,\n30,1,,,0\n"
)


def test_an_upload_records_the_file_and_returns_to_the_lot(
    people: dict, lot: InspectionLot, client_for: Callable[[User], Any]
) -> None:
    client = client_for(people["inspector"])
    assert client.get(_url(lot)).status_code == 200

    answer = client.post(_url(lot), {"file": SimpleUploadedFile("cmm.csv", CSV)})
    again = client.post(_url(lot), {"file": SimpleUploadedFile("cmm.csv", CSV)}, follow=True)

    assert answer.status_code == 302 and answer["Location"] == detail_url(lot)
    assert _checks(lot) == {"10": (2, 1), "20": (2, 1), "30": (1, 0)}
    assert MeasurementBatch.objects.get().source == "file cmm.csv"
    assert "was already recorded" in again.content.decode()


def test_an_upload_of_a_workbook(
    people: dict, lot: InspectionLot, client_for: Callable[[User], Any]
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (("Characteristic", "Sample", "Value"), (10, 1, 74.003), (10, 2, 74.051)):
        sheet.append(row)
    content = io.BytesIO()
    book.save(content)

    answer = client_for(people["inspector"]).post(
        _url(lot), {"file": SimpleUploadedFile("cmm.xlsx", content.getvalue())}
    )

    assert answer.status_code == 302
    assert _checks(lot)["10"] == (2, 1)


def test_an_upload_with_a_bad_row_lists_it_and_saves_nothing(
    people: dict, lot: InspectionLot, client_for: Callable[[User], Any]
) -> None:
    bad = CSV + b"10,3,74.0004,,\n"

    answer = client_for(people["inspector"]).post(
        _url(lot), {"file": SimpleUploadedFile("cmm.csv", bad)}
    )

    page = answer.content.decode()
    assert answer.status_code == 422
    assert 'data-testid="upload-row-errors"' in page
    assert "Row 7" in page and "74.0004 has 4 decimals" in page
    _nothing_saved()


def test_the_upload_page_is_for_inspectors(
    people: dict, lot: InspectionLot, client_for: Callable[[User], Any]
) -> None:
    assert client_for(people["viewer"]).get(_url(lot)).status_code == 403


# ----------------------------------------------------------------------------- the CLI


def test_the_cli_imports_a_file_once(people: dict, lot: InspectionLot, tmp_path: Path) -> None:
    path = tmp_path / "cmm.csv"
    path.write_bytes(CSV)
    out = io.StringIO()

    call_command(
        "inspection", "import", str(path), "--lot", lot.number, "--user", "inspector", stdout=out
    )
    call_command(
        "inspection", "import", str(path), "--lot", lot.number, "--user", "inspector", stdout=out
    )

    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"5 measurements recorded in {lot.number}")
    assert "already recorded" in lines[1]
    batch = MeasurementBatch.objects.get()
    assert batch.key == hashlib.sha256(CSV).hexdigest() and batch.created_by == people["inspector"]


def test_the_cli_refuses_a_bad_file_in_one_line(
    people: dict, lot: InspectionLot, tmp_path: Path
) -> None:
    path = tmp_path / "cmm.csv"
    path.write_bytes(CSV + b"99,1,74.0,,\n10,1,74.0,,\n")

    with pytest.raises(CommandError) as refused:
        call_command("inspection", "import", str(path), "--lot", lot.number, "--user", "inspector")

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("cmm.csv: 2 of 7 measurements refused: row 7: Characteristic '99'")
    assert "row 8: Characteristic 10 sample 1 is twice in this batch (also row 2)" in message
    _nothing_saved()


def test_the_cli_names_an_unknown_lot_or_user(
    people: dict, lot: InspectionLot, tmp_path: Path
) -> None:
    path = tmp_path / "cmm.csv"
    path.write_bytes(CSV)

    with pytest.raises(CommandError, match="--lot: no inspection lot 'LOT-1999-0001'"):
        call_command(
            "inspection", "import", str(path), "--lot", "LOT-1999-0001", "--user", "inspector"
        )
    with pytest.raises(CommandError, match="--user: no active user 'ghost'"):
        call_command("inspection", "import", str(path), "--lot", lot.number, "--user", "ghost")
    with pytest.raises(CommandError, match="may not do this"):
        call_command("inspection", "import", str(path), "--lot", lot.number, "--user", "reader")
    _nothing_saved()
