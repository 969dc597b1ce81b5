"""Domestic production and the share of supply that is imported, by stage.

GeoPolRisk divides import risk by ``p + F``: domestic production plus imports of the same
stage, in one unit (Santillán-Saldivar et al. 2021, eq. 1). This module finds ``p`` and
``F`` without mixing units or stages, or says why it cannot:

* :func:`us_stage_import_fraction` reads the USGS salient statistics of a mineral and pairs,
  per stage, the US production of that stage with the imports of the forms of that stage,
  in the unit USGS gives both (copper: refinery primary production 882 kt against refined
  imports 903 kt; antimony: mine production published as zero). Scrap and secondary
  production never count; a withheld figure is unknown, never 0.
* :func:`importer_production` finds any importer's production of a stage (a country, or
  EU27 as the sum of its members) in the series the concentration uses (USGS MCS) or in
  World Mining Data, and converts it to the content basis of the trade data by unit and
  stoichiometry only (``Li2O -> Li``); an importer not listed among the producers of a
  series with a world total has no production of it.

References
----------
Santillán-Saldivar, J., et al., 2021, Resources, Conservation and Recycling 164, 105108.
U.S. Geological Survey, Mineral Commodity Summaries (salient statistics; world tables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from critmin.analysis.interval import Interval

STAGES = ("mine", "processing")
_SECONDARY = re.compile(r"secondary|scrap|recovered from|waste|residue|spent|\bash\b|from new|from old", re.I)
_PRODUCTS = re.compile(r"articles|wafers|(?<!un)\bwrought\b|master alloy", re.I)
_MINE = re.compile(r"\bmine\b|\bores?\b|concentrates?\b|\bcrude\b|mineral concentrates|ulexite|colemanite|marketable|sold or used", re.I)
_PROCESSING = re.compile(
    r"crude and semi-?fabricated|refinery|refined|smelter|primary|plant|unwrought|\bmetal\b|compounds|oxide|sponge|pigment|chemicals|pentoxide|"
    r"carbonate|hydroxide|boric|borax|ferro|silicomanganese|acid grade|metallurgical grade|perrhenate|powder",
    re.I,
)
_TOTAL = re.compile(r"\btotal\b", re.I)

#: Unit words of the salient tables -> tonnes per unit.
UNIT_TONNES = {
    "metric tons": 1.0, "thousand metric tons": 1e3, "million metric tons": 1e6, "kilograms": 1e-3,
    "thousand metric dry tons": 1e3, "metric dry tons": 1.0,
}

#: Oxide -> element mass fractions (IUPAC standard atomic weights, abridged), used only to
#: put a production series on the element basis of the trade data.
OXIDE_TO_ELEMENT = {
    ("Li2O", "Li"): 2 * 6.94 / (2 * 6.94 + 15.999),
    ("Nb2O5", "Nb"): 2 * 92.906 / (2 * 92.906 + 5 * 15.999),
    ("Ta2O5", "Ta"): 2 * 180.95 / (2 * 180.95 + 5 * 15.999),
    ("Cr2O3", "Cr"): 2 * 51.996 / (2 * 51.996 + 3 * 15.999),
    ("TiO2", "Ti"): 47.867 / (47.867 + 2 * 15.999),
    ("P2O5", "P"): 2 * 30.974 / (2 * 30.974 + 5 * 15.999),
    ("K2O", "K"): 2 * 39.098 / (2 * 39.098 + 15.999),
    ("U3O8", "U"): 3 * 238.03 / (3 * 238.03 + 8 * 15.999),
    ("V2O5", "V"): 2 * 50.942 / (2 * 50.942 + 5 * 15.999),
}


def classify(text: str, statistic: str) -> str:
    """Stage of a salient statistic from its words: ``mine``, ``processing``, ``secondary``
    (scrap, residues: never domestic primary supply), ``products`` (articles, wafers,
    semi-fabricates), ``total`` or ``unspecified``."""
    # bracketed words describe the content basis, "from ore" the feed: neither is a stage
    t = re.sub(r"\[[^\]]*\]|\([^)]*\)|from ore", " ", text or "")
    if _SECONDARY.search(t):
        return "secondary"
    if statistic == "imports" and _PRODUCTS.search(t):
        return "products"
    if _TOTAL.search(t):
        return "total"
    proc, mine = bool(_PROCESSING.search(t)), bool(_MINE.search(t))
    if proc and not mine:
        return "processing"
    if mine and not proc:
        return "mine"
    if proc and mine:
        # "Production, Smelter: Primary" vs "Production: Mine (recoverable)": the stage word nearest the end wins
        if re.search(r"crude and semi-?fabricated", t, re.I):
            return "processing"
        last = max((m.start(), "processing") for m in _PROCESSING.finditer(t))
        last_mine = max((m.start(), "mine") for m in _MINE.finditer(t))
        return max(last, last_mine)[1]
    return "unspecified"


def _interval(value, qualifier: str, high=None) -> Interval | None:
    if qualifier in ("exact", "estimated", "revised", "zero") and not _missing(value):
        return Interval.exact(float(value))
    if qualifier in ("less_than", "less_than_half_unit") and not _missing(high):
        return Interval(0.0, float(high))
    if qualifier == "small":
        return Interval(0.0, 0.5)
    return None


@dataclass
class StageFraction:
    """``F / (p + F)`` of one stage from one source, with what it was computed from."""

    commodity_id: str
    stage: str
    fraction: Interval | None
    production: Interval | None
    imports: Interval | None
    unit: str
    year: int | None
    vintage: int | None
    production_detail: str
    import_details: list[str] = field(default_factory=list)
    reason: str = ""
    source_id: str | None = None


def us_stage_import_fraction(salient: pd.DataFrame, preferred_forms: dict[str, str] | None = None) -> dict[tuple[str, str], StageFraction]:
    """``F/(p+F)`` per (commodity, stage) from the USGS salient statistics (latest vintage,
    its latest year with both statistics).

    ``p`` is the one production statistic of the stage (a published zero counts; with
    none of the stage, a single unclassified "Production" statistic); ``F`` the imports of
    the forms of the stage (or their published total, or a single unclassified import
    statistic), in the production's unit. Where USGS splits a mineral by form (titanium:
    mineral concentrates, sponge metal, TiO2 pigment), production and imports pair within
    each form, and of two forms of one stage the one named in ``preferred_forms`` (the
    form of the published reliance) is used. Scrap, secondary production, articles and
    wafers never count. Of several mine-production statistics the "recoverable" one is
    used. A withheld production or import is unknown: ``fraction`` None with a ``reason``.
    """
    out: dict[tuple[str, str], StageFraction] = {}
    if salient is None or salient.empty:
        return out
    preferred_forms = preferred_forms or {}
    df = salient[salient["statistic"].isin(["production", "imports"])]
    df = df[df["vintage"] == df["vintage"].max()]
    cols = ["commodity_id", "year", "vintage", "statistic", "form", "detail", "unit", "value", "qualifier", "high", "source_id"]
    groups: dict[tuple, list[dict]] = {}
    # Plain records: a few thousand rows in many tiny groups, where pandas indexing costs
    # far more than the arithmetic.
    from critmin.analysis.concentration import records

    for r in records(df, [c for c in cols if c in df.columns]):
        for k in ("form", "detail", "unit"):
            r[k] = r[k] if isinstance(r.get(k), str) else ""
        r["stage"] = classify(f"{r['form']} {r['detail']}".strip(), r["statistic"])
        groups.setdefault((r["commodity_id"], int(r["year"])), []).append(r)
    for (cid, year) in sorted(groups):
        g = groups[(cid, year)]
        forms = sorted({r["form"] for r in g})
        for stage in STAGES:
            found = []
            for form in forms:
                sf = _pair(cid, stage, [r for r in g if r["form"] == form], year)
                if sf is not None:
                    found.append((form, sf))
            if not found:
                continue
            if len(found) > 1:
                want = preferred_forms.get(cid) or ""
                pick = [x for x in found if want and x[0] and (x[0].lower() in want.lower() or want.lower() in x[0].lower())]
                found = pick or [x for x in found if not x[0]] or found[:1]
            out[(cid, stage)] = found[0][1]  # later years overwrite earlier ones
    return out


def _pair(cid: str, stage: str, g: list[dict], year: int) -> StageFraction | None:
    prod = [r for r in g if r["statistic"] == "production"]
    imp = [r for r in g if r["statistic"] == "imports"]
    if not prod or not imp:
        return None
    p = [r for r in prod if r["stage"] == stage]
    if len(p) > 1 and stage == "mine":
        rec = [r for r in p if "recoverable" in r["detail"].lower()]
        p = rec if len(rec) == 1 else p
    if not p and {r["stage"] for r in prod} <= {"unspecified", "secondary"} and sum(r["stage"] == "unspecified" for r in prod) == 1:
        p = [r for r in prod if r["stage"] == "unspecified"]
    f = [r for r in imp if r["stage"] == stage]
    if not f:
        tot = [r for r in imp if r["stage"] == "total"]
        unspec = [r for r in imp if r["stage"] == "unspecified"]
        if len(tot) == 1:
            f = tot
        elif len(unspec) == 1 and all(r["stage"] in (stage, "unspecified", "total", "secondary", "products") for r in imp):
            f = unspec
    if not p or not f:
        return None
    return _stage_fraction(cid, stage, p, f, year)


def _stage_fraction(cid: str, stage: str, p: list[dict], f: list[dict], year: int) -> StageFraction | None:
    vintage = int(p[0]["vintage"])
    source = p[0].get("source_id")
    details = [f"{r['form']} {r['detail']}".strip() for r in f]
    if len(p) > 1:
        return StageFraction(cid, stage, None, None, None, "", year, vintage, "; ".join(r["detail"] for r in p), details,
                             f"{len(p)} production statistics of the {stage} stage", source)
    pr = p[0]
    unit = pr["unit"]
    scale = UNIT_TONNES.get(unit)
    pv = _interval(pr["value"], pr["qualifier"], pr.get("high"))
    detail = f"{pr['form']} {pr['detail']}".strip()
    imports = Interval(0.0, 0.0)
    bad = []
    for r in f:
        fs = UNIT_TONNES.get(r["unit"])
        iv = _interval(r["value"], r["qualifier"], r.get("high"))
        if iv is None or fs is None or scale is None:
            bad.append(f"{r['detail']} ({r['qualifier']}, {r['unit']})")
            continue
        imports = imports + Interval(iv.low * fs / scale, iv.high * fs / scale)
    if bad:
        return StageFraction(cid, stage, None, pv, None, unit, year, vintage, detail, details,
                             "imports not usable: " + "; ".join(bad), source)
    if pv is None:
        return StageFraction(cid, stage, None, None, imports, unit, year, vintage, detail, details,
                             f"US production is {pr['qualifier']}", source)
    if imports.high <= 0:
        return StageFraction(cid, stage, None, pv, imports, unit, year, vintage, detail, details, "no imports", source)
    lo = imports.low / (pv.high + imports.low) if pv.high + imports.low > 0 else 0.0
    hi = imports.high / (pv.low + imports.high)
    return StageFraction(cid, stage, Interval(min(lo, hi), max(lo, hi)), pv, imports, unit, year, vintage, detail, details, "", source)


# ---------------------------------------------------------------- production of any importer

_CONTENT_RE = re.compile(r"([A-Za-z][A-Za-z-]*?)\s+content|contained\s+([A-Za-z][A-Za-z-]*)", re.I)
_OWN_CONTENT_RE = re.compile(r"contained content|tons contained|\bcontained\b\s*$|metal content", re.I)


def series_basis(commodity_id: str, stage: str, form: str, label: str, unit: str, default: str | None = None) -> str | None:
    """Content basis of a USGS production series from its words: ``Li`` for "lithium
    content", ``Co`` for "metric tons of contained cobalt", ``REO`` for rare-earth-oxide
    equivalent, ``TiO2`` ..., the element itself for "contained content" or a
    processing-stage series of a metal with no content words (refined metal), ``gross
    weight`` for "gross weight"; else ``default`` (the basis the same mineral and stage
    carry in the other releases, see :func:`usgs_bases`), else None."""
    from critmin.vocab.commodities import catalogue

    text = f"{form or ''} {label or ''}"
    if re.search(r"rare[- ]earth[- ]oxide|\bREO\b", text, re.I):
        return "REO"
    for oxide in ("TiO2", "ZrO2", "Nb2O5", "Ta2O5", "Li2O", "Cr2O3", "P2O5", "K2O", "V2O5", "U3O8", "WO3", "B2O3"):
        if oxide.lower() in text.lower():
            return oxide
    if re.search(r"gross weight", text, re.I):
        return "gross weight"
    by_name = _symbols_by_name()
    for m in _CONTENT_RE.finditer(text):
        sym = by_name.get((m.group(1) or m.group(2) or "").lower())
        if sym:
            return sym
    c = catalogue().get(commodity_id)
    if c is not None and c.kind == "element" and c.symbol and _OWN_CONTENT_RE.search(text):
        return c.symbol
    if default is not None:
        return default
    if c is not None and stage == "processing" and c.kind == "element" and c.symbol:
        return c.symbol
    if c is not None and c.kind in ("mineral", "material"):
        return "gross weight"  # USGS reports industrial minerals as marketed, in gross weight
    return None


@cache
def _symbols_by_name() -> dict[str, str]:
    from critmin.vocab.commodities import catalogue

    return {c.name.lower().split(" (")[0]: c.symbol for c in catalogue().values() if c.symbol}


def usgs_bases(production: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The content basis of each (commodity, stage) where USGS states one and every release
    that states one agrees (MCS 2026 labels say only "Mine production"; MCS 2025 "Mine
    production, lithium content")."""
    if production is None or production.empty:
        return {}
    p = production[production["measure"] == "production"] if "measure" in production.columns else production
    keys = p[["commodity_id", "stage", "form", "series_label", "unit"]].drop_duplicates()
    found: dict[tuple[str, str], set] = {}
    for cid, stage, form, label, unit in keys.itertuples(index=False):
        b = series_basis(cid, stage, form if isinstance(form, str) else "", label if isinstance(label, str) else "", unit)
        if b is not None and not (stage == "processing" and not re.search(r"content|contained|equivalent|oxide|weight", f"{form} {label}", re.I)):
            found.setdefault((cid, stage), set()).add(b)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def convert_basis(amount: Interval, have: str | None, want: str | None) -> Interval | None:
    """``amount`` of ``have`` expressed as ``want`` (identity, or oxide -> element by
    stoichiometry); None when no defensible conversion exists."""
    if have is None or want is None:
        return None
    if have == want:
        return amount
    f = OXIDE_TO_ELEMENT.get((have, want))
    return None if f is None else Interval(amount.low * f, amount.high * f)


