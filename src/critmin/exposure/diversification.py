"""Where else a company could buy: alternative origins for each exposed path.

For every (mineral, stage, country) of the company's exposure with tonnes on it, the other
producing countries at that stage (the supplier stage uses the processing stage's
producers) with:

* their share of world output and the output itself as published (value, unit, year), from
  the knowledge base's ``production`` table;
* spare capacity, ``capacity - production`` in the same series, unit and year, where USGS
  publishes both; otherwise ``not known`` (never 0);
* governance (mean of the six WGI estimates) and status: G7, USMCA, FEOC membership and a
  US critical-minerals agreement (``agreements`` table);
* the cost change of switching the path's tonnes to the alternative under each scenario,
  ``T * (p_alt - p_cur)`` with ``p`` the delivered price to the US by origin in the
  scenario's solution; null with the reason when either origin is not a region of the
  engine's market (a country inside ``ROW`` takes the ``ROW`` price, said so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.exposure.exposure import SUPPLIER, UNASSIGNED, UNKNOWN, KnowledgeBase

COLUMNS = ["commodity_id", "stage", "country", "tonnes_low", "tonnes_high", "alternative", "alt_share", "alt_output",
           "alt_unit", "alt_year", "spare_capacity", "governance_wgi", "groups", "us_agreement", "scenario",
           "switch_cost_change_low", "switch_cost_change_high", "note"]


def _output_table(production: pd.DataFrame) -> pd.DataFrame:
    """Latest production and capacity by (commodity, stage, country), numeric values only."""
    if production is None or production.empty:
        return pd.DataFrame(columns=["commodity_id", "stage", "country", "measure", "value", "unit", "year", "series_label"])
    p = production[(production["country_kind"] == "country") & production["value"].notna()
                   & production["measure"].isin(["production", "capacity"])]
    p = p.sort_values(["vintage", "year"])
    p = p.drop_duplicates(["commodity_id", "stage", "country_iso3", "measure", "series_label", "unit"], keep="last")
    return p.rename(columns={"country_iso3": "country"})[["commodity_id", "stage", "country", "measure", "value", "unit",
                                                           "year", "series_label"]]


def alternatives(company: pd.DataFrame, provider, kb: KnowledgeBase, effects: list | None = None,
                 top: int = 5) -> pd.DataFrame:
    """Alternative origins for the company's paths (``company`` from ``aggregate(paths, 'company')``)."""
    rows = []
    out_table = _output_table(kb.production)
    agreement = set(kb.agreements["country_iso3"].dropna()) if not kb.agreements.empty else set()
    effects = effects or []
    live = company[~company["country"].isin([UNASSIGNED, UNKNOWN]) & (company["tonnes_high"] > 0)]
    for r in live.itertuples(index=False):
        stage = "processing" if r.stage == SUPPLIER else r.stage
        try:
            ss = provider.shares(r.commodity_id, stage, None, "")
        except TypeError:
            ss = provider.shares(r.commodity_id, stage, None)
        if ss is None:
            rows.append({"commodity_id": r.commodity_id, "stage": r.stage, "country": r.country, "tonnes_low": r.tonnes_low,
                         "tonnes_high": r.tonnes_high, "note": f"no world {stage} shares in the knowledge base"})
            continue
        cands = sorted(((c, iv) for c, iv in ss.shares.items() if c != r.country), key=lambda kv: -kv[1].high)[:top]
        for c, iv in cands:
            o = out_table[(out_table["commodity_id"] == r.commodity_id) & (out_table["stage"] == stage) & (out_table["country"] == c)]
            prod = o[o["measure"] == "production"]
            cap = o[o["measure"] == "capacity"]
            output = float(prod["value"].iloc[0]) if len(prod) else np.nan
            unit = prod["unit"].iloc[0] if len(prod) else None
            year = int(prod["year"].iloc[0]) if len(prod) else None
            spare = "not known"
            if len(prod) and len(cap):
                same = cap[(cap["unit"] == unit) & (cap["year"] == year)]
                if len(same):
                    spare = f"{float(same['value'].iloc[0]) - output:,.0f} {unit} ({year})"
            groups = [g for g in ("G7", "USMCA", "EU27", "FEOC") if c in kb.groups.get(g, frozenset())]
            base = {"commodity_id": r.commodity_id, "stage": r.stage, "country": r.country, "tonnes_low": r.tonnes_low,
                    "tonnes_high": r.tonnes_high, "alternative": c, "alt_share": (iv.low + iv.high) / 2,
                    "alt_output": output, "alt_unit": unit, "alt_year": year, "spare_capacity": spare,
                    "governance_wgi": kb.wgi.get(c), "groups": ", ".join(groups), "us_agreement": c in agreement}
            if not effects:
                rows.append({**base, "note": f"shares: {ss.source}"})
            for e in effects:
                rows.append({**base, **_switch(e, r, c)})
    return pd.DataFrame(rows, columns=COLUMNS)


def _switch(effects, path, alt: str) -> dict:
    op = effects.origin_prices
    out = {"scenario": effects.name, "switch_cost_change_low": np.nan, "switch_cost_change_high": np.nan}
    if op is None or op.empty or path.commodity_id not in set(op["commodity_id"]):
        return {**out, "note": "the scenario's market is another mineral"}
    table = op[op["commodity_id"] == path.commodity_id].set_index("origin")["delivered_usd_per_t"]
    notes = []

    def price(c):
        if c in table.index:
            return table[c]
        if "ROW" in table.index:
            notes.append(f"{c} priced as ROW")
            return table["ROW"]
        return np.nan

    cur, new = price(path.country), price(alt)
    if cur != cur or new != new:
        return {**out, "note": "an origin is not a region of the engine's market"}
    d = new - cur
    lo, hi = sorted((path.tonnes_low * d, path.tonnes_high * d))
    return {**out, "switch_cost_change_low": lo, "switch_cost_change_high": hi, "note": "; ".join(notes)}
