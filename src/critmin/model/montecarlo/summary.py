r"""Distributions, expected losses and their breakdown by event, as tidy tables.

Everything here is a pure function of a run's outcome table (one row per draw and year,
sorted by draw and year, see :mod:`.runner`), so the CLI, the API and later the web pages
present the same numbers without computing.

Failed solves are never zeros: every statistic is computed over the scenario-years that
solved (``converged``, or ``base`` for years without any shock), and every table says how
many failed. A failed year is often an extreme one (a producer with no outlet left), so
the count is shown beside the expected loss rather than hidden.

Expected annual loss (the USGS 2025 method's probability weighting, with the weights
coming from the sampled event process instead of a scenario list):

.. math::

    E[L] = \frac{1}{|Y|} \sum_{(i,t) \in Y} L_{it}

over the solved scenario-years :math:`Y`. Its breakdown by event assigns each year's loss
to the single library event active in it; years with several events active go to
``joint``, years with none to ``none``; the parts add up to :math:`E[L]`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .evaluator import OUTPUTS, STATUS_BASE

QUANTILES = (0.05, 0.5, 0.9, 0.95, 0.99)
OK_STATUSES = (0, STATUS_BASE)


def solved(outcomes: pd.DataFrame) -> pd.Series:
    return outcomes["status"].isin(OK_STATUSES)


def distributions(outcomes: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """One row per output: mean, standard deviation, quantiles, share above zero, counts."""
    ok = solved(outcomes)
    cols = columns or [c for c in OUTPUTS if c in outcomes.columns] + [
        c for c in ("required_release",) if c in outcomes.columns]
    rows = []
    for c in cols:
        v = outcomes.loc[ok, c].to_numpy(dtype=float)
        row = {"output": c, "mean": float(np.mean(v)) if v.size else np.nan,
               "std": float(np.std(v, ddof=1)) if v.size > 1 else np.nan}
        qs = np.quantile(v, QUANTILES) if v.size else [np.nan] * len(QUANTILES)
        for q, x in zip(QUANTILES, qs):
            row[f"p{int(round(q * 100))}"] = float(x)
        row["share_positive"] = float(np.mean(v > 0)) if v.size else np.nan
        row["scenario_years"] = int(v.size)
        row["failed"] = int((~ok).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def path_totals(outcomes: pd.DataFrame, column: str, discount_rate: float = 0.0) -> pd.Series:
    """Per draw: the (discounted) sum over the horizon; NaN if any year of the draw failed."""
    years = outcomes["year"].to_numpy()
    weights = (1.0 + discount_rate) ** (-years.astype(float))
    ok = solved(outcomes).to_numpy()
    value = np.where(ok, outcomes[column].to_numpy(dtype=float), np.nan) * weights
    frame = pd.DataFrame({"draw": outcomes["draw"].to_numpy(), "v": value})
    return frame.groupby("draw", sort=True)["v"].sum(min_count=1).where(
        frame.assign(bad=~ok).groupby("draw", sort=True)["bad"].sum() == 0)


def event_labels(design) -> list[str]:
    return [ev.label for ev in design.events]


def loss_by_event(outcomes: pd.DataFrame, labels: list[str], column: str = "welfare_loss") -> pd.DataFrame:
    """Breakdown of the expected annual loss by the event active in each year (see the module docstring)."""
    ok = solved(outcomes)
    o = outcomes.loc[ok]
    n = len(o)
    mask = o["active_mask"].to_numpy(dtype=np.int64)
    loss = o[column].to_numpy(dtype=float)
    single = (mask != 0) & ((mask & (mask - 1)) == 0)
    rows = []
    for j, label in enumerate(labels):
        hit = single & (mask == (1 << j))
        rows.append({"event": label, "share_of_years": float(hit.sum() / n) if n else np.nan,
                     "contribution": float(loss[hit].sum() / n) if n else np.nan,
                     "mean_loss_when_active": float(loss[hit].mean()) if hit.any() else np.nan})
    joint = (mask != 0) & ~single
    rows.append({"event": "joint (several events in the year)", "share_of_years": float(joint.sum() / n) if n else np.nan,
                 "contribution": float(loss[joint].sum() / n) if n else np.nan,
                 "mean_loss_when_active": float(loss[joint].mean()) if joint.any() else np.nan})
    none = mask == 0
    rows.append({"event": "none", "share_of_years": float(none.sum() / n) if n else np.nan,
                 "contribution": float(loss[none].sum() / n) if n else np.nan,
                 "mean_loss_when_active": float(loss[none].mean()) if none.any() else np.nan})
    frame = pd.DataFrame(rows)
    total = frame["contribution"].sum()
    frame["share_of_expected_loss"] = frame["contribution"] / total if total else np.nan
    # failed years, per event pattern, so a reader sees where the missing years were
    bad = outcomes.loc[~ok, "active_mask"].to_numpy(dtype=np.int64)
    failed = [int(((bad != 0) & ((bad & (bad - 1)) == 0) & (bad == (1 << j))).sum()) for j in range(len(labels))]
    failed.append(int(((bad != 0) & ((bad & (bad - 1)) != 0)).sum()))
    failed.append(int((bad == 0).sum()))
    frame["failed_years"] = failed
    return frame


def headline(outcomes: pd.DataFrame, labels: list[str], unit: str, price_unit: str) -> dict:
    """The expected-loss summary of one run (one row of the ranking)."""
    ok = solved(outcomes)
    o = outcomes.loc[ok]
    by_event = loss_by_event(outcomes, labels)
    top = by_event.iloc[:-2].sort_values("contribution", ascending=False).head(1)
    return {
        "expected_welfare_loss": float(o["welfare_loss"].mean()) if len(o) else np.nan,
        "expected_consumer_loss": float(o["consumer_loss"].mean()) if len(o) else np.nan,
        "expected_producer_loss": float(o["producer_loss"].mean()) if len(o) else np.nan,
        "expected_fiscal_cost": float(o["fiscal_cost"].mean()) if len(o) else np.nan,
        "p90_welfare_loss": float(o["welfare_loss"].quantile(0.9)) if len(o) else np.nan,
        "p99_welfare_loss": float(o["welfare_loss"].quantile(0.99)) if len(o) else np.nan,
        "probability_of_shortfall": float((o["shortfall"] > 1e-12 * max(1.0, o["shortfall"].abs().max())).mean())
        if len(o) else np.nan,
        "p95_shortfall": float(o["shortfall"].quantile(0.95)) if len(o) else np.nan,
        "p95_price_change_pct": float(o["consumer_price_change_pct"].quantile(0.95)) if len(o) else np.nan,
        "top_event": str(top["event"].iloc[0]) if len(top) and top["contribution"].iloc[0] > 0 else "",
        "top_event_share": float(top["share_of_expected_loss"].iloc[0]) if len(top) else np.nan,
        "scenario_years": int(len(outcomes)),
        "failed_years": int((~ok).sum()),
        "unit": unit,
        "price_unit": price_unit,
    }
