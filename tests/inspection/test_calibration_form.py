"""The calibration pages' table of calibration points (issue 15's follow-up): a technician
types each point's nominal, as-found and as-left readings and tolerance into a row, not JSON
into a text box. The rows are a formset (readings-0-nominal …) that works without
JavaScript; calibrations.record_calibration still receives the list of points the API takes.

A reading is within tolerance when |reading - nominal| <= tolerance (the rule
tests/inspection/test_gauges.py states); the values below are chosen well clear of the
limit, so the verdicts are the same whichever way the subtraction rounds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qualitas.core import audit
from qualitas.core.models import AuditEvent, Site, User
from qualitas.inspection import calibrations, gauges
from qualitas.inspection.models import Calibration, Gauge

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
NEW = "/calibrations/new/"


@pytest.fixture
def gauge(people: dict[str, User], site: Site) -> Gauge:
    return gauges.create_gauge(
        actor=people["planner"], identifier="GA-0012", name="Bore gauge 70-80",
        gauge_type="Bore gauge", site=site, range_low=70.0, range_high=80.0, unit="mm",
        resolution=0.001, interval_days=180,
    )  # fmt: skip


def _posted(
    gauge: Gauge, rows: list[dict[str, str]], *, initial: int = 0, **fields: Any
) -> dict[str, Any]:
    """What the page posts: the record's fields and one formset row per table row."""
    data: dict[str, Any] = {
        "title": f"Calibration of {gauge.identifier}",
        "gauge": gauge.pk,
        "calibrated_on": TODAY.isoformat(),
        "site": gauge.site_id,
        "readings-TOTAL_FORMS": len(rows),
        "readings-INITIAL_FORMS": initial,
        "readings-MIN_NUM_FORMS": 0,
        "readings-MAX_NUM_FORMS": 1000,
        **fields,
    }
    for index, row in enumerate(rows):
        data |= {f"readings-{index}-{cell}": text for cell, text in row.items()}
    return data


def _row(nominal: str, found: str, left: str, tolerance: str) -> dict[str, str]:
    return {"nominal": nominal, "as_found": found, "as_left": left, "tolerance": tolerance}


EMPTY = _row("", "", "", "")


def _queries(fetch: Callable[[], Any]) -> int:
    fetch()  # the first request of a session warms caches the page does not own
    with CaptureQueriesContext(connection) as captured:
        assert fetch().status_code == 200
    return len(captured)


# ----------------------------------------------------------------------------- creating


def test_the_points_are_recorded_in_the_order_of_the_rows_and_empty_rows_ignored(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    rows = [
        _row("70", "70.001", "70.000", "0.002"),
        EMPTY,
        _row("80", "79.999", "80", "0.002"),
        _row("75", "75,001", "75.0", "0,002"),  # a decimal comma, as typed on a German tablet
        EMPTY,
    ]

    response = client_for(people["inspector"]).post(NEW, _posted(gauge, rows, initial=3))

    calibration = Calibration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/calibrations/{calibration.pk}/"
    assert calibration.readings == [
        {"nominal": 70.0, "as_found": 70.001, "as_left": 70.0, "tolerance": 0.002},
        {"nominal": 80.0, "as_found": 79.999, "as_left": 80.0, "tolerance": 0.002},
        {"nominal": 75.0, "as_found": 75.001, "as_left": 75.0, "tolerance": 0.002},
    ]
    assert calibration.as_found_ok and calibration.as_left_ok
    gauge.refresh_from_db()
    assert gauge.next_due_on == TODAY + 180 * DAY


def test_the_created_calibration_is_in_the_audit_trail(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    client_for(people["inspector"]).post(NEW, _posted(gauge, [_row("74", "74.001", "74", "0.002")]))

    calibration = Calibration.objects.get()
    created = AuditEvent.objects.get(
        object_type=ContentType.objects.get_for_model(Calibration),
        object_id=calibration.pk,
        action="create",
    )
    assert created.actor == people["inspector"]
    assert created.changes["readings"]["new"] == [
        {"nominal": 74.0, "as_found": 74.001, "as_left": 74.0, "tolerance": 0.002}
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [_row("70", "70.001", "70", "0.002"), _row("74", "", "74", "0.002")],
            "Point 2: give the as-found reading.",
        ),
        (
            [_row("70", "70.001", "70", "0.002"), EMPTY, _row("", "", "80.001", "")],
            "Point 3: give the nominal value.",
        ),
        (
            [_row("70", "70.001", "seventy", "0.002")],
            "Point 1: the as-left reading is not a number.",
        ),
        ([_row("70", "70.001", "70", "0")], "Point 1: the tolerance must be above zero."),
        ([EMPTY, EMPTY, EMPTY], "Give at least one calibration point"),
    ],
    ids=["partial-row", "partial-after-an-empty-row", "text", "zero-tolerance", "no-points"],
)
def test_a_refused_table_names_the_point_and_cell_saves_nothing_and_keeps_the_entries(
    client_for: Callable[[User], Client],
    people: dict[str, User],
    gauge: Gauge,
    rows: list[dict[str, str]],
    message: str,
) -> None:
    response = client_for(people["inspector"]).post(
        NEW, _posted(gauge, rows, notes="Ring gauges 70, 74 and 80 mm")
    )
    html = response.content.decode()

    assert response.status_code == 422
    assert message in html
    assert not Calibration.objects.exists()
    gauge.refresh_from_db()
    assert gauge.next_due_on is None  # the gauge's dates did not move
    assert "Ring gauges 70, 74 and 80 mm" in html
    for index, row in enumerate(rows):
        for cell, text in row.items():
            if text:
                assert f'name="readings-{index}-{cell}" value="{text}"' in html


