"""Variables sampling studies through the API and the page.

Reference: MIL-STD-414 (1957) Examples B-1 and B-2: a lot of 40, AQL 1 %, level IV, letter D,
n 5, k 1.53; readings 197, 188, 184, 205, 201 against U = 209 °F give x̄ 195, s 8.80,
Q_U 1.59 ≥ k: accept; the estimated lot nonconforming is 2.19 %.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from scipy import stats

from qualitas.core.models import User
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db

B1 = {
    "analysis": "variables-sampling",
    "lot_size": 40,
    "aql": 1.0,
    "measurements": [197, 188, 184, 205, 201],
    "usl": 209,
}


def test_mil_std_414_example_b1_through_the_api(api_for: Any, contributor: User) -> None:
    response = api_for(contributor).post("/spc-studies/analyses", {**B1, "title": "Lot 40"})

    assert response.status_code == 201, response.json()
    results = response.json()["results"]
    assert (results["plan"]["code_letter"], results["plan"]["sample_size"]) == ("D", 5)
    assert results["plan"]["k"] == pytest.approx(1.53)
    judged = results["judgement"]
    assert (round(judged["mean"], 2), round(judged["s"], 2), round(judged["q"], 2)) == (
        195.0,
        8.8,
        1.59,
    )
    assert judged["accepted"] is True
    assert judged["estimated_percent_nonconforming"] == pytest.approx(2.19, abs=0.01)
    # The OC is the non-central t's: P(T'(n-1, √n z_p) ≥ k √n).
    p = results["curve"]["p"][10]
    expected = stats.nct.sf(1.53 * math.sqrt(5), 4, math.sqrt(5) * stats.norm.isf(p))
    assert results["curve"]["pa"][10] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"measurements": [197, 188, 184, 205]}, "measurements"),
        ({"lsl": 150}, "usl"),
        ({"inspection": "reduced"}, "inspection"),
        ({"aql": 0.7}, "aql"),
        ({"plan_source": "custom", "k": 1.5}, "n"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    api_for: Any, contributor: User, body: dict[str, Any], field: str
) -> None:
    response = api_for(contributor).post("/spc-studies/analyses", {**B1, "title": "x", **body})

    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert not SpcStudy.objects.exists()


def test_the_page_judges_a_lot_and_draws_its_oc(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)
    form = {
        "title": "Thermostat lot 40",
        "plan_source": "table",
        "lot_size": "40",
        "aql": "1.0",
        "inspection": "normal",
        "alpha": "0.05",
        "beta": "0.10",
        "method": "exact",
        "measurements": "197 188\n184, 205 201",
        "usl": "209",
    }

    response = client.post("/spc-studies/new/variables-sampling/", form)

    study = SpcStudy.objects.get()
    assert response["Location"] == f"/spc-studies/{study.pk}/"
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    assert 'data-accepted="true"' in page and "Lot accepted" in page
    assert client.get(f"/spc-studies/{study.pk}/figures/oc.png").content.startswith(b"\x89PNG")
    refused = client.post("/spc-studies/new/variables-sampling/", {**form, "measurements": "197 x"})
    assert (
        refused.status_code == 422
        and 'data-testid="error-measurements"' in refused.content.decode()
    )
    assert SpcStudy.objects.count() == 1
