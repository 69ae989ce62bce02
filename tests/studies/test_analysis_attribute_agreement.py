"""Attribute agreement studies through the API, the page, the picture and the PDF.

References:
* Fleiss (1971), Psychol. Bull. 76:378, Table 1 (R's irr::diagnoses): 30 patients, 6 raters,
  5 diagnoses; Fleiss' kappa 0.430 overall and 0.245, 0.245, 0.520, 0.471, 0.566 for
  depression, personality disorder, schizophrenia, neurosis and other. R
  irr::kappam.fleiss(diagnoses): kappa 0.4302445, z 17.65183 (the null standard error of
  Fleiss, Nee and Landis 1979, which Minitab uses).
* Minitab Help, "Example of Attribute Agreement Analysis" (ESSAY.MTW, 15 essays, one trial):
  Each Appraiser vs Standard, # matched and 95 % CI: Duncan 8 (26.59, 78.73), Hayes 13
  (59.54, 98.34), Holmes 15 (81.90, 100.00), Simpson 14 (68.05, 99.83); Fleiss' kappa SE
  per response 0.258199. Minitab does not print the ratings, so the ratings here are built
  to give the published counts (the intervals and that SE depend on the counts only).
* AIAG MSA 4th ed. III-C: kappa > 0.75 good agreement, < 0.40 poor.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core.models import AuditEvent, User
from qualitas.studies.analyses import ANALYSES, agreement
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db

URL = "/spc-studies/analyses"
ESSAY_STANDARD = [2, -1, 0, -2, 0, 1, 2, 0, -1, 1, -2, 0, 2, -1, 1]
ESSAY_MATCHES = {"Duncan": 8, "Hayes": 13, "Holmes": 15, "Simpson": 14}


def _essay_rater(matches: int) -> list[int]:
    # The first `matches` essays as the standard, the others one grade off in a cycle.
    return ESSAY_STANDARD[:matches] + [(s + 3) % 5 - 2 for s in ESSAY_STANDARD[matches:]]


def _essays() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {"appraisers": [], "parts": [], "ratings": [], "standards": []}
    for name, matches in ESSAY_MATCHES.items():
        for essay, (rating, standard) in enumerate(
            zip(_essay_rater(matches), ESSAY_STANDARD, strict=True)
        ):
            rows["appraisers"].append(name)
            rows["parts"].append(f"Essay {essay + 1}")
            rows["ratings"].append(str(rating))
            rows["standards"].append(str(standard))
    return rows


def _overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in rows if r["response"] is None)


def test_fleiss_1971_kappa_between_appraisers(api_for: Any, viewer: User) -> None:
    """Fleiss (1971) Table 1 as the study's example: the published kappas (module docstring)."""
    body = {**agreement.EXAMPLE, "save": False}

    response = api_for(viewer).post(URL, body)

    assert response.status_code == 200, response.json()
    r = response.json()["results"]
    assert (r["parts"], r["trials"], len(r["appraisers"])) == (30, 1, 6)
    overall = _overall(r["between_kappa"])
    assert overall["kappa"] == pytest.approx(0.4302445, abs=1e-7)
    assert overall["z"] == pytest.approx(17.65183, abs=1e-5)
    by_response = {row["response"]: row["kappa"] for row in r["between_kappa"]}
    published = {
        "Depression": 0.245,
        "Personality disorder": 0.245,
        "Schizophrenia": 0.520,
        "Neurosis": 0.471,
        "Other": 0.566,
    }
    for response_name, kappa in published.items():
        assert by_response[response_name] == pytest.approx(kappa, abs=5e-4)
    # All six agree on patients 1, 4, 10, 21 and 30 of the published table (counted by hand).
    assert (r["between"]["matched"], r["between"]["inspected"]) == (5, 30)
    assert r["within"] == {} and r["all_vs_standard"] is None
    # 0.40 <= 0.430 <= 0.75: AIAG's marginal band.
    assert r["verdict"]["level"] == "marginal" and r["verdict"]["basis"] == "between appraisers"
    assert r["kappa_by_response"][-1]["response"] == "Overall"


