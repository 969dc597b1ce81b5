"""Which calibrated market a Monte Carlo run uses, and the evaluator built on it.

Market keys
-----------
``preset:<name>``
    The market of a preset scenario (its policies are not applied): the knowledge-base
    gallium and cobalt markets of the presets carry documented choices (regions, where
    consumption outside the US goes, elasticities).
``kb:<mineral>:<stage>``
    :func:`critmin.model.calibrate_from_kb` with its defaults. Where the US production and
    consumption are withheld but bounded by a published reliance figure (lithium), the
    market is calibrated on a grid of values inside those bounds (a data interval, see
    :func:`withheld_interval`).
``scratch:<ref>``
    A from-scratch market file shipped with the presets (``market_<ref>.yaml``), e.g.
    ``scratch:rare_earths`` (its world splits are labelled ILLUSTRATIVE in the file).
``chain:kb:<mineral>:<stage>``
    A chain-engine market calibrated from the knowledge base (:func:`critmin.model.kb.calibrate_market`),
    each of its calibrated corners (``low``/``high`` where an input is bounded) a stratum.
``chain:ref:<name>``
    A chain-engine market file shipped with the presets (``chain_market_<name>.yaml``, every
    figure labelled with its source), its corners the strata.

:func:`default_market` picks one per mineral, **the chain engine first** (its physical
tonnes do not let a ban raise the importer's use, the Armington artefact of the static
engine): a knowledge-base chain market at the processing stage, then a shipped chain market
of a processed form, then a knowledge-base chain market at the mine stage, then a shipped
one; only a mineral without any chain market falls back to the static engine (preset, then
knowledge base processing or mine, then a data interval, then from scratch).
:func:`ranking_markets` is the list the expected-loss ranking covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.errors import CritminError

from .design import DataInterval

PRESET_MARKETS: dict[str, str] = {
    "gallium": "china-bans-gallium-to-us",
    "cobalt": "allied-capacity",
}
"""Minerals whose default market is a preset's knowledge-base market (its documented choices)."""

SCRATCH_MARKETS: dict[str, str] = {"rare-earths": "rare_earths", "gallium": "gallium"}

CHAIN_REF_MARKETS: dict[str, str] = {"gallium": "gallium", "antimony": "antimony", "rare-earths": "ndpr_oxide",
                                     "graphite": "graphite_natural"}
"""Chain market files shipped with the presets, by mineral (``chain_market_<name>.yaml``)."""

# IUPAC standard atomic weights (abridged, 2021): Li 6.94, C 12.011, O 15.999
_LI2CO3_PER_LI = (2 * 6.94 + 12.011 + 3 * 15.999) / (2 * 6.94)
PRICE_BASIS: dict[str, tuple[float, str]] = {
    "lithium": (_LI2CO3_PER_LI,
                f"the MCS lithium price is battery-grade lithium carbonate per metric ton of Li2CO3 while quantities "
                f"are lithium content: price per t Li = price per t Li2CO3 x {_LI2CO3_PER_LI:.3f} (stoichiometric, "
                "IUPAC 2021 standard atomic weights; the factor Busch et al. 2024 use)"),
}


class MarketChoiceError(CritminError):
    """No calibrated market for the mineral asked, with what is missing."""


@dataclass(frozen=True)
class MarketChoice:
    key: str
    mineral: str  # commodity id
    label: str


@dataclass
class BuiltMarket:
    """Calibrated market(s) for a run: one per data-interval stratum."""

    key: str
    mineral: str
    markets: list
    strata: list[str]
    interval: DataInterval | None
    base: object | None = None  # Instruments overlay (static engine) or ChainPolicies (chain engine)
    notes: list[str] = field(default_factory=list)
    engine: str = "armington"


def commodity_id(text: str) -> str:
    """Canonical commodity id of a user's mineral name (``"rare earths"`` -> ``rare-earths``)."""
    from critmin.vocab.commodities import lookup

    try:
        return lookup(text).commodity_id
    except Exception as exc:  # the vocabulary raises its own error with the known names
        raise MarketChoiceError(str(exc)) from None


