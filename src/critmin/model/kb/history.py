"""Replays of export-control episodes on knowledge-base markets, against the knowledge base's own prices.

Each :class:`Episode` names the instrument as modelled (with the source of its figures), the
calibrated market it runs on (base year 2024, the nearest calibrated year to the 2023-25
episodes: the 2024 base already contains part of the 2023-24 controls, said in every row) and
the observed price change of a series in the snapshot (USGS MCS salient prices, USGS DS140
unit values). Every parameter is the market's default or labelled assumption: **nothing is
tuned to the observed change**. :func:`replay` solves every episode on every corner of its
market; :func:`markdown_table` renders the table docs/model.md carries (a test re-runs the
replays and compares, so the figures cannot drift silently).

Instrument sources
------------------
* Licensing delay of 60 days: lead times from application to licence of "around 60 days"
  reported after China's gallium and germanium controls took effect on 1 August 2023
  (Tradium, "China's export controls: prices", 2023, citing Reuters,
  https://tradium.com/en/market-insight/china-export-control-prices/); Project Blue (Nov 2025)
  reports up to 90 days (https://projectblue.com/blue/opinion-pieces/1373/).
* Ban on exports to the US of gallium, germanium and antimony announced 3 December 2024
  (Reuters via MHL News, https://mhlnews.com/global-supply-chain/news/55247345/china-bans-export-of-critical-minerals).
* Antimony controls in force from 15 September 2024 (MOFCOM announcement of August 2024, as
  reported by Tradium, https://tradium-private.com/after-gallium-and-germanium-china-announces-export-restrictions-for-antimony/).
* Graphite export licensing announced after the gallium and germanium controls
  (rawmaterials.net, https://rawmaterials.net/gallium-and-germanium-exports-rise-remain-below-last-years-level/);
  in force from 1 December 2023.
* Rare-earth export quotas 2010: 16,304 t (first batch, MOFCOM, Xinhua 28 Dec 2010), 5,978 t
  for foreign-invested firms (Reuters, 29 Dec 2010) and 7,976 t (second batch, China Daily,
  14 Jul 2011): 30,258 t; the 2011 first batch was 35% below the 2010 one (Reuters, 29 Dec 2010).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.model.chain import ChainMarket, simulate_chain

from .assemble import calibrate_market
from .consumption import salient_rows
from .prices import ds140_series

HORIZON = {"start": 2025, "end": 2025}
LICENCE_DAYS = 60


@dataclass(frozen=True)
class Episode:
    key: str
    title: str
    mineral: str
    stage: str
    instrument: str
    policies: dict | None
    observed: tuple[str, str, int, int]  # (source, match, from_year, to_year)
    wrong: str
    modelled: bool = True
    sources: tuple[str, ...] = field(default_factory=tuple)
    #: Policies that depend on the calibrated market (a quota relative to its base flows), per corner.
    build: Callable[[ChainMarket], dict] | None = None


def _licence(stage: str) -> dict:
    return {"export_restrictions": [{"exporter": "CHN", "importers": "all", "stage": stage, "kind": "licensing_delay",
                                     "days": LICENCE_DAYS}]}


#: The 2011 first-batch quota was 35% below 2010's (Reuters, 29 Dec 2010): China's exports capped at 65%.
RARE_EARTH_QUOTA_CUT = 0.35


def _rare_earth_quota(market: ChainMarket) -> dict:
    """China's exports of separated products to every destination capped at (1 - cut) x its base exports."""
    s = market.stage_index("processing")
    c = market.index("CHN")
    flows = market.stages[s].flows
    base = float(flows[c].sum() - flows[c, c])
    return {"export_restrictions": [{"exporter": "CHN", "importers": "all", "stage": "processing", "kind": "quota",
                                     "quantity": (1 - RARE_EARTH_QUOTA_CUT) * base}]}


def _ban_us(stage: str) -> dict:
    return {"export_restrictions": [{"exporter": "CHN", "importers": ["USA"], "stage": stage, "kind": "ban"}]}


