"""The cost of a policy scenario to the company.

Two channels, per year and summed over the horizon, each with a range:

Price channel
    ``C_{m,s,y} = T_m * P0_{m,s} * dp_{m,s,y}`` for every mineral ``m`` in the bill and stage
    ``s`` the engine prices: ``T_m`` the company's tonnes of the mineral per year (low, high,
    from the content ranges), ``P0`` the base price per tonne and ``dp`` the relative price
    change (floors, minimum import prices, tariffs, bans act through it). The engine prices
    one stage; the change is applied to the mineral contained in the company's purchases,
    i.e. full pass-through of the stage's price change per tonne of contained mineral (an
    assumption every result states).
Duty channel
    ``D_{i,y} = u_i * v_i * tau_{i,y}`` for every line ``i`` the company imports directly
    (supplier outside the United States) whose HTS heading covers a mineral the scenario's
    tariff names and whose origin the tariff covers: units times unit value times the
    additional duty rate.

The price changes come in a tidy table, :data:`PRICE_CHANGE_COLUMNS`, so any engine can feed
it: :func:`engine_price_changes` takes a scenario of either engine. A chain-engine scenario
(``engine: chain``, :func:`chain_price_changes`) gives one row per mineral and year of its
horizon, at the chain's most processed stage (what a company buys), with the range across the
market's calibrated variants (``change_pct_low``/``change_pct_high``: the min and max of the
price change over a knowledge-base market's low and high corners, null when a corner did not
solve); a static (Armington) scenario gives its one-year change for each of ``years``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.exposure.bom import Bom

PRICE_CHANGE_COLUMNS = ["scenario", "commodity_id", "stage", "year", "price_base_usd_per_t", "change_pct_low",
                        "change_pct_high", "region", "source", "status"]
TARIFF_COLUMNS = ["scenario", "commodity_id", "origins", "rate", "year", "source"]
ORIGIN_PRICE_COLUMNS = ["scenario", "commodity_id", "stage", "origin", "delivered_usd_per_t",
                        "delivered_base_usd_per_t"]
COST_COLUMNS = ["scenario", "channel", "root_id", "part_id", "commodity_id", "stage", "year", "tonnes_low",
                "tonnes_high", "cost_low", "cost_high", "detail"]

#: Unit of an engine market's quantity -> tonnes per unit.
_TONNES = {"t": 1.0, "kg": 1e-3, "g": 1e-6, "mt": 1.0, "tonne": 1.0, "tonnes": 1.0}


@dataclass
class ScenarioEffects:
    """What a scenario does to the company's inputs: price changes and tariffs, tidy."""

    name: str
    price_changes: pd.DataFrame
    tariffs: pd.DataFrame
    assumptions: list[str]
    origin_prices: pd.DataFrame | None = None  # ORIGIN_PRICE_COLUMNS: delivered price by origin


