"""The HTML report of a risk run: Monte Carlo, stockpile sizing, project returns or the ranking.

:func:`build` turns a run's payload (:mod:`critmin.model.montecarlo.figures`, the same dict
the REST job's result holds and ``--format json`` prints) into one self-contained HTML page
with inline SVG charts (matplotlib, text kept as text): histograms of the distributions, the
fan of price paths, the tornado of drivers, and every table. Nothing is computed here;
a value that is missing is a dash, never 0.
"""

from __future__ import annotations

from critmin.report import html as H
from critmin.report.charts import PALETTE, _plt, to_svg

SOURCE = "critmin Monte Carlo on its committed snapshot (see the assumptions below)"


# --- charts ----------------------------------------------------------------------------------------

def histogram_svg(hist: dict, *, title: str, xlabel: str) -> str:
    """Bars of a histogram payload (``edges``, ``counts``)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 2.6))
    edges, counts = hist.get("edges") or [], hist.get("counts") or []
    if counts:
        widths = [max(b - a, 0.0) for a, b in zip(edges[:-1], edges[1:])]
        if all(w == 0 for w in widths):
            ax.bar([edges[0]], counts, width=1.0, color=PALETTE["blue"])
        else:
            ax.bar(edges[:-1], counts, width=widths, align="edge", color=PALETTE["blue"], edgecolor="white", lw=0.4)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("scenario-years" if "npv" not in title.lower() and "irr" not in title.lower() else "price paths")
    ax.set_title(title)
    note = f"{hist.get('n', 0):,} values" + (f"; {hist['excluded']:,} not solved or undefined, left out"
                                              if hist.get("excluded") else "")
    return to_svg(fig, f"{SOURCE}; {note}")


def fan_svg(rows: list[dict], *, title: str, ylabel: str) -> str:
    """5-95 % and 25-75 % bands and the median by year."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 2.8))
    x = [r["year"] for r in rows]
    get = lambda k: [r.get(k) for r in rows]  # noqa: E731
    ax.fill_between(x, get("p5"), get("p95"), color=PALETTE["light"], label="5-95 %")
    ax.fill_between(x, get("p25"), get("p75"), color="#8fb0cf", label="25-75 %")
    ax.plot(x, get("p50"), color=PALETTE["blue"], lw=1.6, label="median")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7.5, frameon=False, loc="upper left")
    return to_svg(fig, SOURCE)


def tornado_svg(rows: list[dict], *, title: str, xlabel: str, n: int = 8) -> str:
    """For each input: a bar from the mean outcome at its low values to that at its high values."""
    plt = _plt()
    rows = rows[:n][::-1]
    fig, ax = plt.subplots(figsize=(6.2, 0.9 + 0.32 * max(1, len(rows))))
    for i, r in enumerate(rows):
        lo, hi = r["mean_outcome_low_input"], r["mean_outcome_high_input"]
        ax.barh(i, hi - lo, left=lo, color=PALETTE["orange"] if hi >= lo else PALETTE["blue"], height=0.6)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["input"] for r in rows])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return to_svg(fig, f"{SOURCE}; orange: the outcome rises with the input, blue: it falls")


# --- sections --------------------------------------------------------------------------------------

def _kv(pairs: dict) -> str:
    rows = [{"k": k.replace("_", " "), "v": _fmt(v)} for k, v in pairs.items() if not isinstance(v, (dict, list))]
    return H.table(rows, [("k", "item"), ("v", "value")])


