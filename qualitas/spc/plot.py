"""Report-quality chart images (matplotlib, imported lazily with the Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualitas.spc.capability import Capability
from qualitas.spc.charts import ControlChart
from qualitas.spc.rules import describe_rule

__all__ = ["plot_capability", "plot_charts"]

TITLES = {
    "xbar": "X-bar chart",
    "R": "R chart",
    "S": "S chart",
    "individuals": "Individuals chart",
    "moving_range": "Moving range chart",
    "p": "p chart",
    "np": "np chart",
    "c": "c chart",
    "u": "u chart",
    "ewma": "EWMA chart",
    "cusum": "CUSUM chart",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _decimals(span: float) -> int:
    """Enough decimals to tell the limits apart: about three significant digits of their span.

    A fixed significant-digit format prints 74.0000 as "74" and hides the precision the
    chart is about.
    """
    if not np.isfinite(span) or span <= 0:
        return 4
    return int(min(10, max(0, 2 - np.floor(np.log10(span)))))


def _step_line(ax: Any, x: np.ndarray[Any, Any], y: Any, **kw: Any) -> None:
    values = np.broadcast_to(np.asarray(y, dtype=float), x.shape)
    if values.size and np.all(values == values[0]):
        ax.axhline(float(values[0]), **kw)
    else:
        ax.step(x, values, where="mid", **kw)


def _draw(ax: Any, chart: ControlChart, lsl: float | None, usl: float | None) -> None:
    x = np.arange(1, len(chart) + 1)
    signals: dict[int, list[str]] = {}
    for rule, idx in chart.violations.items():
        for i in idx.tolist():
            signals.setdefault(i, []).append(rule.replace("nelson", "N").replace("we", "WE"))
    for i in chart.beyond_limits.tolist():
        signals.setdefault(i, [])
    if chart.kind == "cusum" and chart.upper is not None and chart.lower is not None:
        ax.plot(x, chart.upper, marker="o", ms=3, lw=1, color="#1f4e79", label="C+")
        ax.plot(x, chart.lower, marker="o", ms=3, lw=1, color="#2e75b6", label="C-")
        ys = np.where(np.abs(chart.upper) >= np.abs(chart.lower), chart.upper, chart.lower)
    else:
        ax.plot(x, chart.statistic, marker="o", ms=3.5, lw=1, color="#1f4e79")
        ys = chart.statistic
    _step_line(ax, x, chart.center, color="#2e7d32", lw=1.2, label="CL")
    _step_line(ax, x, chart.ucl, color="#c62828", lw=1, ls="--", label="UCL")
    _step_line(ax, x, chart.lcl, color="#c62828", lw=1, ls="--", label="LCL")
    for spec, name in ((lsl, "LSL"), (usl, "USL")):
        if spec is not None:
            ax.axhline(spec, color="#6a1b9a", lw=1, ls=":", label=name)
            ax.annotate(
                f"{name}={spec:.6g}",
                (0.0, spec),
                xycoords=("axes fraction", "data"),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=7,
                color="#6a1b9a",
            )
    if signals:
        idx = np.array(sorted(signals))
        ax.plot(x[idx], ys[idx], "o", color="#d32f2f", ms=6, zorder=5)
        if len(idx) <= 40:
            for i in idx.tolist():
                label = ",".join(dict.fromkeys(signals[i])) or "N1"
                ax.annotate(
                    label,
                    (x[i], ys[i]),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                    fontsize=7,
                    color="#d32f2f",
                )
    ucl_last = float(np.asarray(chart.ucl)[-1])
    lcl_last = float(np.asarray(chart.lcl)[-1])
    center_last = float(np.ravel(np.asarray(chart.center))[-1])
    decimals = _decimals(ucl_last - lcl_last)
    for value, name in ((ucl_last, "UCL"), (center_last, "CL"), (lcl_last, "LCL")):
        ax.annotate(
            f"{name}={value:.{decimals}f}",
            (1.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=7,
            va="center",
        )
    ax.set_title(TITLES.get(chart.kind, chart.kind), fontsize=10, loc="left")
    ax.grid(visible=True, alpha=0.25)
    ax.set_xlim(0.5, len(chart) + 0.5)


def plot_charts(
    charts: Sequence[ControlChart],
    path: str | Path,
    *,
    title: str = "",
    lsl: float | None = None,
    usl: float | None = None,
) -> Path:
    """Write one panel per chart (e.g. X-bar over R) to a PNG, SVG or PDF file.

    Spec lines are drawn on the first panel (the location chart) when given.
    Out-of-control points are marked red and labelled by rule (N1..N8, WE1..WE4).
    """
    fig = charts_figure(charts, title=title, lsl=lsl, usl=usl)
    out = Path(path)
    fig.savefig(out, dpi=150)
    _pyplot().close(fig)
    return out


def charts_figure(
    charts: Sequence[ControlChart],
    *,
    title: str = "",
    lsl: float | None = None,
    usl: float | None = None,
) -> Any:
    """The chart panels as a matplotlib Figure (for reports that compose several)."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(charts), 1, figsize=(10, 3.2 * len(charts)), squeeze=False)
    for k, (ax, chart) in enumerate(zip(axes[:, 0], charts, strict=True)):
        _draw(ax, chart, lsl if k == 0 else None, usl if k == 0 else None)
    axes[-1, 0].set_xlabel("Sample")
    notes = sorted({r for c in charts for r, i in c.violations.items() if i.size})
    if notes:
        run = charts[0].run_length
        text = "; ".join(
            f"{r.replace('nelson', 'N').replace('we', 'WE')}: {describe_rule(r, run)}"
            for r in notes
        )
        fig.text(0.01, 0.005, text, fontsize=7, wrap=True)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout(rect=(0, 0.04, 0.95, 1))
    return fig


