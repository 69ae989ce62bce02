"""Crossed Gage R&R as a study: run, tables, verdict, summary, API, page, pictures, PDF.

Reference data: AIAG MSA 4th ed. (2010) ch. III-B, the 10 parts x 3 appraisers x 3 trials
example (the module's EXAMPLE). Published figures used here:
- ANOVA (AIAG Tables III-B 16 to 18 and Minitab's print of GAGEAIAG.MTW, "Two-Way ANOVA
  Table With Interaction"): Part df 9 SS 88.3619 MS 9.81799 F 492.291; Operator df 2 SS
  3.1673 MS 1.58363 F 79.406; Part * Operator df 18 SS 0.3590 MS 0.01994 F 0.434 P 0.974;
  Repeatability df 60 SS 2.7589 MS 0.04598; Total df 89 SS 94.6471. "Without Interaction":
  Repeatability df 78 SS 3.1179 MS 0.03997, Part F 245.614, Operator F 39.617.
- Variance components (AIAG): EV 0.039973, AV 0.051455, GRR 0.09143, PV 1.086447; % of
  total variation EV 18.4, AV 20.9, GRR 27.9, PV 96.0; ndc 4.
- Average and range method (AIAG Figure III-B 15): EV 0.20188, AV 0.22963, GRR 0.30575,
  PV 1.10456; %GRR 26.68; ndc 5.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, User
from qualitas.studies.analyses import ANALYSES, base, gage
from qualitas.studies.models import SpcStudy

pytestmark = pytest.mark.django_db

AIAG = {k: v for k, v in gage.EXAMPLE.items() if k != "analysis"}


def _run(**changes: Any) -> dict[str, Any]:
    analysis = ANALYSES["gage-rr"]
    return base.run(analysis, base.validate(analysis, {**AIAG, **changes}))


def _csv(operators: list[str] | None = None) -> str:
    ops = operators or gage.EXAMPLE["operators"]
    rows = ["Part,Operator,Diameter"] + [
        f"{p},{o},{v}"
        for p, o, v in zip(gage.EXAMPLE["parts"], ops, gage.EXAMPLE["values"], strict=True)
    ]
    return "\n".join(rows)


def test_the_example_is_the_aiag_data_sheet() -> None:
    """AIAG MSA 4th ed. data sheet: appraiser A, trial 1, parts 1-10 read 0.29 … -1.36;
    appraiser C, trial 3, part 10 reads -2.16; 90 readings in all."""
    ex = gage.EXAMPLE
    assert len(ex["values"]) == len(ex["parts"]) == len(ex["operators"]) == 90
    assert ex["values"][:10] == [0.29, -0.56, 1.34, 0.47, -0.80, 0.02, 0.59, -0.31, 2.26, -1.36]
    assert (ex["parts"][-1], ex["operators"][-1], ex["values"][-1]) == ("10", "C", -2.16)


def test_full_table_with_interaction_as_minitab_prints_it() -> None:
    """The full two-way table with the part x operator row (AIAG Table III-B 16, Minitab)."""
    r = _run()
    full = {row["source"]: row for row in r["anova_full"]}
    assert [row["label"] for row in r["anova_full"]] == [
        "Part",
        "Operator",
        "Part × Operator",
        "Repeatability",
        "Total",
    ]
    assert [full[s]["df"] for s in ("part", "operator", "operator_part", "repeatability")] == [
        9,
        2,
        18,
        60,
    ]
    assert full["total"]["df"] == 89
    assert full["part"]["ss"] == pytest.approx(88.3619, abs=1e-4)
    assert full["operator"]["ss"] == pytest.approx(3.1673, abs=1e-4)
    assert full["operator_part"]["ss"] == pytest.approx(0.3590, abs=1e-4)
    assert full["repeatability"]["ss"] == pytest.approx(2.7589, abs=1e-4)
    assert full["total"]["ss"] == pytest.approx(94.6471, abs=1e-4)
    assert full["part"]["ms"] == pytest.approx(9.81799, abs=1e-5)
    assert full["operator_part"]["ms"] == pytest.approx(0.01994, abs=1e-5)
    assert full["repeatability"]["ms"] == pytest.approx(0.04598, abs=1e-5)
    assert full["part"]["f"] == pytest.approx(492.291, abs=0.05)
    assert full["operator"]["f"] == pytest.approx(79.406, abs=0.01)
    assert full["operator_part"]["f"] == pytest.approx(0.434, abs=5e-4)
    assert full["operator_part"]["p"] == pytest.approx(0.974, abs=5e-4)


def test_reduced_table_when_the_interaction_is_pooled() -> None:
    """p 0.974 > 0.05: the interaction is pooled (Minitab "Without Interaction" table)."""
    r = _run()
    assert r["interaction_pooled"] is True
    red = {row["source"]: row for row in r["anova_reduced"]}
    assert list(red) == ["part", "operator", "repeatability", "total"]
    assert red["repeatability"]["df"] == 78
    assert red["repeatability"]["ss"] == pytest.approx(3.1179, abs=1e-4)
    assert red["repeatability"]["ms"] == pytest.approx(0.03997, abs=1e-5)
    assert red["part"]["f"] == pytest.approx(245.614, abs=0.05)
    assert red["operator"]["f"] == pytest.approx(39.617, abs=0.01)
    assert "not significant (p = 0.974 > α = 0.05)" in r["pooling"]
    assert "pooled" in r["pooling"]


def test_variance_components_study_variation_and_ndc_aiag() -> None:
    r = _run()
    c = r["components"]
    assert c["repeatability"]["variance"] == pytest.approx(0.039973, abs=1e-6)
    assert c["reproducibility"]["variance"] == pytest.approx(0.051455, abs=1e-6)
    assert c["total_gage_rr"]["variance"] == pytest.approx(0.09143, abs=1e-5)
    assert c["part_to_part"]["variance"] == pytest.approx(1.086447, abs=1e-6)
    assert c["total_gage_rr"]["pct_study_var"] == pytest.approx(27.9, abs=0.05)
    assert c["repeatability"]["pct_study_var"] == pytest.approx(18.4, abs=0.05)
    assert c["reproducibility"]["pct_study_var"] == pytest.approx(20.9, abs=0.05)
    assert c["part_to_part"]["pct_study_var"] == pytest.approx(96.0, abs=0.05)
    # % contribution is the share of variance: from AIAG's published components
    # 0.09143 / (0.09143 + 1.086447) = 7.76 %.
    assert c["total_gage_rr"]["pct_contribution"] == pytest.approx(
        100 * 0.09143 / (0.09143 + 1.086447), abs=0.01
    )
    # Study variation is 6 SD: 6 sqrt(0.09143) = 1.8142.
    assert c["total_gage_rr"]["study_var"] == pytest.approx(6 * math.sqrt(0.09143), abs=1e-4)
    assert r["ndc"] == 4
    # The table the page shows: the interaction row is gone once pooled.
    assert [row["source"] for row in r["component_table"]] == [
        "total_gage_rr",
        "repeatability",
        "reproducibility",
        "operator",
        "part_to_part",
        "total",
    ]


def test_verdict_follows_aiag_guidelines() -> None:
    """AIAG: GRR 10-30 % of study variation may be acceptable; ndc should be >= 5.
    The AIAG example (27.9 %, ndc 4) is therefore "may be acceptable", not "acceptable"."""
    r = _run()
    verdict = r["verdict"]
    assert verdict["level"] == "marginal"
    assert [c["grade"] for c in verdict["criteria"]] == ["marginal", "marginal"]
    assert "27.9 %" in verdict["criteria"][0]["text"]
    assert "4 distinct categories" in verdict["criteria"][1]["text"]
    # With a tolerance of 1.2, 6 x 0.30237 / 1.2 = 151 % of the tolerance: unacceptable.
    tight = _run(tolerance=1.2)
    assert tight["components"]["total_gage_rr"]["pct_tolerance"] == pytest.approx(
        100 * 6 * math.sqrt(0.09143) / 1.2, abs=0.05
    )
    assert tight["verdict"]["level"] == "unacceptable"
    assert gage._grade(9.99) == "acceptable" and gage._grade(30.0) == "marginal"
    assert gage._grade(30.01) == "unacceptable"


def test_interaction_kept_when_significant() -> None:
    """With alpha = 1 every interaction is significant: the full table is the only one, and
    the interaction's variance (0 here: MS_int 0.01994 < MS_error 0.04598) is a component."""
    r = _run(interaction_alpha=1.0)
    assert r["interaction_pooled"] is False and r["anova_reduced"] is None
    assert "significant (p = 0.974 ≤ α = 1)" in r["pooling"]
    assert "operator_part" in [row["source"] for row in r["component_table"]]
    assert r["components"]["operator_part"]["variance"] == 0.0
    # Variance components then come from the full table: EV = MS_error = 0.04598.
    assert r["components"]["repeatability"]["variance"] == pytest.approx(0.04598, abs=1e-5)