def withheld_interval(mineral: str, strata: int = 5) -> DataInterval | None:
    """Bounds on withheld US production from a bounded published net import reliance.

    With apparent consumption ``C = P + I - E`` (production, imports, exports; stock changes
    are not published and are ignored) and the published reliance
    ``NIR = (I - E) / C`` known to lie in ``[lo, hi]`` percent, ``C`` lies in
    ``[(I - E)/hi, (I - E)/lo]`` and ``P = C - (I - E)``. Needs numeric imports and exports,
    ``I > E``, and a bounded reliance with ``lo > 0`` in the latest MCS vintage's latest year;
    returns None otherwise (the market then stays uncalibrated and says why).
    """
    from critmin.kb import read_tables

    sal = read_tables(["salient"])["salient"]
    sal = sal[sal["commodity_id"] == mineral]
    if sal.empty:
        return None
    vintage = int(sal["vintage"].max())
    sal = sal[sal["vintage"] == vintage]
    year = int(sal["year"].max())
    sal = sal[sal["year"] == year]

    def one(stat: str) -> pd.Series | None:
        rows = sal[sal["statistic"] == stat]
        return rows.iloc[0] if len(rows) == 1 else None

    prod, cons, imp, exp, nir = (one(s) for s in ("production", "consumption", "imports", "exports", "nir"))
    if any(x is None for x in (prod, cons, imp, exp, nir)):
        return None
    if prod["qualifier"] != "withheld" or imp["value"] is None or pd.isna(imp["value"]) or pd.isna(exp["value"]):
        return None
    q = nir["qualifier"]
    lo = {"greater_than": nir["low"], "range": nir["low"], "exact": nir["value"], "estimated": nir["value"]}.get(q)
    hi = {"greater_than": 100.0, "range": nir["high"], "less_than": nir["high"], "exact": nir["value"],
          "estimated": nir["value"]}.get(q)
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi) or float(lo) <= 0:
        return None
    net = float(imp["value"]) - float(exp["value"])
    if net <= 0:
        return None
    c_lo, c_hi = net / (float(hi) / 100.0), net / (float(lo) / 100.0)
    p_lo, p_hi = c_lo - net, c_hi - net
    derivation = (f"US {mineral} production {year} is withheld (W) in MCS {vintage}; apparent consumption "
                  f"C = P + I - E with imports {imp['value']:,.0f} and exports {exp['value']:,.0f} {imp['unit']} "
                  f"(net {net:,.0f}) and the published net import reliance {nir['raw']} % of C give "
                  f"C in [{c_lo:,.0f}, {c_hi:,.0f}] and P in [{p_lo:,.0f}, {p_hi:,.0f}] {imp['unit']} (stock changes "
                  f"are not published and are ignored); sampled on {strata} equiprobable strata, each calibrated at "
                  "its midpoint")
    return DataInterval("us_production", float(p_lo), float(p_hi), str(imp["unit"]), derivation, strata)


def _preset_market(name: str):
    from critmin.model.policies import build_market, market_spec
    from critmin.model.scenario import load_scenario

    return build_market(market_spec(load_scenario(name)))


def _scratch_market(ref: str):
    from critmin.model.policies import build_market
    from critmin.model.scenario import load_market_spec

    return build_market(load_market_spec(ref))


