"""Bilateral flows of one stage in tonnes of the market's content basis.

Methods, in order of preference (the one used is named in every market):

``baci_content``
    CEPII BACI quantities (``world_trade``, HS1992) of the stage's codes x the concordance's
    content factor (``vocab/hs6_concordance.csv``) where the code's basis is the market's;
    a factor with bounds (cobalt oxides 0.536-0.7865 t Co/t; manganese ore 20-77.45% Mn)
    gives a low and a high flow, and the market is calibrated at both.
``baci_value``
    Codes without a defensible factor (ores and concentrates of varying grade, rare-earth
    compounds): tonnes of content = trade value / base price per tonne of content. This is
    the chain engine's own law of one price applied to the base year (ASSUMPTION, named):
    it understates content where the product sells below the contained value (ores and
    intermediates priced at a refined-metal price). Used also for rows of a factor code whose
    quantity BACI did not report.
``usgs_import_shares``
    No BACI code at the stage: US imports = the USGS salient import total(s) of the stage x
    the USGS import shares by partner (MCS 2026, 2021-24); US exports from the salient
    exports (destinations not in the data: the rest of the world). Trade among other
    regions is not in the data: each consumes at home what it does not ship to the US
    (ASSUMPTION, named).

Exports of a region above its output (re-exports through traders, stock draws) are
scaled down to its output at assembly (:mod:`.assemble`), and said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.vocab import hs6_concordance as hc

from .consumption import salient_sum
from .inputs import Figure, KBDataError
from .specs import Spec
from .tables import table, world_trade_year

BACI_ID = "cepii_baci_hs92"


@dataclass
class FlowsRead:
    flows: pd.DataFrame
    method: str
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def stage_codes(spec: Spec) -> list[str]:
    return hc.codes_for(spec.kb_id, spec.stage)


def read(spec: Spec, year: int, price: Figure) -> FlowsRead:
    """Flows for ``spec`` in ``year`` (BACI when the stage has codes, else the USGS import shares)."""
    codes = stage_codes(spec)
    if codes:
        have = world_trade_year(year)
        if have["hs6"].isin(codes).any() or not (spec.us_imports or spec.us_exports):
            return _baci(spec, codes, year, price)
        out = _usgs_shares(spec, year)
        out.notes.insert(0, f"BACI has no {year} rows for HS {codes} (the code is not reported after 2016 for "
                            "germanium): US import shares used instead")
        return out
    if spec.us_imports or spec.us_exports:
        return _usgs_shares(spec, year)
    raise KBDataError(f"{spec.mineral} {spec.stage}: no bilateral flows: no HS1992 code of the stage in the "
                      "concordance and no US import figure chosen for the stage")


def _baci(spec: Spec, codes: list[str], year: int, price: Figure) -> FlowsRead:
    wt = world_trade_year(year)
    rows = wt[wt["hs6"].isin(codes)]
    if rows.empty:
        raise KBDataError(f"{spec.mineral} {spec.stage}: BACI has no {year} rows for HS {codes}")
    notes = []
    groups = rows["exporter_iso3"].isna() | rows["importer_iso3"].isna()
    if groups.any():
        notes.append(f"{int(groups.sum())} BACI rows with an aggregate partner (no ISO3) left out: "
                     f"US$ {rows.loc[groups, 'value_usd'].sum():,.0f}")
        rows = rows[~groups]
    rows = rows[rows["exporter_iso3"] != rows["importer_iso3"]]
    lo = np.zeros(len(rows))
    hi = np.zeros(len(rows))
    kg = pd.to_numeric(rows["quantity_kg"], errors="coerce").to_numpy(float)
    value = rows["value_usd"].to_numpy(float)
    by_value_codes, factor_codes = [], []
    used_value = np.zeros(len(rows), bool)
    for code in codes:
        e = hc.entry(code)
        m = (rows["hs6"] == code).to_numpy()
        usable = e.has_factor and e.content_basis == spec.basis
        if usable:
            factor_codes.append(f"{code} ({e.form}: {e.factor_low:g}-{e.factor_high:g} t {e.content_basis}/t, "
                                f"{e.factor_basis})")
            q = m & np.isfinite(kg)
            lo[q] = kg[q] / 1000 * e.factor_low
            hi[q] = kg[q] / 1000 * e.factor_high
            nq = m & ~np.isfinite(kg)
            if nq.any():
                used_value |= nq
                notes.append(f"HS {code}: {int(nq.sum())} flows without a reported quantity valued at the base price")
        else:
            by_value_codes.append(f"{code} ({e.form}; {e.note or 'no factor on the ' + spec.basis + ' basis'})")
            used_value |= m
    lo[used_value] = hi[used_value] = value[used_value] / price.low
    flows = pd.DataFrame({"exporter": rows["exporter_iso3"].to_numpy(), "importer": rows["importer_iso3"].to_numpy(),
                          "low": lo, "high": hi})
    flows = flows.groupby(["exporter", "importer"], as_index=False)[["low", "high"]].sum()
    flows = flows[flows["high"] > 0].reset_index(drop=True)
    method = "baci_content" if not by_value_codes else ("baci_value" if not factor_codes else "baci_content+value")
    if factor_codes:
        notes.insert(0, f"flows: CEPII BACI HS1992 {year} quantities x content factors: {'; '.join(factor_codes)}")
    if by_value_codes:
        notes.insert(0, f"flows: CEPII BACI HS1992 {year} values / base price {price.low:,.6g} USD/t {spec.basis} "
                        f"for {'; '.join(by_value_codes)}: ASSUMPTION: tonnes of content traded at the base price "
                        "(the law of one price of the chain engine); understates content where the product sells "
                        "below its contained value")
    return FlowsRead(flows, method, [BACI_ID], notes)


def _usgs_shares(spec: Spec, year: int) -> FlowsRead:
    notes = []
    sources = []
    rows = []
    form = spec.extra.get("salient_form")
    if spec.us_imports:
        m = salient_sum(spec.kb_id, year, "imports", spec.us_imports, spec.basis, form)
        sources.extend(m.sources)
        shares, period, sid = _import_shares(spec)
        sources.append(sid)
        total = sum(shares.values())
        for partner, share in shares.items():
            rows.append((partner, "USA", m.low * share / total, m.high * share / total))
        notes.append(f"flows: US imports {m.describe()} split by the USGS import shares ({period}, "
                     f"{', '.join(f'{k} {100 * v / total:.0f}%' for k, v in shares.items())}): ASSUMPTION: the "
                     "shares of the period hold in the base year; 'Other countries' ship from the rest of the world")
    if spec.us_exports:
        x = salient_sum(spec.kb_id, year, "exports", spec.us_exports, spec.basis, form)
        sources.extend(x.sources)
        if x.high > 0:
            rows.append(("USA", "OTHER", x.low, x.high))
        notes.append(f"flows: US exports {x.describe()}; destinations are not in the data: ASSUMPTION: shipped to "
                     "the rest of the world")
    notes.append("ASSUMPTION: trade among regions other than the US is not in the data; each consumes at home what "
                 "it does not ship to the US (results for other regions' trade are not informative)")
    flows = pd.DataFrame(rows, columns=["exporter", "importer", "low", "high"])
    flows = flows[flows["high"] > 0]
    return FlowsRead(flows.reset_index(drop=True), "usgs_import_shares", sources, notes)


def _import_shares(spec: Spec) -> tuple[dict[str, float], str, str]:
    s = table("import_shares")
    rows = s[(s["commodity_id"] == spec.kb_id)]
    rows = rows[rows["vintage"] == rows["vintage"].max()]
    if spec.import_form is not None:
        rows = rows[rows["form"] == spec.import_form]
    else:
        rows = rows[rows["form"].isna()]
    if rows.empty:
        raise KBDataError(f"{spec.mineral} {spec.stage}: no USGS import shares (form {spec.import_form!r})")
    out: dict[str, float] = {}
    for r in rows.itertuples(index=False):
        if pd.isna(r.value):
            raise KBDataError(f"{spec.mineral}: import share of {r.partner_name} is {r.raw!r}")
        key = r.partner_iso3 if isinstance(r.partner_iso3, str) else "OTHER"
        out[key] = out.get(key, 0.0) + float(r.value)
    return out, f"MCS {int(rows['vintage'].iloc[0])}, {rows['period'].iloc[0]}", str(rows["source_id"].iloc[0])
