"""Reliability (life data) as a study: run, summary, figures, form, API, page, PDF, audit.

References (published numbers, not values computed by the code under test):

* NIST/SEMATECH e-Handbook of Statistical Methods, sec. 8.4.1.3 "A Weibull maximum likelihood
  estimation example" (data of sec. 8.2.2.1): failures at 54, 187, 216, 240, 244, 335, 361,
  373, 375, 386 h and 10 units removed unfailed at 500 h. Published: eta = 606.5280,
  beta = 1.7208, log-likelihood -75.135, AIC 154.27; lognormal AIC 154.39.
* Meeker & Escobar, Statistical Methods for Reliability Data (1998), shock-absorber data
  (38 units, km, 11 failures), with the values printed by the R package weibulltools 2.1.0
  (tests/testthat/_snaps/ml_estimation.md and confidence_intervals.md), as in
  tests/spc/test_reliability.py: Weibull mu 10.2298631, sigma 0.3164092 (M&E print 10.23 and
  0.3164), log-likelihood -123.9954; lognormal -124.6085; exponential mean 56818.19 with 95 %
  interval 31465.93 .. 102596.9; at 6700 km the Weibull F = 0.0112 with 95 % bounds
  0.00186 .. 0.0655 and the lognormal F = 0.00589 with bounds 0.000385 .. 0.0472.
* weibulltools _snaps/probability_estimators.md (johnson): 10 units at 10000 … 100000, failures
  at 20000, 30000, 70000, 90000: adjusted ranks 1.1, 2.2, 3.96, 6.31, Benard F 0.0769, 0.183,
  0.352, 0.578.

B10 lives are checked against t_p = eta (-ln(1 - p))^(1/beta) (Weibull) evaluated at the
published parameters: the formula is the definition of the percentile, not the engine.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pytest
from django.contrib.contenttypes.models import ContentType

from qualitas.core.errors import InvalidInput
from qualitas.core.models import AuditEvent, User
from qualitas.spc import probability as probability_engine, reliability as engine
from qualitas.studies import parsing
from qualitas.studies.analyses import ANALYSES, base, reliability as kind
from qualitas.studies.models import SpcStudy
from tests.factories import UserFactory, with_role

ANALYSIS = ANALYSES["reliability"]

NIST_TIMES = [54.0, 187, 216, 240, 244, 335, 361, 373, 375, 386] + [500.0] * 10
NIST_CENSORED = [False] * 10 + [True] * 10

SHOCK_KM = [
    6700, 6950, 7820, 8790, 9120, 9660, 9820, 11310, 11690, 11850, 11880, 12140, 12200,
    12870, 13150, 13330, 13470, 14040, 14300, 17520, 17540, 17890, 18450, 18960, 18980,
    19410, 20100, 20100, 20150, 20320, 20900, 22700, 23490, 26510, 27410, 27490, 27890,
    28100,
]  # fmt: skip
SHOCK_FAILED = [
    1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0,
    0, 1, 1, 0, 1, 0, 1, 0, 0,
]  # fmt: skip
SHOCK_CENSORED = [s == 0 for s in SHOCK_FAILED]

TEN = [10000.0 * i for i in range(1, 11)]
TEN_CENSORED = [s == 0 for s in (0, 1, 1, 0, 0, 0, 1, 0, 1, 0)]


def weibull_percentile(eta: float, beta: float, p: float) -> float:
    return eta * (-math.log(1 - p)) ** (1 / beta)


def _run(**inputs: Any) -> dict[str, Any]:
    return base.run(ANALYSIS, base.validate(ANALYSIS, inputs))


def _fit(results: dict[str, Any], distribution: str) -> dict[str, Any]:
    return next(f for f in results["fits"] if f["distribution"] == distribution)


def _param(fit: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in fit["parameters"] if p["name"] == name)


# The published examples, through run() --------------------------------------------------------


def test_example_is_the_nist_handbook_weibull_example() -> None:
    """NIST/SEMATECH e-Handbook 8.4.1.3: eta 606.5280, beta 1.7208 (4 decimals), log-likelihood
    -75.135, AIC 154.27, lognormal AIC 154.39. Our eta is 606.5276: NIST's optimiser stopped
    4e-4 h from the root of the profile equation, hence abs=1e-3 on eta."""
    results = _run(**kind.EXAMPLE)

    assert (results["n"], results["failures"], results["censored"]) == (20, 10, 10)
    weibull = _fit(results, "weibull")
    assert _param(weibull, "scale")["estimate"] == pytest.approx(606.5280, abs=1e-3)
    assert _param(weibull, "shape")["estimate"] == pytest.approx(1.7208, abs=5e-5)
    assert weibull["log_likelihood"] == pytest.approx(-75.135, abs=5e-4)
    assert weibull["aic"] == pytest.approx(154.27, abs=5e-3)
    assert _fit(results, "lognormal")["aic"] == pytest.approx(154.39, abs=5e-3)
    # B10 from the published parameters: 606.5280 (-ln 0.9)^(1/1.7208) = 164.02 h.
    assert weibull["b10"] == pytest.approx(weibull_percentile(606.5280, 1.7208, 0.10), abs=0.01)
    assert weibull["b10_ci"][0] < weibull["b10"] < weibull["b10_ci"][1]


def test_nist_example_weibull_only_at_a_mission_time() -> None:
    """R(t) = exp(-(t / eta)^beta) at the published NIST parameters, for t = 100 h."""
    results = _run(
        times=NIST_TIMES, censored=NIST_CENSORED, distribution="weibull", mission_time=100
    )

    assert [f["distribution"] for f in results["fits"]] == ["weibull"]
    assert results["comparison"] is None and results["chosen"] == "weibull"
    expected = math.exp(-((100 / 606.5280) ** 1.7208))
    mission = results["mission"]
    assert mission["reliability"] == pytest.approx(expected, abs=1e-5)
    assert mission["ci"][0] < mission["reliability"] < mission["ci"][1] <= 1
    assert results["b10"]["estimate"] == pytest.approx(
        weibull_percentile(606.5280, 1.7208, 0.10), abs=0.01
    )


def test_shock_absorber_compare_meeker_escobar_weibulltools() -> None:
    """Meeker & Escobar shock absorbers, weibulltools' printed values (module docstring)."""
    results = _run(times=SHOCK_KM, censored=SHOCK_CENSORED, confidence=0.95, mission_time=6700)

    weibull, lognormal = _fit(results, "weibull"), _fit(results, "lognormal")
    exponential = _fit(results, "exponential")
    assert weibull["log_likelihood"] == pytest.approx(-123.9954, abs=1e-4)
    assert lognormal["log_likelihood"] == pytest.approx(-124.6085, abs=1e-4)
    mean = _param(exponential, "mean")
    assert mean["estimate"] == pytest.approx(56818.19, abs=0.02)
    assert mean["ci"] == pytest.approx([31465.93, 102596.9], abs=0.05)
    # LR = 2 (-123.9954 + 131.4237) = 14.8566 from the published log-likelihoods.
    (test,) = results["comparison"]["tests"]
    assert test["statistic"] == pytest.approx(14.8566, abs=2e-4)
    assert results["chosen"] == results["comparison"]["preferred"] == "weibull"
    assert "rejects the exponential" in results["comparison"]["reason"]
    # confint_fisher (95 %) at 6700 km: F 0.0112 (0.00186 .. 0.0655), so R = 1 - F.
    mission = results["mission"]
    assert mission["reliability"] == pytest.approx(1 - 0.0112, abs=5e-5)
    assert mission["ci"] == pytest.approx([1 - 0.0655, 1 - 0.00186], abs=3e-4)
    # The lognormal's own mission row: F 0.00589 (0.000385 .. 0.0472).
    assert lognormal["mission"]["reliability"] == pytest.approx(1 - 0.00589, abs=5e-6)
    assert lognormal["mission"]["ci"] == pytest.approx([1 - 0.0472, 1 - 0.000385], abs=2e-4)
    # B10 at the published mu, sigma: exp(10.2298631 + 0.3164092 ln(-ln 0.9)).
    b10 = math.exp(10.2298631 + 0.3164092 * math.log(-math.log(0.9)))
    assert results["b10"]["estimate"] == pytest.approx(b10, rel=1e-5)


