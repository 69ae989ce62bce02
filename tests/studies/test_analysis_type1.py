"""Type 1 gauge study as a study: run, verdict, summary, picture, API, page, PDF.

References:
- Minitab Help, "Example of Type 1 Gage Study" (SHAFT.MTW): reference 12.305, tolerance
  0.05, 50 measurements; bias -0.00231, T 4.506892, Cg 0.46, Cgk 0.25, %Var (repeatability)
  43.49 %, %Var (repeatability and bias) 81 %. The help does not print the 50 values, so a
  sample with the published mean and the standard deviation the published %Var implies is
  rebuilt (as the engine's own test does).
- AIAG MSA 4th ed. linearity study, the 12 readings of the reference-6 part taken as a type 1
  study: SPC for Excel prints bias 0.025, t 0.442, p 0.667.
- The module's EXAMPLE (50 made-up readings of a 6.002 mm setting ring) is checked against
  the VDA 5 / Bosch booklet 10 formulas computed here with the statistics module:
  Cg = (K/100 T) / (L s), Cgk = (K/200 T - |bias|) / (L/2 s).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, User
from qualitas.studies.analyses import ANALYSES, base, type1
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db

EXAMPLE = {k: v for k, v in type1.EXAMPLE.items() if k != "analysis"}


def _shaft() -> dict[str, Any]:
    s = 43.49 * 0.05 / 600
    half = s * math.sqrt(49 / 50)
    mean = 12.305 - 0.00231
    return {
        "values": [mean - half] * 25 + [mean + half] * 25,
        "reference": 12.305,
        "tolerance": 0.05,
    }


def _run(params: dict[str, Any]) -> dict[str, Any]:
    analysis = ANALYSES["type1"]
    return base.run(analysis, base.validate(analysis, params))


def test_minitab_shaft_example() -> None:
    r = _run(_shaft())
    assert r["n"] == 50 and r["df"] == 49
    assert r["bias"] == pytest.approx(-0.00231, abs=1e-9)
    assert r["t"] == pytest.approx(4.506892, abs=0.01)
    assert r["p"] < 5e-4 and r["bias_significant"] is True
    assert r["cg"] == pytest.approx(0.46, abs=0.005)
    assert r["cgk"] == pytest.approx(0.25, abs=0.005)
    assert r["pct_var_repeatability"] == pytest.approx(43.49, abs=0.005)
    assert r["pct_var_repeatability_bias"] == pytest.approx(81, abs=0.5)
    assert r["verdict"]["level"] == "not_capable"
    assert "Cg 0.46 < 1.33" in " ".join(r["verdict"]["notes"])
    # Reference ± K/2 % of the tolerance: 12.305 ± 0.005.
    assert r["band"] == pytest.approx([12.300, 12.310])


def test_aiag_reference_part_bias_t_test() -> None:
    values = [5.8, 5.7, 5.9, 5.9, 6.0, 6.1, 6.0, 6.1, 6.4, 6.3, 6.0, 6.1]
    r = _run({"values": values, "reference": 6.0, "tolerance": 2.0})
    assert r["bias"] == pytest.approx(0.025, abs=1e-12)
    assert r["t"] == pytest.approx(0.442, abs=5e-4)
    assert r["p"] == pytest.approx(0.667, abs=5e-4)
    assert r["bias_significant"] is False
    assert "not significant" in " ".join(r["verdict"]["notes"])
    # 12 repeats are fewer than VDA 5's 25.
    assert "VDA 5 asks for at least 25" in " ".join(r["verdict"]["notes"])


def test_example_against_the_vda5_formulas() -> None:
    values = type1.EXAMPLE["values"]
    assert len(values) == 50
    mean, s = statistics.fmean(values), statistics.stdev(values)
    bias, tol = mean - 6.002, 0.03
    r = _run(EXAMPLE)
    assert r["mean"] == pytest.approx(mean, rel=1e-12)
    assert r["std_dev"] == pytest.approx(s, rel=1e-9)
    assert r["bias"] == pytest.approx(bias, abs=1e-12)
    assert r["cg"] == pytest.approx((20 / 100 * tol) / (6 * s), rel=1e-9)
    assert r["cgk"] == pytest.approx((20 / 200 * tol - abs(bias)) / (6 / 2 * s), rel=1e-9)
    assert r["t"] == pytest.approx(abs(bias) / (s / math.sqrt(50)), rel=1e-9)
    assert r["verdict"]["level"] == "capable"
    # K = 20, L = 4 (older practice): Cg grows by 6/4.
    wide = _run({**EXAMPLE, "l": 4.0})
    assert wide["cg"] == pytest.approx((20 / 100 * tol) / (4 * s), rel=1e-9)


def test_capable_spread_but_biased_gauge_is_not_capable() -> None:
    """Cg >= 1.33 but Cgk < 1.33: the bias eats the margin (VDA 5)."""
    shifted = [v + 0.0015 for v in type1.EXAMPLE["values"]]
    r = _run({**EXAMPLE, "values": shifted})
    s = statistics.stdev(shifted)
    bias = statistics.fmean(shifted) - 6.002
    assert r["cg"] >= 1.33
    assert r["cgk"] == pytest.approx((0.003 - abs(bias)) / (3 * s), rel=1e-9)
    assert r["cgk"] < 1.33
    assert r["verdict"]["level"] == "not_capable"
    assert "the bias uses the margin" in " ".join(r["verdict"]["notes"])


def test_summary_lines() -> None:
    r = _run(_shaft())
    lines = type1.summary(_shaft(), r)
    text = "\n".join(lines)
    assert "50 measurements of a reference part of 12.305" in text
    assert "Cg 0.459" in text or "Cg 0.460" in text
    assert "Cgk 0.25" in text
    assert lines[-1].startswith("Verdict: Gauge not capable")
    assert len(lines) <= 20


def test_run_chart_has_reference_band_and_mean() -> None:
    r = _run(EXAMPLE)
    figure = ANALYSES["type1"].figure("run")
    assert figure is not None
    fig = figure.draw(EXAMPLE, r)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Measurement" and ax.get_ylabel() == "Measured value"
    levels = sorted(line.get_ydata()[0] for line in ax.get_lines()[1:])
    # Reference 6.002 ± 0.1 x 0.03, the reference, and the mean.
    assert levels == pytest.approx(
        sorted([5.999, 6.002, 6.005, statistics.fmean(EXAMPLE["values"])])
    )
    assert list(ax.get_lines()[0].get_ydata()) == EXAMPLE["values"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"values": [6.002] * 10}, "values"),
        ({"values": [6.002]}, "values"),
        ({"values": [math.nan, 6.001, 6.003]}, "values"),
        ({"tolerance": 0}, "tolerance"),
        ({"k": 120}, "k"),
        ({"l": 0}, "l"),
        ({"reference": math.inf}, "reference"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _run({**EXAMPLE, **changes})
    assert refused.value.errors[0].field == field


# --------------------------------------------------------------------------- API


def test_api_computes_and_saves(api_for: Any, contributor: User, nobody: User) -> None:
    body = {**type1.EXAMPLE, "title": "Bore gauge 7, setting ring", "characteristic": "Bore"}

    computed = api_for(contributor).post("/spc-studies/analyses", {**body, "save": False})
    saved = api_for(contributor).post("/spc-studies/analyses", body)
    refused = api_for(nobody).post("/spc-studies/analyses", body)

    assert computed.status_code == 200, computed.json()
    assert saved.status_code == 201, saved.json()
    s = statistics.stdev(type1.EXAMPLE["values"])
    assert saved.json()["results"]["cg"] == pytest.approx(0.006 / (6 * s), rel=1e-9)
    study = SpcStudy.objects.get()
    assert (study.analysis, study.parameters["reference"]) == ("type1", 6.002)
    assert "title" not in study.parameters
    assert refused.status_code == 403
    assert SpcStudy.objects.count() == 1
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(SpcStudy), object_id=str(study.pk)
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"values": [6.002] * 10}, "values"),
        ({"tolerance": -0.03}, "tolerance"),
        ({"k": 0}, "k"),
    ],
)
def test_api_bad_input_is_422_and_saves_nothing(
    api_for: Any, contributor: User, changes: dict[str, Any], field: str
) -> None:
    body = {**type1.EXAMPLE, **changes, "title": "Bad", "characteristic": "Bore"}

    response = api_for(contributor).post("/spc-studies/analyses", body)

    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert not SpcStudy.objects.exists()


# --------------------------------------------------------------------------- page


def _form(**changes: str) -> dict[str, str]:
    pasted = "reading\n" + "\n".join(str(v) for v in type1.EXAMPLE["values"])
    return {
        "title": "Bore gauge 7, setting ring",
        "characteristic": "Bore",
        "pasted": pasted,
        "value_column": "",
        "reference": "6.002",
        "tolerance": "0.03",
        "k": "20",
        "l": "6",
        **changes,
    }


def test_the_page_form_study_page_picture_and_pdf(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)

    assert client.get("/spc-studies/new/type1/").status_code == 200
    response = client.post("/spc-studies/new/type1/", _form())

    study = SpcStudy.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/spc-studies/{study.pk}/"
    assert study.parameters["values"] == type1.EXAMPLE["values"]
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    for testid in ("type1-verdict", "type1-statistics", "type1-capability", "type1-cg"):
        assert f'data-testid="{testid}"' in page, testid
    assert 'data-verdict="capable"' in page
    s = statistics.stdev(type1.EXAMPLE["values"])
    assert f"{0.006 / (6 * s):.2f}" in page
    picture = client.get(f"/spc-studies/{study.pk}/figures/run.png")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    pdf = client.get(f"/spc-studies/{study.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_page_leaves_out_empty_cells(client_for: Any, contributor: User) -> None:
    """A shorter column of repeats beside a longer one: its blanks are not measurements."""
    values = type1.EXAMPLE["values"]
    pasted = "note,reading\n" + "\n".join(f"x,{v}" for v in values) + "\nx,\nx,"
    response = client_for(contributor).post(
        "/spc-studies/new/type1/", _form(pasted=pasted, value_column="reading")
    )

    assert response.status_code == 302
    assert SpcStudy.objects.get().results["n"] == 50


def test_the_page_names_the_bad_field(client_for: Any, contributor: User) -> None:
    response = client_for(contributor).post("/spc-studies/new/type1/", _form(tolerance="0"))

    assert response.status_code == 422
    assert 'data-testid="error-tolerance"' in response.content.decode()
    assert not SpcStudy.objects.exists()
