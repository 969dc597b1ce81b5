"""REST endpoints of the knowledge base: catalogue, reliance, production, imports, sources.

Each endpoint parses its parameters, calls :mod:`critmin.api` and presents the table it
returns, so the numbers are the CLI's. Parameters with a closed set of values (stage,
measure, list year) are enumerations in the OpenAPI schema, so a wrong value is a 422
naming the parameter before anything runs.
"""

from __future__ import annotations

from enum import Enum, IntEnum
from typing import Optional

from fastapi import APIRouter, Path, Query

from critmin.web.api.responses import RESPONSES, Format, json_response, records, table_response

router = APIRouter(responses=RESPONSES, tags=["knowledge base"])

MineralPath = Path(..., description="Mineral id, name or symbol: `cobalt`, `rare-earths`, `Ga`.", max_length=100)
Limit = Query(100, ge=1, le=10000, description="Rows per page.")
Offset = Query(0, ge=0, le=10_000_000, description="Rows to skip.")
FormatQuery = Query(Format.json, alias="format", description="`json` (an envelope with items) or `csv`.")


class ListYear(IntEnum):
    y2018 = 2018
    y2022 = 2022
    y2025 = 2025


class Stage(str, Enum):
    mine = "mine"
    processing = "processing"
    unspecified = "unspecified"


class Measure(str, Enum):
    production = "production"
    capacity = "capacity"
    reserves = "reserves"


def nir_table(vintage: int | None, list_year: int | None):
    """:func:`critmin.api.nir`, with an empty list (a list year the snapshot has no entries
    for) answered by an empty table instead of the KeyError ``api.nir`` raises then."""
    from critmin import api

    if list_year is not None and api.minerals(list_year).empty:
        df = api.nir(vintage).iloc[0:0]
        return df.assign(via_group=None)
    return api.nir(vintage, list_year)


def lookup(mineral: str):
    """The catalogue entry for what a user typed; 404 with suggestions otherwise."""
    from critmin.vocab import commodities as vc

    return vc.lookup(mineral)  # UnknownCommodityError -> 404 in the app's handler


@router.get("/minerals", summary="The commodity catalogue with list memberships")
def minerals(
    list_year: Optional[ListYear] = Query(None, description="Keep minerals on the US critical-mineral list of that year."),
    q: Optional[str] = Query(None, max_length=100, description="Case-insensitive filter on id, name or symbol."),
    fmt: Format = Query(Format.json, alias="format"),
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Offset,
):
    from critmin import api

    df = api.minerals(int(list_year) if list_year else None)
    if q:
        needle = q.casefold()
        mask = df["commodity_id"].str.casefold().str.contains(needle, regex=False) | df["name"].str.casefold().str.contains(
            needle, regex=False
        ) | (df["symbol"].fillna("").str.casefold() == needle)
        df = df[mask.fillna(False)]
    return table_response(df, fmt, "minerals", limit=limit, offset=offset,
                          meta={"list_year": int(list_year) if list_year else None})


@router.get("/minerals/{mineral}", summary="One mineral: catalogue entry and the data the snapshot has for it")
def mineral(mineral: str = MineralPath):
    from critmin import api

    lookup(mineral)
    info = api.mineral_summary(mineral)
    return json_response({**info, "production_series": records(info["production_series"])})


@router.get("/nir", summary="US net import reliance as published (MCS), with import sources")
def nir(
    vintage: Optional[int] = Query(None, ge=1900, le=2100, description="MCS release year; default the latest."),
    list_year: Optional[ListYear] = Query(None, description="One row per mineral on that list, counted as USGS does."),
    reliance_class: Optional[str] = Query(None, pattern=r"^(100|>50|other|unknown)$", description="Keep one class."),
    fmt: Format = FormatQuery,
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Offset,
):
    from critmin import api

    df = nir_table(vintage, int(list_year) if list_year else None)
    summary = api.nir_summary(df) if list_year else None
    if reliance_class:
        df = df[df["reliance_class"] == reliance_class]
    v = int(df["vintage"].iloc[0]) if len(df) else (vintage or api.vintages("nir")[-1])
    meta = {
        "vintage": v, "year": (v - 1) if v else None, "list_year": int(list_year) if list_year else None,
        "summary": summary, "unit": "percent of apparent consumption",
        "source": f"USGS Mineral Commodity Summaries {v}, net import reliance figure" if v else None,
    }
    return table_response(df, fmt, f"nir_{v}", limit=limit, offset=offset, meta=meta)