def test_shock_absorber_weibull_intervals_at_90_percent() -> None:
    """weibulltools ml_estimation(shock, "weibull", conf_level = 0.90): mu [10.0491099,
    10.4106162], sigma [0.2163041, 0.4628426]; shape = 1/sigma, scale = e^mu."""
    results = _run(times=SHOCK_KM, censored=SHOCK_CENSORED, distribution="weibull", confidence=0.90)

    weibull = _fit(results, "weibull")
    assert _param(weibull, "shape")["estimate"] == pytest.approx(1 / 0.3164092, rel=1e-5)
    assert _param(weibull, "shape")["ci"] == pytest.approx([1 / 0.4628426, 1 / 0.2163041], rel=1e-5)
    assert _param(weibull, "scale")["ci"] == pytest.approx(
        [math.exp(10.0491099), math.exp(10.4106162)], rel=1e-6
    )
    assert _param(weibull, "shape")["label"] == "shape β"


def test_saved_plotting_positions_are_johnsons_adjusted_ranks() -> None:
    """weibulltools johnson method: F = 0.0769, 0.183, 0.352, 0.578 (Benard)."""
    results = _run(times=TEN, censored=TEN_CENSORED, distribution="weibull")

    pp = results["probability_plot"]
    assert pp["times"] == [20000, 30000, 70000, 90000]
    assert pp["probabilities"] == pytest.approx([0.0769, 0.183, 0.352, 0.578], abs=5e-4)