@dataclass
class Production:
    """An importer's production of a stage in tonnes of ``basis`` (None: unknown)."""

    amount: Interval | None
    basis: str | None
    year: int | None
    source: str
    note: str


class ProductionIndex:
    """The production series :func:`importer_production` reads, split once by (commodity,
    stage): the USGS concentration table and its folded rows, and World Mining Data."""

    def __init__(self, concentration: pd.DataFrame | None, folded: pd.DataFrame | None, wmd: pd.DataFrame | None) -> None:
        conc = concentration
        if conc is not None and not conc.empty:
            conc = conc[conc["primary"] & (conc["status"] != "insufficient_data")]
        self.concentration = _Split(conc)
        self.folded = _Split(folded)
        self.wmd = _Split(wmd)
        self.bases = usgs_bases(folded)


_INDEX_COLUMNS = frozenset({
    "vintage", "commodity_id", "form", "country_iso3", "country_name", "country_kind", "stage", "series_label", "year",
    "value", "qualifier", "high", "unit", "sheet", "content_basis", "primary", "status",
})


class _Split:
    """Rows of a frame by (commodity, stage), as plain records made on first use (looked up
    a few dozen times, each a handful of rows)."""

    def __init__(self, df: pd.DataFrame | None) -> None:
        df = df if df is not None and not df.empty else None
        self.positions = {} if df is None else df.groupby(["commodity_id", "stage"], sort=False).indices
        # columns as object arrays once; records are built by position (pandas' own
        # to_dict is slow on Arrow-backed strings)
        self.columns = {} if df is None else {c: df[c].to_numpy(dtype=object, na_value=None) for c in df.columns
                                              if c in _INDEX_COLUMNS}
        self.cache: dict[tuple[str, str], list[dict]] = {}

    def get(self, key: tuple[str, str], default=()):
        if key not in self.positions:
            return list(default)
        if key not in self.cache:
            pos = self.positions[key]
            self.cache[key] = [{c: a[i] for c, a in self.columns.items()} for i in pos]
        return self.cache[key]


