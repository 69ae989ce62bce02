"""Report-quality chart images (matplotlib, imported lazily with the Agg backend)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qualitas.spc.capability import Capability, Transformation
from qualitas.spc.charts import ControlChart
from qualitas.spc.formatting import decimals_for_span, format_index, format_limit, format_ppm
from qualitas.spc.nonnormal import JohnsonFit
from qualitas.spc.rules import describe_rule

__all__ = ["plot_capability", "plot_charts", "wrap_to_width"]

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
# What the vertical axis of each chart shows; variables charts add the unit of measure.
AXIS_LABELS = {
    "xbar": "Sample mean",
    "R": "Sample range",
    "S": "Sample standard deviation",
    "individuals": "Individual value",
    "moving_range": "Moving range",
    "p": "Fraction nonconforming",
    "np": "Number nonconforming",
    "c": "Nonconformities",
    "u": "Nonconformities per unit",
    "ewma": "EWMA",
    "cusum": "Cumulative sum",
}
ATTRIBUTE_KINDS = {"p", "np", "c", "u"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


_decimals = decimals_for_span


def wrap_to_width(
    text: str, *, width_in: float, fontsize: float, weight: str = "normal"
) -> list[str]:
    """The text broken into lines that fit `width_in` inches when printed at `fontsize`
    points, measured with the font itself (a long study title is never cut at the edge)."""
    from matplotlib.backends import backend_agg
    from matplotlib.font_manager import FontProperties

    renderer: Any = backend_agg.RendererAgg  # matplotlib leaves it untyped
    renderer = renderer(1, 1, 72)  # 72 dpi: widths in points
    prop = FontProperties(size=fontsize, weight=weight)
    limit = width_in * 72

    def fits(line: str) -> bool:
        width: float = renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
        return width <= limit

    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        # A word wider than the line (a part number, a path) is cut where it must be.
        while not fits(word) and len(word) > 1:
            cut = max(k for k in range(1, len(word)) if fits(word[:k]) or k == 1)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def axis_label(kind: str, unit: str = "") -> str:
    """The vertical axis of a chart: what is plotted, in the unit of measure if it has one."""
    label = AXIS_LABELS.get(kind, kind)
    return f"{label} ({unit})" if unit and kind not in ATTRIBUTE_KINDS else label


def _step_line(ax: Any, x: np.ndarray[Any, Any], y: Any, **kw: Any) -> None:
    values = np.broadcast_to(np.asarray(y, dtype=float), x.shape)
    if values.size and np.all(values == values[0]):
        ax.axhline(float(values[0]), **kw)
    else:
        ax.step(x, values, where="mid", **kw)


def _draw(ax: Any, chart: ControlChart, lsl: float | None, usl: float | None) -> None:
    from matplotlib.ticker import MaxNLocator

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
        center: Any = 0.0  # the sums are drawn about zero; the centre is in data units
    else:
        ax.plot(x, chart.statistic, marker="o", ms=3.5, lw=1, color="#1f4e79")
        ys = chart.statistic
        center = chart.center
    _step_line(ax, x, center, color="#2e7d32", lw=1.2, label="CL")
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
    for value, name in ((ucl_last, "UCL"), (center_last, "CL"), (lcl_last, "LCL")):
        ax.annotate(
            f"{name}={format_limit(value, ucl_last - lcl_last)}",
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
    # Samples are counted: a tick at 2.5 names no sample.
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def plot_charts(
    charts: Sequence[ControlChart],
    path: str | Path,
    *,
    title: str = "",
    lsl: float | None = None,
    usl: float | None = None,
    unit: str = "",
) -> Path:
    """Write one panel per chart (e.g. X-bar over R) to a PNG, SVG or PDF file.

    Spec lines are drawn on the first panel (the location chart) when given.
    Out-of-control points are marked red and labelled by rule (N1..N8, WE1..WE4).
    """
    fig = charts_figure(charts, title=title, lsl=lsl, usl=usl, unit=unit)
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
    unit: str = "",
) -> Any:
    """The chart panels as a matplotlib Figure (for reports that compose several)."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(charts), 1, figsize=(10, 3.2 * len(charts)), squeeze=False)
    for k, (ax, chart) in enumerate(zip(axes[:, 0], charts, strict=True)):
        _draw(ax, chart, lsl if k == 0 else None, usl if k == 0 else None)
        ax.set_xlabel("Sample", fontsize=8)
        ax.set_ylabel(axis_label(chart.kind, unit), fontsize=8)
    notes = sorted({r for c in charts for r, i in c.violations.items() if i.size})
    if notes:
        run = charts[0].run_length
        text = "; ".join(
            f"{r.replace('nelson', 'N').replace('we', 'WE')}: {describe_rule(r, run)}"
            for r in notes
        )
        fig.text(0.01, 0.005, text, fontsize=7, wrap=True)
    if title:
        lines = wrap_to_width(title, width_in=fig.get_figwidth() * 0.9, fontsize=12)
        fig.suptitle("\n".join(lines), fontsize=12, parse_math=False)
    fig.tight_layout(rect=(0, 0.04, 0.95, 1))
    return fig