def _fmt(v) -> str:
    if H.is_missing(v):
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:,.4g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _records(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    cols = columns or list(rows[0])
    shown = [{c: _fmt(r.get(c)) for c in cols} for r in rows]
    return H.table(shown, [(c, c.replace("_", " ")) for c in cols], sortable=True,
                   numeric={c for c in cols if any(isinstance(r.get(c), (int, float)) for r in rows)})


def _histograms(p: dict) -> str:
    out, constant = [], []
    for col, h in (p.get("histograms") or {}).items():
        edges = h.get("edges") or []
        if len(edges) == 2 and edges[0] == edges[1]:  # one value: a sentence, not a chart
            constant.append(f"{h.get('label', col)}: all {h['n']:,} values equal {_fmt(edges[0])}")
            continue
        if not edges:
            constant.append(f"{h.get('label', col)}: no value solved")
            continue
        out.append(H.figure(histogram_svg(h, title=h.get("label", col), xlabel=h.get("label", col)),
                            f"Histogram of {h.get('label', col)}."))
    notes = "".join(f'<p class="muted">{H.esc(c)}.</p>' for c in constant)
    return ('<div class="grid2">' + "".join(out) + "</div>" if out else "") + notes


def _assumptions(p: dict) -> str:
    lines = list(p.get("assumptions") or []) + list(p.get("notes") or [])
    if not lines:
        return ""
    return "<h2>Assumptions and sources</h2><ul>" + "".join(f"<li>{H.esc(x)}</li>" for x in lines) + "</ul>"


def _disruption_body(p: dict) -> str:
    h = p.get("headline", {})
    units = p.get("units", {})
    parts = [f"<h2>Expected annual outcomes for the US</h2>{_kv(h)}",
             "<h2>Distributions per scenario-year</h2>" + _records(p.get("distributions", [])),
             "<h2>Histograms</h2>" + _histograms(p)]
    fan = p.get("price_fan") or []
    if len(fan) > 1:
        parts.append("<h2>Price paths</h2>" + H.figure(fan_svg(fan, title="US consumer price change by year",
                                                               ylabel="% from base"), p.get("price_fan_unit", "")))
    parts.append("<h2>Expected welfare loss by event</h2>" + _records(p.get("by_event", [])))
    if p.get("tornado"):
        parts.append("<h2>Drivers of the loss</h2>"
                     + H.figure(tornado_svg(p["tornado"], title="Mean welfare loss per draw at the low and high "
                                                                 "fifth of each input",
                                            xlabel=f"welfare loss per draw ({units.get('money', '')})"),
                                p.get("tornado_outcome", ""))
                     + _records(p["tornado"]))
    box = (p.get("discovery") or {}).get("prim_box") or []
    if box:
        parts.append("<h2>PRIM box of the worst decile</h2>" + _kv(p.get("prim_box_stats", {})) + _records(box))
    parts.append("<h2>Disruption events applied</h2>" + _records(
        p.get("events", []), [c for c in ("label", "kind", "target", "annual_probability_mean", "duration", "severity",
                                          "rate_basis") if p.get("events") and c in p["events"][0]]))
    parts.append("<h2>Run</h2>" + _kv(p.get("run", {})))
    return "".join(parts)


def _stockpile_body(p: dict) -> str:
    return ("<h2>Stock covering each target probability of shortfall</h2>" + _records(p.get("sizing", []))
            + f'<p>{H.esc(p.get("release_rule", ""))}</p>' + _disruption_body(p))


def _project_body(p: dict) -> str:
    parts = [f"<h2>Project and floor</h2>{_kv(p.get('headline', {}))}",
             "<h2>NPV and IRR over the price paths</h2>" + _records(p.get("returns", [])),
             "<h2>Histograms</h2>" + _histograms(p)]
    if p.get("price_fan"):
        parts.append("<h2>Simulated price</h2>" + H.figure(
            fan_svg(p["price_fan"], title="Simulated price by year", ylabel=p.get("price_fan_unit", "")),
            p.get("price_fan_unit", "")))
    if p.get("floor_cost"):
        parts.append("<h2>Fiscal cost of the floor (present value)</h2>" + _records(p["floor_cost"]))
    parts.append("<h2>Project inputs and sources</h2>" + _kv(p.get("project_sources", {})))
    parts.append("<h2>Price history used</h2>" + _records(p.get("price_history", [])))
    return "".join(parts)


def _ranking_body(p: dict) -> str:
    cols = ["rank", "mineral", "market", "expected_welfare_loss", "expected_consumer_loss", "p90_welfare_loss",
            "probability_of_shortfall", "top_event", "top_event_share", "failed_years", "currency"]
    rows = p.get("ranking", [])
    return ("<h2>Expected annual US welfare loss from supply disruptions</h2>"
            + _records(rows, [c for c in cols if rows and c in rows[0]])
            + "<h2>Breakdown by event</h2>" + _records(p.get("by_event", []))
            + "<h2>Minerals without a calibrated market</h2>" + _records(p.get("missing", []))
            + "<h2>Run</h2>" + _kv(p.get("run", {})))


BODIES = {"montecarlo": _disruption_body, "stockpile": _stockpile_body, "project": _project_body,
          "ranking": _ranking_body}
TITLES = {"montecarlo": "Disruption Monte Carlo", "stockpile": "Stockpile sizing", "project": "Project returns",
          "ranking": "Expected-loss ranking"}


def build(payload: dict, *, generated: str | None = None) -> str:
    """The report of one run's payload (its ``kind`` says which)."""
    kind = payload.get("kind")
    if kind not in BODIES:
        raise ValueError(f"not a risk-run payload (kind {kind!r}; expected one of {', '.join(BODIES)})")
    h = payload.get("headline", {})
    what = h.get("mineral") or ""
    run = payload.get("run", {})
    sub = ", ".join(x for x in (f"market {h['market']}" if h.get("market") else "",
                                f"{run['draws']:,} draws" if run.get("draws") else "",
                                f"seed {run['seed']}" if run.get("seed") is not None else "") if x)
    return H.page(f"{TITLES[kind]}{': ' + what if what else ''}", BODIES[kind](payload) + _assumptions(payload),
                  subtitle=sub, generated=generated)