def build_market(key: str, strata: int = 5) -> BuiltMarket:
    """Calibrate the market(s) of a market key (see the module docstring)."""
    from critmin.model import KBCalibrationError, calibrate_from_kb

    kind, _, rest = key.partition(":")
    if kind == "chain":
        return _build_chain_market(key, rest)
    if kind == "preset":
        m = _preset_market(rest)
        return BuiltMarket(key, _mineral_of(m.mineral, {v: k for k, v in PRESET_MARKETS.items()}.get(rest)), [m],
                           [rest], None, notes=[f"market of the preset scenario {rest!r} (its policies are not applied)"])
    if kind == "scratch":
        m = _scratch_market(rest)
        return BuiltMarket(key, _mineral_of(m.mineral, {v: k for k, v in SCRATCH_MARKETS.items()}.get(rest)), [m],
                           [rest], None, notes=[f"from-scratch market file market_{rest}.yaml (see its ILLUSTRATIVE "
                                                "labels)"])
    if kind == "kb":
        cid, _, stage = rest.partition(":")
        stage = stage or "processing"
        options: dict = {}
        notes: list[str] = []
        if cid in PRICE_BASIS:
            factor, why = PRICE_BASIS[cid]
            options["price"] = _salient_price(cid) * factor
            notes.append(why)
        try:
            m = calibrate_from_kb(cid, stage=stage, **options)
            return BuiltMarket(key, cid, [m], [f"{cid} {stage}"], None, notes=notes)
        except KBCalibrationError as exc:
            interval = withheld_interval(cid, strata)
            if interval is None or "withheld" not in str(exc):
                raise MarketChoiceError(f"{key}: {exc}") from None
        net = interval.values  # production grid
        markets, labels = [], []
        cons_offset = _net_imports(cid)
        for p in net:
            markets.append(calibrate_from_kb(cid, stage=stage, us_production=float(p),
                                             us_consumption=float(p + cons_offset), **options))
            labels.append(f"us_production={p:,.0f} {interval.unit}")
        notes.append(interval.derivation)
        return BuiltMarket(key, cid, markets, labels, interval, notes=notes)
    raise MarketChoiceError(f"unknown market key {key!r}: use chain:kb:<mineral>:<stage>, chain:ref:<name>, "
                            "preset:<name>, kb:<mineral>:<stage> or scratch:<ref>")


def _build_chain_market(key: str, rest: str) -> BuiltMarket:
    """A chain-engine market key: its calibrated variants are the strata."""
    from critmin.model.chain.scenario_file import KBMarketRef, kb_variants, load_market_file
    from critmin.model.scenario import ScenarioError

    kind, _, name = rest.partition(":")
    try:
        if kind == "kb":
            cid, _, stage = name.partition(":")
            variants = kb_variants(KBMarketRef(kb=cid, stage=stage or None))
            origin = f"knowledge-base chain market {cid} ({stage or 'default stage'})"
        elif kind == "ref":
            spec = load_market_file(name)
            variants = {c: spec.build(c) for c in spec.corners()}
            cid = _mineral_of(spec.mineral, {v: k for k, v in CHAIN_REF_MARKETS.items()}.get(name))
            origin = f"chain market file chain_market_{name}.yaml (every figure labelled with its source)"
        else:
            raise MarketChoiceError(f"unknown chain market key {key!r}: use chain:kb:<mineral>:<stage> or "
                                    "chain:ref:<name>")
    except (ScenarioError, ValueError) as exc:
        raise MarketChoiceError(f"{key}: {exc}") from None
    labels = [f"{cid} ({corner} corner)" if corner != "point" else cid for corner in variants]
    notes = [origin] + ([f"the market is calibrated at {len(variants)} corners of its bounded inputs; each draw "
                         "uses one, equiprobably (a stratum)"] if len(variants) > 1 else [])
    return BuiltMarket(key, cid, list(variants.values()), labels, None, notes=notes, engine="chain")


def _mineral_of(label: str, known: str | None) -> str:
    if known:
        return known
    try:
        return commodity_id(label)
    except MarketChoiceError:
        return label


def _salient_series(cid: str) -> pd.DataFrame:
    from critmin.kb import read_tables

    sal = read_tables(["salient"])["salient"]
    sal = sal[(sal["commodity_id"] == cid)]
    vintage = int(sal["vintage"].max())
    return sal[sal["vintage"] == vintage]


def _salient_price(cid: str) -> float:
    sal = _salient_series(cid)
    price = sal[(sal["statistic"] == "price") & sal["value"].notna()]
    year = int(price["year"].max())
    rows = price[price["year"] == year]
    if len(rows) != 1:
        raise MarketChoiceError(f"{cid}: expected one salient price series, found {len(rows)}")
    return float(rows["value"].iloc[0])


def _net_imports(cid: str) -> float:
    sal = _salient_series(cid)
    year = int(sal["year"].max())
    sal = sal[sal["year"] == year]
    imp = float(sal.loc[sal["statistic"] == "imports", "value"].iloc[0])
    exp = float(sal.loc[sal["statistic"] == "exports", "value"].iloc[0])
    return imp - exp


