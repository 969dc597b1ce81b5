"""US salient statistics of a stage: imports, exports, consumption, and the bound on a withheld US output.

From the USGS MCS salient tables (``salient``, latest vintage publishing the base year).
Published consumption is a **check** printed next to the model's implied use (production
- exports + imports); the market's flows define use.

Bound on withheld US production (USGS writes ``W``): with apparent consumption
``C = P + M - X`` and net import reliance ``NIR = (M - X)/C``, a published ``NIR > a``
(in percent) gives ``P < (M - X)(100 - a)/a`` and a published ``NIR = a`` gives
``P`` within the same expression at ``a -/+ 0.5`` (USGS rounds to a whole percent), both in the unit of ``M`` and ``X`` (the salient totals of the
stage: all forms the chapter counts). Stocks are ignored (an assumption, stated).
"""

from __future__ import annotations

import pandas as pd

from critmin.analysis.domestic_supply import UNIT_TONNES

from .inputs import Figure, KBDataError
from .tables import table

POINT = ("exact", "estimated", "revised", "zero")


def salient_rows(cid: str, year: int, statistic: str, form: str | None = None) -> pd.DataFrame:
    s = table("salient")
    rows = s[(s["commodity_id"] == cid) & (s["statistic"] == statistic) & (s["year"] == year)]
    if form is not None:
        rows = rows[rows["form"] == form]
    if rows.empty:
        return rows
    return rows[rows["vintage"] == rows["vintage"].max()]


def salient_sum(cid: str, year: int, statistic: str, details: tuple[str, ...], basis: str,
                form: str | None = None) -> Figure:
    """Sum of the salient rows whose ``detail`` is one of ``details``, in tonnes (withheld: an error)."""
    rows = salient_rows(cid, year, statistic, form)
    total = 0.0
    used = []
    for d in details:
        hit = rows[rows["detail"] == d]
        if hit.empty:
            raise KBDataError(f"USGS salient {cid} {statistic} {year}: no row {d!r}; published: "
                              f"{sorted(rows['detail'].unique())}")
        r = hit.iloc[0]
        if r["qualifier"] not in POINT or pd.isna(r["value"]):
            raise KBDataError(f"USGS salient {cid} {statistic} {year}: {d!r} is {r['raw']!r} ({r['qualifier']}); a "
                              "withheld figure is never 0")
        unit = str(r["unit"]).strip().lower()
        if unit not in UNIT_TONNES:
            raise KBDataError(f"USGS salient {cid} {d!r}: unit {r['unit']!r} is not a mass unit")
        total += float(r["value"]) * UNIT_TONNES[unit]
        used.append(f"{d} {r['raw']} {r['unit']}")
    sid = str(rows["source_id"].iloc[0]) if len(rows) else "usgs_mcs"
    return Figure.point(total, "t", basis, (sid,), f"USGS MCS salient {statistic} {year}: " + "; ".join(used))


def _single(cid: str, year: int, statistic: str, basis: str, form: str | None = None,
            details: tuple[str, ...] | None = None) -> Figure | None:
    if details:
        return salient_sum(cid, year, statistic, tuple(details), basis, form)
    rows = salient_rows(cid, year, statistic, form)
    rows = rows[rows["qualifier"].isin(POINT)]
    if len(rows) != 1:
        return None
    return salient_sum(cid, year, statistic, (str(rows["detail"].iloc[0]),), basis, form)


def us_production_bound(cid: str, stage: str, year: int, basis: str, *, form: str | None = None,
                        imports: tuple[str, ...] | None = None, exports: tuple[str, ...] | None = None) -> Figure:
    """Bounds on a withheld US output from the published net import reliance (module docstring).

    ``form`` selects a chapter's form (bauxite vs alumina); ``imports``/``exports`` name the
    salient totals when the chapter publishes several rows.
    """
    nir = salient_rows(cid, year, "nir", form)
    m, x = _single(cid, year, "imports", basis, form, imports), _single(cid, year, "exports", basis, form, exports)
    if nir.empty or m is None or x is None:
        raise KBDataError(f"US {stage} production of {cid} in {year} is withheld and neither a world total nor the "
                          "net import reliance with single import and export totals bounds it (never taken as 0)")
    r = nir.iloc[0]
    net = m.low - x.low
    if r["qualifier"] == "greater_than" and pd.notna(r["low"]) and r["low"] > 0 and net > 0:
        a = float(r["low"])
        hi = net * (100 - a) / a
        return Figure(0.0, hi, "t", basis, m.sources,
                      f"US output withheld; net import reliance {r['raw']} with imports {m.low:,.6g} t and exports "
                      f"{x.low:,.6g} t gives 0 <= P < (M - X)(100 - {a:g})/{a:g} = {hi:,.6g} t (stocks ignored)")
    if r["qualifier"] in POINT and pd.notna(r["value"]) and 0 < r["value"] <= 100 and net > 0:
        # USGS rounds reliance to a whole percent: a published a means a - 0.5 <= NIR <= a + 0.5
        a = float(r["value"])
        top, bottom = min(a + 0.5, 100.0), max(a - 0.5, 1e-9)
        lo, hi = net * (100 - top) / top, net * (100 - bottom) / bottom
        return Figure(lo, hi, "t", basis, m.sources,
                      f"US output withheld; net import reliance {r['raw']} (rounded to a whole percent) with imports "
                      f"{m.low:,.6g} t and exports {x.low:,.6g} t gives {lo:,.6g} <= P <= {hi:,.6g} t (stocks ignored)")
    raise KBDataError(f"US {stage} production of {cid} in {year} is withheld and the net import reliance "
                      f"({r['raw']!r}) does not bound it")


def us_consumption(cid: str, year: int, basis: str) -> Figure | None:
    """The one published apparent consumption of the chapter (a check), or None."""
    rows = salient_rows(cid, year, "consumption")
    rows = rows[rows["detail"].str.contains("pparent", na=False) & rows["qualifier"].isin(POINT)]
    if len(rows) != 1:
        return None
    try:
        return salient_sum(cid, year, "consumption", (str(rows["detail"].iloc[0]),), basis)
    except KBDataError:
        return None
