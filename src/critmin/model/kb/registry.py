"""Every knowledge-base market and its status: calibrated (basis, unit, regions, sources) or what is missing.

Two kinds of market, each with an id (column ``market``):

``kb:<mineral>:<stage>``
    One stage (mine or processing) of every mineral on the 2025 US critical-minerals list plus
    the rare-earth group (USGS and World Mining Data publish rare earths as one REO total). A
    market with a specification (:mod:`.specs`) is calibrated; its failure, if any, is reported
    in the calibration's own words. A market without one says what the knowledge base lacks:
    the documented reason (:data:`.specs.MISSING`) or what :func:`missing_reason` finds.
``kb:<mineral>`` (``stage`` = ``"chain"``)
    The linked mine -> processing chain (:mod:`.linked`) of every mineral in
    :data:`.specs.CHAIN_CANDIDATES`: calibrated (with the feed balance in column ``link``) or the
    reason it is refused.

:func:`by_key` returns the calibrated object for an id.
"""

from __future__ import annotations


import pandas as pd

from critmin.errors import CritminError
from critmin.vocab import hs6_concordance as hc

from .assemble import KBMarket, calibrate_market
from critmin.snapshot.manifest import per_snapshot

from .inputs import KBDataError
from .linked import KBChain, calibrate_chain, chain_missing_reason
from .specs import CHAIN_CANDIDATES, MISSING, SPECIAL, spec_for
from .tables import table

STAGES = ("mine", "processing")
EXTRA = ("rare-earths",)
COLUMNS = ["market", "mineral", "stage", "status", "basis", "unit", "price_unit", "price", "price_series", "regions",
           "flow_method", "bounded", "link", "sources", "assumptions", "missing"]


def _assumptions(k) -> str:
    """Every assumption of a calibrated market (both corners, each once), one per line."""
    seen = dict.fromkeys(a for m in k.corners().values() for a in m.all_assumptions())
    return "\n".join(seen)


def universe(list_year: int = 2025) -> list[tuple[str, str]]:
    from critmin import api

    minerals = list(api.minerals(list_year)["commodity_id"]) + [m for m in EXTRA]
    return [(m, s) for m in dict.fromkeys(minerals) for s in STAGES]


def missing_reason(mineral: str, stage: str) -> str:
    """What the knowledge base lacks for a market without a specification, in words."""
    if (mineral, stage) in MISSING:
        return MISSING[(mineral, stage)]
    parts = []
    p = table("production")
    usgs = p[(p["commodity_id"] == mineral) & (p["stage"] == stage) & (p["measure"] == "production")]
    w = table("wmd_production")
    wmd = w[(w["commodity_id"] == mineral) & (w["stage"] == stage)]
    e = table("eu_crm_supply_shares")
    eu = e[(e["commodity_id"] == mineral) & (e["scope"] == "global") &
           (e["stage"] == ("extraction" if stage == "mine" else "processing"))]
    if usgs.empty and wmd.empty:
        parts.append("no production by country at this stage (USGS MCS, World Mining Data)"
                     + (" beyond EU CRM 2023 shares without a world tonnage" if not eu.empty else ""))
    s = table("salient")
    price = s[(s["commodity_id"] == mineral) & (s["statistic"] == "price")]
    if price.empty:
        parts.append("no price series in the knowledge base")
    codes = hc.codes_for(mineral, stage)
    if not codes:
        parts.append("no HS1992 code of the stage in the concordance (no bilateral trade)")
    if not parts:
        have = []
        if not usgs.empty:
            have.append(f"USGS production {sorted(usgs['series_label'].dropna().unique())[:3]}")
        if not wmd.empty:
            have.append(f"World Mining Data {sorted(wmd['sheet'].unique())} ({wmd['content_basis'].iloc[0]})")
        have.append(f"prices {sorted(price['detail'].unique())[:3]}")
        have.append(f"HS {codes}")
        parts.append("no specification pairs production, price and trade on one content basis (the stage of a "
                     "by-product, or a price of another product or basis); found: " + "; ".join(have))
    return "; ".join(parts)


@per_snapshot(maxsize=4)
def _calibrate_all(list_year: int) -> tuple[tuple[str, str, KBMarket | None, str | None], ...]:
    out = []
    for mineral, stage in universe(list_year):
        if spec_for(mineral, stage) is None and (mineral, stage) not in SPECIAL:
            out.append((mineral, stage, None, missing_reason(mineral, stage)))
            continue
        try:
            out.append((mineral, stage, calibrate_market(mineral, stage), None))
        except (CritminError, ValueError) as exc:
            out.append((mineral, stage, None, str(exc)))
    return tuple(out)