def test_trials_of_one_appraiser_are_read_from_the_long_table(api_for: Any, viewer: User) -> None:
    """The Fleiss (1971) ratings as six trials of appraiser A: A's within-appraiser kappa is
    the published 0.430 (the same formula over A's trials)."""
    from tests.spc.test_msa_studies import FLEISS_1971

    rows: dict[str, list[str]] = {"appraisers": [], "parts": [], "ratings": []}
    for patient, ratings in enumerate(FLEISS_1971):
        for rating in ratings:
            for who, value in (("A", str(rating)), ("B", "1" if patient % 2 else "2")):
                rows["appraisers"].append(who)
                rows["parts"].append(str(patient + 1))
                rows["ratings"].append(value)
    body = {"analysis": "attribute-agreement", **rows, "save": False}

    r = api_for(viewer).post(URL, body).json()["results"]

    assert r["trials"] == 6
    assert _overall(r["within_kappa"]["A"])["kappa"] == pytest.approx(0.4302445, abs=1e-7)
    # B rated each patient the same six times: 30 of 30 within, kappa 1.
    assert r["within"]["B"]["matched"] == 30
    assert r["by_appraiser"][1]["within_kappa"]["kappa"] == pytest.approx(1.0)
    # A agrees with itself on the five unanimous patients only (hand count, as above).
    assert r["within"]["A"]["matched"] == 5


def test_minitab_essay_each_appraiser_vs_standard(api_for: Any, viewer: User) -> None:
    """Minitab's essay example: # matched and exact 95 % intervals against the standard, and
    the per-response kappa SE (module docstring)."""
    body = {"analysis": "attribute-agreement", **_essays(), "save": False}

    response = api_for(viewer).post(URL, body)

    assert response.status_code == 200, response.json()
    r = response.json()["results"]
    expected = {
        "Duncan": (8, 53.33, 26.59, 78.73),
        "Hayes": (13, 86.67, 59.54, 98.34),
        "Holmes": (15, 100.00, 81.90, 100.00),
        "Simpson": (14, 93.33, 68.05, 99.83),
    }
    rows = {row["appraiser"]: row["vs_standard"] for row in r["by_appraiser"]}
    for name, (matched, pct, lo, hi) in expected.items():
        row = rows[name]
        assert (row["matched"], row["inspected"]) == (matched, 15)
        assert row["percent"] == pytest.approx(pct, abs=0.005)
        assert row["ci_low"] == pytest.approx(lo, abs=0.005)
        assert row["ci_high"] == pytest.approx(hi, abs=0.005)
    duncan = {k["response"]: k for k in r["vs_standard_kappa"]["Duncan"]}
    assert duncan["-2"]["se"] == pytest.approx(0.258199, abs=1e-6)
    assert r["categories"] == ["-2", "-1", "0", "1", "2"]
    # Holmes matches the standard on every essay: kappa 1, good; Duncan is below good.
    assert r["by_appraiser"][2]["vs_standard_kappa"]["kappa"] == pytest.approx(1.0)
    assert r["verdict"]["basis"] == "all appraisers vs standard"
    assert any(w.startswith("Duncan (vs standard") for w in r["verdict"]["weak"])


def test_the_kappa_bands_of_aiag() -> None:
    # AIAG MSA 4th ed. III-C: > 0.75 good, < 0.40 poor, between them marginal.
    assert agreement._level(0.76) == "good"
    assert agreement._level(0.75) == "marginal"
    assert agreement._level(0.40) == "marginal"
    assert agreement._level(0.39) == "poor"
    assert agreement._level(None) is None


def test_summary_lines_carry_the_published_figures(api_for: Any, viewer: User) -> None:
    body = {"analysis": "attribute-agreement", **_essays(), "save": False}
    results = api_for(viewer).post(URL, body).json()["results"]

    text = "\n".join(ANALYSES["attribute-agreement"].summary(body, results))

    assert "Duncan vs standard: 8 of 15 matched, 53.3 % (26.6-78.7 %)" in text
    assert "Holmes vs standard: 15 of 15 matched, 100.0 % (81.9-100.0 %), kappa 1.000" in text
    assert "All appraisers vs standard: 8 of 15 matched" in text
    assert "Fleiss' kappa all appraisers vs standard" in text


def test_saving_keeps_the_study_with_its_audit_event(
    api_for: Any, contributor: User, viewer: User, nobody: User
) -> None:
    body = {
        "analysis": "attribute-agreement",
        **_essays(),
        "title": "Essay grading",
        "characteristic": "Essay grade -2..2",
    }

    saved = api_for(contributor).post(URL, body)
    refused = api_for(viewer).post(URL, body)
    stranger = api_for(nobody).post(URL, body)

    assert saved.status_code == 201, saved.json()
    study = SpcStudy.objects.get()
    assert study.analysis == "attribute-agreement"
    assert study.parameters["standards"][:3] == ["2", "-1", "0"]
    assert refused.status_code == 403 and stranger.status_code == 403
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(SpcStudy), object_id=str(study.pk)
    ).exists()


