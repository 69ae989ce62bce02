"""Pictures of a sampling plan: its OC curve beside the AOQ curve (with the AOQL) and, for
double and multiple plans, the average sample number.  matplotlib is imported lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qualitas.spc.plot import _pyplot

__all__ = ["oc_figure", "plot_oc"]


def oc_figure(curves: dict[str, Any], *, title: str = "") -> Any:
    """``curves`` as ``qualitas spc oc --json`` gives them: p, pa and, when there is a lot
    size, aoq and aoql (asn for double and multiple plans)."""
    plt = _pyplot()
    panels = 1 + ("aoq" in curves) + ("asn" in curves)
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 3.6), squeeze=False)
    p = [100.0 * q for q in curves["p"]]
    ax = axes[0][0]
    ax.plot(p, curves["pa"], color="#1f4e79", lw=1.6)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Incoming quality (% nonconforming)")
    ax.set_ylabel("Probability of acceptance")
    ax.set_title("Operating characteristic", fontsize=10)
    ax.grid(alpha=0.3)
    col = 1
    if "aoq" in curves:
        ax = axes[0][col]
        ax.plot(p, [100.0 * v for v in curves["aoq"]], color="#2e7d32", lw=1.6)
        aoql = 100.0 * float(curves["aoql"])
        ax.axhline(aoql, color="#c62828", ls="--", lw=1)
        ax.set_ylim(0, aoql * 1.18)  # room above the AOQL line for its label
        ax.annotate(f"AOQL {aoql:.3g} %", (p[-1], aoql), ha="right", va="bottom", fontsize=8)
        ax.set_xlabel("Incoming quality (% nonconforming)")
        ax.set_ylabel("Average outgoing quality (%)")
        ax.set_title("Average outgoing quality", fontsize=10)
        ax.grid(alpha=0.3)
        col += 1
    if "asn" in curves:
        ax = axes[0][col]
        ax.plot(p, curves["asn"], color="#6a1b9a", lw=1.6)
        ax.set_xlabel("Incoming quality (% nonconforming)")
        ax.set_ylabel("Average sample number")
        ax.set_title("Average sample number", fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle(title or str(curves.get("plan", "")), fontsize=10, parse_math=False)
    fig.tight_layout()
    return fig


def plot_oc(curves: dict[str, Any], path: str | Path, *, title: str = "") -> Path:
    """Write the OC (and AOQ, ASN) curves to ``path`` (.png, .svg or .pdf)."""
    fig = oc_figure(curves, title=title)
    out = Path(path)
    fig.savefig(out, dpi=150)
    _pyplot().close(fig)
    return out