def calibrated(list_year: int = 2025) -> dict[tuple[str, str], KBMarket]:
    """Every single-stage market that calibrates, by (mineral, stage)."""
    return {(m, s): k for m, s, k, _ in _calibrate_all(list_year) if k is not None}


def chain_candidates(list_year: int = 2025) -> list[str]:
    minerals = {m for m, _ in universe(list_year)}
    return [m for m in CHAIN_CANDIDATES if m in minerals]


@per_snapshot(maxsize=4)
def _calibrate_chains(list_year: int) -> tuple[tuple[str, KBChain | None, str | None], ...]:
    out = []
    for mineral in chain_candidates(list_year):
        reason = chain_missing_reason(mineral)
        if reason is not None:
            out.append((mineral, None, reason))
            continue
        try:
            out.append((mineral, calibrate_chain(mineral), None))
        except (CritminError, ValueError) as exc:
            out.append((mineral, None, str(exc)))
    return tuple(out)


def chains(list_year: int = 2025) -> dict[str, KBChain]:
    """Every linked chain that calibrates, by mineral (market id ``kb:<mineral>``)."""
    return {m: k for m, k, _ in _calibrate_chains(list_year) if k is not None}


def by_key(key: str, list_year: int = 2025) -> KBMarket | KBChain:
    """The calibrated market with id ``kb:<mineral>:<stage>`` or ``kb:<mineral>``; a clear error otherwise."""
    parts = key.split(":")
    if parts[0] != "kb" or len(parts) not in (2, 3):
        raise KBDataError(f"market id {key!r}: expected kb:<mineral>:<stage> or kb:<mineral> (a linked chain)")
    if len(parts) == 3:
        found = calibrated(list_year).get((parts[1], parts[2]))
        reasons = {(m, s): r for m, s, _, r in _calibrate_all(list_year)}
        reason = reasons.get((parts[1], parts[2]), "not in the universe of markets (see critmin markets)")
    else:
        found = chains(list_year).get(parts[1])
        reasons = {m: r for m, _, r in _calibrate_chains(list_year)}
        reason = reasons.get(parts[1], "no chain is attempted for this mineral (see critmin markets)")
    if found is None:
        raise KBDataError(f"market {key}: not calibrated: {reason}")
    return found


def markets(list_year: int = 2025, include_chains: bool = True) -> pd.DataFrame:
    """One row per market: single stages (``kb:<mineral>:<stage>``) then linked chains (``kb:<mineral>``).

    Columns: ``market``, ``mineral``, ``stage`` (``mine``, ``processing`` or ``chain``), ``status``
    (``calibrated`` or ``missing``), ``basis``, ``unit``, ``price_unit``, ``price`` (a chain's is the
    processing price), ``price_series``, ``regions``, ``flow_method``, ``bounded``, ``link`` (a
    chain's feed balance), ``sources``, ``assumptions`` (every assumption of both corners, one per
    line), ``missing`` (what is missing, in words).
    """
    rows = []
    for mineral, stage, k, reason in _calibrate_all(list_year):
        key = f"kb:{mineral}:{stage}"
        if k is None:
            rows.append({"market": key, "mineral": mineral, "stage": stage, "status": "missing", "missing": reason})
            continue
        s = k.summary()
        rows.append({"market": key, "mineral": mineral, "stage": stage, "status": "calibrated", "basis": s["basis"],
                     "unit": s["unit"], "price_unit": s["price_unit"], "price": s["price"],
                     "price_series": s["price_series"], "regions": ", ".join(s["regions"]),
                     "flow_method": s["flow_method"], "bounded": s["bounded"], "link": "",
                     "sources": ", ".join(s["sources"]), "assumptions": _assumptions(k), "missing": ""})
    if include_chains:
        for mineral, k, reason in _calibrate_chains(list_year):
            key = f"kb:{mineral}"
            if k is None:
                rows.append({"market": key, "mineral": mineral, "stage": "chain", "status": "missing",
                             "missing": reason})
                continue
            s = k.summary()
            rows.append({"market": key, "mineral": mineral, "stage": "chain", "status": "calibrated",
                         "basis": s["basis"], "unit": s["unit"], "price_unit": s["price_unit"], "price": s["price"],
                         "price_series": s["price_series"], "regions": ", ".join(s["regions"]),
                         "flow_method": s["flow_method"], "bounded": s["bounded"], "link": k.link_description(),
                         "sources": ", ".join(s["sources"]), "assumptions": _assumptions(k), "missing": ""})
    return pd.DataFrame(rows, columns=COLUMNS)