def test_average_and_range_method_aiag() -> None:
    r = _run(method="average_range", tolerance=4.0)
    c = r["components"]
    assert c["repeatability"]["std_dev"] == pytest.approx(0.20188, abs=1e-4)
    assert c["total_gage_rr"]["std_dev"] == pytest.approx(0.30575, abs=2e-4)
    assert c["total_gage_rr"]["pct_study_var"] == pytest.approx(26.68, abs=0.05)
    assert r["ndc"] == 5
    assert c["total_gage_rr"]["pct_tolerance"] == pytest.approx(100 * 6 * 0.30575 / 4.0, abs=0.05)
    assert r["anova_full"] == [] and r["anova_reduced"] is None and r["pooling"] == ""
    assert "operator" not in [row["source"] for row in r["component_table"]]


def test_study_variation_of_5_15_sd() -> None:
    r = _run(study_var=5.15)
    assert r["components"]["total_gage_rr"]["study_var"] == pytest.approx(
        5.15 * math.sqrt(0.09143), abs=1e-4
    )
    # % study variation is a ratio of SDs: the multiplier cancels (AIAG 27.9 %).
    assert r["components"]["total_gage_rr"]["pct_study_var"] == pytest.approx(27.9, abs=0.05)


def test_cell_means_for_the_interaction_plot() -> None:
    """Appraiser A, part 1: (0.29 + 0.41 + 0.64) / 3; appraiser C, part 10:
    (-1.49 - 1.77 - 2.16) / 3, from the AIAG data sheet."""
    cells = _run()["cell_means"]
    assert cells["operators"] == ["A", "B", "C"]
    assert cells["parts"] == [str(i) for i in range(1, 11)]
    assert cells["means"][0][0] == pytest.approx((0.29 + 0.41 + 0.64) / 3)
    assert cells["means"][2][9] == pytest.approx((-1.49 - 1.77 - 2.16) / 3)


