"""Production by country at one stage, in tonnes of the stage's content basis, with bounds.

Three sources, named in every market:

``usgs``
    USGS Mineral Commodity Summaries (``production`` table), the latest vintage that
    publishes the base year; one series (``usgs:<series label>`` chooses among several).
``wmd``
    World Mining Data (``wmd_production``), table 6.4 by country, mine or plant output.
``eu_processing``
    Processing output by country = EU CRM 2023 global processing share x world mine output
    of the same content (USGS, else World Mining Data). The world total rests on a **feed
    balance** named in the assumptions (refined output equals mined content: no losses, no
    stock change, recycled feed outside the market); the shares are the study's averages
    (2016-2020 for most materials), not the base year.

Withheld figures are bounded, never zero (:func:`_bound_withheld`): a country's withheld
output lies in ``[0, world total - sum of the published countries]``; several withheld
countries share that residual jointly (``caps``). The US figure, when the world total
excludes it, is bounded by the US net import reliance (:func:`critmin.model.kb.consumption.us_production_bound`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.analysis.domestic_supply import OXIDE_TO_ELEMENT, UNIT_TONNES, series_basis, usgs_bases

from .inputs import Figure, KBBasisError, KBDataError
from .specs import EU, Spec
from .tables import table

POINT = ("exact", "estimated", "revised", "zero")
BOUNDED = ("less_than", "less_than_half_unit", "small", "range", "greater_than")
USGS_ID = "usgs_mcs"
WMD_ID = "world_mining_data"
EU_ID = "eu-crm-2023"


@dataclass
class ProductionRead:
    """Output by country (``OTHER`` = a publisher's "Other countries"), joint caps, sources and notes."""

    figures: dict[str, Figure]
    source: str
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    caps: list[tuple[tuple[str, ...], float]] = field(default_factory=list)

    def world(self) -> Figure:
        lo = sum(f.low for f in self.figures.values())
        hi = sum(f.high for f in self.figures.values())
        for members, cap in self.caps:
            excess = sum(self.figures[m].high for m in members) - cap
            hi -= max(excess, 0.0)
        basis = next(iter(self.figures.values())).basis
        return Figure(lo, max(hi, lo), "t", basis, tuple(self.sources), f"world total ({self.source})")


def _tonnes(unit: str, where: str) -> float:
    key = str(unit).strip().lower()
    if key in UNIT_TONNES:
        return UNIT_TONNES[key]
    raise KBDataError(f"{where}: unit {unit!r} is not a mass unit the calibration converts")


def _latest_vintage(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    have = rows[rows["year"] == year]
    if have.empty:
        return have
    return have[have["vintage"] == have["vintage"].max()]


def read(spec: Spec, source: str, year: int) -> ProductionRead:
    """Production by country for ``spec`` from ``source`` (``usgs[:label]``, ``wmd``, ``eu_processing``)."""
    if source == EU:
        return _eu_processing(spec, year)
    if source == "wmd":
        return _wmd(spec.kb_id, spec.stage, spec.basis, year)
    if source == "usgs" or source.startswith("usgs:"):
        return _usgs(spec.kb_id, spec.stage, spec.basis, year, source.partition(":")[2] or None, spec.extra)
    raise KBDataError(f"{spec.mineral} {spec.stage}: unknown production source {source!r}; use usgs, usgs:<series>, "
                      "wmd or eu_processing")


def _usgs(cid: str, stage: str, basis: str, year: int, label: str | None, extra: dict | None = None) -> ProductionRead:
    where = f"USGS MCS {cid} {stage} production {year}"
    p = table("production")
    rows = p[(p["commodity_id"] == cid) & (p["stage"] == stage) & (p["measure"] == "production")]
    rows = _latest_vintage(rows, year)
    if rows.empty:
        raise KBDataError(f"{where}: not published")
    labels = sorted(rows["series_label"].dropna().unique())
    if label is not None:
        rows = rows[rows["series_label"] == label]
        if rows.empty:
            raise KBDataError(f"{where}: series {label!r} not found; published: {labels}")
    elif len(labels) > 1:
        raise KBDataError(f"{where}: several series {labels}; choose one with production_source='usgs:<series>'")
    label = str(rows["series_label"].iloc[0])
    vintage = int(rows["vintage"].iloc[0])
    forms = rows["form"].dropna().unique()
    found = series_basis(cid, stage, forms[0] if len(forms) else "", label, str(rows["unit"].iloc[0]),
                         default=usgs_bases(p[p["commodity_id"] == cid]).get((cid, stage)))
    if found is not None and found != basis:
        raise KBBasisError(f"{where}: the series {label!r} is on the {found} basis, the market on {basis}")
    scale = _tonnes(rows["unit"].iloc[0], where)
    source_id = str(rows["source_id"].iloc[0])
    out = ProductionRead({}, f"usgs (MCS {vintage}, {label!r})", [source_id])
    out.notes.append(f"production: USGS Mineral Commodity Summaries {vintage}, series {label!r}, {year}, "
                     f"{rows['unit'].iloc[0]} of {basis} (stated or the chapter's basis)")
    _collect(out, rows, scale, basis, where, name_col="country_name", iso_col="country_iso3", kind_col="country_kind",
             cid=cid, stage=stage, year=year, extra=extra or {})
    return out


def _wmd(cid: str, stage: str, basis: str, year: int) -> ProductionRead:
    where = f"World Mining Data {cid} {stage} production {year}"
    w = table("wmd_production")
    rows = w[(w["commodity_id"] == cid) & (w["stage"] == stage) & (w["year"] == year)]
    if rows.empty:
        raise KBDataError(f"{where}: not published")
    have = str(rows["content_basis"].iloc[0])
    factor = 1.0
    if have != basis:
        factor = OXIDE_TO_ELEMENT.get((have, basis))
        if factor is None:
            raise KBBasisError(f"{where}: published on the {have} basis, the market on {basis}, and no "
                               "stoichiometric conversion applies")
    scale = _tonnes(rows["unit"].iloc[0], where) * factor
    out = ProductionRead({}, f"wmd ({rows['sheet'].iloc[0]})", [WMD_ID])
    out.notes.append(f"production: World Mining Data table 6.4, sheet {rows['sheet'].iloc[0]!r}, {year}, "
                     f"{rows['unit'].iloc[0]} of {have}" + (f" x {factor:.4f} to {basis}" if factor != 1.0 else ""))
    _collect(out, rows, scale, basis, where, name_col="country_name", iso_col="country_iso3", kind_col="country_kind",
             cid=cid, stage=stage, year=year)
    return out


def _collect(out: ProductionRead, rows: pd.DataFrame, scale: float, basis: str, where: str, *, name_col: str,
             iso_col: str, kind_col: str, cid: str, stage: str, year: int, extra: dict | None = None) -> None:
    world = None
    pending: list[str] = []
    sid = tuple(out.sources)
    for r in rows.itertuples(index=False):
        kind = getattr(r, kind_col)
        q = r.qualifier
        if kind == "world":
            if q in POINT and pd.notna(r.value):
                world = float(r.value) * scale
            continue
        if kind == "group":
            if q in POINT and (r.value or 0) == 0:
                continue
            raise KBDataError(f"{where}: a group row {getattr(r, name_col)!r} cannot be split between its members")
        key = "OTHER" if kind == "other" else getattr(r, iso_col)
        if not isinstance(key, str):
            raise KBDataError(f"{where}: row {getattr(r, name_col)!r} has no ISO3 code")
        if key in out.figures:
            prev = out.figures[key]
            if q in POINT and pd.notna(r.value):
                add = float(r.value) * scale
                out.figures[key] = Figure(prev.low + add, prev.high + add, "t", basis, sid, prev.note)
                continue
            raise KBDataError(f"{where}: {key} appears twice")
        if q in POINT and pd.notna(r.value):
            out.figures[key] = Figure.point(float(r.value) * scale, "t", basis, sid, f"{getattr(r, name_col)} as published")
        elif q in BOUNDED and (pd.notna(r.high) or q == "small"):
            lo = float(r.low) * scale if pd.notna(r.low) else 0.0
            hi = float(r.high) * scale if pd.notna(r.high) else 0.5 * scale
            out.figures[key] = Figure(lo, max(hi, lo), "t", basis, sid, f"{getattr(r, name_col)} published as {r.raw!r}")
        else:
            pending.append(key)
            out.figures[key] = None  # type: ignore[assignment]
    if pending:
        _bound_withheld(out, pending, world, where, rows, cid, stage, year, basis, extra or {})
    out.figures = {k: v for k, v in out.figures.items() if v is not None and v.high > 0}
    if not out.figures:
        raise KBDataError(f"{where}: no country with output")
    if world is not None:
        out.notes.append(f"world total as published: {world:,.6g} t; sum of the countries used: "
                         f"{sum(f.low for f in out.figures.values()):,.6g} t")


def _bound_withheld(out: ProductionRead, pending: list[str], world: float | None, where: str, rows: pd.DataFrame,
                    cid: str, stage: str, year: int, basis: str, extra: dict) -> None:
    from .consumption import us_production_bound

    known_low = sum(f.low for k, f in out.figures.items() if f is not None)
    residual = None if world is None else world - known_low
    raw = {r.country_iso3 if r.country_kind != "other" else "OTHER": r.raw for r in rows.itertuples(index=False)}
    shared = []
    for key in pending:
        text = f"{key} published as {raw.get(key)!r}"
        if key == "USA" and (residual is None or residual <= 0):
            fig = us_production_bound(cid, stage, year, basis, form=extra.get("salient_form"),
                                      imports=extra.get("nir_imports"), exports=extra.get("nir_exports"))
            out.figures[key] = fig
            out.notes.append(f"production of USA withheld ({raw.get(key)!r}): {fig.describe()}")
            out.sources.extend(s for s in fig.sources if s not in out.sources)
            continue
        if residual is None:
            raise KBDataError(f"{where}: {text} and no numeric world total bounds it (a withheld figure is never 0)")
        if residual <= 0:
            raise KBDataError(f"{where}: {text}; the published countries already reach the world total "
                              f"({world:,.6g} t), so the total excludes it and nothing bounds it")
        out.figures[key] = Figure(0.0, residual, "t", basis, tuple(out.sources),
                                  f"{text}: bounded by the world total less the published countries")
        shared.append(key)
        out.notes.append(f"production of {key} withheld ({raw.get(key)!r}): between 0 and {residual:,.6g} t "
                         "(world total less the published countries)")
    if len(shared) > 1:
        out.caps.append((tuple(shared), float(residual)))
        out.notes.append(f"{', '.join(shared)} share the residual of {residual:,.6g} t jointly: the high calibration "
                         "gives each the same fraction of its bound so that they sum to the residual")


def _eu_processing(spec: Spec, year: int) -> ProductionRead:
    where = f"EU CRM 2023 processing shares of {spec.kb_id}"
    e = table("eu_crm_supply_shares")
    rows = e[(e["commodity_id"] == spec.kb_id) & (e["scope"] == "global") & (e["stage"] == "processing")]
    if rows.empty:
        raise KBDataError(f"{where}: not published")
    mine = None
    errors = []
    for src in ("usgs", "wmd"):
        try:
            mine = read(Spec(spec.mineral, "mine", spec.basis, (), (), data_mineral=spec.kb_id), src, year)
            break
        except KBDataError as exc:
            errors.append(str(exc))
    if mine is None:
        raise KBDataError(f"{where}: no world mine output of {spec.basis} to scale the shares ({'; '.join(errors)})")
    world = mine.world()
    out = ProductionRead({}, "eu_processing", [EU_ID] + mine.sources)
    total_lo = total_hi = 0.0
    shares = {}
    for r in rows.itertuples(index=False):
        key = r.country_iso3 if isinstance(r.country_iso3, str) else "OTHER"
        if r.qualifier in POINT and pd.notna(r.value):
            lo = hi = float(r.value) / 100
        elif r.qualifier in BOUNDED:
            lo = float(r.low) / 100 if pd.notna(r.low) else 0.0
            hi = float(r.high) / 100 if pd.notna(r.high) else lo
        else:
            raise KBDataError(f"{where}: {r.country_name} share published as {r.raw!r}, not a number or a bound")
        a, b = shares.get(key, (0.0, 0.0))
        shares[key] = (a + lo, b + hi)
        total_lo += lo
        total_hi += hi
    scale = 1.0
    if total_lo > 1.0:
        scale = 1.0 / total_lo
        out.notes.append(f"the published shares sum to {100 * total_lo:.1f}% (rounding); scaled to 100%")
    elif total_hi < 1.0:
        shares["OTHER"] = tuple(np.add(shares.get("OTHER", (0.0, 0.0)), (1.0 - total_hi, 1.0 - total_lo)))
        out.notes.append(f"the published shares sum to {100 * total_lo:.1f}%; the remaining "
                         f"{100 * (1 - total_hi):.1f}% is given to countries not listed (ROW)")
    for key, (lo, hi) in shares.items():
        lo, hi = lo * scale, min(hi * scale, 1.0)
        if hi <= 0:
            continue
        out.figures[key] = Figure(lo * world.low, hi * world.high, "t", spec.basis, tuple(out.sources),
                                  f"{key}: EU CRM 2023 processing share {100 * lo:.3g}-{100 * hi:.3g}% x world mine output")
    out.notes.extend(mine.notes)
    out.notes.append(f"processing output by country = EU CRM 2023 global processing share (study averages, mostly "
                     f"2016-2020) x world mine output {world.describe()}: ASSUMPTION (feed balance): world "
                     "processing output equals mined content in the base year (no losses, no stock change, recycled "
                     "feed outside the market); a country not in the EU list produces none")
    return out
