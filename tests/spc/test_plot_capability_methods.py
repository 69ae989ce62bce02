"""The capability histogram draws what the capability method assumed (qualitas.spc.plot).

A Box-Cox or Johnson capability treats g(X) as normal, N(m, s), with m and s the transformed
data's mean and sigma; the density it assumes for X in data units is then, by the change of
variables, phi((g(x) - m) / s) / s * g'(x). The references here are closed forms that do not
go through the plotting code: for Box-Cox with lambda = 0, g = ln and the density is scipy's
lognormal pdf; for Johnson curves the density is scipy's johnsonsu / johnsonsb / lognorm with
a = (gamma - m) / s, b = eta / s (Johnson 1949; scipy's parametrisation z = a + b f((x - loc)
/ scale)); for any lambda the area under the drawn curve between two points equals
Phi((g(b) - m) / s) - Phi((g(a) - m) / s), the probability the fit gives that interval.
The percentile method (Clements 1989) assumes no normal curve at all.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from scipy import stats

from qualitas.spc.capability import Capability, capability
from qualitas.spc.nonnormal import boxcox
from qualitas.spc.plot import _pyplot, capability_figure


def _lines(fig: Any) -> dict[str, Any]:
    return {line.get_label(): line for line in fig.axes[0].get_lines()}


def _curve(fig: Any, label: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    x, y = _lines(fig)[label].get_data()
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _per_class(fig: Any, result: Capability) -> float:
    """n x class width: what turns a density into values per histogram class."""
    return result.n * float(fig.axes[0].patches[0].get_width())


def _caption(fig: Any) -> str:
    texts = [t.get_text() for t in fig.texts]
    assert len(texts) == 1, texts
    return texts[0].replace("\n", " ")


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    _pyplot().close("all")


def _lognormal(n: int = 200) -> np.ndarray[Any, Any]:
    return np.random.default_rng(11).lognormal(1.0, 0.5, n)


def test_boxcox_lambda_zero_draws_the_lognormal_density() -> None:
    x = _lognormal()
    result = capability(x, lsl=0.5, usl=15.0, method="boxcox", boxcox_lambda=0.0)
    t = result.transformation
    assert t is not None

    fig = capability_figure(x, result)

    scale = _per_class(fig, result)
    for label, sigma in (("within", t.sigma_within), ("overall", t.sigma_overall)):
        grid, drawn = _curve(fig, label)
        inside = grid > 0
        expected = stats.lognorm.pdf(grid[inside], s=sigma, scale=np.exp(t.mean)) * scale
        np.testing.assert_allclose(drawn[inside], expected, rtol=1e-9, atol=1e-12)
        assert np.all(np.isnan(drawn[~inside]))  # no density where ln x does not exist


def test_boxcox_curve_holds_the_fitted_probability_between_its_ends() -> None:
    x = _lognormal()
    result = capability(x, lsl=0.5, usl=15.0, method="boxcox")
    t = result.transformation
    assert t is not None and t.parameters["lambda"] != 0

    fig = capability_figure(x, result)

    grid, drawn = _curve(fig, "within")
    ok = np.isfinite(drawn)
    area = np.trapezoid(drawn[ok], grid[ok]) / _per_class(fig, result)
    ends = boxcox(grid[ok][[0, -1]], t.parameters["lambda"])
    probability = np.diff(stats.norm.cdf(ends, t.mean, t.sigma_within))[0]
    assert area == pytest.approx(probability, abs=2e-3)
    # The data range (plus 10 % each side) holds nearly all of the fitted distribution.
    assert 0.97 < area <= 1.0 + 2e-3


@pytest.mark.parametrize(
    ("sample", "limits", "family"),
    [
        (10 + np.random.default_rng(7).standard_t(4, 300), (4.0, 16.0), "SU"),
        # A bounded (SB) curve: the limits must lie inside its support to be transformed.
        (10 + np.random.default_rng(7).beta(0.8, 0.8, 300), (10.02, 10.98), "SB"),
    ],
)
def test_johnson_draws_the_fitted_johnson_density(
    sample: Any, limits: tuple[float, float], family: str
) -> None:
    result = capability(sample, lsl=limits[0], usl=limits[1], method="johnson")
    t = result.transformation
    assert t is not None and t.parameters["family"] == family

    fig = capability_figure(sample, result)

    p = t.parameters
    scale = _per_class(fig, result)
    for label, sigma in (("within", t.sigma_within), ("overall", t.sigma_overall)):
        grid, drawn = _curve(fig, label)
        a, b = (p["gamma"] - t.mean) / sigma, p["eta"] / sigma
        dist = stats.johnsonsu if family == "SU" else stats.johnsonsb
        expected = dist.pdf(grid, a, b, loc=p["epsilon"], scale=p["lambda"]) * scale
        inside = expected > 0
        np.testing.assert_allclose(drawn[inside], expected[inside], rtol=1e-8)
        assert not np.any(np.isfinite(drawn[~inside]) & (drawn[~inside] > 0))
    assert fig.axes[0].get_legend().get_title().get_text() == f"Johnson {family} fit"
    assert _caption(fig).startswith(f"Method: Johnson {family}:")


def test_percentile_figure_has_no_normal_curve_but_the_three_percentiles() -> None:
    x = _lognormal()
    result = capability(x, lsl=0.5, usl=15.0, method="percentile")
    assert result.percentiles is not None and result.normality is not None

    fig = capability_figure(x, result)

    lines = _lines(fig)
    assert "within" not in lines and "overall" not in lines
    for label, key in (("P0.135", "p0.135"), ("P50", "p50"), ("P99.865", "p99.865")):
        xs = lines[label].get_xdata()
        assert xs[0] == xs[1] == pytest.approx(result.percentiles[key])
    left, right = fig.axes[0].get_xlim()
    assert left < result.percentiles["p0.135"] and result.percentiles["p99.865"] < right
    caption = _caption(fig)
    assert caption.startswith("Method: Clements' percentile method")
    assert "no normal curve" in caption
    assert f"Anderson-Darling p = {result.normality.p_value:.3g}." in caption


def test_caption_names_boxcox_its_lambda_and_both_normality_tests() -> None:
    x = _lognormal()
    result = capability(x, lsl=0.5, usl=15.0, method="auto")
    t = result.transformation
    assert result.method == "boxcox" and t is not None and t.normality is not None
    assert result.normality is not None

    caption = _caption(capability_figure(x, result))

    lam = t.parameters["lambda"]
    assert caption.startswith(f"Method: Box-Cox, λ = {lam:.3g} (chosen automatically):")
    assert f"Anderson-Darling p = {result.normality.p_value:.3g} as measured" in caption
    assert f"{t.normality.p_value:.3g} transformed" in caption


def test_the_normal_case_is_unchanged() -> None:
    values = 74.0 + np.random.default_rng(3).normal(0, 0.01, size=100)
    result = capability(values, lsl=73.97, usl=74.03)

    fig = capability_figure(values, result)

    scale = _per_class(fig, result)
    for label, sigma in (("within", result.sigma_within), ("overall", result.sigma_overall)):
        grid, drawn = _curve(fig, label)
        np.testing.assert_allclose(drawn, stats.norm.pdf(grid, result.mean, sigma) * scale)
    assert fig.axes[0].get_legend().get_title().get_text() == "Normal fit"
    assert fig.texts == []


def test_plotting_never_imports_django() -> None:
    code = (
        "import sys, numpy as np\n"
        "from qualitas.spc.capability import capability\n"
        "from qualitas.spc.plot import capability_figure\n"
        "x = np.random.default_rng(1).lognormal(1, 0.5, 60)\n"
        "capability_figure(x, capability(x, usl=20.0, method='johnson'))\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
