"""Exposure by mineral, stage and country, in tonnes and dollars, for parts, products and the company.

Definitions (all pure functions of a validated :class:`~critmin.exposure.bom.Bom`, the content
library and an upstream-shares provider):

Units per year
    ``u_i = V_r * prod_{j in path(i)} q_j``: the product's annual volume times the quantities
    per parent along the path from the part to its product.
Mineral tonnes of a line
    per-kg library product: ``t = u * m * [c_lo, c_hi] / 1000`` (``m`` the line's mass in kg,
    ``c`` kg of mineral per kg); per-kWh pack: ``t = u * E * [c_lo, c_hi] / 1000``; per-unit
    product (a converter's PGM): ``t = u * [c_lo, c_hi] / 1000`` (``c`` kg per unit); a mineral
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

    from critmin.kb import read_tables

    t = read_tables(["governance", "export_controls", "agreements", "production"])
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
    # per kg: the line's mass; per kWh: its pack energy; per unit: one unit holds the figure
    amount = np.select([merged["basis"] == "per_kwh", merged["basis"] == "per_unit"],
                       [merged["energy_kwh"], 1.0], merged["mass_kg"])
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

#: Where a path's share comes from (``basis``); the order fixes the bit used to combine them.
BASES = ("bill", "declared", "inferred", UNKNOWN)
_NO_EVIDENCE = "no upstream evidence in the knowledge base"


def _share_rows(ss: ShareSet | None) -> tuple[list[str], list[float], list[float], str, str]:
    """One stage's shares as parallel lists: countries, low, high, basis, source.

    The share no country accounts for is kept as an ``unassigned`` row (dropped when its
    upper bound is 0); no evidence at all is one ``unknown`` row with share 1.
    """
    if ss is None:
        return [UNKNOWN], [1.0], [1.0], UNKNOWN, _NO_EVIDENCE
    countries = sorted(ss.shares)
    lo = [ss.shares[c].low for c in countries]
    hi = [min(1.0, ss.shares[c].high) for c in countries]
    if ss.unassigned.high > 0:
        countries, lo, hi = countries + [UNASSIGNED], lo + [ss.unassigned.low], hi + [ss.unassigned.high]
    return countries, lo, hi, "inferred", f"{ss.basis}: {ss.source}"


def _provider_shares(provider, commodity: str, stage: str, form: str) -> ShareSet | None:
    try:
        return provider.shares(commodity, stage, None, form)
    except TypeError:  # a provider without the form argument
        return provider.shares(commodity, stage, None)


class _Codes:
    """A growing string -> integer code table (the categories of a categorical column)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def code(self, value: str) -> int:
        return self.index.setdefault(value, len(self.index))

    def codes(self, values) -> np.ndarray:
        return np.fromiter((self.code(v) for v in values), dtype=np.int64)

    def categorical(self, codes: np.ndarray) -> pd.Categorical:
        """Codes as a categorical whose categories are sorted, so groupby orders as strings do."""
        cats = np.array(list(self.index), dtype=object)
        order = np.argsort(cats, kind="stable")
        remap = np.empty(len(cats), dtype=np.int64)
        remap[order] = np.arange(len(cats))
        return pd.Categorical.from_codes(remap[codes] if len(cats) else codes, categories=cats[order])


