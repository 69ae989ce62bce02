"""Gage bias and linearity studies through the API, the page, the picture and the PDF.

Reference: AIAG MSA 4th ed. (2010) III-B linearity example, also Minitab's "Gage Linearity
and Bias Study" example: five parts of reference 2, 4, 6, 8, 10, measured 12 times each.
AIAG prints bias = 0.73667 - 0.13167 reference, R-sq 0.714, average biases 0.491667, 0.125,
0.025, -0.291667, -0.616667, and concludes the gauge has a linearity problem (the bias = 0
line is not inside the confidence bands). Minitab prints S 0.23954 and, with process
variation 16.5368, %Linearity 13.2. SPC for Excel (BPI Consulting) on the same data prints
SE coef 0.0725 and 0.0109 and the AIAG independent-sample bias t tests: p 0.354 at 4 and
0.667 at 6, 0.000 at 2, 8 and 10; average bias -0.0533, p 0.089.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core.models import AuditEvent, User
from qualitas.studies.analyses import ANALYSES, linearity
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db

AIAG = {
    2.0: [2.7, 2.5, 2.4, 2.5, 2.7, 2.3, 2.5, 2.5, 2.4, 2.4, 2.6, 2.4],
    4.0: [5.1, 3.9, 4.2, 5.0, 3.8, 3.9, 3.9, 3.9, 3.9, 4.0, 4.1, 3.8],
    6.0: [5.8, 5.7, 5.9, 5.9, 6.0, 6.1, 6.0, 6.1, 6.4, 6.3, 6.0, 6.1],
    8.0: [7.6, 7.7, 7.8, 7.7, 7.8, 7.8, 7.8, 7.7, 7.8, 7.5, 7.6, 7.7],
    10.0: [9.1, 9.3, 9.5, 9.3, 9.4, 9.5, 9.5, 9.5, 9.6, 9.2, 9.3, 9.4],
}
REFERENCES = [ref for ref, values in AIAG.items() for _ in values]
VALUES = [v for values in AIAG.values() for v in values]
BODY = {
    "analysis": "bias-linearity",
    "references": REFERENCES,
    "values": VALUES,
    "process_variation": 16.5368,
}


def _csv() -> str:
    return (
        "\n".join(["part,reference,measured"])
        + "\n"
        + "\n".join(f"{1 + int(r) // 2},{r:g},{v}" for r, v in zip(REFERENCES, VALUES, strict=True))
    )


def test_aiag_linearity_example_through_the_api(api_for: Any, viewer: User) -> None:
    """AIAG MSA 4th ed. III-B and Minitab: the published regression, S, R-sq, %linearity,
    biases and their t tests (see the module docstring for the sources)."""
    response = api_for(viewer).post("/spc-studies/analyses", {**BODY, "save": False})

    assert response.status_code == 200, response.json()
    r = response.json()["results"]
    assert r["intercept"]["estimate"] == pytest.approx(0.73667, abs=5e-6)
    assert r["slope"]["estimate"] == pytest.approx(-0.13167, abs=5e-6)
    assert r["r_squared"] == pytest.approx(0.714, abs=5e-4)
    assert r["s"] == pytest.approx(0.23954, abs=5e-6)
    assert r["intercept"]["se"] == pytest.approx(0.0725, abs=5e-5)
    assert r["slope"]["se"] == pytest.approx(0.0109, abs=5e-5)
    assert r["pct_linearity"] == pytest.approx(13.2, abs=0.05)
    assert [b["reference"] for b in r["biases"]] == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert [b["bias"] for b in r["biases"]] == pytest.approx(
        [0.491667, 0.125, 0.025, -0.291667, -0.616667], abs=5e-7
    )
    assert [b["p"] for b in r["biases"]][1:3] == pytest.approx([0.354, 0.667], abs=5e-4)
    assert r["average"]["bias"] == pytest.approx(-0.0533, abs=5e-5)
    assert r["average"]["p"] == pytest.approx(0.089, abs=5e-4)
    # The decision: slope p < 0.05 (linearity), bias significant at 2, 8 and 10 (p 0.000),
    # and AIAG's reading of the example: the zero line leaves the confidence band.
    verdict = r["verdict"]
    assert verdict["linearity"] is True
    assert verdict["significant_bias_at"] == [2.0, 8.0, 10.0]
    assert verdict["zero_in_band"] is False
    band = r["band"]
    assert band["x"][0] == 2.0 and band["x"][-1] == 10.0
    assert all(
        lo < fit < hi for lo, fit, hi in zip(band["low"], band["fit"], band["high"], strict=True)
    )


def test_the_example_is_the_aiag_study_and_the_summary_reads_it() -> None:
    from qualitas.studies.analyses import base

    analysis = ANALYSES["bias-linearity"]
    example = {k: v for k, v in linearity.EXAMPLE.items() if k != "analysis"}
    assert example["references"] == REFERENCES and example["values"] == VALUES
    results = base.run(analysis, base.validate(analysis, example))

    lines = analysis.summary(example, results)

    text = "\n".join(lines)
    assert "Bias = 0.73667 + (-0.13167) × reference" in text
    assert "R-sq 71.4 %" in text
    assert "13.2 % of process variation" in text
    assert "Linearity present" in text
    assert "Significant bias (p < 0.05) at reference 2, 8, 10." in text


def test_without_process_variation_no_linearity_figure_or_pct_bias(
    api_for: Any, viewer: User
) -> None:
    body = {k: v for k, v in BODY.items() if k != "process_variation"}

    r = api_for(viewer).post("/spc-studies/analyses", {**body, "save": False}).json()["results"]

    # Minitab: %Linearity = 100 |slope| = 13.17 whatever the process variation.
    assert r["linearity"] is None and r["pct_linearity"] == pytest.approx(13.17, abs=5e-3)
    assert r["average"]["pct_bias"] is None and r["biases"][0]["pct_bias"] is None


def test_no_linearity_when_the_bias_is_constant(api_for: Any, viewer: User) -> None:
    # The same scatter about a constant bias of 0.1 at every reference: the fitted slope is 0
    # exactly (each reference has the same deviations), so no linearity.
    deviations = [-0.1, 0.0, 0.1, 0.05, -0.05]
    refs = [r for r in (2.0, 4.0, 6.0) for _ in deviations]
    values = [r + 0.1 + d for r in (2.0, 4.0, 6.0) for d in deviations]

    r = (
        api_for(viewer)
        .post(
            "/spc-studies/analyses",
            {"analysis": "bias-linearity", "references": refs, "values": values, "save": False},
        )
        .json()["results"]
    )

    assert r["slope"]["estimate"] == pytest.approx(0.0, abs=1e-12)
    assert r["verdict"]["linearity"] is False
    assert "No significant linearity" in r["verdict"]["lines"][0]


def test_saving_keeps_the_study_with_its_audit_event(
    api_for: Any, contributor: User, viewer: User, nobody: User
) -> None:
    body = {**BODY, "title": "Height gauge linearity", "characteristic": "Height gauge HG-7"}

    saved = api_for(contributor).post("/spc-studies/analyses", body)
    refused = api_for(viewer).post("/spc-studies/analyses", body)
    stranger = api_for(nobody).post("/spc-studies/analyses", body)

    assert saved.status_code == 201, saved.json()
    study = SpcStudy.objects.get()
    assert study.analysis == "bias-linearity"
    assert study.parameters["references"] == REFERENCES
    assert study.parameters["process_variation"] == 16.5368
    assert "title" not in study.parameters
    assert refused.status_code == 403 and stranger.status_code == 403
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(SpcStudy), object_id=str(study.pk)
    ).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"values": VALUES[:-1]}, "values"),
        ({"references": [2.0] * 60}, "references"),
        ({"process_variation": 0}, "process_variation"),
        ({"references": [2.0, 4.0], "values": [2.1, 4.1]}, "references"),
        ({"confidence": 1.5}, "confidence"),
        ({"values": ["a"] * 60}, "values"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    api_for: Any, contributor: User, change: dict[str, Any], field: str
) -> None:
    body = {**BODY, "title": "Bad", "characteristic": "Gauge", **change}

    response = api_for(contributor).post("/spc-studies/analyses", body)

    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"].split(".")[0] == field
    assert SpcStudy.objects.count() == 0


def test_the_page_form_study_page_picture_and_pdf(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)
    form = {
        "title": "Height gauge linearity",
        "characteristic": "Height gauge HG-7",
        "pasted": _csv(),
        "reference_column": "reference",
        "value_column": "measured",
        "process_variation": "16.5368",
        "confidence": "0.95",
    }

    assert client.get("/spc-studies/new/bias-linearity/").status_code == 200
    response = client.post("/spc-studies/new/bias-linearity/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    study = SpcStudy.objects.get()
    assert response["Location"] == f"/spc-studies/{study.pk}/"
    assert study.results["slope"]["estimate"] == pytest.approx(-0.13167, abs=5e-6)
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    for testid in ("linearity-verdict", "linearity-regression", "linearity-bias"):
        assert f'data-testid="{testid}"' in page
    assert "Linearity present" in page and "71.4 %" in page
    url = f"/spc-studies/{study.pk}/figures/linearity.png"
    assert url in page
    picture = client.get(url)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")
    pdf = client.get(f"/spc-studies/{study.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_form_defaults_the_columns_and_names_a_missing_one(
    client_for: Any, contributor: User
) -> None:
    client = client_for(contributor)
    base_form = {"title": "t", "characteristic": "Gauge", "confidence": "0.95"}

    # 'reference' is found by name and the measured values are the first other number column
    # that does not merely count parts.
    defaulted = client.post(
        "/spc-studies/new/bias-linearity/",
        {**base_form, "pasted": _csv().replace("part,", "gauge_part,")},
    )
    missing = client.post(
        "/spc-studies/new/bias-linearity/",
        {**base_form, "pasted": _csv(), "reference_column": "master"},
    )

    assert defaulted.status_code == 302, defaulted.content.decode()[:2000]
    assert SpcStudy.objects.get().results["n"] == 60
    assert missing.status_code == 422
    assert "There is no column &#x27;master&#x27;" in missing.content.decode()
    assert SpcStudy.objects.count() == 1