def importer_production(
    members: frozenset[str] | set[str],
    commodity_id: str,
    stage: str,
    year: int,
    index: ProductionIndex,
    want_basis: str | None,
    *,
    other_stage_ok: bool = False,
) -> Production:
    """Production of ``members`` (one ISO3, or a bloc's members) at ``stage`` in ``year`` (or
    the nearest earlier year), in tonnes of ``want_basis``.

    Parameters
    ----------
    index
        :class:`ProductionIndex` of the USGS concentration table, its folded rows
        (:func:`critmin.analysis.concentration.fold_fragments`) and World Mining Data.
    other_stage_ok
        Where neither source has any series of ``stage``, use the other stage's production
        as the domestic supply of the mineral (the GeoPolRisk papers' ``p`` is the
        country's production of the raw material, without stages); the note says so.

    Sources in order: the USGS MCS world table (latest usable primary series of the
    stage), then World Mining Data. In a series with a numeric world total, a member not
    listed produces nothing of it (USGS lists the United States, withheld or not, wherever
    it produces; WMD's totals are the sums of its listed producers). A listed member
    without a figure (``W``) makes the amount unknown.
    """
    res = _production_of_stage(members, commodity_id, stage, year, index, want_basis)
    if res.amount is None and res.note == NO_SERIES and other_stage_ok:
        other = "mine" if stage == "processing" else "processing"
        alt = _production_of_stage(members, commodity_id, other, year, index, want_basis)
        if alt.amount is not None:
            return Production(alt.amount, alt.basis, alt.year, alt.source,
                              f"no production series of the {stage} stage; {other}-stage production used as the "
                              f"domestic supply of the mineral: {alt.note}")
    return res


