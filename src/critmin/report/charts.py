"""Charts as inline SVG, drawn offline with matplotlib (Agg backend, text kept as text).

Every chart carries a title, axis labels with units, and a source line under the plot.
"""

from __future__ import annotations

import io
import re

PALETTE = {"blue": "#1f5f99", "red": "#b03a2e", "grey": "#8a8f98", "light": "#c9d6e3", "orange": "#d4801c",
           "green": "#3c8d5a", "purple": "#6c4f9c"}
FEOC_COLOR = PALETTE["red"]
OTHER_COLOR = PALETTE["blue"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10.5,
        "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False,
        "axes.titlelocation": "left", "svg.hashsalt": "critmin",
    })
    return plt


def to_svg(fig, source: str) -> str:
    """Render a figure with its source line under the axes to an SVG string.

    The source line is placed below everything the axes draw (tick labels, axis label,
    legend), so it never overlaps them; the SVG keeps its natural size and shrinks, never
    grows, to the page width.
    """
    plt = _plt()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bottom = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes) / fig.bbox.height
    left = min(ax.get_tightbbox(renderer).x0 for ax in fig.axes) / fig.bbox.width
    fig.text(max(left, 0.0), bottom - 0.015, f"Source: {source}", fontsize=7.5, color="#555555", ha="left", va="top")
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.08, metadata={"Date": None, "Creator": "critmin"})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    return svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def share_bars(labels: list[str], shares: list[float], highlight: list[bool], *, title: str, xlabel: str,
               source: str, bounds: list[tuple[float, float] | None] | None = None, width: float = 6.4) -> str:
    """Horizontal bars of shares (fractions, drawn in percent), largest on top.

    ``highlight`` colours a bar red (a foreign country of concern); ``bounds`` draws a
    whisker where a share is only bounded.
    """
    plt = _plt()
    n = max(1, len(labels))
    fig, ax = plt.subplots(figsize=(width, 0.8 + 0.28 * n))
    y = list(range(n))[::-1]
    colors = [FEOC_COLOR if h else OTHER_COLOR for h in highlight]
    ax.barh(y, [100 * s for s in shares], color=colors, height=0.7)
    for yi, s in zip(y, shares):
        ax.text(100 * s + 0.8, yi, f"{100 * s:.1f}%", va="center", fontsize=8)
    if bounds:
        for yi, b in zip(y, bounds):
            if b is not None and b[1] > b[0]:
                ax.plot([100 * b[0], 100 * b[1]], [yi, yi], color="black", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlim(0, max(100 * max(shares, default=0) * 1.18, 10))
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if any(highlight):
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=FEOC_COLOR, label="foreign country of concern"), Patch(color=OTHER_COLOR, label="other")],
                  loc="lower right", fontsize=7.5, frameon=False)
    return to_svg(fig, source)


def time_lines(series: list[dict], *, title: str, ylabel: str, source: str, events: list[dict] | None = None,
               logy: bool = False, width: float = 7.2, height: float = 3.2, ylim: tuple | None = None) -> str:
    """Lines over time. ``series``: ``{label, x (list of datetimes or years), y, style?}``;
    ``events``: ``{x, label}`` drawn as dashed vertical lines numbered in the legend order."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width, height))
    colors = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"], PALETTE["grey"], PALETTE["red"]]
    for i, s in enumerate(series):
        style = s.get("style", "-o" if len(s["x"]) < 15 else "-")
        ax.plot(s["x"], s["y"], style, color=colors[i % len(colors)], label=s["label"], markersize=3.5, lw=1.4)
        for xb, lo, hi in s.get("ranges", []):
            ax.plot([xb, xb], [lo, hi], color=colors[i % len(colors)], lw=3, alpha=0.5)
    if events:
        ymax = ax.get_ylim()[1]
        for k, e in enumerate(events, start=1):
            ax.axvline(e["x"], color=PALETTE["red"], ls="--", lw=0.8, alpha=0.8)
            ax.text(e["x"], ymax, f" {e.get('k', k)}", color=PALETTE["red"], fontsize=7.5, va="top", ha="left")
    if logy:
        ax.set_yscale("log")
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    if len(series) > 1 or series and series[0].get("legend"):
        ax.legend(fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=1)
    return to_svg(fig, source)


def risk_matrix(points: list[dict], *, title: str, xlabel: str, ylabel: str, source: str, size_label: str,
                width: float = 10.5, height: float = 6.4) -> str:
    """Scatter of minerals: ``{label, x, y, size (or None), x_range (lo, hi) or None, feoc}``.

    A point's area is proportional to ``size``; a point without a size is drawn hollow at the
    smallest area, and the legend says so. A bounded x is a horizontal whisker.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width, height))
    points = _merge_coincident(points)
    sizes = [p["size"] for p in points if p.get("size")]
    smax = max(sizes) if sizes else 1.0
    for p in points:
        area = 30 + 900 * (p["size"] / smax) if p.get("size") else 30
        color = PALETTE["red"] if p.get("feoc") else PALETTE["blue"]
        face = color if p.get("size") else "none"
        ax.scatter([p["x"]], [p["y"]], s=area, facecolors=face, edgecolors=color, alpha=0.55 if p.get("size") else 0.9, lw=1)
        if p.get("x_range"):
            lo, hi = p["x_range"]
            ax.plot([lo, hi], [p["y"], p["y"]], color=color, lw=0.8, alpha=0.45)
        ax.annotate(p["label"], (p["x"], p["y"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlim(-3, 103)
    ax.set_ylim(-0.02, 1.05)
    ax.axvline(50, color="#bbbbbb", lw=0.7, ls=":")
    ax.axhline(0.25, color="#bbbbbb", lw=0.7, ls=":")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=PALETTE["red"], alpha=0.6, label="China is the top processor"),
               Line2D([], [], marker="o", ls="", color=PALETTE["blue"], alpha=0.6, label="another country is"),
               Line2D([], [], marker="o", ls="", markerfacecolor="none", color=PALETTE["grey"], label=f"no {size_label}")]
    ax.legend(handles=handles, fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(0.0, -0.09), ncol=3,
              title=f"area ~ {size_label}", title_fontsize=7.5, alignment="left")
    return to_svg(fig, source)


def _merge_coincident(points: list[dict]) -> list[dict]:
    """Points at the same place (rare-earth elements sharing their group's figures) become
    one marker labelled with their names, so labels do not pile up unreadably."""
    groups: dict[tuple, list[dict]] = {}
    for p in points:
        groups.setdefault((round(p["x"], 1), round(p["y"], 3), p.get("x_range")), []).append(p)
    out = []
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        names = sorted(m["label"] for m in members)
        label = ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")
        sizes = [m["size"] for m in members if m.get("size")]
        out.append({**members[0], "label": label, "size": max(sizes) if sizes else None})
    return out