def exposure_paths(lines: pd.DataFrame, bom: Bom, provider) -> pd.DataFrame:
    """Paths of every mineral line through the supplier, processing and mine stages.

    Built as arrays: each path row is a (line, stage, country, share) tuple, gathered from
    the line arrays by index, so the cost is one pass over the rows, not one table per line.
    String columns are categoricals (few distinct values over many rows); consumers filter
    and group them as strings.
    """
    if lines.empty:
        return pd.DataFrame(columns=PATH_COLUMNS)
    lines = lines[lines["tonnes_high"] > 0]  # a published zero content (Li in sodium-ion) has no path
    if lines.empty:
        return pd.DataFrame(columns=PATH_COLUMNS)
    n = len(lines)
    part_ids = lines["part_id"].to_numpy(dtype=object)
    commodity = lines["commodity_id"].to_numpy(dtype=object)
    form = lines["form"].fillna("").to_numpy(dtype=object)
    supplier = lines["supplier_iso3"].to_numpy(dtype=object)

    country, source = _Codes(), _Codes()
    stage_code = {s: i for i, s in enumerate(("mine", "processing", SUPPLIER))}
    basis_code = {b: i for i, b in enumerate(BASES)}
    blocks: list[tuple] = []  # (line index, stage, country code, low, high, basis code, source code)

    # supplier stage: the bill's supplier country, share 1
    has_sup = np.array([isinstance(s, str) and s != "" for s in supplier], dtype=bool)
    sup_codes = country.codes(s if ok else UNKNOWN for s, ok in zip(supplier, has_sup))
    ones = np.ones(n)
    blocks.append((np.arange(n), np.full(n, stage_code[SUPPLIER]), sup_codes, ones, ones,
                   np.where(has_sup, basis_code["bill"], basis_code[UNKNOWN]),
                   np.full(n, source.code("supplier_country in the bill"))))

    # declared origins: only the parts that declare any
    declared = {pid: d for pid, d in zip(bom.parts["part_id"], bom.parts["declared"]) if d}
    has_decl = {s: np.zeros(n, dtype=bool) for s in STAGES}
    if declared:
        idx, stg, ctry, lo, hi, src = [], [], [], [], [], []
        for i, pid in enumerate(part_ids):
            d = declared.get(pid)
            if not d:
                continue
            for s in STAGES:
                if s not in d:
                    continue
                has_decl[s][i] = True
                for iso, share in d[s]:
                    idx.append(i)
                    stg.append(stage_code[s])
                    ctry.append(country.code(iso))
                    lo.append(share if share is not None else 0.0)
                    hi.append(share if share is not None else 1.0)
                    src.append(source.code(f"origin_{s} in the bill" + ("" if share is not None else " (split not given)")))
        if idx:
            blocks.append((np.array(idx), np.array(stg), np.array(ctry), np.array(lo, dtype=float),
                           np.array(hi, dtype=float), np.full(len(idx), basis_code["declared"]), np.array(src)))

    # inferred stages: one share table per distinct (mineral, form), gathered onto its lines
    key_index: dict[tuple[str, str], int] = {}
    key_codes = np.fromiter((key_index.setdefault((c, f), len(key_index)) for c, f in zip(commodity, form)),
                            dtype=np.int64, count=n)
    keys = list(key_index)
    for s in STAGES:
        todo = np.nonzero(~has_decl[s])[0]
        if not len(todo):
            continue
        tables = []
        for c, f in keys:
            ctrs, lo, hi, basis, src = _share_rows(_provider_shares(provider, c, s, f))
            tables.append((country.codes(ctrs), np.array(lo, dtype=float), np.array(hi, dtype=float),
                           basis_code[basis], source.code(src)))
        size = np.array([len(t[0]) for t in tables])
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        flat_c = np.concatenate([t[0] for t in tables])
        flat_lo = np.concatenate([t[1] for t in tables])
        flat_hi = np.concatenate([t[2] for t in tables])
        key_basis = np.array([t[3] for t in tables])
        key_src = np.array([t[4] for t in tables])
        kc = key_codes[todo]
        counts = size[kc]
        line_idx = np.repeat(todo, counts)
        # position of each output row inside its key's table
        first = np.repeat(np.cumsum(counts) - counts, counts)
        flat = np.repeat(start[kc], counts) + (np.arange(counts.sum()) - first)
        krep = np.repeat(kc, counts)
        blocks.append((line_idx, np.full(len(line_idx), stage_code[s]), flat_c[flat], flat_lo[flat], flat_hi[flat],
                       key_basis[krep], key_src[krep]))

    idx = np.concatenate([b[0] for b in blocks])
    share_lo = np.concatenate([b[3] for b in blocks])
    share_hi = np.concatenate([b[4] for b in blocks])

    def gathered(column: str) -> pd.Categorical:
        codes, cats = pd.factorize(lines[column].fillna("") if column == "form" else lines[column], sort=True)
        return pd.Categorical.from_codes(codes[idx], categories=cats)

    t_lo = lines["tonnes_low"].to_numpy(dtype=float)[idx]
    t_hi = lines["tonnes_high"].to_numpy(dtype=float)[idx]
    spend = lines["spend_usd"].to_numpy(dtype=float)[idx]
    stage_cats = list(stage_code)  # mine < processing < supplier, as strings sort
    paths = pd.DataFrame({
        "part_id": gathered("part_id"), "root_id": gathered("root_id"), "commodity_id": gathered("commodity_id"),
        "form": gathered("form"),
        "stage": pd.Categorical.from_codes(np.concatenate([b[1] for b in blocks]), categories=stage_cats),
        "country": country.categorical(np.concatenate([b[2] for b in blocks])),
        "share_low": share_lo, "share_high": share_hi,
        "basis": pd.Categorical.from_codes(np.concatenate([b[5] for b in blocks]), categories=list(BASES)),
        "share_source": source.categorical(np.concatenate([b[6] for b in blocks])),
        "tonnes_low": t_lo * share_lo, "tonnes_high": t_hi * share_hi,
        "spend_low": spend * share_lo, "spend_high": spend * share_hi,
    })
    # rows stay grouped by stage (supplier, declared, inferred); every consumer groups anyway
    return paths[PATH_COLUMNS]