EPISODES: tuple[Episode, ...] = (
    Episode("gallium-2023", "China's gallium export licensing (from 1 Aug 2023)", "gallium", "processing",
            f"CHN export licensing delay {LICENCE_DAYS} days to all destinations, one year",
            _licence("processing"), ("salient", "average unit value of imports", 2023, 2024),
            "the market knows only China's shipments to the US (trade among other regions is not in the data), so the "
            "delay cuts only those; the observed rise reflects world tightness (stockpiling, Chinese "
            "exports to every destination) that the data cannot carry; the 2024 base already contains the controls"),
    Episode("gallium-2024", "China bans gallium exports to the US (3 Dec 2024)", "gallium", "processing",
            "CHN ban on exports to USA, one year (2025)", _ban_us("processing"),
            ("salient", "average unit value of imports", 2024, 2025),
            "the US price is the unit value of US imports; the model moves it through the other origins' "
            "prices at substitution 20 (an assumption); the 2025 observation is USGS's estimate"),
    Episode("germanium-2023", "China's germanium export licensing (from 1 Aug 2023)", "germanium", "processing",
            f"CHN export licensing delay {LICENCE_DAYS} days to all destinations, one year", _licence("processing"),
            ("salient", "Germanium metal", 2023, 2024),
            "as for gallium: only China's shipments to the US are in the data; BACI has no germanium rows after 2016"),
    Episode("antimony-2024", "China's antimony export controls (from 15 Sep 2024) and US ban (3 Dec 2024)",
            "antimony", "processing",
            "CHN ban on exports to USA, one year (2025); the licensing of other destinations acts on routes the "
            "data do not carry",
            {"export_restrictions": [
                {"exporter": "CHN", "importers": ["USA"], "stage": "processing", "kind": "ban"}]},
            ("salient", "Price, metal", 2023, 2025),
            "processing output by country rests on EU CRM shares x world mine output (an assumption); only China's "
            "shipments to the US are in the data; the observed price also reflects mine supply losses (Russia, "
            "Tajikistan, Myanmar) and stockpiling that the scenario does not contain"),
    Episode("graphite-2023", "China's graphite export licensing (from 1 Dec 2023)", "graphite", "mine",
            f"CHN export licensing delay {LICENCE_DAYS} days to all destinations, one year", _licence("mine"),
            ("salient", "Flake", 2023, 2024),
            "natural graphite (HS 2504, gross weight) only: the controls also covered synthetic and spherical graphite "
            "(not in the data); China's exports of natural flake are a small share of world mine output, and "
            "world prices fell with oversupply of anode material"),
    Episode("rare-earths-2011", "China's rare-earth export quotas: the 2011 first batch 35% below 2010's",
            "rare-earths", "processing",
            f"CHN export quota to all destinations at {100 * (1 - RARE_EARTH_QUOTA_CUT):.0f}% of its base exports of "
            "separated compounds and metals, one year (the first-batch cut of 2011 against 2010's applied to the "
            "whole year, an assumption)",
            None, ("ds140", "ds140:rare-earths/rare-earths:unit-value-t", 2010, 2011),
            "the market is 2024's (separated REO by EU CRM shares x world mine output, priced at the US import unit "
            "value of compounds), 13 years after: China's 2010 exports and the quota tonnage are not in it, nor "
            "whatever else moved the 2011 price (stocks, buyers' expectations); the cut is applied to 2024 exports; "
            "the observed series is the US unit value of apparent consumption; demand and supply responses are the "
            "labelled defaults",
            build=_rare_earth_quota),
)


def observed_change(source: str, match: str, first: int, last: int, mineral: str) -> tuple[float, str]:
    """Percent change of a knowledge-base price series between two years, and its description."""
    if source == "ds140":
        s = ds140_series(match)
        a, b = float(s.loc[first]), float(s.loc[last])
        return 100 * (b / a - 1), f"USGS DS140 rare-earths unit value, {first} {a:,.0f} -> {last} {b:,.0f} USD/t"
    values = {}
    for year in (first, last):
        rows = salient_rows(mineral, year, "price")
        rows = rows[rows["detail"].str.contains(match, regex=False, na=False)]
        if len(rows) != 1 or pd.isna(rows["value"].iloc[0]):
            raise ValueError(f"observed {mineral} price {match!r} {year}: {len(rows)} rows")
        values[year] = (float(rows["value"].iloc[0]), str(rows["raw"].iloc[0]), str(rows["qualifier"].iloc[0]),
                        str(rows["unit"].iloc[0]), int(rows["vintage"].iloc[0]))
    (a, ra, qa, unit, v), (b, rb, qb, _, _) = values[first], values[last]
    est = " (estimated)" if "estimated" in (qa, qb) else ""
    return 100 * (b / a - 1), (f"USGS MCS {v} salient {match!r}, {first} {ra} -> {last} {rb}{est} {unit}")


def replay() -> pd.DataFrame:
    """Solve every episode (both corners of a bounded market) and put the observed change beside it."""
    rows = []
    for ep in EPISODES:
        obs, series = observed_change(*ep.observed, ep.mineral)
        row = {"episode": ep.title, "market": f"{ep.mineral} {ep.stage} (base 2024)", "instrument": ep.instrument,
               "simulated_low": np.nan, "simulated_high": np.nan, "observed_pct": obs, "observed_series": series,
               "wrong": ep.wrong}
        if ep.modelled:
            k = calibrate_market(ep.mineral, ep.stage)
            res = {c: simulate_chain(m, ep.build(m) if ep.build else ep.policies, HORIZON, name=ep.key)
                   for c, m in k.corners().items()}
            sims = []
            for r in res.values():
                if not r.converged:
                    raise RuntimeError(f"{ep.key}: {r.message}")
                sims.append(float(r.prices().loc[(2025, ep.stage, "USA"), "use_price_change_pct"]))
            row["simulated_low"], row["simulated_high"] = min(sims), max(sims)
        rows.append(row)
    return pd.DataFrame(rows)


def _pct(v: float) -> str:
    return "not replayed" if not np.isfinite(v) else f"{v:+.1f}%"


def markdown_table(df: pd.DataFrame) -> str:
    """The replay table as docs/model.md shows it."""
    lines = ["| episode | instrument as modelled (market) | simulated US price change, 2025 | observed change "
             "(series, dates) | what the model gets wrong and why |",
             "| --- | --- | ---: | --- | --- |"]
    for r in df.itertuples(index=False):
        if not np.isfinite(r.simulated_low):
            sim = "not replayed"
        elif abs(r.simulated_high - r.simulated_low) < 0.05:
            sim = _pct(r.simulated_low)
        else:
            sim = f"{_pct(r.simulated_low)} to {_pct(r.simulated_high)}"
        lines.append(f"| {r.episode} | {r.instrument} ({r.market}) | {sim} | {r.observed_pct:+.0f}%: "
                     f"{r.observed_series} | {r.wrong} |")
    return "\n".join(lines)
