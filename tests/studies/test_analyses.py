"""What every analysis kind shares: one API body of several shapes, errors on the field, the
chart body of before still working, non-normal capability on chart studies, the chooser."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qualitas.core.models import User
from qualitas.studies.analyses import ANALYSES
from qualitas.studies.models import AnalysisKind, SpcStudy

pytestmark = pytest.mark.django_db

# Right-skewed flatness readings (lognormal, seed fixed): normality is rejected, all positive.
SKEWED = np.round(np.random.default_rng(1).lognormal(0.0, 0.5, 100), 4).tolist()


def test_every_kind_is_declared_once_and_matches_the_models_choices() -> None:
    assert set(ANALYSES) | {"chart"} == set(AnalysisKind.values)
    for key, analysis in ANALYSES.items():
        assert analysis.inputs.model_fields["analysis"].annotation.__args__ == (key,)
        assert AnalysisKind(key).label == analysis.label  # the list says what the page says


def test_an_unknown_analysis_is_named(api_for: Any, viewer: User) -> None:
    response = api_for(viewer).post("/spc-studies/analyses", {"analysis": "doe", "save": False})

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "analysis"
    assert "'doe'" in error["message"] and "'sampling'" in error["message"]


def test_member_fields_are_named_without_the_shape(api_for: Any, viewer: User) -> None:
    response = api_for(viewer).post(
        "/spc-studies/analyses", {"analysis": "sampling", "lot_size": "many", "save": False}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lot_size"


def test_the_openapi_document_describes_each_shape(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    body = schema["paths"]["/api/v1/spc-studies/analyses"]["post"]["requestBody"]
    shapes = {
        ref["$ref"].rsplit("/", 1)[1]
        for ref in body["content"]["application/json"]["schema"]["oneOf"]
    }
    assert {"ChartIn", "SamplingIn", "ArlIn"} <= shapes
    assert "lot_size" in schema["components"]["schemas"]["SamplingIn"]["properties"]


def test_a_chart_body_without_analysis_is_still_a_chart(api_for: Any, contributor: User) -> None:
    body = {"chart_type": "imr", "values": SKEWED, "title": "Flatness", "characteristic": "Flat"}

    response = api_for(contributor).post("/spc-studies/analyses", body)

    assert response.status_code == 201
    study = SpcStudy.objects.get()
    assert (study.analysis, study.chart_type) == ("chart", "imr")


def test_non_normal_capability_says_which_method_and_why(
    api_for: Any, client_for: Any, contributor: User
) -> None:
    body = {
        "chart_type": "imr",
        "values": SKEWED,
        "usl": 8.0,
        "capability_method": "auto",
        "bound": "lower",
        "title": "Flatness",
        "characteristic": "Flatness",
    }

    response = api_for(contributor).post("/spc-studies/analyses", body)

    cap = response.json()["results"]["capability"]
    assert cap["method"] == "boxcox" and cap["bound"] == "lower"
    assert cap["normality"]["p_value"] < 0.05 and cap["cpk_ci"][1] is None
    histogram = response.json()["results"]["histogram"]
    assert histogram["curve_label"] == "Box-Cox fit"
    # The fitted density in data units, scaled to the bars, holds the data's count.
    width = histogram["edges"][1] - histogram["edges"][0]
    xs, ys = np.array(histogram["curve_x"]), np.array(histogram["curve_within"], dtype=float)
    assert np.trapezoid(np.nan_to_num(ys), xs) / width == pytest.approx(100, rel=0.05)
    study = SpcStudy.objects.get()
    assert study.parameters == {"capability_method": "auto", "bound": "lower"}
    page = client_for(contributor).get(f"/spc-studies/{study.pk}/").content.decode()
    assert "Method: boxcox</strong> (Box-Cox transformation to normality)." in page
    assert "Anderson-Darling p = 0.0127" in page
    assert "(≥ " in page
    pdf = client_for(contributor).get(f"/spc-studies/{study.pk}/report.pdf")
    assert pdf.content.startswith(b"%PDF")


def test_box_cox_on_non_positive_data_is_an_error_on_the_method(api_for: Any, viewer: User) -> None:
    body = {
        "chart_type": "imr",
        "values": [-1.0, *SKEWED[1:]],
        "usl": 8.0,
        "capability_method": "boxcox",
        "save": False,
    }

    response = api_for(viewer).post("/spc-studies/analyses", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "capability_method"
    assert "positive" in response.json()["errors"][0]["message"]


def test_the_new_study_page_offers_every_kind(client_for: Any, contributor: User) -> None:
    page = client_for(contributor).get("/spc-studies/new/").content.decode()

    for key in ANALYSES:
        assert f'href="/spc-studies/new/{key}/"' in page
    assert client_for(contributor).get("/spc-studies/new/doe/").status_code == 404


@pytest.mark.parametrize("method", ["percentile", "johnson", "normal"])
def test_every_capability_method_reaches_the_page_and_the_pdf(
    api_for: Any, client_for: Any, contributor: User, method: str
) -> None:
    body = {
        "chart_type": "imr",
        "values": SKEWED,
        "lsl": 0.05,
        "usl": 8.0,
        "capability_method": method,
        "title": "Flatness",
        "characteristic": "Flatness",
    }

    response = api_for(contributor).post("/spc-studies/analyses", body)

    assert response.status_code == 201, response.json()
    assert response.json()["results"]["capability"]["method"] == method
    pk = response.json()["study_id"]
    client = client_for(contributor)
    assert f"Method: {method}</strong> (" in client.get(f"/spc-studies/{pk}/").content.decode()
    assert client.get(f"/spc-studies/{pk}/report.pdf").content.startswith(b"%PDF")


def test_the_list_filters_and_exports_by_analysis(
    api_for: Any, client_for: Any, contributor: User
) -> None:
    api = api_for(contributor)
    api.post(
        "/spc-studies/analyses",
        {"analysis": "sampling", "lot_size": 1000, "aql": 1.0, "title": "Housing plan"},
    )
    api.post("/spc-studies/analyses", {"analysis": "arl", "k": 0.5, "h": 4, "title": "CUSUM"})
    client = client_for(contributor)

    page = client.get("/spc-studies/?analysis=sampling").content.decode()
    csv = client.get("/spc-studies/?export=csv").getvalue().decode()

    assert "Housing plan" in page and "CUSUM" not in page
    assert "Analysis" in csv.splitlines()[0]
    assert "Acceptance sampling plan" in csv and "Control chart design (ARL)" in csv


def test_a_misspelt_field_is_refused_not_ignored(api_for: Any, viewer: User) -> None:
    body = {
        "chart_type": "imr",
        "values": SKEWED,
        "usl": 8.0,
        "capablity_method": "auto",
        "save": False,
    }

    response = api_for(viewer).post("/spc-studies/analyses", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "capablity_method"


def test_an_engine_error_names_its_field_once(api_for: Any, viewer: User) -> None:
    body = {"analysis": "sampling", "lot_size": 1000, "aql": 0.7, "save": False}

    [error] = api_for(viewer).post("/spc-studies/analyses", body).json()["errors"]

    assert error["field"] == "aql" and not error["message"].lower().startswith("aql:")


@pytest.mark.parametrize(
    ("value", "figures", "text"),
    [
        (0.000106, 4, "0.000106"),
        (-3.316e-05, 4, "-0.00003316"),
        (370.0, 4, "370"),
        (167.68107, 5, "167.68"),
        (12345.6, 4, "12346"),
        (3.2e8, 4, "3.2e+08"),
        (float("nan"), 4, "—"),
        (None, 4, "—"),
    ],
)
def test_numbers_read_as_an_engineer_reads_them(value: Any, figures: int, text: str) -> None:
    from qualitas.studies.templatetags.statistics import sig

    assert sig(value, figures) == text