def _changed(**change: Any) -> dict[str, Any]:
    rows = _essays()
    for name, edit in change.items():
        rows[name] = edit(rows[name])
    return rows


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        (_changed(ratings=lambda v: v[:-1]), "ratings"),
        (_changed(parts=lambda v: v[:-1]), "parts"),
        (_changed(standards=lambda v: v[:-1]), "standards"),
        # Essay 1 given another standard on Hayes's row: two standards for one part.
        (_changed(standards=lambda v: [*v[:15], "-2", *v[16:]]), "standards"),
        # Simpson's essay 15 left out: he did not rate every part.
        (
            _changed(
                **{k: (lambda v: v[:-1]) for k in ("appraisers", "parts", "ratings", "standards")}
            ),
            "ratings",
        ),
        # Hayes rates essay 1 twice, essay 2 not at all: unequal trials.
        (_changed(parts=lambda v: [*v[:16], "Essay 1", *v[17:]]), "ratings"),
        (_changed(appraisers=lambda v: ["Duncan"] * len(v)), "appraisers"),
        (_changed(appraisers=lambda v: [" ", *v[1:]]), "appraisers"),
        (_changed(ratings=lambda v: [*v[:5], "", *v[6:]]), "ratings"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    api_for: Any, contributor: User, rows: dict[str, Any], field: str
) -> None:
    body = {"analysis": "attribute-agreement", **rows, "title": "Bad", "characteristic": "c"}

    response = api_for(contributor).post(URL, body)

    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert SpcStudy.objects.count() == 0


def test_one_appraiser_and_a_bad_confidence_are_refused(api_for: Any, viewer: User) -> None:
    single = {
        "analysis": "attribute-agreement",
        "appraisers": ["A"] * 4,
        "parts": ["1", "2", "1", "2"],
        "ratings": ["g", "b", "g", "b"],
        "save": False,
    }

    one = api_for(viewer).post(URL, single)
    confidence = api_for(viewer).post(
        URL, {**single, "appraisers": ["A", "A", "B", "B"], "confidence": 95}
    )

    assert one.status_code == 422 and one.json()["errors"][0]["field"] == "appraisers"
    assert "2 appraisers" in one.json()["errors"][0]["message"]
    assert confidence.status_code == 422
    assert confidence.json()["errors"][0]["field"] == "confidence"


def _essay_csv() -> str:
    rows = _essays()
    lines = ["appraiser,essay,rating,standard"] + [
        ",".join(cells)
        for cells in zip(
            rows["appraisers"], rows["parts"], rows["ratings"], rows["standards"], strict=True
        )
    ]
    return "\n".join(lines)


def test_the_page_form_study_page_picture_and_pdf(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)
    form = {
        "title": "Essay grading",
        "characteristic": "Essay grade",
        "pasted": _essay_csv(),
        "part_column": "essay",  # the others are found by their names
        "confidence": "0.95",
    }

    assert client.get("/spc-studies/new/attribute-agreement/").status_code == 200
    response = client.post("/spc-studies/new/attribute-agreement/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    study = SpcStudy.objects.get()
    assert response["Location"] == f"/spc-studies/{study.pk}/"
    assert study.results["vs_standard"]["Duncan"]["ci_low"] == pytest.approx(26.59, abs=0.005)
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    for testid in (
        "agreement-verdict",
        "agreement-appraisers",
        "agreement-overall",
        "agreement-kappa",
    ):
        assert f'data-testid="{testid}"' in page
    assert "26.59–78.73" in page and "Appraiser vs standard" in page
    url = f"/spc-studies/{study.pk}/figures/agreement.png"
    assert url in page
    picture = client.get(url)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")
    pdf = client.get(f"/spc-studies/{study.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_study_without_trials_or_standard_has_no_agreement_picture(
    client_for: Any, api_for: Any, contributor: User
) -> None:
    body = {**agreement.EXAMPLE, "title": "Diagnoses", "characteristic": "Diagnosis"}
    saved = api_for(contributor).post(URL, body)
    assert saved.status_code == 201, saved.json()
    client = client_for(contributor)

    page = client.get(f"/spc-studies/{saved.json()['study_id']}/").content.decode()
    picture = client.get(f"/spc-studies/{saved.json()['study_id']}/figures/agreement.png")

    assert 'data-testid="agreement-kappa"' in page and "0.4302" in page
    assert picture.status_code == 404


def test_the_page_names_a_missing_column(client_for: Any, contributor: User) -> None:
    form = {
        "title": "Essay grading",
        "characteristic": "Essay grade",
        "pasted": _essay_csv(),
        "confidence": "0.95",
    }

    response = client_for(contributor).post("/spc-studies/new/attribute-agreement/", form)

    assert response.status_code == 422
    assert "Name the column; the columns are appraiser, essay, rating, standard." in (
        response.content.decode()
    )
    assert SpcStudy.objects.count() == 0
