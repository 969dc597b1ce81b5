"""Exposure by mineral, stage and country, in tonnes and dollars, for parts, products and the company.

Definitions (all pure functions of a validated :class:`~critmin.exposure.bom.Bom`, the content
library and an upstream-shares provider):

Units per year
    ``u_i = V_r * prod_{j in path(i)} q_j``: the product's annual volume times the quantities
    per parent along the path from the part to its product.
Mineral tonnes of a line
    per-kg library product: ``t = u * m * [c_lo, c_hi] / 1000`` (``m`` the line's mass in kg,
    ``c`` kg of mineral per kg); per-kWh pack: ``t = u * E * [c_lo, c_hi] / 1000``; a mineral
    line: ``t = u * m * f / 1000`` with the bill's content fraction ``f``.
Spend exposed
    ``u * unit_value``: what the company pays a year for the line; each mineral in it is
    exposed through that whole spend (spend is not additive across minerals).
Paths
    Each mineral line reaches the company through stages. ``supplier`` is the supplier's
    country (the last stage, share 1). ``processing`` and ``mine`` come from the line's
    declared origins (``basis = declared``; a list of countries without shares gives each
    the interval [0, 1]) or else from the upstream-shares provider (``basis = inferred``,
    with the share no country accounts for as an ``unassigned`` path), or are ``unknown``.
    Path tonnes and spend are the line's times the share: ``[t_lo s_lo, t_hi s_hi]``.
Concentration of a group (a part, product or the company, one mineral and stage)
    ``HHI = sum_k (x_k / X)^2`` over the countries ``k`` of the group's paths, ``x`` their
    tonnes and ``X`` the group's tonnes, computed at the low and at the high tonnes;
    unassigned and unknown tonnes count as fragmented (no contribution), and ``hhi_max``
    adds them as one more producer (as :mod:`critmin.analysis.concentration` does for
    world production). China's and the FEOC countries' shares are ``x_k / X`` for those
    countries (FEOC from ``vocab/country_groups.csv``).
Governance
    the tonnes-weighted mean of the six WGI estimates (-2.5 worst .. 2.5 best) over the
    group's countries that have a score; ``wgi_coverage`` is the share of tonnes with one.
Export controls
    measures of the ``export_controls`` table in force (status ``active``/``in force``) by a
    country on a path, on the path's mineral or its group (rare earths) or members.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.analysis.interval import Interval
from critmin.exposure.bom import Bom
from critmin.exposure.upstream import STAGES, ShareSet

SUPPLIER = "supplier"
STAGE_ORDER = {"mine": 0, "processing": 1, SUPPLIER: 2}
UNASSIGNED = "unassigned"
UNKNOWN = "unknown"

LINE_COLUMNS = [
    "part_id", "root_id", "row", "commodity_id", "form", "material_id", "material_kind", "units_per_year",
    "tonnes_low", "tonnes_high", "spend_usd", "supplier_iso3", "content_source", "content_method",
]
PATH_COLUMNS = [
    "part_id", "root_id", "commodity_id", "form", "stage", "country", "share_low", "share_high", "basis",
    "share_source", "tonnes_low", "tonnes_high", "spend_low", "spend_high",
]


@dataclass
class KnowledgeBase:
    """What the exposure reads from the snapshot, loaded once (see :func:`load_knowledge_base`)."""

    wgi: dict[str, float]
    wgi_info: dict
    feoc: frozenset[str]
    groups: dict[str, frozenset[str]]
    export_controls: pd.DataFrame
    commodity_group: dict[str, str]
    group_members: dict[str, tuple[str, ...]]
    agreements: pd.DataFrame = field(default_factory=pd.DataFrame)
    production: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_knowledge_base() -> KnowledgeBase:
    """Governance, country groups, export controls, agreements and production from the snapshot."""
    from critmin.analysis import inputs
    from critmin.analysis.risk import governance as gov
    from critmin.vocab import commodities as vc
    from critmin.vocab import countries as vk

    t = inputs.read_tables(["governance", "export_controls", "agreements", "production"])
    wgi, info = gov.estimates(t["governance"], gov.SIX)
    groups = vk.groups()
    cat = vc.catalogue()
    return KnowledgeBase(
        wgi=wgi, wgi_info=info, feoc=groups.get("FEOC", frozenset()), groups=groups,
        export_controls=t["export_controls"],
        commodity_group={c.commodity_id: c.group_id for c in cat.values() if c.group_id},
        group_members={c.commodity_id: vc.members(c.commodity_id) for c in cat.values() if c.is_group},
        agreements=t["agreements"], production=t["production"],
    )


# ----------------------------------------------------------------------------- lines


def mineral_lines(bom: Bom, library: pd.DataFrame) -> pd.DataFrame:
    """One row per (bill line, mineral) with tonnes per year (low, high) and spend."""
    p = bom.parts
    p = p[p["material_kind"] != ""]
    spend = p["units_per_year"] * p["unit_value_usd"]
    base = p.assign(spend_usd=spend)
    prod = base[base["material_kind"] == "product"]
    lib = library[["product_id", "basis", "commodity_id", "form", "low", "high", "source_id", "method"]]
    merged = prod.merge(lib, left_on="material_id", right_on="product_id", how="inner")
    amount = np.where(merged["basis"] == "per_kwh", merged["energy_kwh"], merged["mass_kg"])
    scale = merged["units_per_year"].to_numpy() * amount / 1000.0
    from_lib = pd.DataFrame({
        "part_id": merged["part_id"], "root_id": merged["root_id"], "row": merged["row"],
        "commodity_id": merged["commodity_id"], "form": merged["form"].fillna(""),
        "material_id": merged["material_id"], "material_kind": "product",
        "units_per_year": merged["units_per_year"],
        "tonnes_low": scale * merged["low"].to_numpy(), "tonnes_high": scale * merged["high"].to_numpy(),
        "spend_usd": merged["spend_usd"], "supplier_iso3": merged["supplier_iso3"],
        "content_source": merged["source_id"], "content_method": merged["method"],
    })
    mins = base[base["material_kind"] == "mineral"]
    t = mins["units_per_year"] * mins["mass_kg"] * mins["content_fraction"] / 1000.0
    from_bill = pd.DataFrame({
        "part_id": mins["part_id"], "root_id": mins["root_id"], "row": mins["row"],
        "commodity_id": mins["material_id"], "form": "", "material_id": mins["material_id"],
        "material_kind": "mineral", "units_per_year": mins["units_per_year"],
        "tonnes_low": t, "tonnes_high": t, "spend_usd": mins["spend_usd"], "supplier_iso3": mins["supplier_iso3"],
        "content_source": "bill", "content_method": "content_fraction in the bill",
    })
    out = pd.concat([from_lib, from_bill], ignore_index=True)[LINE_COLUMNS]
    return out.sort_values(["row", "commodity_id"], kind="mergesort").reset_index(drop=True)


# ----------------------------------------------------------------------------- paths


def _share_frame(ss: ShareSet | None, commodity: str, stage: str, form: str) -> pd.DataFrame:
    if ss is None:
        return pd.DataFrame({"commodity_id": [commodity], "form": [form], "stage": [stage], "country": [UNKNOWN],
                             "share_low": [1.0], "share_high": [1.0], "basis": [UNKNOWN],
                             "share_source": ["no upstream evidence in the knowledge base"]})
    countries = sorted(ss.shares)
    rows = {
        "commodity_id": commodity, "form": form, "stage": stage,
        "country": countries + [UNASSIGNED],
        "share_low": [ss.shares[c].low for c in countries] + [ss.unassigned.low],
        "share_high": [min(1.0, ss.shares[c].high) for c in countries] + [ss.unassigned.high],
        "basis": "inferred", "share_source": f"{ss.basis}: {ss.source}",
    }
    df = pd.DataFrame(rows)
    return df[(df["share_high"] > 0) | (df["country"] != UNASSIGNED)]


def exposure_paths(lines: pd.DataFrame, bom: Bom, provider) -> pd.DataFrame:
    """Paths of every mineral line through the supplier, processing and mine stages."""
    if lines.empty:
        return pd.DataFrame(columns=PATH_COLUMNS)
    lines = lines[lines["tonnes_high"] > 0]  # a published zero content (Li in sodium-ion) has no path
    if lines.empty:
        return pd.DataFrame(columns=PATH_COLUMNS)
    key_cols = ["part_id", "root_id", "commodity_id", "form", "tonnes_low", "tonnes_high", "spend_usd"]
    # supplier stage: share 1
    sup = lines[key_cols].assign(
        stage=SUPPLIER, country=lines["supplier_iso3"].fillna(UNKNOWN), share_low=1.0, share_high=1.0,
        basis=np.where(lines["supplier_iso3"].notna(), "bill", UNKNOWN), share_source="supplier_country in the bill")
    declared = bom.parts.set_index("part_id")["declared"]
    frames = [sup]
    decl_rows = []
    inferred_keys = []
    line_decl = lines["part_id"].map(declared)
    records = lines[key_cols].to_dict("records")
    for stage in STAGES:
        has = np.array([bool(d) and stage in d for d in line_decl], dtype=bool)
        for i in np.nonzero(has)[0]:
            for iso, share in line_decl.iat[i][stage]:
                lo, hi = (share, share) if share is not None else (0.0, 1.0)
                decl_rows.append({**records[i], "stage": stage, "country": iso,
                                  "share_low": lo, "share_high": hi, "basis": "declared",
                                  "share_source": "origin_" + stage + " in the bill" + ("" if share is not None else " (split not given)")})
        inferred_keys.append((stage, lines.loc[~has, key_cols]))
    if decl_rows:
        frames.append(pd.DataFrame(decl_rows))
    for stage, todo in inferred_keys:
        if todo.empty:
            continue
        keys = todo[["commodity_id", "form"]].drop_duplicates()
        tables = []
        for c, f in zip(keys["commodity_id"], keys["form"]):
            try:
                ss = provider.shares(c, stage, None, f)
            except TypeError:
                ss = provider.shares(c, stage, None)
            tables.append(_share_frame(ss, c, stage, f))
        shares = pd.concat(tables, ignore_index=True)
        frames.append(todo.merge(shares, on=["commodity_id", "form"], how="inner"))
    paths = pd.concat(frames, ignore_index=True)
    paths["tonnes_low"] = paths["tonnes_low"] * paths["share_low"]
    paths["tonnes_high"] = paths["tonnes_high"] * paths["share_high"]
    paths["spend_low"] = paths["spend_usd"] * paths["share_low"]
    paths["spend_high"] = paths["spend_usd"] * paths["share_high"]
    # rows stay grouped by stage (supplier, declared, inferred); sorting 10^5-10^6 string rows
    # would cost more than the rest of the computation, and every consumer groups anyway
    return paths[PATH_COLUMNS].reset_index(drop=True)


# ----------------------------------------------------------------------------- aggregation

SCOPES = {"part": ["root_id", "part_id"], "product": ["root_id"], "company": []}


def aggregate(paths: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Tonnes and spend by (scope keys, mineral, stage, country), with the bases combined."""
    keys = SCOPES[scope] + ["commodity_id", "stage", "country"]
    if paths.empty:
        return pd.DataFrame(columns=keys + ["tonnes_low", "tonnes_high", "spend_low", "spend_high", "basis"])
    g = paths.groupby(keys, sort=True, dropna=False)
    out = g[["tonnes_low", "tonnes_high", "spend_low", "spend_high"]].sum(min_count=1).reset_index()
    # the bases of a group, joined: computed on the distinct (keys, basis) pairs, not per row
    b = paths[keys + ["basis"]].drop_duplicates().sort_values("basis")
    b = b.groupby(keys, sort=False, dropna=False)["basis"].agg("+".join).reset_index()
    out = out.merge(b, on=keys, how="left")
    out["spend_low"] = out["spend_low"].where(out["spend_low"].notna(), None)
    return out