def test_summary_lines_carry_the_decision() -> None:
    r = _run()
    lines = gage.summary(AIAG, r)
    text = "\n".join(lines)
    assert "10 parts × 3 operators × 3 trials" in text
    assert "Part × operator interaction: SS 0.359, df 18" in text and "p 0.974" in text
    assert "Total Gage R&R" in text and "27.86 % study var" in text
    assert "Number of distinct categories: 4" in text
    assert (
        lines[-1] == "Verdict: Measurement system may be acceptable, depending on the application"
    )
    assert 5 <= len(lines) <= 20


def test_figures_draw_from_saved_results() -> None:
    r = _run(tolerance=4.0)
    analysis = ANALYSES["gage-rr"]
    components = analysis.figure("components")
    interaction = analysis.figure("interaction")
    assert components is not None and interaction is not None
    fig = components.draw(AIAG, r)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Percent"
    # Three series (contribution, study var, tolerance) of 4 bars each.
    assert len(ax.patches) == 12
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert round(r["components"]["total_gage_rr"]["pct_study_var"], 6) in heights
    fig = interaction.draw(AIAG, r)
    assert len(fig.axes[0].get_lines()) == 3
    assert fig.axes[0].get_xlabel() == "Part"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"operators": ["A"] * 90}, "operators", "at least 2 operators"),
        ({"operators": ["A"] * 89}, "operators", "90 parts but 89 operators"),
        ({"values": [0.1] * 89}, "values", "90 parts but 89 measurements"),
        ({"values": [math.nan] + [0.1] * 89}, "values", "Measurement 1 is missing"),
        ({"parts": ["1"] * 90}, "parts", "at least 2 different parts"),
        ({"tolerance": 0}, "tolerance", ""),
        ({"method": "guess"}, "method", ""),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, Any], field: str, words: str) -> None:
    analysis = ANALYSES["gage-rr"]
    with pytest.raises(InvalidInput) as refused:
        base.run(analysis, base.validate(analysis, {**AIAG, **changes}))
    assert refused.value.errors[0].field == field
    assert words in refused.value.errors[0].message


def test_unbalanced_design_is_a_clear_error() -> None:
    analysis = ANALYSES["gage-rr"]
    data = {**AIAG}
    data["parts"] = data["parts"][:-1]
    data["operators"] = data["operators"][:-1]
    data["values"] = data["values"][:-1]
    with pytest.raises(InvalidInput) as refused:
        base.run(analysis, base.validate(analysis, data))
    error = refused.value.errors[0]
    assert error.field == "values"
    assert "part '10' by operator 'C' has 2 measurements" in error.message


def test_numbered_parts_are_read_as_names() -> None:
    analysis = ANALYSES["gage-rr"]
    inputs = base.validate(analysis, {**AIAG, "parts": [int(p) for p in AIAG["parts"]]})
    assert inputs.parts[:3] == ["1", "2", "3"]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- API