def engine_price_changes(scenario, *, years=(2026,), region: str = "USA") -> ScenarioEffects:
    """Price changes and tariffs of one scenario, of either engine (:mod:`critmin.model`).

    A chain-engine scenario goes to :func:`chain_price_changes` (its own horizon, every year,
    with ranges). A static (Armington) scenario solves one market (one mineral, one stage) for
    one year; the change of the ``region``'s consumer price from the scenario's base point is
    applied to each of ``years`` (that engine has no dynamics: a user assumption, stated). A
    scenario that does not solve gives nulls and the engine's message, never zeros.
    """
    from critmin.model import simulate
    from critmin.model.chain.scenario_file import ChainScenario
    from critmin.model.scenario import Scenario, load_scenario, parse_scenario
    from critmin.vocab import commodities as vc

    if isinstance(scenario, (Scenario, ChainScenario)):
        sc = scenario
    elif isinstance(scenario, dict):
        sc = parse_scenario(scenario, engines=("armington", "chain"))
    else:
        sc = load_scenario(scenario)
    if isinstance(sc, ChainScenario):
        return chain_price_changes(sc, region=region)
    result = simulate(sc)
    market = result.market
    try:
        commodity = vc.lookup(str(market.mineral).split("(")[0].strip()).commodity_id
    except Exception:
        commodity = str(market.mineral)
    stage = "processing" if "process" in str(market.stage) or "refin" in str(market.stage) or "separat" in str(market.stage) \
        else "mine" if "mine" in str(market.stage) else str(market.stage)
    unit = str(market.unit).strip().lower()
    per_t = 1.0 / _TONNES[unit] if unit in _TONNES else None
    assumptions = [f"engine: {sc.name} ({result.status}); one market: {market.mineral}, stage {market.stage}",
                   f"the engine's one-year price change is applied to each of the years {list(years)} (no dynamics)",
                   "full pass-through of the stage's price change per tonne of contained mineral"]
    rows = []
    if region in market.regions and result.converged:
        prices = result.prices().loc[region]
        base = float(prices["consumer_price_base"]) * per_t if per_t else None
        change = float(prices["consumer_price_change_pct"])
        status = "solved"
    else:
        base, change = None, None
        status = f"no result: {result.status} {result.message}".strip() if not result.converged else f"{region} is not a region of the market"
    for y in years:
        rows.append({"scenario": sc.name, "commodity_id": commodity, "stage": stage, "year": int(y),
                     "price_base_usd_per_t": base, "change_pct_low": change, "change_pct_high": change, "region": region,
                     "source": f"critmin.model.simulate ({market.price_unit}, unit {market.unit})", "status": status})
    tariffs = []
    for t in sc.policies.tariffs if getattr(sc.policies, "tariffs", None) else []:
        if t.importer != region:
            continue
        origins = "all" if t.origins == "all" else ";".join(t.origins)
        for y in years:
            tariffs.append({"scenario": sc.name, "commodity_id": commodity, "origins": origins, "rate": float(t.rate),
                            "year": int(y), "source": "scenario tariffs"})
    origin_rows = []
    if result.converged and per_t and region in market.regions:
        flows = result.flows()
        flows = flows[flows["destination"] == region]
        for f in flows.itertuples(index=False):
            base_price = f.value_delivered_base / f.quantity_base if f.quantity_base > 0 else np.nan
            origin_rows.append({"scenario": sc.name, "commodity_id": commodity, "stage": stage, "origin": f.origin,
                                "delivered_usd_per_t": f.delivered_price * per_t,
                                "delivered_base_usd_per_t": base_price * per_t})
    if per_t is None:
        assumptions.append(f"market unit {market.unit!r} has no conversion to tonnes: no price-channel cost")
    return ScenarioEffects(sc.name, pd.DataFrame(rows, columns=PRICE_CHANGE_COLUMNS),
                           pd.DataFrame(tariffs, columns=TARIFF_COLUMNS), assumptions,
                           pd.DataFrame(origin_rows, columns=ORIGIN_PRICE_COLUMNS))


def _commodity(mineral: str) -> str:
    from critmin.vocab import commodities as vc

    try:
        return vc.lookup(str(mineral).split("(")[0].strip()).commodity_id
    except Exception:  # a label outside the vocabulary stays as written (it then matches no bill line)
        return str(mineral)