def test_a_form_without_its_rows_count_or_with_an_unknown_gauge_is_no_server_error(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    client = client_for(people["inspector"])
    tampered = _posted(gauge, [_row("74", "74.001", "74", "0.002")])
    tampered["readings-TOTAL_FORMS"] = "x"

    posted = client.post(NEW, tampered)
    unknown = client.get(f"{NEW}?gauge={10**22}")
    word = client.get(f"{NEW}?gauge=%3C/script%3E%3Cb%3Ex")

    assert posted.status_code == 422 and not Calibration.objects.exists()
    assert (unknown.status_code, word.status_code) == (200, 200)
    assert "<b>x" not in word.content.decode()


def test_the_new_page_starts_with_three_empty_rows_and_the_gauges_unit(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    response = client_for(people["inspector"]).get(f"{NEW}?gauge={gauge.pk}")
    html = response.content.decode()

    assert response.status_code == 200
    assert response.context["points"].total_form_count() == 3
    assert 'name="readings-2-tolerance"' in html and 'name="readings-3-nominal"' not in html
    assert "Nominal<span data-unit> (mm)</span>" in html
    assert f'<option value="{gauge.pk}" selected>' in html
    assert "inspection/calibration-points.js" in html


def test_the_new_page_asks_the_same_queries_however_many_gauges(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    client = client_for(people["inspector"])
    few = _queries(lambda: client.get(f"{NEW}?gauge={gauge.pk}"))
    for n in range(20, 30):
        gauges.create_gauge(
            actor=people["planner"], identifier=f"GA-00{n}", name="Caliper",
            gauge_type="Caliper", site=gauge.site, unit="mm",
        )  # fmt: skip
    many = _queries(lambda: client.get(f"{NEW}?gauge={gauge.pk}"))

    assert many == few


# ----------------------------------------------------------------------------- editing


def _calibrate(actor: User, gauge: Gauge, points: list[dict[str, float]]) -> Calibration:
    return calibrations.record_calibration(  # type: ignore[no-any-return]
        actor=actor, title="Calibration of GA-0012", gauge=gauge, calibrated_on=TODAY - 2 * DAY,
        readings=points, site=gauge.site,
    )  # fmt: skip


STORED = [
    {"nominal": 70.0, "as_found": 70.001, "as_left": 70.0, "tolerance": 0.002},
    {"nominal": 80.0, "as_found": 79.999, "as_left": 80.0, "tolerance": 0.002},
]


def test_the_edit_page_shows_the_stored_points_in_order(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    calibration = _calibrate(people["inspector"], gauge, STORED)

    response = client_for(people["inspector"]).get(f"/calibrations/{calibration.pk}/edit/")
    html = response.content.decode()

    assert response.status_code == 200
    assert html.index('name="readings-0-as_found" value="70.001"') < html.index(
        'name="readings-1-as_found" value="79.999"'
    )
    assert 'name="readings-2-nominal"' in html  # one empty row to add a point without JS
    assert 'name="readings-3-nominal"' not in html


def test_an_edit_changes_a_point_adds_one_and_corrects_the_date(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    calibration = _calibrate(people["inspector"], gauge, STORED)
    rows = [
        _row("70", "70.001", "70.0005", "0.002"),
        _row("80", "79.999", "80", "0.002"),
        _row("75", "75", "75", "0.002"),
    ]
    corrected = TODAY - DAY

    response = client_for(people["inspector"]).post(
        f"/calibrations/{calibration.pk}/edit/",
        _posted(gauge, rows, initial=3, calibrated_on=corrected, version=calibration.version),
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    calibration.refresh_from_db()
    assert calibration.readings == [
        {"nominal": 70.0, "as_found": 70.001, "as_left": 70.0005, "tolerance": 0.002},
        STORED[1],
        {"nominal": 75.0, "as_found": 75.0, "as_left": 75.0, "tolerance": 0.002},
    ]
    # The corrected date moves the due date with it (the service saw the change).
    assert calibration.calibrated_on == corrected
    assert calibration.next_due_on == corrected + 180 * DAY
    gauge.refresh_from_db()
    assert gauge.next_due_on == corrected + 180 * DAY


def test_an_edit_that_would_turn_the_as_found_result_is_refused_above_the_table(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    calibration = _calibrate(people["inspector"], gauge, STORED)
    rows = [_row("70", "70.001", "70", "0.002"), _row("80", "80.010", "80", "0.002")]

    response = client_for(people["inspector"]).post(
        f"/calibrations/{calibration.pk}/edit/",
        _posted(gauge, rows, initial=3, version=calibration.version),
    )
    html = response.content.decode()

    assert response.status_code == 422
    assert "These readings change the as-found result" in html
    assert 'name="readings-1-as_found" value="80.010"' in html
    calibration.refresh_from_db()
    assert calibration.readings == STORED and calibration.version == 1


def test_the_edit_page_asks_the_same_queries_however_many_points(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    client = client_for(people["inspector"])
    two = _calibrate(people["inspector"], gauge, STORED)
    few = _queries(lambda: client.get(f"/calibrations/{two.pk}/edit/"))
    with audit.context(actor=None, actor_name="test fixture"):
        other = Gauge.objects.create(
            identifier="GA-0013", name="Caliper", gauge_type="Caliper", site=gauge.site
        )
    points = [
        {"nominal": float(n), "as_found": float(n), "as_left": float(n), "tolerance": 0.01}
        for n in range(10, 22)
    ]
    twelve = _calibrate(people["inspector"], other, points)

    many = _queries(lambda: client.get(f"/calibrations/{twelve.pk}/edit/"))

    assert many == few


# ----------------------------------------------------------------------------- who may


def test_a_reader_may_neither_record_nor_edit_a_calibration(
    client_for: Callable[[User], Client], people: dict[str, User], gauge: Gauge
) -> None:
    calibration = _calibrate(people["inspector"], gauge, STORED)
    reader = client_for(people["viewer"])

    form = reader.get(NEW)
    posted = reader.post(NEW, _posted(gauge, [_row("74", "74.001", "74", "0.002")]))
    edit = reader.get(f"/calibrations/{calibration.pk}/edit/")
    edited = reader.post(
        f"/calibrations/{calibration.pk}/edit/",
        _posted(gauge, [_row("74", "74.001", "74", "0.002")], version=calibration.version),
    )

    assert (form.status_code, posted.status_code) == (403, 403)
    assert (edit.status_code, edited.status_code) == (403, 403)
    assert Calibration.objects.count() == 1
    calibration.refresh_from_db()
    assert calibration.readings == STORED


# ----------------------------------------------------------------------------- in the browser
