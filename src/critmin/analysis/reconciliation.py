"""USGS MCS and World Mining Data production side by side, never merged.

Two publishers report world production by country: USGS (Mineral Commodity Summaries,
the ``production`` table) and the Austrian ministry's World Mining Data (``wmd_production``).
Their figures differ -- different national sources, revisions, and content bases (WMD
lithium is Li2O, USGS lithium content). :func:`production_reconciliation` puts them next
to each other per mineral, stage, country and year with each one's unit and basis, puts
both in tonnes of one basis where a unit conversion and stoichiometry allow it, and flags
the pairs that differ by more than a tolerance (10%). Nothing is averaged or replaced: a
user sees both and decides.

Why a function and not a snapshot table: the comparison is derived data (a few thousand
rows, well under a second to compute), and the snapshot holds only what publishers
published, so a change of the USGS series choice or of the tolerance never needs a rebuild.

References
----------
U.S. Geological Survey, Mineral Commodity Summaries 2023-2026, world production tables.
Reichl, C. and Schatz, M., World Mining Data, table 6.4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.analysis import concentration as conc
from critmin.analysis.domestic_supply import OXIDE_TO_ELEMENT, UNIT_TONNES, series_basis, usgs_bases

TOLERANCE = 0.10
#: Units that are not masses, with their scale to a base unit.
OTHER_UNITS = {"carats": ("carats", 1.0), "thousand carats": ("carats", 1e3), "thousands of carats": ("carats", 1e3),
               "million carats": ("carats", 1e6), "million cubic meters": ("cubic meters", 1e6)}
COLUMNS = [
    "commodity_id", "stage", "wmd_stage", "country_iso3", "country_name", "country_kind", "year",
    "usgs_value", "usgs_qualifier", "usgs_unit", "usgs_basis", "usgs_series", "usgs_vintage",
    "wmd_value", "wmd_qualifier", "wmd_unit", "wmd_basis", "wmd_sheet",
    "common_basis", "usgs_t", "wmd_t", "ratio_wmd_to_usgs", "status",
]


def _to_common(value: float, unit: str, basis: str | None, common: str | None) -> float | None:
    scale = UNIT_TONNES.get(unit)
    if scale is None and unit in OTHER_UNITS:
        scale = OTHER_UNITS[unit][1]
    if scale is None or value is None or value != value:
        return None
    t = value * scale
    if basis == common:
        return t
    f = OXIDE_TO_ELEMENT.get((basis, common))
    return t * f if f is not None else None


def _common_basis(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return None
    if a == b:
        return a
    if {a, b} <= {"carats"}:
        return "carats"
    if (a, b) in OXIDE_TO_ELEMENT:
        return b
    if (b, a) in OXIDE_TO_ELEMENT:
        return a
    return None


def production_reconciliation(production: pd.DataFrame, wmd: pd.DataFrame, commodity_id: str | None = None,
                              tolerance: float = TOLERANCE) -> pd.DataFrame:
    """USGS and WMD production per mineral, stage, country (and world) and year.

    Parameters
    ----------
    production
        The ``production`` table (USGS MCS). Per (commodity, stage, year) the primary
        series of the latest vintage that covers the year is used
        (:func:`critmin.analysis.concentration.concentration_table`, sibling fragments
        folded in).
    wmd
        The ``wmd_production`` table. Per (commodity, stage) the sheet with the most
        producers (bentonite and kaolin are both clays: the larger is compared).
    commodity_id
        Restrict to one mineral.
    tolerance
        Relative difference above which a pair is flagged ``differs``.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`. ``status``: ``agrees`` (within the tolerance), ``differs``,
        ``not_comparable`` (bases without a defensible conversion, e.g. WMD Cr2O3 against
        USGS gross chromite), ``not_numeric`` (a side is withheld or not available),
        ``usgs_only`` or ``wmd_only``. ``ratio_wmd_to_usgs`` is WMD over USGS in the common
        basis.
    """
    if commodity_id is not None:
        production = production[production["commodity_id"] == commodity_id]
        wmd = wmd[wmd["commodity_id"] == commodity_id]
    usgs_rows = _usgs_side(production)
    wmd_rows = _wmd_side(wmd)
    if usgs_rows.empty and wmd_rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    # WMD's stage pairs with USGS's same stage; where USGS has one stage only and WMD
    # another (rhenium: USGS "mine production", WMD a plant-output sheet), the two are
    # compared and both stages shown.
    usgs_stages = usgs_rows.groupby("commodity_id")["stage"].agg(lambda s: set(s)).to_dict()
    wmd_rows = wmd_rows.assign(wmd_stage=wmd_rows["stage"])
    wmd_rows["stage"] = [s if s in usgs_stages.get(c, {s}) or len(usgs_stages.get(c, set())) != 1 else next(iter(usgs_stages[c]))
                         for c, s in zip(wmd_rows["commodity_id"], wmd_rows["stage"])]
    key = ["commodity_id", "stage", "country_key", "year"]
    merged = usgs_rows.merge(wmd_rows, on=key, how="outer", suffixes=("", "_w"))
    for c in ("country_iso3", "country_name", "country_kind"):
        merged[c] = merged[c].where(merged[c].notna(), merged.get(f"{c}_w"))
    out = []
    for r in merged.to_dict("records"):
        wb = r.get("wmd_basis")
        if r.get("wmd_unit") in OTHER_UNITS:
            wb = OTHER_UNITS[r["wmd_unit"]][0]
        ub = r.get("usgs_basis")
        if r.get("usgs_unit") in OTHER_UNITS:
            ub = OTHER_UNITS[r["usgs_unit"]][0]
        r["usgs_basis"], r["wmd_basis"] = (None if pd.isna(ub) else ub), (None if pd.isna(wb) else wb)
        common = _common_basis(r["usgs_basis"], r["wmd_basis"])
        u_num = r.get("usgs_qualifier") in conc.NUMERIC
        w_num = r.get("wmd_qualifier") in conc.NUMERIC
        u_t = _to_common(r["usgs_value"], r["usgs_unit"], r["usgs_basis"], common) if u_num and common else None
        w_t = _to_common(r["wmd_value"], r["wmd_unit"], r["wmd_basis"], common) if w_num and common else None
        if pd.isna(r.get("usgs_qualifier")):
            status = "wmd_only"
        elif pd.isna(r.get("wmd_qualifier")):
            status = "usgs_only"
        elif not (u_num and w_num):
            status = "not_numeric"
        elif common is None or u_t is None or w_t is None:
            status = "not_comparable"
        elif u_t == 0 and w_t == 0:
            status = "agrees"
        elif u_t == 0:
            status = "differs"
        else:
            status = "agrees" if abs(w_t / u_t - 1) <= tolerance else "differs"
        ratio = (w_t / u_t) if (u_t not in (None, 0) and w_t is not None) else None
        out.append({**{c: r.get(c) for c in COLUMNS if c in r}, "common_basis": common, "usgs_t": u_t, "wmd_t": w_t,
                    "ratio_wmd_to_usgs": ratio, "status": status})
    df = pd.DataFrame(out, columns=COLUMNS)
    order = {"world": 0, "country": 1}
    df = df.assign(_k=df["country_kind"].map(order).fillna(2))
    return df.sort_values(["commodity_id", "stage", "year", "_k", "country_iso3"], na_position="last").drop(columns="_k").reset_index(drop=True)


def _usgs_side(production: pd.DataFrame) -> pd.DataFrame:
    cols = ["commodity_id", "stage", "country_key", "year", "country_iso3", "country_name", "country_kind",
            "usgs_value", "usgs_qualifier", "usgs_unit", "usgs_basis", "usgs_series", "usgs_vintage"]
    if production is None or production.empty:
        return pd.DataFrame(columns=cols)
    folded, reasons = conc.fold_fragments(production)
    t = conc.concentration_table(production, (folded, reasons))
    t = t[t["primary"] & (t["status"] != "insufficient_data")]
    # latest vintage per (commodity, stage, year)
    t = t.sort_values("vintage").groupby(["commodity_id", "stage", "year"], as_index=False).tail(1)
    keys = t[["vintage", "commodity_id", "stage", "year", "form", "series_label", "unit"]]
    f = folded.assign(form=folded["form"].fillna(""), series_label=folded["series_label"].fillna(""), unit=folded["unit"].fillna(""))
    rows = f.merge(keys, on=["vintage", "commodity_id", "stage", "year", "form", "series_label", "unit"], how="inner")
    rows = rows[rows["country_kind"].isin(["country", "world"])]
    # a country listed twice in a series (split by detail) is summed, as in the concentration
    rows = rows.assign(country_key=rows["country_iso3"].where(rows["country_kind"] == "country", "WORLD"))
    rows = rows[rows["country_key"].notna()]
    agg = rows.groupby(["commodity_id", "stage", "country_key", "year"], as_index=False).agg(
        country_iso3=("country_iso3", "first"), country_name=("country_name", "first"), country_kind=("country_kind", "first"),
        usgs_value=("value", lambda v: float(v.sum()) if v.notna().all() else np.nan),
        usgs_qualifier=("qualifier", lambda q: q.iloc[0] if len(set(q)) == 1 else ("estimated" if set(q) <= set(conc.NUMERIC) else "withheld")),
        usgs_unit=("unit", "first"), form=("form", "first"), usgs_series=("series_label", "first"), usgs_vintage=("vintage", "first"),
    )
    bases = usgs_bases(folded)
    agg["usgs_basis"] = [series_basis(c, s, fm, lb, u, bases.get((c, s))) for c, s, fm, lb, u in
                         zip(agg["commodity_id"], agg["stage"], agg["form"], agg["usgs_series"], agg["usgs_unit"])]
    return agg[cols]


def _wmd_side(wmd: pd.DataFrame) -> pd.DataFrame:
    cols = ["commodity_id", "stage", "country_key", "year", "country_iso3", "country_name", "country_kind",
            "wmd_value", "wmd_qualifier", "wmd_unit", "wmd_basis", "wmd_sheet"]
    if wmd is None or wmd.empty:
        return pd.DataFrame(columns=cols)
    w = wmd[wmd["stage"].isin(conc.STAGES)]
    size = w.groupby(["commodity_id", "stage", "sheet"])["country_iso3"].nunique().reset_index()
    size = size.sort_values(["commodity_id", "stage", "country_iso3", "sheet"], ascending=[True, True, False, True])
    keep = size.drop_duplicates(["commodity_id", "stage"])[["commodity_id", "stage", "sheet"]]
    w = w.merge(keep, on=["commodity_id", "stage", "sheet"], how="inner")
    w = w.assign(country_key=w["country_iso3"].where(w["country_kind"] == "country", "WORLD"))
    basis = w["content_basis"].where(w["content_basis"].notna(), None)
    return pd.DataFrame({
        "commodity_id": w["commodity_id"], "stage": w["stage"], "country_key": w["country_key"], "year": w["year"],
        "country_iso3": w["country_iso3"], "country_name": w["country_name"], "country_kind": w["country_kind"],
        "wmd_value": w["value"], "wmd_qualifier": w["qualifier"], "wmd_unit": w["unit"], "wmd_basis": basis,
        "wmd_sheet": w["sheet"],
    })[cols]


def world_totals(reconciliation: pd.DataFrame) -> pd.DataFrame:
    """The world-total rows of :func:`production_reconciliation` only."""
    return reconciliation[reconciliation["country_kind"] == "world"].reset_index(drop=True)