def _hhi(x: pd.Series, known: pd.Series) -> float:
    total = x.sum()
    if not total > 0:
        return float("nan")
    s = x[known] / total
    return float((s**2).sum())


def indicators(paths: pd.DataFrame, kb: KnowledgeBase, scope: str) -> pd.DataFrame:
    """Concentration, China and FEOC shares, governance and export controls per group."""
    keys = SCOPES[scope] + ["commodity_id", "stage"]
    cols = keys + ["tonnes_low", "tonnes_high", "hhi_low", "hhi_high", "hhi_max", "china_share_low",
                   "china_share_high", "feoc_share_low", "feoc_share_high", "unassigned_share", "unknown_share",
                   "wgi_mean", "wgi_coverage", "countries", "export_controls", "basis"]
    if paths.empty:
        return pd.DataFrame(columns=cols)
    agg = aggregate(paths, scope)
    controls = controls_in_force(kb)
    rows = []
    for key, g in agg.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        known = ~g["country"].isin([UNASSIGNED, UNKNOWN])
        lo, hi = g["tonnes_low"], g["tonnes_high"]
        tlo, thi = float(lo.sum()), float(hi.sum())
        h1, h2 = _hhi(lo, known), _hhi(hi, known)
        mid = (lo + hi) / 2
        total_mid = mid.sum()
        frag = float(mid[~known].sum() / total_mid) if total_mid > 0 else float("nan")
        hmax = max(h1, h2) + frag**2 if total_mid > 0 else float("nan")

        def share(mask):
            # x / (x + y) with x in [x_lo, x_hi] (these countries) and y in [y_lo, y_hi] (the rest)
            x_lo, x_hi = float(lo[mask].sum()), float(hi[mask].sum())
            y_lo, y_hi = float(lo[~mask].sum()), float(hi[~mask].sum())
            a = x_lo / (x_lo + y_hi) if x_lo + y_hi > 0 else float("nan")
            b = x_hi / (x_hi + y_lo) if x_hi + y_lo > 0 else float("nan")
            return a, b

        ch = share(g["country"] == "CHN")
        fe = share(g["country"].isin(kb.feoc))
        unas = float(mid[g["country"] == UNASSIGNED].sum() / total_mid) if total_mid > 0 else float("nan")
        unkn = float(mid[g["country"] == UNKNOWN].sum() / total_mid) if total_mid > 0 else float("nan")
        scores = g["country"].map(kb.wgi)
        has = scores.notna() & known
        w = mid[has]
        wgi = float((scores[has] * w).sum() / w.sum()) if w.sum() > 0 else float("nan")
        cov = float(w.sum() / total_mid) if total_mid > 0 else float("nan")
        commodity = key[-2]
        touching = _controls_for(controls, kb, commodity, set(g.loc[known, "country"]))
        rows.append({**dict(zip(keys, key)), "tonnes_low": tlo, "tonnes_high": thi, "hhi_low": min(h1, h2),
                     "hhi_high": max(h1, h2), "hhi_max": hmax, "china_share_low": ch[0], "china_share_high": ch[1],
                     "feoc_share_low": fe[0], "feoc_share_high": fe[1], "unassigned_share": unas, "unknown_share": unkn,
                     "wgi_mean": wgi, "wgi_coverage": cov,
                     "countries": int(known.sum()), "export_controls": touching,
                     "basis": "+".join(sorted(set("+".join(g["basis"]).split("+"))))})
    return pd.DataFrame(rows, columns=cols)