def plot_capability(
    values: np.ndarray[Any, Any], result: Capability, path: str | Path, *, title: str = ""
) -> Path:
    """Histogram with specification limits, target and fitted normal curves (within, overall)."""
    fig = capability_figure(values, result, title=title)
    out = Path(path)
    fig.savefig(out, dpi=150)
    _pyplot().close(fig)
    return out


def capability_figure(values: np.ndarray[Any, Any], result: Capability, *, title: str = "") -> Any:
    """The capability histogram as a matplotlib Figure."""
    from scipy import stats

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    data = np.asarray(values, dtype=float).ravel()
    data = data[np.isfinite(data)]
    ax.hist(data, bins="auto", density=True, color="#90caf9", edgecolor="#1f4e79")
    lo = min([data.min()] + [v for v in (result.lsl,) if v is not None])
    hi = max([data.max()] + [v for v in (result.usl,) if v is not None])
    span = hi - lo
    grid = np.linspace(lo - 0.1 * span, hi + 0.1 * span, 400)
    ax.plot(
        grid,
        stats.norm.pdf(grid, result.mean, result.sigma_within),
        color="#c62828",
        lw=1.5,
        label="within",
    )
    ax.plot(
        grid,
        stats.norm.pdf(grid, result.mean, result.sigma_overall),
        color="#2e7d32",
        lw=1.5,
        ls="--",
        label="overall",
    )
    for value, name in ((result.lsl, "LSL"), (result.usl, "USL"), (result.target, "Target")):
        if value is not None:
            ax.axvline(value, color="#6a1b9a", ls=":" if name == "Target" else "-", lw=1.2)
            ax.annotate(
                name,
                (value, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -10),
                textcoords="offset points",
                fontsize=8,
            )
    lines = [f"n = {result.n}", f"mean = {result.mean:.5g}"]
    for name in ("cp", "cpk", "cpm", "pp", "ppk"):
        value = getattr(result, name)
        if value is not None:
            lines.append(f"{name.capitalize()} = {value:.3f}")
    lines.append(f"ppm (within) = {result.ppm_total_within:.1f}")
    ax.text(
        1.01,
        0.98,
        "\n".join(lines),
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        family="monospace",
    )
    ax.set_title(title or "Process capability", loc="left")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