def test_one_failure_compares_only_the_exponential() -> None:
    """Lawless (2003) sec. 2.4: with one failure the exponential mean is the total time on
    test, here 10 + 20 + 30 = 60; the two-parameter models cannot be fitted."""
    results = _run(times=[10, 20, 30], censored=[False, True, True])

    assert [f["distribution"] for f in results["fits"]] == ["exponential"]
    assert _param(results["fits"][0], "mean")["estimate"] == pytest.approx(60.0)
    assert "one failure" in results["note"]


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"times": [1.0, 2.0, 3.0], "censored": [False, True]}, "censored"),
        ({"times": [1.0, 2.0, 3.0], "censored": [True, True, True]}, "censored"),
        ({"times": [1.0, -2.0, 3.0]}, "times"),
        ({"times": [5.0, 5.0, 5.0], "distribution": "weibull"}, "times"),
    ],
)
def test_bad_inputs_name_their_field(inputs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _run(**inputs)

    assert refused.value.errors[0].field == field


# Summary and pictures ---------------------------------------------------------------------


def test_summary_states_b10_mission_and_the_preferred_model() -> None:
    results = _run(times=SHOCK_KM, censored=SHOCK_CENSORED, mission_time=6700)

    lines = ANALYSIS.summary({}, results)

    text = "\n".join(lines)
    assert lines[0] == "Life data: 38 units, 11 failures, 27 censored (still running or removed)"
    assert "Preferred model: weibull" in text
    assert "B10 life (Weibull): " in text
    assert "Reliability at 6700 (Weibull): 0.98" in text
    assert "Likelihood-ratio test, exponential within weibull: LR = 14.857" in text


def test_figures_are_drawn_from_saved_results_without_refitting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = _run(times=SHOCK_KM, censored=SHOCK_CENSORED, mission_time=6700)

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a figure refitted the model")

    for name in ("fit", "compare"):
        monkeypatch.setattr(engine, name, refuse)
    monkeypatch.setattr(probability_engine, "probability_plot_points", refuse)
    probability = ANALYSIS.figure("probability").draw({}, results)  # type: ignore[union-attr]
    curve = ANALYSIS.figure("reliability").draw({}, results)  # type: ignore[union-attr]

    # Weibull paper: the ML line is y = (ln t - mu) / sigma at the published mu, sigma.
    ax = probability.axes[0]
    line = next(x for x in ax.get_lines() if x.get_label() == "ML fit")
    t, y = (np.asarray(a, dtype=float) for a in line.get_data())
    np.testing.assert_allclose(y, (np.log(t) - 10.2298631) / 0.3164092, atol=2e-4)
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "Percent failed"
    # R(eta) = e^-1 for a Weibull: the drawn curve passes through (exp(mu), 0.3679).
    ax = curve.axes[0]
    fitted = next(x for x in ax.get_lines() if x.get_label() == "Weibull fit")
    t, r = (np.asarray(a, dtype=float) for a in fitted.get_data())
    assert np.interp(math.exp(10.2298631), t, r) == pytest.approx(math.exp(-1), abs=2e-3)
    assert ax.get_ylabel() == "Reliability R(t)"
    for fig in (probability, curve):
        fig.savefig(io.BytesIO(), format="png")


# The form ---------------------------------------------------------------------------------


def _form(**data: Any) -> kind.ReliabilityForm:
    fields = {"title": "Shock absorbers", "characteristic": "Absorber", "pasted": "x"}
    form = kind.ReliabilityForm({**fields, **data}, subject="Unit")
    assert form.is_valid(), form.errors
    return form


def test_form_reads_times_and_censoring_marks() -> None:
    table = parsing.parse_text("hours;status\n54;failed\n187;F\n500;suspended\n500;Censored\n")
    form = _form(time_column="hours", censored_column="status", distribution="weibull")

    inputs = form.inputs(table)

    assert inputs["times"] == [54, 187, 500, 500]
    assert inputs["censored"] == [False, False, True, True]
    assert inputs["distribution"] == "weibull" and inputs["mission_time"] is None


def test_form_defaults_the_time_column_past_the_censoring_column() -> None:
    table = parsing.parse_text("censored,km\n0,6700\n1,6950\n")
    inputs = _form(censored_column="censored").inputs(table)

    assert inputs["times"] == [6700, 6950] and inputs["censored"] == [False, True]


def test_form_refuses_an_unknown_mark_with_its_row() -> None:
    table = parsing.parse_text("hours,status\n54,0\n187,maybe\n")

    with pytest.raises(InvalidInput) as refused:
        _form(time_column="hours", censored_column="status").inputs(table)

    error = refused.value.errors[0]
    assert error.field == "censored_column" and error.message.startswith("Row 3, column 'status'")


def test_form_refuses_an_empty_time_with_its_row() -> None:
    table = parsing.parse_text("hours,status\n54,0\n,1\n")

    with pytest.raises(InvalidInput) as refused:
        _form(time_column="hours", censored_column="status").inputs(table)

    assert refused.value.errors[0].field == "time_column"
    assert "Row 3" in refused.value.errors[0].message


# Through the API, the page and the PDF ----------------------------------------------------


@pytest.fixture
def engineer(db: None) -> User:
    return with_role(UserFactory(username="engineer"), "contributor")


def _body(**extra: Any) -> dict[str, Any]:
    return {**kind.EXAMPLE, "title": "Relays, 500 h test", "characteristic": "Relay", **extra}


def _created_events(study_id: int) -> Any:
    return AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(SpcStudy), object_id=study_id, action="create"
    )


