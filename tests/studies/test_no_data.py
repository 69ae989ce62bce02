"""A study is drawn from data: none is raised without it, and none claims control without it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core import audit, records
from qualitas.core.models import AuditEvent, User
from qualitas.studies import report, services
from qualitas.studies.models import SpcStudy
from tests.factories import UserFactory, with_role

pytestmark = pytest.mark.django_db

STABLE = [10.0, 10.4, 9.8, 10.1, 9.9, 10.3, 9.7, 10.2, 10.0, 9.9, 10.1, 10.0]


@pytest.fixture
def engineer(db: None) -> User:
    return with_role(UserFactory(username="engineer"), "contributor")


def _without_data(actor: User) -> SpcStudy:
    """A study as the generic form used to raise it: a title, no measurements, no results."""
    with audit.context(actor=actor):
        study: SpcStudy = records.create(
            records.RECORD_TYPES["spcstudy"], actor=actor, title="Empty", characteristic="Bore"
        )
    return study


def test_the_generic_new_record_page_is_the_study_form(client_for: Any, engineer: User) -> None:
    client = client_for(engineer)

    page = client.get("/spc-studies/new/")
    moved = client.get("/records/spc-studies/new/", follow=True)

    assert page.status_code == 200
    assert b'name="pasted"' in page.content and b'name="file"' in page.content
    assert moved.redirect_chain[-1][0] == "/spc-studies/new/"
    assert b'name="pasted"' in moved.content


def test_the_page_refuses_a_study_without_data(client_for: Any, engineer: User) -> None:
    form = {"title": "Empty", "characteristic": "Bore", "chart_type": "imr", "rules": "nelson"}

    response = client_for(engineer).post("/spc-studies/new/", form)

    assert response.status_code == 422
    assert b"Upload a file or paste the data." in response.content
    assert not SpcStudy.objects.exists()


def test_the_api_offers_no_generic_create(api_for: Any, engineer: User) -> None:
    response = api_for(engineer).post("/spc-studies", {"title": "Empty", "characteristic": "Bore"})

    assert response.status_code == 405
    assert not SpcStudy.objects.exists()


@pytest.mark.parametrize(
    ("_case", "values"), [("no values", []), ("only missing values", [None, None, None])]
)
def test_the_api_refuses_to_save_a_study_without_measurements(
    api_for: Any, engineer: User, _case: str, values: list[Any]
) -> None:
    body = {"chart_type": "imr", "values": values, "title": "Empty", "characteristic": "Bore"}

    response = api_for(engineer).post("/spc-studies/analyses", body)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "data",
            "message": "There are no measurements: a study is drawn from data, so give some.",
        }
    ]
    assert not SpcStudy.objects.exists()
    assert not AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(SpcStudy)
    ).exists()


def test_a_study_without_results_claims_nothing_on_its_page(
    client_for: Any, engineer: User
) -> None:
    study = _without_data(engineer)

    page = client_for(engineer).get(f"/spc-studies/{study.pk}/").content.decode()

    assert "statistical control" not in page
    assert "No measurements were analysed: the study says nothing about control." in page


def test_a_study_without_results_claims_nothing_in_its_pdf(engineer: User) -> None:
    study = _without_data(engineer)

    lines = [text for text, _size, _weight in report._summary_lines(study)]
    pdf = report.study_pdf(study, printed_by="Erin Engineer")

    assert not any("statistical control" in line for line in lines)
    assert "No measurements were analysed: the study says nothing about control." in lines
    assert pdf.startswith(b"%PDF") and report.chart_pages(study) == []


@pytest.mark.parametrize(
    ("_case", "values", "level", "text"),
    [
        (
            "too few samples",
            STABLE,
            "preliminary",
            "No point beyond the limits and no run rule violated in 12 samples, but 12 are too "
            "few to judge statistical control: the limits are preliminary until there are 20.",
        ),
        (
            "enough samples",
            STABLE * 2,
            "in_control",
            "No point beyond the limits and no run rule violated in 24 samples: the process is "
            "in statistical control.",
        ),
    ],
)
def test_control_is_claimed_only_from_enough_samples(
    _case: str, values: list[float], level: str, text: str
) -> None:
    results = services.analyse(services.Measurements(chart_type="imr", values=values))

    verdict = services.control_verdict(results)

    assert (verdict.level, verdict.text) == (level, text)


def test_missing_values_are_not_counted_as_samples() -> None:
    values = [*STABLE, *([float("nan")] * 10)]
    results = services.analyse(services.Measurements(chart_type="imr", values=values))

    assert services.control_verdict(results).level == "preliminary"
