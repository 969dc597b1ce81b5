r"""The numbers behind a run's figures: histograms, fans, tornado rows, and each run's payload.

Pure functions of a finished run, so the REST jobs, the web page, the HTML report and the
CLI's ``--format html`` draw the same numbers without computing anything themselves.

Histogram
    Equal-width bins over the solved values (:func:`numpy.histogram_bin_edges` with the
    Freedman-Diaconis/Sturges ``"auto"`` rule, capped at ``max_bins``), with the count and
    the share of values in each bin; values that did not solve are counted beside, never
    binned as zero.

Fan
    Quantiles (5, 25, 50, 75, 95 %) of a per-year outcome across draws, year by year.

Tornado
    For each sampled input that varies, the mean of the per-draw outcome among the draws
    whose input lies in its lowest ``share`` of values and among those in its highest
    ``share`` (conditional means, a Monte Carlo tornado: no one-at-a-time re-solve), the
    swing between the two, and Spearman's rho (:mod:`.discovery`). Sorted by swing.

.. math::

    \text{swing}_k = \left| E[y \mid x_k \ge q_{1-s}(x_k)] - E[y \mid x_k \le q_s(x_k)] \right|
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import discovery, summary

FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Outcomes of a disruption run drawn as histograms, with their axis words.
HISTOGRAM_OUTPUTS = {
    "consumer_price_change_pct": "US consumer price change, % from the base",
    "shortfall": "US shortfall below base consumption",
    "welfare_loss": "US welfare loss per year",
    "consumer_loss": "US consumer loss per year",
    "fiscal_cost": "US fiscal cost per year",
}


def histogram(values, max_bins: int = 40) -> dict:
    """Bins of the finite values: ``edges`` (n+1), ``counts`` and ``shares`` (n), ``n``, ``excluded``.

    A constant sample is one bin of zero width at its value.
    """
    v = np.asarray(values, dtype=float)
    fin = v[np.isfinite(v)]
    out = {"n": int(fin.size), "excluded": int(v.size - fin.size)}
    if fin.size == 0:
        return {**out, "edges": [], "counts": [], "shares": []}
    lo, hi = float(fin.min()), float(fin.max())
    if hi == lo:
        return {**out, "edges": [lo, hi], "counts": [int(fin.size)], "shares": [1.0]}
    edges = np.histogram_bin_edges(fin, bins="auto")
    if len(edges) - 1 > max_bins:
        edges = np.linspace(lo, hi, max_bins + 1)
    counts, edges = np.histogram(fin, bins=edges)
    return {**out, "edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
            "shares": [float(c / fin.size) for c in counts]}


def run_histograms(outcomes: pd.DataFrame, columns: dict[str, str] | None = None) -> dict[str, dict]:
    """A histogram of each outcome over the solved scenario-years, with its label."""
    ok = summary.solved(outcomes).to_numpy()
    out = {}
    for col, label in (columns or HISTOGRAM_OUTPUTS).items():
        if col not in outcomes.columns:
            continue
        values = np.where(ok, outcomes[col].to_numpy(dtype=float), np.nan)
        out[col] = {"label": label, **histogram(values)}
    return out


def fan(outcomes: pd.DataFrame, column: str) -> list[dict]:
    """Quantiles of ``column`` by year over the solved draws (one row per year)."""
    ok = summary.solved(outcomes)
    rows = []
    for year, part in outcomes.loc[ok].groupby("year", sort=True):
        v = part[column].to_numpy(dtype=float)
        q = np.quantile(v, FAN_QUANTILES) if v.size else [np.nan] * len(FAN_QUANTILES)
        rows.append({"year": int(year) + 1, **{f"p{int(round(p * 100))}": float(x) for p, x in zip(FAN_QUANTILES, q)},
                     "draws": int(v.size)})
    return rows


def tornado(inputs: pd.DataFrame, outcome, share: float = 0.2) -> pd.DataFrame:
    """Conditional means of ``outcome`` at the low and high ``share`` of each input (see the module docstring)."""
    y = np.asarray(outcome, dtype=float)
    rho = discovery.rank_correlations(inputs, y).set_index("input")["spearman_rho"] if len(inputs) > 2 else {}
    rows = []
    for c in discovery.candidate_inputs(inputs):
        x = inputs[c].to_numpy(dtype=float)
        use = np.isfinite(x) & np.isfinite(y)
        if use.sum() < 5:
            continue
        lo_cut, hi_cut = np.quantile(x[use], [share, 1 - share])
        low, high = use & (x <= lo_cut), use & (x >= hi_cut)
        if not low.any() or not high.any() or lo_cut == hi_cut:
            continue
        m_lo, m_hi = float(y[low].mean()), float(y[high].mean())
        rows.append({"input": c, "mean_outcome_low_input": m_lo, "mean_outcome_high_input": m_hi,
                     "swing": abs(m_hi - m_lo), "input_low_cut": float(lo_cut), "input_high_cut": float(hi_cut),
                     "draws_low": int(low.sum()), "draws_high": int(high.sum()),
                     "spearman_rho": float(rho.get(c, np.nan)) if len(rho) else np.nan})
    frame = pd.DataFrame(rows, columns=["input", "mean_outcome_low_input", "mean_outcome_high_input", "swing",
                                        "input_low_cut", "input_high_cut", "draws_low", "draws_high", "spearman_rho"])
    return frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


# --- payloads: one JSON-ready dict per kind of run --------------------------------------------------

def _records(frame: pd.DataFrame | None) -> list[dict]:
    return [] if frame is None else frame.to_dict(orient="records")


def disruption_payload(run) -> dict:
    """Everything a reader sees of a :class:`~.disruption_risk.DisruptionRun`.

    Its :meth:`to_dict` (headline, distributions, loss by event, events, discovery, run,
    assumptions) plus the histograms, the fan of the consumer price change by year and the
    tornado of the drivers of the per-draw welfare loss.
    """
    from critmin.model.results import json_safe

    out = run.to_dict()
    outcomes = run.result.outcomes
    y = run.path_outcome("welfare_loss").reindex(run.result.inputs["draw"]).to_numpy()
    out.update(json_safe({
        "kind": "montecarlo",
        "histograms": run_histograms(outcomes),
        "price_fan": fan(outcomes, "consumer_price_change_pct"),
        "price_fan_unit": "% change of the US consumer price from the base",
        "tornado": _records(tornado(run.result.inputs, y)),
        "tornado_outcome": f"welfare loss per draw, summed over the horizon ({run.info.currency})",
        "units": {"quantity": run.info.unit, "price": run.info.price_unit, "money": run.info.currency},
    }))
    return out


def stockpile_payload(table: pd.DataFrame, run, *, rule: str) -> dict:
    """The sizing table with the disruption run behind it (and the required release's histogram)."""
    from critmin.model.results import json_safe

    out = disruption_payload(run)
    extra = {}
    if "required_release" in run.result.outcomes.columns:
        extra = run_histograms(run.result.outcomes, {"required_release": "release needed to restore US base consumption"})
    out["histograms"].update(json_safe(extra))
    out.update(json_safe({
        "kind": "stockpile", "rule": rule, "sizing": _records(table),
        "release_rule": "release, in each year with a shortfall, the quantity that restores US base consumption "
                        "(found on the engine), until the stock is empty"
                        + ("; not refilled within the horizon" if rule == "horizon" else "; refilled every year"),
    }))
    return out


def project_payload(analysis) -> dict:
    """A :class:`~.project_risk.ProjectAnalysis` with the histograms of NPV (with and without the floor) and IRR."""
    from critmin.model.results import json_safe

    out = analysis.to_dict()
    per = analysis.per_path
    labels = {"npv": f"NPV without a floor ({analysis.project.currency})",
              "npv_with_floor": f"NPV with the floor ({analysis.project.currency})",
              "irr": "IRR without a floor", "irr_with_floor": "IRR with the floor"}
    hists = {c: {"label": label, **histogram(per[c].to_numpy(dtype=float))} for c, label in labels.items()
             if c in per.columns}
    out.update(json_safe({"kind": "project", "histograms": hists,
                          "price_fan_unit": f"{analysis.project.currency} per {analysis.project.unit}"}))
    return out


def ranking_payload(ranking: pd.DataFrame, by_event: pd.DataFrame, missing: pd.DataFrame, *, draws: int, seed: int,
                    horizon: int, method: str) -> dict:
    """The expected-loss ranking, its breakdown by event and the minerals left out (with why)."""
    from critmin.model.results import json_safe

    return json_safe({"kind": "ranking", "ranking": _records(ranking), "by_event": _records(by_event),
                      "missing": _records(missing),
                      "run": {"draws": draws, "seed": seed, "horizon": horizon, "method": method}})