def controls_in_force(kb: KnowledgeBase) -> pd.DataFrame:
    from critmin.analysis.dependency import in_force

    ec = kb.export_controls
    if ec is None or ec.empty:
        return pd.DataFrame(columns=["measure_id", "country_iso3", "commodity_id", "control_type", "status"])
    return ec[ec["status"].map(in_force)]


def _controls_for(controls: pd.DataFrame, kb: KnowledgeBase, commodity: str, countries: set[str]) -> list[str]:
    if controls.empty or not countries:
        return []
    ids = {commodity}
    if commodity in kb.commodity_group:
        ids.add(kb.commodity_group[commodity])
    ids.update(kb.group_members.get(commodity, ()))
    sel = controls[controls["commodity_id"].isin(ids) & controls["country_iso3"].isin(countries)]
    return sorted({f"{r.country_iso3}: {r.measure_id} ({r.control_type})" for r in sel.itertuples(index=False)})


def path_controls(paths: pd.DataFrame, kb: KnowledgeBase) -> pd.DataFrame:
    """Every (mineral, country) on the company's paths with an export control in force there."""
    controls = controls_in_force(kb)
    cols = ["commodity_id", "stage", "country", "measure_id", "control_type", "status", "effective_date"]
    if paths.empty or controls.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    pairs = paths[["commodity_id", "stage", "country"]].drop_duplicates()
    for r in pairs.itertuples(index=False):
        ids = {r.commodity_id, kb.commodity_group.get(r.commodity_id, r.commodity_id), *kb.group_members.get(r.commodity_id, ())}
        sel = controls[controls["commodity_id"].isin(ids) & (controls["country_iso3"] == r.country)]
        for m in sel.drop_duplicates("measure_id").itertuples(index=False):
            rows.append({"commodity_id": r.commodity_id, "stage": r.stage, "country": r.country,
                         "measure_id": m.measure_id, "control_type": m.control_type, "status": m.status,
                         "effective_date": getattr(m, "effective_date", None)})
    return pd.DataFrame(rows, columns=cols)


def interval(lo: float, hi: float) -> Interval:
    """A convenience for callers that want an :class:`Interval` from a row's low/high."""
    return Interval(float(lo), float(hi))