def plot_capability(
    values: np.ndarray[Any, Any],
    result: Capability,
    path: str | Path,
    *,
    title: str = "",
    xlabel: str = "",
) -> Path:
    """Histogram with specification limits, target and fitted normal curves (within, overall)."""
    fig = capability_figure(values, result, title=title, xlabel=xlabel)
    out = Path(path)
    fig.savefig(out, dpi=150)
    _pyplot().close(fig)
    return out


def _transformation_density(
    transformation: Transformation,
) -> tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any]]:
    """The transformation g as used for the indices, its slope g' and whether a value lies in
    its domain: a value x whose transform g(x) is N(m, s) has density phi((g(x) - m) / s) / s
    * g'(x) in data units (change of variables)."""
    p = transformation.parameters
    if transformation.name == "box-cox":
        lam = float(p["lambda"])

        def g(x: Any) -> Any:
            return np.log(x) if lam == 0 else (np.power(x, lam) - 1.0) / lam

        def slope(x: Any) -> Any:
            return np.power(x, lam - 1.0)

        def inside(x: Any) -> Any:
            return x > 0

        return g, slope, inside
    fit = JohnsonFit(p["family"], p["gamma"], p["eta"], p["epsilon"], p["lambda"], p["z"], 0.0, 0.0)
    eps, width, eta = fit.epsilon, float(fit.lam or 0.0), fit.eta

    def johnson_slope(x: Any) -> Any:
        if fit.family == "SL":
            return eta / (x - eps)
        if fit.family == "SB":
            return eta * width / ((x - eps) * (eps + width - x))
        return eta / np.sqrt((x - eps) ** 2 + width**2)

    def johnson_inside(x: Any) -> Any:
        if fit.family == "SL":
            return x > eps
        if fit.family == "SB":
            return (x > eps) & (x < eps + width)
        return np.ones_like(x, dtype=bool)

    return fit.transform, johnson_slope, johnson_inside


def _method_name(result: Capability) -> str:
    t = result.transformation
    if result.method == "boxcox" and t is not None:
        return f"Box-Cox, λ = {t.parameters['lambda']:.3g}"
    if result.method == "johnson" and t is not None:
        return f"Johnson {t.parameters['family']}"
    if result.method == "percentile":
        return "Clements' percentile method"
    return "Normal"


def _method_caption(result: Capability) -> str:
    """Which method drew the indices, and what the normality test said of the data."""
    chosen = " (chosen automatically)" if result.method_reason.startswith("Method chosen") else ""
    if result.method == "percentile":
        drawn = "no normal curve; the 0.135 %, 50 % and 99.865 % points are marked"
    else:
        drawn = "normal fit of the transformed data, drawn in data units"
    if result.normality is None:
        test = "Anderson-Darling: too few values to test"
    else:
        test = f"Anderson-Darling p = {result.normality.p_value:.3g}"
        t = result.transformation
        if t is not None and t.normality is not None:
            test += f" as measured, {t.normality.p_value:.3g} transformed"
    return f"Method: {_method_name(result)}{chosen}: {drawn}. {test}."


