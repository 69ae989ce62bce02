"""Acceptance sampling studies through the API, the page, the picture and the PDF.

References: ISO 2859-1:1999 Table 1 and II-A (lot 1000, level II: letter J; AQL 1.0: n 80,
Ac 2, Re 3); Montgomery, Introduction to Statistical Quality Control, 7th ed., sec. 15.2
(single plan N = 10000, n = 89, c = 2: Pa = 0.9397 at p = 0.01, AOQ = 0.0093 there).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from scipy import stats

from qualitas.core.models import AuditEvent, User
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db

MONTGOMERY = {"analysis": "sampling", "plan_source": "custom", "n": 89, "ac": 2, "lot_size": 10000}


def _at(results: dict[str, Any], p: float, series: str = "pa") -> float:
    curve = results["curve"]
    return float(curve[series][curve["p"].index(min(curve["p"], key=lambda q: abs(q - p)))])


def test_montgomerys_single_plan_oc_and_aoq(api_for: Any, viewer: User) -> None:
    body = {**MONTGOMERY, "save": False}

    response = api_for(viewer).post("/spc-studies/analyses", body)

    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    # Pa at p = 0.01 (0.9397) and AOQ = Pa p (N - n) / N (0.0093): Montgomery sec. 15.2.
    oc = stats.binom.cdf(2, 89, 0.01)
    assert oc == pytest.approx(0.9397, abs=5e-5)
    p = min(results["curve"]["p"], key=lambda q: abs(q - 0.01))
    assert _at(results, 0.01) == pytest.approx(stats.binom.cdf(2, 89, p), rel=1e-9)
    assert _at(results, 0.01, "aoq") == pytest.approx(
        stats.binom.cdf(2, 89, p) * p * (10000 - 89) / 10000, rel=1e-9
    )
    assert results["plan"]["stages"] == [[89, 2, 3]]
    # The 10 % point is where the cumulative binomial falls to 0.10 (consumer's point).
    p10 = results["quality_points"][2]["p"]
    assert stats.binom.cdf(2, 89, p10) == pytest.approx(0.10, abs=1e-6)


def test_iso_2859_table_plan_is_kept_as_a_study(
    api_for: Any, contributor: User, viewer: User
) -> None:
    body = {"analysis": "sampling", "lot_size": 1000, "aql": 1.0, "title": "Incoming housings"}

    saved = api_for(contributor).post("/spc-studies/analyses", body)
    refused = api_for(viewer).post("/spc-studies/analyses", body)

    assert saved.status_code == 201, saved.json()
    plan = saved.json()["results"]["plan"]
    assert (plan["code_letter"], plan["stages"]) == ("J", [[80, 2, 3]])
    study = SpcStudy.objects.get()
    assert (study.analysis, study.chart_type, study.parameters["aql"]) == ("sampling", "", 1.0)
    assert "title" not in study.parameters and "save" not in study.parameters
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(SpcStudy), object_id=str(study.pk)
    ).exists()


def test_double_and_risk_point_plans(api_for: Any, viewer: User) -> None:
    double = api_for(viewer).post(
        "/spc-studies/analyses",
        {
            "analysis": "sampling",
            "lot_size": 1000,
            "aql": 1.0,
            "scheme": "double",
            "standard": "z1.4",
            "save": False,
        },
    )
    designed = api_for(viewer).post(
        "/spc-studies/analyses",
        {
            "analysis": "sampling",
            "plan_source": "risk-points",
            "aql": 1,
            "alpha": 0.05,
            "ltpd": 6,
            "beta": 0.10,
            "save": False,
        },
    )

    # MIL-STD-105E Table III-A, letter J, AQL 1.0: 50/50, Ac 0 Re 3, then Ac 3 Re 4.
    assert double.json()["results"]["plan"]["stages"] == [[50, 0, 3], [50, 3, 4]]
    assert "asn" in double.json()["results"]["curve"]
    [(n, c, _)] = designed.json()["results"]["plan"]["stages"]
    assert stats.binom.cdf(c, n, 0.01) >= 0.95 and stats.binom.cdf(c, n, 0.06) <= 0.10
    assert stats.binom.cdf(c, n - 1, 0.06) > 0.10  # and no smaller n with that c will do


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lot_size": 1000, "aql": 0.7}, "aql"),
        ({"lot_size": 0, "aql": 1.0}, "lot_size"),
        ({"aql": 1.0}, "lot_size"),
        ({"plan_source": "custom", "n": 5, "ac": 5}, "ac"),
        ({"plan_source": "risk-points", "aql": 6, "ltpd": 1}, "ltpd"),
        ({"plan_source": "custom", "n": 5, "ac": 1, "method": "hypergeometric"}, "lot_size"),
        # ISO 2859-1 multiple plans are not encoded: the error points to choosing Z1.4.
        ({"lot_size": 1000, "aql": 1.0, "scheme": "multiple"}, "standard"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    api_for: Any, contributor: User, body: dict[str, Any], field: str
) -> None:
    response = api_for(contributor).post(
        "/spc-studies/analyses", {"analysis": "sampling", "title": "Bad", **body}
    )

    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert not SpcStudy.objects.exists()


def test_the_page_form_study_page_picture_and_pdf(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)
    form = {
        "title": "Incoming housings",
        "plan_source": "table",
        "lot_size": "1000",
        "aql": "1.0",
        "level": "II",
        "inspection": "normal",
        "scheme": "single",
        "standard": "iso2859-1",
        "alpha": "0.05",
        "beta": "0.10",
        "method": "binomial",
    }

    assert client.get("/spc-studies/new/sampling/").status_code == 200
    response = client.post("/spc-studies/new/sampling/", form)

    study = SpcStudy.objects.get()
    assert response["Location"] == f"/spc-studies/{study.pk}/"
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    assert 'data-testid="sampling-plan"' in page and "code letter <strong>J</strong>" in page
    picture = client.get(f"/spc-studies/{study.pk}/figures/oc.png")
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert client.get(f"/spc-studies/{study.pk}/figures/nope.png").status_code == 404
    pdf = client.get(f"/spc-studies/{study.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_page_shows_the_engines_refusal_on_its_field(
    client_for: Any, contributor: User
) -> None:
    response = client_for(contributor).post(
        "/spc-studies/new/sampling/",
        {
            "title": "x",
            "plan_source": "table",
            "lot_size": "1000",
            "aql": "0.7",
            "level": "II",
            "inspection": "normal",
            "scheme": "single",
            "standard": "iso2859-1",
            "alpha": "0.05",
            "beta": "0.1",
            "method": "binomial",
        },
    )

    assert response.status_code == 422
    assert 'data-testid="error-aql"' in response.content.decode()
    assert not SpcStudy.objects.exists()


def test_pictures_follow_the_studys_visibility(
    client_for: Any, api_for: Any, contributor: User, nobody: User
) -> None:
    saved = api_for(contributor).post("/spc-studies/analyses", {**MONTGOMERY, "title": "Plan"})
    pk = saved.json()["study_id"]

    assert client_for(nobody).get(f"/spc-studies/{pk}/figures/oc.png").status_code in (403, 404)
    assert client_for(nobody).get("/spc-studies/new/sampling/").status_code == 403


def test_an_isolated_lot_at_its_limiting_quality(api_for: Any, viewer: User) -> None:
    """ISO 2859-2 procedure A's principle: the hypergeometric Pa of a lot of N with D = LQ·N
    nonconforming is at most β, and one item fewer would not do (checked with SciPy)."""
    body = {
        "analysis": "sampling",
        "plan_source": "limiting-quality",
        "lot_size": 500,
        "lq": 2,
        "beta": 0.10,
        "save": False,
    }

    response = api_for(viewer).post("/spc-studies/analyses", body)

    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    [(n, ac, _)] = results["plan"]["stages"]
    assert ac == 0 and results["method"] == "hypergeometric"
    assert stats.hypergeom.cdf(0, 500, 10, n) <= 0.10 < stats.hypergeom.cdf(0, 500, 10, n - 1)
    assert results["risk_points"]["lq"]["pa"] == pytest.approx(stats.hypergeom.cdf(0, 500, 10, n))