NO_SERIES = "no production series of the stage"


def _production_of_stage(members, commodity_id, stage, year, index: ProductionIndex, want_basis) -> Production:
    notes = []
    for source, rows in (("usgs_mcs", _usgs_series(index, commodity_id, stage, year)),
                         ("world_mining_data", _wmd_series(index, commodity_id, stage, year))):
        if not rows:
            continue
        first = rows[0]
        y = int(first["year"])
        unit = str(first["unit"])
        scale = UNIT_TONNES.get(unit)
        if source == "usgs_mcs":
            basis = series_basis(commodity_id, stage, _s(first["form"]), _s(first["series_label"]), unit,
                                 index.bases.get((commodity_id, stage)))
            label = f"USGS MCS{int(first['vintage'])} '{first['series_label']}'"
        else:
            bases = [r["content_basis"] for r in rows if isinstance(r["content_basis"], str)]
            basis = bases[0] if bases else None
            label = f"World Mining Data '{first['sheet']}'"
        mine = [r for r in rows if r["country_kind"] == "country" and r["country_iso3"] in members]
        if not mine:
            who = ", ".join(sorted(members)) if len(members) < 4 else "no member"
            return Production(Interval(0.0, 0.0), want_basis, y, source, f"{who} not listed among the producers in {label}, {y}")
        vals = [_interval(r["value"], r["qualifier"], r.get("high")) for r in mine]
        if any(v is None for v in vals):
            notes.append(f"{label}, {y}: " + ", ".join(f"{r['country_iso3']} {r['qualifier']}" for r, v in zip(mine, vals) if v is None))
            continue
        if scale is None:
            notes.append(f"{label}: unit {unit!r} not in tonnes")
            continue
        total = Interval(sum(v.low for v in vals) * scale, sum(v.high for v in vals) * scale)
        conv = convert_basis(total, basis, want_basis)
        if conv is None:
            notes.append(f"{label}: basis {basis or 'not stated'} cannot be put on the trade basis {want_basis or 'none'}")
            continue
        return Production(conv, want_basis, y, source, f"{label}, {y}" + (f" ({basis} -> {want_basis})" if basis != want_basis else ""))
    return Production(None, want_basis, None, "", "; ".join(notes) or NO_SERIES)