def test_api_saves_the_study_and_its_audit_event(api_for: Any, engineer: User) -> None:
    response = api_for(engineer).post("/spc-studies/analyses", _body())

    assert response.status_code == 201, response.json()
    body = response.json()
    study = SpcStudy.objects.get(pk=body["study_id"])
    assert study.analysis == "reliability"
    assert study.parameters["times"] == NIST_TIMES and study.parameters["mission_time"] == 100
    weibull = _fit(body["results"], "weibull")
    assert _param(weibull, "shape")["estimate"] == pytest.approx(1.7208, abs=5e-5)
    assert _created_events(study.pk).exists()


def test_api_without_saving_returns_results(api_for: Any, engineer: User) -> None:
    response = api_for(engineer).post("/spc-studies/analyses", _body(save=False))

    assert response.status_code == 200
    assert response.json()["study_id"] is None
    assert not SpcStudy.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"censored": [True] * 3}, "censored"),
        ({"times": [1.0, 0.0] + [3.0] * 18}, "times"),
        ({"mission_time": -5}, "mission_time"),
        ({"distribution": "gamma"}, "distribution"),
    ],
)
def test_api_bad_input_is_422_on_its_field_and_saves_nothing(
    api_for: Any, engineer: User, extra: dict[str, Any], field: str
) -> None:
    response = api_for(engineer).post("/spc-studies/analyses", _body(**extra))

    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert SpcStudy.objects.count() == 0


def test_api_refuses_to_save_for_a_user_without_a_role(api_for: Any, db: None) -> None:
    nobody = UserFactory(username="nobody")

    response = api_for(nobody).post("/spc-studies/analyses", _body())

    assert response.status_code == 403
    assert not SpcStudy.objects.exists()


CSV = "hours,status\n" + "\n".join(
    f"{t:g},{'suspended' if c else 'failed'}"
    for t, c in zip(NIST_TIMES, NIST_CENSORED, strict=True)
)


def test_page_records_the_study_with_panel_figures_and_pdf(client_for: Any, engineer: User) -> None:
    client = client_for(engineer)
    form = {
        "title": "Relays, 500 h test",
        "characteristic": "Relay",
        "pasted": CSV,
        "time_column": "hours",
        "censored_column": "status",
        "distribution": "compare",
        "confidence": "0.95",
        "mission_time": "100",
    }

    response = client.post("/spc-studies/new/reliability/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    study = SpcStudy.objects.get()
    assert study.parameters["censored"] == NIST_CENSORED
    page = client.get(response["Location"]).content.decode()
    for testid in ("life-data", "life-fits", "life-lr-tests", "life-verdict", "b10"):
        assert f'data-testid="{testid}"' in page
    assert "606.53" in page  # the Weibull scale to 5 significant figures (NIST: 606.5280)
    for name in ("probability", "reliability"):
        url = f"/spc-studies/{study.pk}/figures/{name}.png"
        assert url in page
        png = client.get(url)
        assert png.status_code == 200 and png["Content-Type"] == "image/png"
    pdf = client.get(f"/spc-studies/{study.pk}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert _created_events(study.pk).exists()


def test_page_bad_mark_is_422_naming_the_row(client_for: Any, engineer: User) -> None:
    form = {
        "title": "Relays",
        "characteristic": "Relay",
        "pasted": CSV.replace("386,failed", "386,perhaps"),
        "time_column": "hours",
        "censored_column": "status",
        "distribution": "compare",
        "confidence": "0.95",
    }

    response = client_for(engineer).post("/spc-studies/new/reliability/", form)

    assert response.status_code == 422
    assert "Row 11, column &#x27;status&#x27;" in response.content.decode()
    assert not SpcStudy.objects.exists()
