"""Chart design (ARL) studies: the numbers of the published tables, through the API.

References: Montgomery, Introduction to Statistical Quality Control, 7th ed., Table 9.3
(two-sided tabular CUSUM, k = 0.5: h = 4 gives ARL 168 in control and 8.38 at a 1 σ shift;
h = 5 gives 465 and 10.4) and Table 9.11 after Lucas & Saccucci (1990) (EWMA λ = 0.10,
L = 2.814: ARL 500 in control, 10.3 at 1 σ); the Shewhart 3 σ chart's 370.4.
"""

from __future__ import annotations

from typing import Any

import pytest

from qualitas.core.models import User
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db


def _arl(api: Any, **body: Any) -> Any:
    return api.post("/spc-studies/analyses", {"analysis": "arl", "save": False, **body})


def _by_shift(response: Any) -> dict[float, float]:
    assert response.status_code == 200, response.json()
    return {row["shift"]: row["arl"] for row in response.json()["results"]["rows"]}


def test_cusum_arls_are_montgomerys_table_9_3(api_for: Any, viewer: User) -> None:
    api = api_for(viewer)

    h4 = _by_shift(_arl(api, chart="cusum", k=0.5, h=4, shifts=[0, 1]))
    h5 = _by_shift(_arl(api, chart="cusum", k=0.5, h=5, shifts=[0, 1]))

    assert (round(h4[0]), round(h4[1], 2)) == (168, 8.38)
    assert (round(h5[0]), round(h5[1], 1)) == (465, 10.4)


def test_ewma_l_designed_for_arl_500_is_lucas_and_saccuccis(api_for: Any, viewer: User) -> None:
    response = _arl(api_for(viewer), chart="ewma", lam=0.1, arl0=500, shifts=[0, 1])

    results = response.json()["results"]
    assert results["design"]["L"] == pytest.approx(2.814, abs=5e-4)
    assert results["design"]["designed"] is True
    assert _by_shift(response)[1] == pytest.approx(10.3, abs=0.05)


def test_the_shewhart_column_has_the_same_false_alarm_rate(api_for: Any, viewer: User) -> None:
    cusum = _arl(api_for(viewer), chart="cusum", k=0.5, h=5, shifts=[0, 1]).json()["results"]
    shewhart = _by_shift(_arl(api_for(viewer), chart="shewhart", shifts=[0]))

    assert shewhart[0] == pytest.approx(370.4, abs=0.05)
    assert cusum["rows"][0]["shewhart"] == pytest.approx(cusum["rows"][0]["arl"], rel=1e-6)
    assert cusum["rows"][1]["shewhart"] > 3 * cusum["rows"][1]["arl"]  # CUSUM finds 1 σ sooner


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"chart": "cusum", "k": 0.5}, "h"),
        ({"chart": "ewma", "lam": 0.2}, "L"),
        ({"chart": "ewma", "lam": 0}, "lam"),
        ({"chart": "cusum", "h": 5, "fir": 2.5, "method": "siegmund"}, "fir"),
        ({"chart": "cusum", "h": 5, "shifts": []}, "shifts"),
        ({"chart": "cusum", "arl0": 1}, "arl0"),
    ],
)
def test_bad_input_names_the_field(
    api_for: Any, contributor: User, body: dict[str, Any], field: str
) -> None:
    response = api_for(contributor).post(
        "/spc-studies/analyses", {"analysis": "arl", "title": "x", **body}
    )

    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert not SpcStudy.objects.exists()


def test_page_form_study_page_and_picture(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)
    form = {
        "title": "CUSUM for bore diameter",
        "chart": "cusum",
        "shifts": "0, 0.5, 1, 2",
        "arl0": "370",
        "nsigmas": "3",
        "k": "0.5",
        "fir": "0",
        "sided": "two",
        "method": "markov",
        "lam": "0.2",
        "limits": "asymptotic",
    }

    response = client.post("/spc-studies/new/arl/", form)

    study = SpcStudy.objects.get()
    assert response["Location"] == f"/spc-studies/{study.pk}/"
    assert study.results["design"]["h"] == pytest.approx(4.77, abs=0.01)  # Montgomery: h ≈ 4.77
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    assert 'data-testid="arl-table"' in page and "chosen for an in-control ARL of 370" in page
    assert client.get(f"/spc-studies/{study.pk}/figures/arl.png").content.startswith(b"\x89PNG")


def test_shifts_that_are_not_numbers_are_named(client_for: Any, contributor: User) -> None:
    response = client_for(contributor).post(
        "/spc-studies/new/arl/",
        {
            "title": "x",
            "chart": "shewhart",
            "shifts": "0, one",
            "nsigmas": "3",
            "k": "0.5",
            "fir": "0",
            "sided": "two",
            "method": "markov",
            "lam": "0.2",
            "limits": "asymptotic",
        },
    )

    assert response.status_code == 422
    assert 'data-testid="error-shifts"' in response.content.decode()