def chain_market(mineral: str) -> MarketChoice | None:
    """The chain-engine market of a mineral, or None (see the module docstring for the order)."""
    cid = commodity_id(mineral)
    stages = _kb_chain_stages(cid)
    ref = CHAIN_REF_MARKETS.get(cid)
    ref_processed = ref is not None and not _ref_is_mine(ref)
    if "processing" in stages:
        return MarketChoice(f"chain:kb:{cid}:processing", cid, f"{cid}: chain engine, knowledge base, processing")
    if ref_processed:
        return MarketChoice(f"chain:ref:{ref}", cid, f"{cid}: chain engine, chain_market_{ref}.yaml")
    if "mine" in stages:
        return MarketChoice(f"chain:kb:{cid}:mine", cid, f"{cid}: chain engine, knowledge base, mine")
    if ref is not None:
        return MarketChoice(f"chain:ref:{ref}", cid, f"{cid}: chain engine, chain_market_{ref}.yaml")
    return None


def _kb_chain_stages(cid: str) -> list[str]:
    """Stages of ``cid`` whose knowledge-base chain market calibrates (empty without the calibration package)."""
    try:
        from critmin.model.kb import calibrated
    except ImportError:
        return []
    return [s for (m, s) in calibrated() if m == cid]


def _ref_is_mine(ref: str) -> bool:
    from critmin.model.chain.scenario_file import load_market_file

    return all(st.name == "mine" for st in load_market_file(ref).stages)


def default_market(mineral: str) -> MarketChoice:
    """The market a run on ``mineral`` uses when the user names none (see the module docstring)."""
    from critmin.model import calibrate_from_kb

    chain = chain_market(mineral)
    if chain is not None:
        return chain
    cid = commodity_id(mineral)
    if cid in PRESET_MARKETS:
        return MarketChoice(f"preset:{PRESET_MARKETS[cid]}", cid, f"{cid}: market of preset {PRESET_MARKETS[cid]}")
    errors = []
    for stage in ("processing", "mine"):
        key = f"kb:{cid}:{stage}"
        try:
            if cid in PRICE_BASIS or withheld_interval(cid) is not None:
                build_market(key, strata=1)
            else:
                with np.errstate(all="ignore"):
                    calibrate_from_kb(cid, stage=stage)
            return MarketChoice(key, cid, f"{cid}: knowledge base, {stage} stage")
        except (CritminError, ValueError, ArithmeticError) as exc:
            errors.append(f"{stage}: {exc}")
    if cid in SCRATCH_MARKETS:
        return MarketChoice(f"scratch:{SCRATCH_MARKETS[cid]}", cid, f"{cid}: from-scratch market (illustrative)")
    raise MarketChoiceError(f"no calibrated market for {cid}: " + " | ".join(errors))


def ranking_markets(list_year: int = 2025) -> tuple[list[MarketChoice], list[dict]]:
    """One market per mineral of the list that calibrates, and what is missing for the others."""
    from critmin import api

    chosen: list[MarketChoice] = []
    missing: list[dict] = []
    for cid in api.minerals(list_year)["commodity_id"]:
        try:
            chosen.append(default_market(str(cid)))
        except MarketChoiceError as exc:
            missing.append({"mineral": str(cid), "reason": str(exc)})
    for cid in CHAIN_REF_MARKETS:  # minerals off the list's ids (rare earths as a group) with a chain market
        if not any(c.mineral == cid for c in chosen):
            choice = chain_market(cid)
            if choice is not None:
                chosen.append(choice)
                missing = [m for m in missing if m["mineral"] != cid]
    for cid, ref in SCRATCH_MARKETS.items():  # the static engine's illustrative markets, where nothing else exists
        if not any(c.mineral == cid for c in chosen):
            chosen.append(MarketChoice(f"scratch:{ref}", cid, f"{cid}: from-scratch market (illustrative)"))
            missing = [m for m in missing if m["mineral"] != cid]
    return chosen, missing