# ----------------------------------------------------------------------------- aggregation

SCOPES = {"part": ["root_id", "part_id"], "product": ["root_id"], "company": []}
_SUMS = ["tonnes_low", "tonnes_high", "spend_low", "spend_high"]


def _basis_label(bits: np.ndarray) -> np.ndarray:
    """``+``-joined names of the bases whose bit is set (``declared+inferred``), sorted."""
    names = sorted(BASES)
    table = ["+".join(b for b in names if m & (1 << BASES.index(b))) for m in range(1 << len(BASES))]
    return pd.Categorical.from_codes(np.asarray(bits, dtype=np.int64), categories=table)


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and sorted categories of a string column (categorical or not)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = np.asarray(col.cat.categories, dtype=object)
        codes = col.cat.codes.to_numpy()
        if len(cats) and not all(a <= b for a, b in zip(cats[:-1], cats[1:])):
            order = np.argsort(cats, kind="stable")
            remap = np.empty(len(cats), dtype=np.int64)
            remap[order] = np.arange(len(cats))
            cats, codes = cats[order], remap[codes]
        return codes.astype(np.int64), cats
    codes, cats = pd.factorize(col, sort=True)
    return codes.astype(np.int64), np.asarray(cats, dtype=object)


def _grouped(paths: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sums by ``keys`` plus ``basis_bits``, the bases present in each group as a bit mask.

    One mixed-radix integer per row encodes the keys (categories sorted, so the integer
    order is the strings' order); ``np.unique`` finds the groups and ``np.bincount`` sums
    each column. A group's sum with an unknown (NaN) term is unknown, never a partial total.
    """
    key = np.zeros(len(paths), dtype=np.int64)
    parts = []
    for k in keys:
        codes, cats = _codes(paths[k])
        key = key * max(len(cats), 1) + codes
        parts.append((k, cats))
    groups, inv = np.unique(key, return_inverse=True)
    out = {}
    rest = groups.copy()
    for k, cats in reversed(parts):
        size = max(len(cats), 1)
        out[k] = pd.Categorical.from_codes(rest % size, categories=cats)
        rest //= size
    frame = pd.DataFrame({k: out[k] for k in keys})
    m = len(groups)
    for c in _SUMS:
        frame[c] = np.bincount(inv, weights=paths[c].to_numpy(dtype=float), minlength=m)
    basis = paths["basis"]
    bcode = basis.cat.codes.to_numpy() if isinstance(basis.dtype, pd.CategoricalDtype) else \
        np.array([BASES.index(b) for b in basis], dtype=np.int64)
    if isinstance(basis.dtype, pd.CategoricalDtype):  # categories may be in any order
        bcode = np.array([BASES.index(b) for b in basis.cat.categories], dtype=np.int64)[bcode]
    bits = np.zeros(m, dtype=np.int64)
    for i in range(len(BASES)):
        bits |= (np.bincount(inv, weights=(bcode == i).astype(float), minlength=m) > 0).astype(np.int64) << i
    frame["basis_bits"] = bits
    return frame


def aggregate(paths: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Tonnes and spend by (scope keys, mineral, stage, country), with the bases combined."""
    keys = SCOPES[scope] + ["commodity_id", "stage", "country"]
    if paths.empty:
        return pd.DataFrame(columns=keys + _SUMS + ["basis"])
    out = _grouped(paths, keys)
    out["basis"] = _basis_label(out.pop("basis_bits").to_numpy())
    out["spend_low"] = out["spend_low"].where(out["spend_low"].notna(), None)
    return out


def indicators(paths: pd.DataFrame, kb: KnowledgeBase, scope: str) -> pd.DataFrame:
    """Concentration, China and FEOC shares, governance and export controls per group.

    Vectorised over groups: every quantity is a group sum of a per-row term, so
    ``HHI = sum_k x_k^2 / X^2`` is ``sum(x^2 [known]) / sum(x)^2`` and a share interval
    ``[x_lo / (x_lo + y_hi), x_hi / (x_hi + y_lo)]`` needs only the group sums of the
    chosen countries' low and high tonnes and the totals (``y = X - x``).
    """
    keys = SCOPES[scope] + ["commodity_id", "stage"]
    cols = keys + ["tonnes_low", "tonnes_high", "hhi_low", "hhi_high", "hhi_max", "china_share_low",
                   "china_share_high", "feoc_share_low", "feoc_share_high", "unassigned_share", "unknown_share",
                   "wgi_mean", "wgi_coverage", "countries", "export_controls", "basis"]
    if paths.empty:
        return pd.DataFrame(columns=cols)
    agg = _grouped(paths, keys + ["country"])
    # per-country facts looked up once per distinct country, then spread by code
    cc, ccats = _codes(agg["country"])
    cat_unas = ccats == UNASSIGNED
    cat_unkn = ccats == UNKNOWN
    cat_known = ~(cat_unas | cat_unkn)
    cat_score = np.array([kb.wgi.get(c, np.nan) if k else np.nan for c, k in zip(ccats, cat_known)], dtype=float)
    unas, unkn, known = cat_unas[cc], cat_unkn[cc], cat_known[cc]
    china = (ccats == "CHN")[cc]
    feoc = np.array([c in kb.feoc for c in ccats], dtype=bool)[cc]
    score = cat_score[cc]
    has = ~np.isnan(score)
    lo = agg["tonnes_low"].to_numpy(dtype=float)
    hi = agg["tonnes_high"].to_numpy(dtype=float)
    mid = (lo + hi) / 2
    # groups: the keys without the country
    gkey = np.zeros(len(agg), dtype=np.int64)
    gparts = []
    for k in keys:
        codes, cats = _codes(agg[k])
        gkey = gkey * max(len(cats), 1) + codes
        gparts.append((k, cats))
    groups, gid = np.unique(gkey, return_inverse=True)
    m = len(groups)

    def total(x) -> np.ndarray:
        return np.bincount(gid, weights=np.asarray(x, dtype=float), minlength=m)

    tlo, thi, tmid = total(lo), total(hi), total(mid)
    bits = np.zeros(m, dtype=np.int64)
    row_bits = agg["basis_bits"].to_numpy()
    for i in range(len(BASES)):
        bits |= (total((row_bits >> i) & 1) > 0).astype(np.int64) << i
    with np.errstate(divide="ignore", invalid="ignore"):
        h1 = np.where(tlo > 0, total(np.where(known, lo**2, 0.0)) / tlo**2, np.nan)
        h2 = np.where(thi > 0, total(np.where(known, hi**2, 0.0)) / thi**2, np.nan)
        frag = np.where(tmid > 0, total(np.where(known, 0.0, mid)) / tmid, np.nan)
        hmax = np.where(tmid > 0, np.fmax(h1, h2) + frag**2, np.nan)

        def share(mask):
            # x / (x + y) with x in [x_lo, x_hi] (these countries) and y in [y_lo, y_hi] (the rest)
            x_lo, x_hi = total(np.where(mask, lo, 0.0)), total(np.where(mask, hi, 0.0))
            y_lo, y_hi = tlo - x_lo, thi - x_hi
            a = np.where(x_lo + y_hi > 0, x_lo / (x_lo + y_hi), np.nan)
            b = np.where(x_hi + y_lo > 0, x_hi / (x_hi + y_lo), np.nan)
            return a, b

        ch = share(china)
        fe = share(feoc)
        w = total(np.where(has, mid, 0.0))
        wgi = np.where(w > 0, total(np.where(has, np.nan_to_num(score) * mid, 0.0)) / w, np.nan)
        cov = np.where(tmid > 0, w / tmid, np.nan)
        unas_share = np.where(tmid > 0, total(np.where(unas, mid, 0.0)) / tmid, np.nan)
        unkn_share = np.where(tmid > 0, total(np.where(unkn, mid, 0.0)) / tmid, np.nan)
    out = {}
    rest = groups.copy()
    for k, cats in reversed(gparts):
        size = max(len(cats), 1)
        out[k] = cats[rest % size]
        rest //= size
    # export controls: only rows whose country has a control in force can touch one
    touching, control_countries = _controls_lookup(kb)
    countries_of: dict[int, set[str]] = {}
    ctrl_rows = np.nonzero(known & np.array([c in control_countries for c in ccats], dtype=bool)[cc])[0]
    for r in ctrl_rows:
        countries_of.setdefault(int(gid[r]), set()).add(ccats[cc[r]])
    controls = [touching(cm, countries_of[i]) if i in countries_of else [] for i, cm in enumerate(out["commodity_id"])]
    result = pd.DataFrame({k: out[k] for k in keys}).assign(
        tonnes_low=tlo, tonnes_high=thi, hhi_low=np.fmin(h1, h2), hhi_high=np.fmax(h1, h2), hhi_max=hmax,
        china_share_low=ch[0], china_share_high=ch[1], feoc_share_low=fe[0], feoc_share_high=fe[1],
        unassigned_share=unas_share, unknown_share=unkn_share, wgi_mean=wgi, wgi_coverage=cov,
        countries=total(known).astype(np.int64), export_controls=controls, basis=_basis_label(bits),
    )
    return result[cols]


def controls_in_force(kb: KnowledgeBase) -> pd.DataFrame:
    from critmin.analysis.dependency import in_force

    ec = kb.export_controls
    if ec is None or ec.empty:
        return pd.DataFrame(columns=["measure_id", "country_iso3", "commodity_id", "control_type", "status"])
    return ec[ec["status"].map(in_force)]


def _related(kb: KnowledgeBase, commodity: str) -> set[str]:
    """A mineral, its group (rare earths) and, for a group, its members: what a control can name."""
    ids = {commodity}
    if commodity in kb.commodity_group:
        ids.add(kb.commodity_group[commodity])
    ids.update(kb.group_members.get(commodity, ()))
    return ids


def _controls_lookup(kb: KnowledgeBase):
    """``f(commodity, countries) -> ["CHN: measure (type)", ...]`` over the controls in force,
    and the set of countries that have any control in force."""
    by_pair: dict[tuple[str, str], set[str]] = {}
    for r in controls_in_force(kb).itertuples(index=False):
        by_pair.setdefault((r.commodity_id, r.country_iso3), set()).add(f"{r.country_iso3}: {r.measure_id} ({r.control_type})")
    related: dict[str, set[str]] = {}

    def touching(commodity: str, countries: set[str]) -> list[str]:
        if not by_pair or not countries:
            return []
        ids = related.setdefault(commodity, _related(kb, commodity))
        return sorted({m for i in ids for c in countries for m in by_pair.get((i, c), ())})

    return touching, {c for _, c in by_pair}


def path_controls(paths: pd.DataFrame, kb: KnowledgeBase) -> pd.DataFrame:
    """Every (mineral, country) on the company's paths with an export control in force there."""
    controls = controls_in_force(kb)
    cols = ["commodity_id", "stage", "country", "measure_id", "control_type", "status", "effective_date"]
    if paths.empty or controls.empty:
        return pd.DataFrame(columns=cols)
    by_pair: dict[tuple[str, str], list] = {}
    for m in controls.drop_duplicates(["commodity_id", "country_iso3", "measure_id"]).itertuples(index=False):
        by_pair.setdefault((m.commodity_id, m.country_iso3), []).append(m)
    rows = []
    pairs = paths[["commodity_id", "stage", "country"]].drop_duplicates()
    for c, s, k in zip(pairs["commodity_id"].astype(object), pairs["stage"].astype(object), pairs["country"].astype(object)):
        seen = set()
        for i in sorted(_related(kb, c)):
            for m in by_pair.get((i, k), ()):
                if m.measure_id in seen:
                    continue
                seen.add(m.measure_id)
                rows.append({"commodity_id": c, "stage": s, "country": k, "measure_id": m.measure_id,
                             "control_type": m.control_type, "status": m.status,
                             "effective_date": getattr(m, "effective_date", None)})
    return pd.DataFrame(rows, columns=cols)


def interval(lo: float, hi: float) -> Interval:
    """A convenience for callers that want an :class:`Interval` from a row's low/high."""
    return Interval(float(lo), float(hi))
