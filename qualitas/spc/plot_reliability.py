"""Probability plots of life data (matplotlib, imported lazily with the Agg backend).

The failures are drawn at their median-rank plotting positions on the
distribution's linearised axes (Weibull and lognormal: log time axis; exponential:
linear time, -ln(1 - F)), with the maximum-likelihood line and its pointwise
Fisher-matrix bounds on time, as Minitab's probability plots show them.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from qualitas.spc.probability import linearise, probability_plot_points

__all__ = ["plot_probability", "probability_figure"]

TITLES = {
    "weibull": "Weibull probability plot",
    "lognormal": "Lognormal probability plot",
    "exponential": "Exponential probability plot",
}
# Percent-failed gridlines, as printed on probability paper.
PERCENT_TICKS = (0.1, 0.5, 1, 2, 5, 10, 20, 30, 50, 63.2, 80, 90, 95, 99, 99.9)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def probability_figure(
    times: ArrayLike,
    censored: ArrayLike | None = None,
    *,
    distribution: str = "weibull",
    confidence: float = 0.95,
    title: str = "",
    unit: str = "",
) -> Any:
    """The probability plot as a matplotlib Figure (for reports that compose several)."""
    from qualitas.spc.plot import wrap_to_width

    pp = probability_plot_points(times, censored, distribution, confidence=confidence)
    f = pp.fit
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5.5))
    # Pointwise bounds on the time to a given fraction failed (delta method on ln t_p).
    lo, hi = pp.line_lower, pp.line_upper
    ax.plot(pp.line_times, pp.line_y, color="#c62828", lw=1.5, label="ML fit")
    ax.plot(lo, pp.line_y, color="#c62828", lw=0.8, ls="--", label=f"{f.confidence:.0%} CI")
    ax.plot(hi, pp.line_y, color="#c62828", lw=0.8, ls="--")
    ax.plot(pp.times, pp.y, "o", color="#1f4e79", ms=5, label="failures (median ranks)")
    if distribution != "exponential":
        from matplotlib.ticker import FuncFormatter, NullFormatter

        ax.set_xscale("log")  # times as plain numbers, not powers of ten
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    # Label the linearised ordinate in percent failed.
    p_lo, p_hi = pp.line_probabilities[0] * (1 - 1e-9), pp.line_probabilities[-1] * (1 + 1e-9)
    pct = np.array([p for p in PERCENT_TICKS if p_lo <= p / 100 <= p_hi])
    ticks = linearise(distribution, np.ones(pct.size), pct / 100)[1]
    ax.set_yticks(ticks, [f"{p:g}" for p in pct])
    ax.set_ylim(float(pp.line_y[0]), float(pp.line_y[-1]))
    ax.grid(visible=True, which="both", alpha=0.25)
    ax.set_ylabel("Percent failed", fontsize=9)
    ax.set_xlabel(f"Time ({unit})" if unit else "Time", fontsize=9)
    lines = [f"{p.name} = {p.estimate:.5g}" for p in f.parameters] + [
        f"B10 = {f.b10:.5g}",
        f"n = {f.n}, failures = {f.failures}",
        f"censored = {f.censored}",
        f"log-lik = {f.log_likelihood:.4g}",
        f"AIC = {f.aic:.4g}",
    ]
    ax.text(
        1.01,
        0.98,
        "\n".join(lines),
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        family="monospace",
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 0.35), fontsize=8)
    heading = wrap_to_width(
        title or TITLES[distribution], width_in=fig.get_figwidth() * 0.9, fontsize=12
    )
    ax.set_title("\n".join(heading), loc="left", fontsize=12, parse_math=False)
    fig.tight_layout()
    return fig


def plot_probability(
    times: ArrayLike,
    censored: ArrayLike | None = None,
    *,
    distribution: str = "weibull",
    path: str | Path | None = None,
    confidence: float = 0.95,
    title: str = "",
    unit: str = "",
) -> Path | bytes:
    """Write the probability plot as PNG to ``path`` (returned), or return the PNG bytes."""
    fig = probability_figure(
        times, censored, distribution=distribution, confidence=confidence, title=title, unit=unit
    )
    try:
        if path is None:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=150)
            return buffer.getvalue()
        out = Path(path)
        fig.savefig(out, dpi=150)
        return out
    finally:
        _pyplot().close(fig)
