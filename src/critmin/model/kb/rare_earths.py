"""Rare earths as a linked chain in REO content: mine (concentrates) -> separation (compounds and metals).

What the knowledge base allows, and how each input is read (every figure is in the snapshot):

Separation output by country (t REO)
    World separated output = world mine output (USGS MCS 2026, 2024, sum of the countries) under a
    **feed balance** (ASSUMPTION: no separation losses, no stock change; China's undocumented
    output outside the quota is outside the data). The US output is USGS's own figure
    ("Production: Compounds and metals", MCS 2026 salient, 4,300 t REO in 2024). The rest of
    the world total is split by the EU CRM 2023 global processing shares of neodymium, which the
    study gives identically for lanthanum, cerium, praseodymium and samarium (China 84.9%,
    Malaysia 10.5%, Russia 1.9%, India 1.6%, Vietnam 1.0%, Australia and Norway 0.1%; 2016-2020
    averages, before US separation restarted). The heavy rare earths (dysprosium, terbium,
    europium, gadolinium) are 100% Chinese in the same study, so China's share of separated REO
    is if anything understated (by at most the heavy share of REO tonnage, which the data do not
    give).
Trade (t REO)
    CEPII BACI HS 284690, 284610, 280530 (2024) cover concentrates and mixed compounds as well as
    separated products (US concentrate exports are reported as "unspecified rare-earth
    compounds", HTS 2846.90.9000, in USGS MYB 2022 table 4). A flow is assigned to the **mine
    stage** when its exporter's published mine output exceeds its separation output (Burma, Laos
    through Burma's and China's reporting, Australia to Malaysia), otherwise to the **separation
    stage** (ASSUMPTION, named). Gross tonnes are put in REO content with factor **ranges read from
    USGS MYB 2022 tables 4-7** (REO equivalent / gross weight of each US trade line, both years):
    mixed compounds and concentrates for mine-stage flows; per HS6 for separated products
    (284610 cerium compounds, 284690 other compounds excluding concentrate, 280530 metals, whose
    REO equivalent exceeds the metal weight). The low and high corners take the bounds. US exports
    of ores and compounds are the MCS salient figure (BACI misses most of them in 2024), split by
    the destinations of HTS 2846.90.9000 in MYB 2022 table 4 (China 99.5% of the gross weight in
    2022), the rest of the world for the remainder.
Prices (USD per t REO)
    Mine stage: the USGS DS140 REO unit value (2020, the last published; as the single-stage
    market). Separation: the unit value of US imports of rare-earth compounds, REO basis, from
    MYB 2022 table 6 (value / REO equivalent, 2022), a published REO-basis price of separated and
    mixed compounds; ASSUMPTION: the US import mix (cerium and lanthanum compounds weigh most)
    stands for the mix of separated output. An NdPr oxide price is per kg of NdPr oxide and is
    not used: no cited NdPr share of separated REO is in the knowledge base.

What is still missing for an NdPr market (so the $110/kg NdPr floor cannot be priced on a
calibrated market): NdPr oxide output by country (or a cited NdPr share of each country's
separated REO), NdPr trade (NdPr oxide has no HS6 code of its own: it is inside 284690) and
NdPr demand by region. See :data:`NDPR_MISSING`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .assemble import gather
from .consumption import salient_sum
from .elasticities import stage_parameters
from .inputs import Figure, KBDataError, MarketInputs
from .production import EU_ID, POINT
from .production import read as read_production
from .specs import spec_for
from .tables import table, world_trade_year
from .trade import BACI_ID

MINERAL = "rare-earths"
HS = ("284690", "284610", "280530")
MYB_ID = "usgs-myb-2022-rare-earths"
CONCENTRATE_LINE = "2846.90.9000"
#: EU CRM 2023 material whose processing shares stand for separated light rare earths.
SEPARATION_SHARES_OF = "neodymium"

NDPR_MISSING = (
    "no NdPr market: the knowledge base has no NdPr oxide output by country and no cited NdPr share of separated "
    "REO (it varies by deposit and is not invented), no NdPr trade (NdPr oxide has no HS6 code of its own; it is "
    "inside 284690) and no NdPr demand by region. The REO chain (kb:rare-earths) calibrates the separation stage "
    "in REO content priced at the US import unit value of compounds; a $110/kg NdPr floor is a floor on NdPr oxide "
    "(2024 price 55 USD/kg, MCS 2026 salient, so 55 USD/kg below the floor), which cannot be expressed on the REO "
    "basket without the NdPr tonnage it would pay on")


def _myb() -> pd.DataFrame:
    m = table("myb_trade")
    return m[(m["commodity_id"] == MINERAL) & (m["partner_kind"] == "world")]


def reo_factors() -> dict[str, tuple[float, float, str]]:
    """REO equivalent per tonne of gross weight: ``{group: (low, high, how)}`` from USGS MYB 2022 tables 4-7.

    Groups: ``mixed`` (concentrates and mixed compounds: HTS 2846.90.9000 and the mixture and
    carbonate lines), and the HS6 codes ``284610``, ``284690`` (without the concentrate line),
    ``280530``. Each bound is the lowest and highest ratio of a line with both figures published.
    """
    w = _myb()
    piv = w.pivot_table(index=["flow", "table", "hts", "description", "year"], columns="measure", values="value",
                        aggfunc="sum").reset_index()
    piv = piv[(piv.get("gross_weight", 0) > 0) & (piv.get("reo_content", 0) > 0)].copy()
    if piv.empty:
        raise KBDataError(f"{MYB_ID}: no trade line with both gross weight and REO content")
    piv["ratio"] = piv["reo_content"] / piv["gross_weight"]
    hts6 = piv["hts"].str.replace(".", "", regex=False).str[:6]
    mixed = piv["hts"].str.startswith(CONCENTRATE_LINE) | piv["description"].str.contains("mixture", case=False)
    groups = {"mixed": piv[mixed & (hts6 == "284690")],
              "284610": piv[hts6 == "284610"],
              "284690": piv[(hts6 == "284690") & ~piv["hts"].str.startswith(CONCENTRATE_LINE)],
              "280530": piv[hts6 == "280530"]}
    out = {}
    for g, rows in groups.items():
        if rows.empty:
            raise KBDataError(f"{MYB_ID}: no line with gross weight and REO content for {g}")
        lo, hi = rows["ratio"].idxmin(), rows["ratio"].idxmax()
        out[g] = (float(rows.loc[lo, "ratio"]), float(rows.loc[hi, "ratio"]),
                  f"{rows.loc[lo, 'description']} {int(rows.loc[lo, 'year'])} ({rows.loc[lo, 'ratio']:.3f}) to "
                  f"{rows.loc[hi, 'description']} {int(rows.loc[hi, 'year'])} ({rows.loc[hi, 'ratio']:.3f}), "
                  f"{len(rows)} lines")
    return out


def separation_price() -> tuple[Figure, str]:
    """Unit value of US imports of rare-earth compounds (MYB 2022 table 6), USD per t REO, latest year."""
    w = _myb()
    t6 = w[(w["flow"] == "imports") & (w["table"] == "T6")]
    if t6.empty:
        raise KBDataError(f"{MYB_ID}: table 6 (US imports of compounds) not in the snapshot")
    year = int(t6["year"].max())
    t6 = t6[t6["year"] == year]
    piv = t6.pivot_table(index="hts", columns="measure", values="value", aggfunc="sum")
    both = piv.dropna(subset=["value", "reo_content"])
    both = both[(both["value"] > 0) & (both["reo_content"] > 0)]
    if both.empty:
        raise KBDataError(f"{MYB_ID}: table 6 {year} has no line with value and REO content")
    per_t = float(both["value"].sum()) / (float(both["reo_content"].sum()) / 1000.0)
    label = (f"USGS MYB 2022 rare earths table 6: unit value of US imports for consumption of rare-earth compounds, "
             f"{year}: US$ {both['value'].sum():,.0f} / {both['reo_content'].sum() / 1000:,.1f} t REO "
             f"({len(both)} HTS lines with both figures)")
    return Figure.point(per_t, "USD/t", "REO", (MYB_ID,), label), label


def _separation_output(year: int, world: Figure) -> tuple[dict[str, Figure], list[str], list[str]]:
    """Separated REO by country (module docstring): the US from USGS, the rest by EU CRM shares."""
    us = salient_sum(MINERAL, year, "production", ("Production: Compounds and metals",), "REO")
    e = table("eu_crm_supply_shares")
    rows = e[(e["commodity_id"] == SEPARATION_SHARES_OF) & (e["scope"] == "global") & (e["stage"] == "processing")]
    if rows.empty:
        raise KBDataError(f"EU CRM 2023: no global processing shares of {SEPARATION_SHARES_OF}")
    shares = {}
    for r in rows.itertuples(index=False):
        if r.qualifier not in POINT or pd.isna(r.value) or not isinstance(r.country_iso3, str):
            raise KBDataError(f"EU CRM 2023 {SEPARATION_SHARES_OF} processing share of {r.country_name} is {r.raw!r}")
        shares[r.country_iso3] = shares.get(r.country_iso3, 0.0) + float(r.value) / 100
    total = sum(shares.values())
    rest = (world.low - us.low, world.high - us.high)
    if rest[0] <= 0:
        raise KBDataError(f"US separated output {us.low:,.6g} t exceeds world mine output {world.low:,.6g} t REO")
    figs = {"USA": Figure.point(us.low, "t", "REO", us.sources, us.note)}
    for iso, s in shares.items():
        if iso == "USA":
            continue
        figs[iso] = Figure(s / total * rest[0], s / total * rest[1], "t", "REO", (EU_ID,) + world.sources,
                           f"{iso}: EU CRM 2023 share {100 * s:.3g}% (of {100 * total:.1f}%, rescaled) x (world - US)")
    notes = [f"separation output: world = world mine output {world.describe()} (ASSUMPTION, feed balance: no losses, "
             "no stock change); USA from USGS MCS 2026 salient 'Production: Compounds and metals' "
             f"{us.low:,.6g} t REO ({year}); the rest split by the EU CRM 2023 global processing shares of "
             f"{SEPARATION_SHARES_OF} (identical for La, Ce, Pr, Sm; 2016-2020 averages; published shares sum to "
             f"{100 * total:.1f}%, rescaled): "
             + ", ".join(f"{k} {100 * v / total:.1f}%" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])),
             "the EU CRM 2023 shares of the heavy rare earths (Dy, Tb, Eu, Gd) are 100% China: China's share of "
             "separated REO is understated by at most the heavy share of REO tonnage (not in the data)"]
    return figs, notes, [EU_ID] + list(us.sources)


def _baci_flows(year: int, mine_q: Mapping[str, float], sep_q: Mapping[str, float], factors, mine_price: float,
                sep_price: float) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """BACI rare-earth flows split into mine-stage and separation-stage flows in REO (module docstring)."""
    wt = world_trade_year(year)
    rows = wt[wt["hs6"].isin(HS)]
    if rows.empty:
        raise KBDataError(f"BACI has no {year} rows for HS {list(HS)}")
    notes = []
    agg = rows["exporter_iso3"].isna() | rows["importer_iso3"].isna()
    if agg.any():
        notes.append(f"{int(agg.sum())} BACI rare-earth rows with an aggregate partner left out "
                     f"(US$ {rows.loc[agg, 'value_usd'].sum():,.0f})")
    rows = rows[~agg & (rows["exporter_iso3"] != rows["importer_iso3"]) & (rows["exporter_iso3"] != "USA")]
    kg = pd.to_numeric(rows["quantity_kg"], errors="coerce").to_numpy(float)
    value = rows["value_usd"].to_numpy(float)
    exporters = rows["exporter_iso3"].to_numpy()
    is_mine = np.array([mine_q.get(x, 0.0) > sep_q.get(x, 0.0) for x in exporters])
    neither = np.array([mine_q.get(x, 0.0) <= 0 and sep_q.get(x, 0.0) <= 0 for x in exporters])
    if neither.any():
        left = (pd.DataFrame({"exporter": exporters[neither], "kg": kg[neither]}).groupby("exporter")["kg"].sum()
                .sort_values(ascending=False) / 1000)
        notes.append(f"{int(neither.sum())} BACI rare-earth flows from countries with neither published mine nor "
                     "separation output (re-exports, or mining the USGS list does not show) left out, "
                     f"{left.sum():,.0f} t gross: " + ", ".join(f"{k} {v:,.0f} t" for k, v in left.head(6).items()))
        keep = ~neither
        rows, kg, value, exporters, is_mine = rows[keep], kg[keep], value[keep], exporters[keep], is_mine[keep]
    code = rows["hs6"].to_numpy()
    lo, hi = np.zeros(len(rows)), np.zeros(len(rows))
    for i in range(len(rows)):
        f = factors["mixed"] if is_mine[i] else factors[code[i]]
        if np.isfinite(kg[i]):
            lo[i], hi[i] = kg[i] / 1000 * f[0], kg[i] / 1000 * f[1]
        else:
            lo[i] = hi[i] = value[i] / (mine_price if is_mine[i] else sep_price)
    n_value = int((~np.isfinite(kg)).sum())
    if n_value:
        notes.append(f"{n_value} BACI rare-earth rows without a reported quantity valued at the stage's base price")
    frame = pd.DataFrame({"exporter": exporters, "importer": rows["importer_iso3"].to_numpy(), "low": lo, "high": hi})
    mine = frame[is_mine].groupby(["exporter", "importer"], as_index=False)[["low", "high"]].sum()
    sep = frame[~is_mine].groupby(["exporter", "importer"], as_index=False)[["low", "high"]].sum()
    notes.insert(0, (f"flows: CEPII BACI HS {', '.join(HS)} {year}; a flow whose exporter's mine output exceeds its "
                     "separation output is a mine-stage flow (ores and mixed compounds: "
                     f"{', '.join(sorted(set(exporters[is_mine])))}), the others separation-stage flows (ASSUMPTION); "
                     "REO content = gross tonnes x REO/gross ranges of USGS MYB 2022 tables 4-7: "
                     + "; ".join(f"{g}: {lo_:.3f}-{hi_:.3f} ({how})" for g, (lo_, hi_, how) in factors.items())))
    return mine, sep, notes


def _us_exports(year: int) -> tuple[pd.DataFrame, list[str], list[str]]:
    spec = spec_for(MINERAL, "mine")
    x = salient_sum(MINERAL, year, "exports", spec.us_exports, "REO")
    m = table("myb_trade")
    line = m[(m["commodity_id"] == MINERAL) & (m["flow"] == "exports") & m["hts"].str.startswith(CONCENTRATE_LINE)
             & (m["measure"] == "gross_weight")]
    if line.empty:
        raise KBDataError(f"{MYB_ID}: no destinations of US exports of HTS {CONCENTRATE_LINE}")
    last = int(line["year"].max())
    line = line[line["year"] == last]
    world = float(line.loc[line["partner_kind"] == "world", "value"].sum())
    by = line[line["partner_kind"] == "country"].groupby("partner_iso3")["value"].sum()
    if world <= 0 or by.sum() > world * (1 + 1e-9):
        raise KBDataError(f"{MYB_ID}: destinations of HTS {CONCENTRATE_LINE} {last} do not add up to the world total")
    shares = {k: v / world for k, v in by.items()}
    rows = [("USA", k, x.low * s, x.high * s) for k, s in shares.items()]
    rest = 1.0 - sum(shares.values())
    if rest > 0:
        rows.append(("USA", "OTHER", x.low * rest, x.high * rest))
    notes = [f"flows: US exports of ores and compounds {x.describe()} (BACI misses most of them in {year}) split by "
             f"the destinations of HTS {CONCENTRATE_LINE} (unspecified rare-earth compounds: concentrate) in USGS MYB "
             f"2022 table 4, {last} gross weight: "
             + ", ".join(f"{k} {100 * s:.1f}%" for k, s in shares.items())
             + f", other countries {100 * rest:.1f}% (ASSUMPTION: the {last} destinations hold in {year})"]
    return pd.DataFrame(rows, columns=["exporter", "importer", "low", "high"]), notes, list(x.sources) + [MYB_ID]


def inputs(year: int, regions: tuple, parameters: Mapping[str, Mapping[str, Any]] | None = None
           ) -> tuple[MarketInputs, MarketInputs]:
    """The mine and separation ``MarketInputs`` of the rare-earth chain on ``regions`` (module docstring)."""
    params = dict(parameters or {})
    spec = spec_for(MINERAL, "mine")
    base, _ = gather(spec, year=year, regions=regions, parameters=params.get("mine"))
    mine_prod = read_production(spec, "usgs", year)
    world = mine_prod.world()
    sep_figs, sep_notes, sep_sources = _separation_output(year, world)
    factors = reo_factors()
    sep_price, sep_label = separation_price()
    mid = {k: (f.low + f.high) / 2 for k, f in mine_prod.figures.items()}
    sep_mid = {k: (f.low + f.high) / 2 for k, f in sep_figs.items()}
    mine_flows, sep_flows, flow_notes = _baci_flows(year, mid, sep_mid, factors, base.price.low, sep_price.low)
    us, us_notes, us_sources = _us_exports(year)
    mine_flows = pd.concat([us, mine_flows], ignore_index=True)
    mine_notes = [a for a in base.assumptions if not a.startswith("flows:") and "trade among regions other than the US"
                  not in a and not a.startswith("ASSUMPTION: trade among")]
    mine = MarketInputs(MINERAL, "mine", year, "REO", base.production, mine_flows, "usgs_exports+baci_mine_flows",
                        base.price, base.price_series, regions, None, base.parameters,
                        sources=tuple(base.sources) + tuple(us_sources) + (BACI_ID, MYB_ID),
                        assumptions=tuple(mine_notes + us_notes + [flow_notes[0]]))
    values, enotes = stage_parameters(MINERAL, "processing")
    given = dict(params.get("processing") or {})
    us_imports = salient_sum(MINERAL, year, "imports", ("Imports: Compounds", "Imports: Metals: Rare-earth metals and "
                                                        "alloys"), "REO")
    sep = MarketInputs(
        MINERAL, "processing", year, "REO", sep_figs, sep_flows, "baci_reo_factors", sep_price,
        sep_label, regions, None, {**values, **given},
        sources=tuple(sep_sources) + (BACI_ID, MYB_ID),
        assumptions=tuple(
            ["the processing stage of rare earths is separation: compounds and metals in REO content"]
            + sep_notes
            + [f"price: {sep_label} = {sep_price.low:,.6g} USD/t REO; ASSUMPTION: the US import mix stands for the mix "
               "of separated output (an NdPr oxide price is per kg of NdPr oxide and no cited NdPr share of REO is in "
               "the knowledge base)", f"ASSUMPTION: the price is the {max(_myb()['year'])} value "
               f"({year - int(max(_myb()['year']))} years before the base year), the latest published on this basis"]
            + [flow_notes[0]] + flow_notes[1:]
            + [f"check: US imports of compounds and metals as published, {us_imports.describe()}"]
            + [f"stage processing: {k} set by the caller (parameters=), replacing elasticities.csv"
               if k in given else n for k, n in zip(values, enotes)]))
    return mine, sep


def default_regions(year: int) -> tuple:
    """USA, China, the largest producers of either stage (>= 3% each), ROW."""
    from .assemble import choose_regions

    mine_prod = read_production(spec_for(MINERAL, "mine"), "usgs", year)
    sep_figs, _, _ = _separation_output(year, mine_prod.world())
    others = [r for r in choose_regions(mine_prod.figures) + choose_regions(sep_figs) if r not in ("USA", "CHN", "ROW")]
    return ("USA", "CHN", *dict.fromkeys(others), "ROW")


def separation_market(*, year: int, regions=None, parameters: Mapping[str, Any] | None = None):
    """The separation stage alone as a single-stage market (``kb:rare-earths:processing``)."""
    from .assemble import KBMarket, build, choose_regions

    if regions is None:
        mine_prod = read_production(spec_for(MINERAL, "mine"), "usgs", year)
        regions = choose_regions(_separation_output(year, mine_prod.world())[0])
    _, sep = inputs(year, tuple(regions), {"processing": dict(parameters or {})})
    low, _ = build(sep, "low")
    high = build(sep, "high")[0] if sep.bounded else low
    return KBMarket(sep, low, high)


def reader(year: int, parameters: Mapping[str, Mapping[str, Any]] | None):
    """``(read(regions, corner), default regions)`` for :func:`critmin.model.kb.linked.calibrate_chain`."""
    cache: dict[tuple, tuple] = {}

    def read(regions: tuple, corner: str):
        if regions not in cache:
            cache[regions] = inputs(year, regions, parameters)
        mine, sep = cache[regions]
        return mine, sep, [], []

    return read, default_regions(year)