def capability_figure(
    values: np.ndarray[Any, Any], result: Capability, *, title: str = "", xlabel: str = ""
) -> Any:
    """The capability histogram as a matplotlib Figure: counts of values per class, with the
    distribution the indices assumed scaled to the same counts: the within and overall normal
    curves; for a Box-Cox or Johnson transformation those curves mapped back to data units;
    for the percentile method no curve, but the three percentiles it used."""
    from matplotlib.ticker import MaxNLocator
    from scipy import stats

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    data = np.asarray(values, dtype=float).ravel()
    data = data[np.isfinite(data)]
    counts, edges, _ = ax.hist(data, bins="auto", color="#90caf9", edgecolor="#1f4e79")
    width = float(edges[1] - edges[0])
    points = result.percentiles or {}
    marks = [points[k] for k in ("p0.135", "p50", "p99.865") if k in points]
    lo = min([data.min()] + [v for v in (result.lsl, *marks) if v is not None])
    hi = max([data.max()] + [v for v in (result.usl, *marks) if v is not None])
    span = hi - lo
    grid = np.linspace(lo - 0.1 * span, hi + 0.1 * span, 400)
    # A density scaled by n x class width is read against the bars: values per class.
    scale = data.size * width
    transformation = result.transformation
    curves: list[np.ndarray[Any, Any]] = []
    legend = "Normal fit"
    if result.method == "percentile":
        legend = "Percentiles"
        for point, name, style in zip(
            marks, ("P0.135", "P50", "P99.865"), (":", "--", ":"), strict=False
        ):
            ax.axvline(point, color="#2e7d32", ls=style, lw=1.3, label=name)
        ax.set_xlim(grid[0], grid[-1])
    elif transformation is not None:
        g, slope, inside = _transformation_density(transformation)
        family = transformation.parameters.get("family", "")
        legend = "Box-Cox fit" if transformation.name == "box-cox" else f"Johnson {family} fit"
        ok = inside(grid)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z, dz = g(np.where(ok, grid, np.nan)), slope(np.where(ok, grid, np.nan))
        for sigma, colour, style, name in (
            (transformation.sigma_within, "#c62828", "-", "within"),
            (transformation.sigma_overall, "#2e7d32", "--", "overall"),
        ):
            density = stats.norm.pdf(z, transformation.mean, sigma) * dz * scale
            ax.plot(grid, density, color=colour, lw=1.5, ls=style, label=name)
            curves.append(density)
        ax.set_xlim(grid[0], grid[-1])
    else:
        within = stats.norm.pdf(grid, result.mean, result.sigma_within) * scale
        overall = stats.norm.pdf(grid, result.mean, result.sigma_overall) * scale
        ax.plot(grid, within, color="#c62828", lw=1.5, label="within")
        ax.plot(grid, overall, color="#2e7d32", lw=1.5, ls="--", label="overall")
        curves = [within, overall]
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
    # Room above the tallest bar or curve for the labels, but never beyond n values.
    peaks = [float(np.nanmax(c)) for c in curves if np.isfinite(c).any()]
    top = max([float(counts.max()), *peaks]) * 1.12
    ax.set_ylim(0, max(1.0, min(top, float(data.size))))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Number of values")
    ax.set_xlabel(xlabel or "Measured value")
    sigma_span = 6 * result.sigma_overall
    lines = [
        f"n = {result.n}",
        f"mean = {format_limit(result.mean, sigma_span)}",
        f"sigma within = {format_limit(result.sigma_within, sigma_span)}",
        f"sigma overall = {format_limit(result.sigma_overall, sigma_span)}",
    ]
    for name in ("cp", "cpk", "cpm", "pp", "ppk"):
        value = getattr(result, name)
        if value is not None:
            lines.append(f"{name.capitalize()} = {format_index(value)}")
    lines.append(f"ppm (within) = {format_ppm(result.ppm_total_within)}")
    ax.text(
        1.01,
        0.98,
        "\n".join(lines),
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        family="monospace",
    )
    heading = wrap_to_width(
        title or "Process capability", width_in=fig.get_figwidth() * 0.9, fontsize=12
    )
    ax.set_title("\n".join(heading), loc="left", fontsize=12, parse_math=False)
    # Beside the plot, under the figures: inside it, it hid the LSL label and the left bars.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 0.3), fontsize=8, title=legend)
    if result.method == "normal":
        fig.tight_layout()
        return fig
    # A non-normal method says so under the plot, with the normality test that called for it.
    caption = wrap_to_width(_method_caption(result), width_in=fig.get_figwidth() * 0.95, fontsize=8)
    fig.text(0.01, 0.01, "\n".join(caption), fontsize=8, va="bottom", parse_math=False)
    fig.tight_layout(rect=(0, 0.03 + 0.035 * len(caption), 1, 1))
    return fig