def chain_price_changes(scenario, *, region: str = "USA", result=None) -> ScenarioEffects:
    """Price changes, tariffs and delivered prices of a chain-engine scenario for ``region``.

    One row per mineral and year of the scenario's horizon, at each chain's last (most
    processed) stage: the ``region``'s baseline price of a tonne used that year in USD per
    tonne (converted from the stage's price unit, :mod:`critmin.model.chain.units`) and the
    change of the scenario's price from the baseline path, low and high across the market's
    calibrated variants. ``tariffs`` lists the scenario's duties on imports into ``region`` in
    each year they are in force; ``origin_prices`` the delivered price by origin in the first
    year (first variant). ``result`` is an already solved :class:`critmin.model.chain.ScenarioResult`.
    """
    from critmin.model.chain import simulate_scenario
    from critmin.model.chain.units import UnitError, convert_price, split_price_unit

    r = result if result is not None else simulate_scenario(scenario)
    sc = r.scenario
    years = list(r.years)
    rows, tariff_rows, origin_rows = [], [], []
    assumptions = [f"engine: chain, scenario {sc.name} ({r.status}); horizon {years[0]}-{years[-1]}, every year "
                   f"reported (the scenario's own years)",
                   "the price change of each chain's most processed stage applies to the mineral contained in the "
                   "company's purchases: full pass-through per tonne of contained mineral",
                   "low and high are the min and max across the market's calibrated variants (one when nothing is "
                   "bounded)"]
    for mineral, variants in r.runs.items():
        first = next(iter(variants.values()))
        market = first.market
        st = market.stages[-1]
        commodity = _commodity(mineral)
        try:
            currency, _ = split_price_unit(st.price_unit)
            per_t = float(convert_price(1.0, st.price_unit, f"{currency}/t")) if currency == "USD" else None
        except UnitError:
            per_t = None
        if per_t is None:
            assumptions.append(f"{mineral}: prices in {st.price_unit}, not USD per mass unit: no price-channel cost")
        if region not in market.regions:
            assumptions.append(f"{mineral}: {region} is not a region of the market: no price change")
        changes, bases, failures = [], [], []
        for variant, res in variants.items():
            if res.failed or region not in market.regions:
                failures.append(f"{variant}: {res.status} {res.message}".strip())
                changes.append(None)
                continue
            frame = res.prices().xs((st.name, region), level=("stage", "region"))
            changes.append(frame["use_price_change_pct"])
            bases.append(frame["use_price_baseline"])
        for year in years:
            ok = all(c is not None for c in changes) and region in market.regions
            values = [float(c.loc[year]) for c in changes] if ok else []
            base = float(np.mean([b.loc[year] for b in bases])) * per_t if ok and per_t else None
            rows.append({"scenario": sc.name, "commodity_id": commodity, "stage": st.name, "year": int(year),
                         "price_base_usd_per_t": base, "change_pct_low": min(values) if ok else None,
                         "change_pct_high": max(values) if ok else None, "region": region,
                         "source": f"critmin.model.chain ({st.basis}, {st.price_unit}, stage {st.name}; "
                                   f"variants {', '.join(variants)})",
                         "status": "solved" if ok else "no result: " + "; ".join(failures)})
        entry = sc.minerals[mineral]
        for t in entry.policies.tariffs:
            importers = [t.importer] if isinstance(t.importer, str) else list(t.importer)
            if region not in importers and t.importer != "all":
                continue
            origins = "all" if t.origins == "all" else ";".join(o for o in t.origins if o not in t.exempt)
            if t.origins == "all" and t.exempt:
                assumptions.append(f"{mineral}: the duty's exemptions ({', '.join(t.exempt)}) are not applied to the "
                                   "company's direct imports (the duty table lists origins, not exemptions)")
            first_year, last_year = t.years or (years[0], years[-1])
            for year in years:
                if first_year <= year <= last_year:
                    tariff_rows.append({"scenario": sc.name, "commodity_id": commodity, "origins": origins,
                                        "rate": float(t.rate), "year": int(year), "source": "scenario tariffs"})
        if not first.failed and per_t and region in market.regions and first.batch.solution.c is not None:
            s, f = market.n_stages - 1, market.index(region)
            c = first.batch.solution.c[first.i, 0, s, :, f]
            bl = first.batch.baseline
            cb = bl.c[first.i if bl.c.shape[0] > 1 else 0, 0, s, :, f]
            for o, origin in enumerate(market.regions):
                if np.isfinite(c[o]) and np.isfinite(cb[o]):
                    origin_rows.append({"scenario": sc.name, "commodity_id": commodity, "stage": st.name,
                                        "origin": origin, "delivered_usd_per_t": float(c[o]) * per_t,
                                        "delivered_base_usd_per_t": float(cb[o]) * per_t})
    return ScenarioEffects(sc.name, pd.DataFrame(rows, columns=PRICE_CHANGE_COLUMNS),
                           pd.DataFrame(tariff_rows, columns=TARIFF_COLUMNS), assumptions,
                           pd.DataFrame(origin_rows, columns=ORIGIN_PRICE_COLUMNS))