def test_api_computes_without_saving(api_for: Any, viewer: User) -> None:
    response = api_for(viewer).post("/spc-studies/analyses", {**gage.EXAMPLE, "save": False})

    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert results["components"]["total_gage_rr"]["pct_study_var"] == pytest.approx(27.9, abs=0.05)
    assert results["ndc"] == 4
    assert results["anova_full"][2]["p"] == pytest.approx(0.974, abs=5e-4)
    assert results["anova_reduced"][2]["df"] == 78
    assert not SpcStudy.objects.exists()


def test_api_saves_the_study_with_its_audit_event(
    api_for: Any, contributor: User, nobody: User
) -> None:
    body = {**gage.EXAMPLE, "title": "Caliper 12, AIAG study", "characteristic": "Thickness"}

    saved = api_for(contributor).post("/spc-studies/analyses", body)
    refused = api_for(nobody).post("/spc-studies/analyses", body)

    assert saved.status_code == 201, saved.json()
    study = SpcStudy.objects.get()
    assert study.analysis == "gage-rr"
    assert study.parameters["operators"][:3] == ["A", "A", "A"]
    assert "title" not in study.parameters and "save" not in study.parameters
    assert study.results["ndc"] == 4
    assert refused.status_code == 403
    assert SpcStudy.objects.count() == 1
    assert AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(SpcStudy), object_id=str(study.pk)
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"operators": ["A"] * 90}, "operators"),
        ({"values": [0.1] * 88}, "values"),
        ({"study_var": -1}, "study_var"),
        ({"interaction_alpha": 2}, "interaction_alpha"),
        (
            {
                "parts": gage.EXAMPLE["parts"][:-1],
                "operators": gage.EXAMPLE["operators"][:-1],
                "values": gage.EXAMPLE["values"][:-1],
            },
            "values",
        ),
    ],
)
def test_api_bad_input_is_422_on_its_field_and_saves_nothing(
    api_for: Any, contributor: User, changes: dict[str, Any], field: str
) -> None:
    body = {**gage.EXAMPLE, **changes, "title": "Bad", "characteristic": "Thickness"}

    response = api_for(contributor).post("/spc-studies/analyses", body)

    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert not SpcStudy.objects.exists()


# --------------------------------------------------------------------------- page


def _form(**changes: str) -> dict[str, str]:
    return {
        "title": "Caliper 12, AIAG study",
        "characteristic": "Thickness",
        "pasted": _csv(),
        "part_column": "",
        "operator_column": "",
        "value_column": "",
        "method": "anova",
        "tolerance": "",
        "study_var": "6",
        "interaction_alpha": "0.05",
        **changes,
    }


def test_the_page_form_study_page_pictures_and_pdf(client_for: Any, contributor: User) -> None:
    client = client_for(contributor)

    assert client.get("/spc-studies/new/gage-rr/").status_code == 200
    response = client.post("/spc-studies/new/gage-rr/", _form(tolerance="4"))

    study = SpcStudy.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/spc-studies/{study.pk}/"
    assert study.parameters["parts"][:2] == ["1", "2"]
    assert study.results["components"]["total_gage_rr"]["pct_study_var"] == pytest.approx(
        27.9, abs=0.05
    )
    page = client.get(f"/spc-studies/{study.pk}/").content.decode()
    for testid in (
        "gage-verdict",
        "gage-anova-full",
        "gage-interaction-row",
        "gage-anova-reduced",
        "gage-pooling",
        "gage-varcomp",
        "gage-study-var",
        "gage-ndc",
    ):
        assert f'data-testid="{testid}"' in page, testid
    assert 'data-verdict="unacceptable"' in page  # 45 % of a tolerance of 4
    assert "Part × Operator" in page and "0.974" in page
    assert "% Tolerance" in page
    for name in ("components", "interaction"):
        picture = client.get(f"/spc-studies/{study.pk}/figures/{name}.png")
        assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
        assert picture.content.startswith(b"\x89PNG")
    pdf = client.get(f"/spc-studies/{study.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_page_names_the_operator_column_for_one_operator(
    client_for: Any, contributor: User
) -> None:
    response = client_for(contributor).post(
        "/spc-studies/new/gage-rr/", _form(pasted=_csv(["Ann"] * 90))
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="error-operator_column"' in page
    assert "only one operator" in page
    assert not SpcStudy.objects.exists()


def test_the_page_names_an_empty_cell(client_for: Any, contributor: User) -> None:
    pasted = _csv().replace("\n1,A,0.29\n", "\n1,A,\n", 1)

    response = client_for(contributor).post("/spc-studies/new/gage-rr/", _form(pasted=pasted))

    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="error-value_column"' in page
    assert "Row 2, column &#x27;Diameter&#x27; is empty." in page
    assert not SpcStudy.objects.exists()