def _s(x) -> str:
    return x if isinstance(x, str) else ""


def _usgs_series(index: ProductionIndex, cid: str, stage: str, year: int) -> list[dict]:
    t = [r for r in index.concentration.get((cid, stage), []) if r["year"] <= year]
    if not t:
        return []
    best = max(t, key=lambda r: (r["year"], r["vintage"]))
    return [r for r in index.folded.get((cid, stage), [])
            if r["vintage"] == best["vintage"] and r["year"] == best["year"] and _s(r["form"]) == _s(best["form"])
            and _s(r["series_label"]) == _s(best["series_label"]) and _s(r["unit"]) == _s(best["unit"])]


def _wmd_series(index: ProductionIndex, cid: str, stage: str, year: int) -> list[dict]:
    w = [r for r in index.wmd.get((cid, stage), []) if r["year"] <= year]
    if not w:
        return []
    producers: dict[str, set] = {}
    for r in w:
        producers.setdefault(r["sheet"], set()).add(r["country_iso3"])
    sheet = max(sorted(producers), key=lambda k: len(producers[k]))
    w = [r for r in w if r["sheet"] == sheet]
    totals = [r["year"] for r in w if r["country_kind"] == "world" and r["qualifier"] in ("exact", "estimated")]
    if not totals:
        return []
    y = max(totals)
    return [r for r in w if r["year"] == y]


def _missing(x) -> bool:
    return x is None or bool(pd.isna(x))