@router.get("/nir/summary", summary="How many listed minerals are 100 % and more than 50 % import reliant")
def nir_summary(
    vintage: Optional[int] = Query(None, ge=1900, le=2100),
    list_year: Optional[ListYear] = Query(None, description="The list whose minerals are counted; default the list the "
                                                            "release refers to (MCS 2023-2025: 2022; MCS 2026: 2025)."),
):
    from critmin import api

    return json_response(api.headline(vintage, int(list_year) if list_year else None))


@router.get("/minerals/{mineral}/nir", summary="A mineral's published net import reliance in every vintage")
def mineral_nir(mineral: str = MineralPath, fmt: Format = FormatQuery):
    from critmin import api

    c = lookup(mineral)
    ids = {c.commodity_id} | ({c.group_id} if c.group_id else set())
    frames = []
    for v in api.vintages("nir"):
        df = api.nir(v)
        frames.append(df[df["commodity"].isin(ids)])
    import pandas as pd

    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(out) and (out["commodity"] == c.commodity_id).any():
        out = out[out["commodity"] == c.commodity_id]
    return table_response(out, fmt, f"nir_{c.commodity_id}", meta={"commodity": c.commodity_id, "unit": "percent"})


@router.get("/minerals/{mineral}/production", summary="World production, capacity or reserves by country, with shares")
def production(
    mineral: str = MineralPath,
    stage: Optional[Stage] = Query(None),
    measure: Measure = Query(Measure.production),
    year: Optional[int] = Query(None, ge=1900, le=2100),
    vintage: Optional[int] = Query(None, ge=1900, le=2100),
    fmt: Format = FormatQuery,
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Offset,
):
    from critmin import api

    lookup(mineral)
    df = api.production(mineral, stage=stage.value if stage else None, measure=measure.value, year=year, vintage=vintage)
    first = df.iloc[0]
    meta = {
        "commodity": first["commodity"], "vintage": int(first["vintage"]), "year": int(first["year"]),
        "measure": measure.value, "units": sorted(set(df["unit"].dropna())),
        "source": f"USGS Mineral Commodity Summaries {int(first['vintage'])}, world production tables",
    }
    return table_response(df, fmt, f"production_{first['commodity']}_{int(first['year'])}", limit=limit, offset=offset, meta=meta)


@router.get("/minerals/{mineral}/import-shares", summary="US import sources: shares by partner (MCS)")
def import_shares(mineral: str = MineralPath, fmt: Format = FormatQuery):
    from critmin import api

    c = lookup(mineral)
    shares = api.imports(mineral)["shares"]
    return table_response(shares, fmt, f"import_shares_{c.commodity_id}",
                          meta={"commodity": c.commodity_id, "unit": "percent of US imports",
                                "source": "USGS Mineral Commodity Summaries 2026, import sources"})


@router.get("/minerals/{mineral}/customs", summary="US imports for consumption by partner and HTS heading (USITC DataWeb)")
def customs(
    mineral: str = MineralPath,
    year: Optional[int] = Query(None, ge=1900, le=2100),
    partner: Optional[str] = Query(None, min_length=3, max_length=3, description="Partner ISO3."),
    hts: Optional[str] = Query(None, max_length=12, description="HTS heading prefix."),
    period: Optional[str] = Query(None, pattern=r"^(annual|ytd)$"),
    fmt: Format = FormatQuery,
    limit: int = Limit,
    offset: int = Offset,
):
    from critmin import api

    c = lookup(mineral)
    df = api.imports(mineral)["customs"]
    if year is not None:
        df = df[df["year"] == year]
    if partner:
        df = df[df["partner"] == partner.upper()]
    if hts:
        df = df[df["hts"].astype(str).str.startswith(hts)]
    if period:
        df = df[df["period"] == period]
    return table_response(df, fmt, f"customs_{c.commodity_id}", limit=limit, offset=offset,
                          meta={"commodity": c.commodity_id, "unit": "US$ customs value",
                                "source": "USITC DataWeb, imports for consumption"})


@router.get("/sources", summary="Data sources: citation, DOI, licence, vintage, rows")
def sources(fmt: Format = FormatQuery):
    from critmin import api

    return table_response(api.sources(), fmt, "sources")


@router.get("/tables", summary="Snapshot tables with row counts and descriptions")
def tables(fmt: Format = FormatQuery):
    from critmin import api

    return table_response(api.tables(), fmt, "tables")


@router.get("/vintages", summary="Vintages (release years) present per table")
def vintages():
    from critmin import api

    return json_response(api.table_vintages())


@router.get("/countries", summary="Countries with ISO3, ISO numeric (for maps) and groups (G7, USMCA, FEOC, EU27)")
def countries(fmt: Format = FormatQuery, limit: int = Query(1000, ge=1, le=10000), offset: int = Offset):
    from critmin import api

    return table_response(api.countries(), fmt, "countries", limit=limit, offset=offset)
