r"""Scenario discovery: which sampled inputs drive the worst outcomes.

Given the per-draw inputs of a run and one outcome per draw (e.g. the draw's welfare loss
summed over the horizon), the *cases of interest* are the worst decile (outcome at or
above its 90th percentile). Three views, each a tidy table:

Rank correlations
    Spearman's rho of every input with the outcome, and with the worst-decile indicator
    (the rank-biserial association), over all draws.

Conditional quantiles
    Median and 90% range of each input inside the worst decile against all draws: an input
    that drives the tail shifts inside it.

PRIM boxes (Friedman and Fisher 1999), as used for scenario discovery by Bryant and
Lempert (2010)
    Starting from the box holding every draw, repeatedly peel the ``alpha`` share of draws
    off the low or high end of the one input whose removal raises the box's *density*
    (share of cases of interest inside it) most, until the box holds fewer than
    ``min_support`` of the draws. Each step of this peeling trajectory trades *coverage*
    (share of all cases of interest inside the box) for density; the box reported is the
    one with the highest density whose coverage is at least ``min_coverage``, with the
    inputs it restricts and their bounds.

References
----------
.. [1] Friedman, J. H. and N. I. Fisher (1999). "Bump hunting in high-dimensional data".
   Statistics and Computing 9(2), 123-143.
.. [2] Bryant, B. P. and R. J. Lempert (2010). "Thinking inside the box: A participatory,
   computer-assisted approach to scenario discovery". Technological Forecasting and
   Social Change 77(1), 34-49.
.. [3] Lempert, R. J., D. G. Groves, S. W. Popper and S. C. Bankes (2006). "A general,
   analytic method for generating robust strategies and narrative scenarios".
   Management Science 52(4), 514-528.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def candidate_inputs(inputs: pd.DataFrame) -> list[str]:
    """Input columns that vary (the draw index and constant columns are not drivers)."""
    cols = []
    for c in inputs.columns:
        if c == "draw":
            continue
        v = inputs[c].to_numpy(dtype=float)
        if np.nanstd(v) > 0:
            cols.append(c)
    return cols


def worst_decile(outcome: np.ndarray, quantile: float = 0.9) -> tuple[np.ndarray, float]:
    """Indicator of the cases of interest (outcome >= its ``quantile``) and the threshold."""
    threshold = float(np.nanquantile(outcome, quantile))
    return np.asarray(outcome >= threshold) & np.isfinite(outcome), threshold


def rank_correlations(inputs: pd.DataFrame, outcome: np.ndarray, quantile: float = 0.9) -> pd.DataFrame:
    """Spearman's rho of each input with the outcome and with the worst-decile indicator."""
    ok = np.isfinite(outcome)
    worst, _ = worst_decile(outcome, quantile)
    rows = []
    for c in candidate_inputs(inputs):
        x = inputs[c].to_numpy(dtype=float)
        use = ok & np.isfinite(x)
        if use.sum() < 3 or np.std(x[use]) == 0:
            continue
        rho = stats.spearmanr(x[use], outcome[use]).statistic
        rho_tail = stats.spearmanr(x[use], worst[use].astype(float)).statistic if worst[use].std() > 0 else np.nan
        rows.append({"input": c, "spearman_rho": float(rho), "spearman_rho_worst_decile": float(rho_tail)})
    frame = pd.DataFrame(rows, columns=["input", "spearman_rho", "spearman_rho_worst_decile"])
    return frame.reindex(frame["spearman_rho"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def conditional_quantiles(inputs: pd.DataFrame, outcome: np.ndarray, quantile: float = 0.9) -> pd.DataFrame:
    """Each input's median and 5-95% range among all draws and among the worst decile."""
    worst, threshold = worst_decile(outcome, quantile)
    rows = []
    for c in candidate_inputs(inputs):
        x = inputs[c].to_numpy(dtype=float)
        fin = np.isfinite(x)
        a, w = x[fin], x[fin & worst]
        if a.size == 0 or w.size == 0:
            continue
        rows.append({"input": c, "median_all": float(np.median(a)), "median_worst": float(np.median(w)),
                     "p5_all": float(np.quantile(a, 0.05)), "p95_all": float(np.quantile(a, 0.95)),
                     "p5_worst": float(np.quantile(w, 0.05)), "p95_worst": float(np.quantile(w, 0.95)),
                     "shift_in_sd": float((np.median(w) - np.median(a)) / np.std(a)) if np.std(a) > 0 else 0.0,
                     "threshold": threshold})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.reindex(frame["shift_in_sd"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def prim(inputs: pd.DataFrame, outcome: np.ndarray, quantile: float = 0.9, alpha: float = 0.05,
         min_support: float = 0.02, min_coverage: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM peeling (see the module docstring).

    Returns
    -------
    (DataFrame, DataFrame)
        The chosen box: one row per restricted input with its bounds; and the peeling
        trajectory: step, coverage, density, support, the input peeled.
    """
    ok = np.isfinite(outcome)
    cols = [c for c in candidate_inputs(inputs)]
    X = inputs.loc[ok, cols].to_numpy(dtype=float)
    y, _ = worst_decile(outcome[ok], quantile)
    X = np.where(np.isfinite(X), X, np.nanmedian(X, axis=0) if X.size else 0.0)
    n, total = len(y), int(y.sum())
    inside = np.ones(n, dtype=bool)
    lower = X.min(axis=0) if n else np.zeros(len(cols))
    upper = X.max(axis=0) if n else np.zeros(len(cols))
    bounds = [(lo, hi) for lo, hi in zip(lower, upper)]
    history = [{"step": 0, "coverage": 1.0 if total else np.nan, "density": total / n if n else np.nan,
                "support": 1.0, "peeled": "", "bounds": list(bounds)}]
    step = 0
    while total and inside.sum() > max(min_support * n, 1):
        best = None
        for j in range(len(cols)):
            xj = X[inside, j]
            for side in ("low", "high"):
                q = np.quantile(xj, alpha if side == "low" else 1 - alpha)
                keep = (X[:, j] > q) if side == "low" else (X[:, j] < q)
                new = inside & keep
                if new.sum() == inside.sum() or new.sum() < max(min_support * n, 1):
                    continue
                density = y[new].mean()
                if best is None or density > best[0]:
                    best = (density, j, side, q, new)
        if best is None:
            break
        density, j, side, q, new = best
        if density <= history[-1]["density"]:
            break  # peeling no longer concentrates the cases of interest
        inside = new
        lo, hi = bounds[j]
        bounds[j] = (q, hi) if side == "low" else (lo, q)
        step += 1
        history.append({"step": step, "coverage": float(y[inside].sum() / total), "density": float(density),
                        "support": float(inside.mean()), "peeled": f"{cols[j]} ({side})", "bounds": list(bounds)})
    trajectory = pd.DataFrame([{k: v for k, v in h.items() if k != "bounds"} for h in history])
    eligible = [h for h in history if h["coverage"] >= min_coverage]
    chosen = max(eligible, key=lambda h: h["density"]) if eligible else history[0]
    box_rows = []
    for c, (lo, hi), full_lo, full_hi in zip(cols, chosen["bounds"], lower, upper):
        if lo > full_lo or hi < full_hi:
            box_rows.append({"input": c, "low": float(lo), "high": float(hi), "range_low": float(full_lo),
                             "range_high": float(full_hi)})
    box = pd.DataFrame(box_rows, columns=["input", "low", "high", "range_low", "range_high"])
    box.attrs.update({"coverage": chosen["coverage"], "density": chosen["density"], "support": chosen["support"],
                      "step": chosen["step"]})
    return box, trajectory


def discover(inputs: pd.DataFrame, outcome: pd.Series | np.ndarray, quantile: float = 0.9) -> dict[str, pd.DataFrame]:
    """All three views for one outcome per draw (aligned with ``inputs`` by draw)."""
    y = np.asarray(outcome, dtype=float)
    if len(y) != len(inputs):
        raise ValueError("one outcome per draw is needed")
    box, trajectory = prim(inputs, y, quantile)
    return {"rank_correlations": rank_correlations(inputs, y, quantile),
            "conditional_quantiles": conditional_quantiles(inputs, y, quantile),
            "prim_box": box, "prim_trajectory": trajectory}