def price_cost(lines: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Price-channel cost per product, mineral and year (see module docstring)."""
    if lines.empty or changes.empty:
        return pd.DataFrame(columns=COST_COLUMNS)
    t = lines.groupby(["root_id", "commodity_id"], as_index=False)[["tonnes_low", "tonnes_high"]].sum()
    m = t.merge(changes, on="commodity_id", how="inner")
    if m.empty:
        return pd.DataFrame(columns=COST_COLUMNS)
    p0 = pd.to_numeric(m["price_base_usd_per_t"], errors="coerce")
    lo = pd.to_numeric(m["change_pct_low"], errors="coerce") / 100
    hi = pd.to_numeric(m["change_pct_high"], errors="coerce") / 100
    a = m["tonnes_low"] * p0 * lo
    b = m["tonnes_high"] * p0 * hi
    c = m["tonnes_low"] * p0 * hi
    d = m["tonnes_high"] * p0 * lo
    stack = np.vstack([a, b, c, d])
    out = pd.DataFrame({
        "scenario": m["scenario"], "channel": "price", "root_id": m["root_id"], "part_id": None,
        "commodity_id": m["commodity_id"], "stage": m["stage"], "year": m["year"],
        "tonnes_low": m["tonnes_low"], "tonnes_high": m["tonnes_high"],
        "cost_low": np.nanmin(stack, axis=0) if len(m) else [], "cost_high": np.nanmax(stack, axis=0) if len(m) else [],
        "detail": [f"{lo_ * 100:+.2f}% on {p:,.0f} USD/t ({s})" if p == p and lo_ == lo_ else f"no price change: {s}"
                   for lo_, p, s in zip(lo, p0, m["status"])],
    })
    unknown = p0.isna() | lo.isna()
    out.loc[unknown, ["cost_low", "cost_high"]] = np.nan
    return out[COST_COLUMNS]


def duty_cost(bom: Bom, tariffs: pd.DataFrame, *, importer: str = "USA") -> pd.DataFrame:
    """Duty-channel cost on the company's direct imports (see module docstring)."""
    from critmin.vocab.hts_headings import hts_headings

    if tariffs.empty:
        return pd.DataFrame(columns=COST_COLUMNS)
    heads = hts_headings()
    p = bom.parts
    p = p[(p["hts_code"] != "") & p["supplier_iso3"].notna() & (p["supplier_iso3"] != importer)]
    rows = []
    for r in p.itertuples(index=False):
        h = heads.get(r.hts_code[:4])
        covered = set(h.commodity_ids) if h else set()
        for t in tariffs.itertuples(index=False):
            origins = None if t.origins == "all" else set(str(t.origins).split(";"))
            if t.commodity_id not in covered or (origins is not None and r.supplier_iso3 not in origins):
                continue
            value = r.units_per_year * r.unit_value_usd
            cost = value * t.rate if value == value else np.nan
            note = f"{100 * t.rate:.0f}% on HTS {r.hts_code} from {r.supplier_iso3}"
            if h is not None and h.mixed:
                note += f" (heading {h.hts4} is mixed: the tariff is taken to cover this line; check the subheading)"
            rows.append({"scenario": t.scenario, "channel": "duty", "root_id": r.root_id, "part_id": r.part_id,
                         "commodity_id": t.commodity_id, "stage": "supplier", "year": t.year, "tonnes_low": np.nan,
                         "tonnes_high": np.nan, "cost_low": cost, "cost_high": cost,
                         "detail": note if value == value else note + "; no unit_value_usd: cost unknown"})
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def scenario_cost(bom: Bom, lines: pd.DataFrame, effects: ScenarioEffects) -> pd.DataFrame:
    """Both channels for one scenario, one row per product, channel, mineral and year."""
    parts = [price_cost(lines, effects.price_changes), duty_cost(bom, effects.tariffs)]
    parts = [x for x in parts if not x.empty]
    if not parts:
        return pd.DataFrame(columns=COST_COLUMNS)
    return pd.concat(parts, ignore_index=True)[COST_COLUMNS]


def cost_summary(costs: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and year, and over the horizon (``year = 'total'``): low and high cost.

    A sum with an unknown part is unknown (null), never a partial total presented as whole.
    """
    cols = ["scenario", "year", "cost_low", "cost_high", "unknown_parts"]
    if costs.empty:
        return pd.DataFrame(columns=cols)
    c = costs.assign(year=costs["year"].astype(str))

    def summarise(g: pd.DataFrame) -> pd.Series:
        unknown = int(g["cost_low"].isna().sum())
        return pd.Series({"cost_low": g["cost_low"].sum() if not unknown else np.nan,
                          "cost_high": g["cost_high"].sum() if not unknown else np.nan, "unknown_parts": unknown})

    by_year = c.groupby(["scenario", "year"]).apply(summarise, include_groups=False).reset_index()
    total = c.groupby("scenario").apply(summarise, include_groups=False).reset_index().assign(year="total")
    return pd.concat([by_year, total], ignore_index=True)[cols]
