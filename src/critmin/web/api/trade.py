"""REST endpoints of world trade (CEPII BACI, HS1992, 1995-2024).

``GET /trade/{mineral}`` answers the rows of :func:`critmin.api.trade` (what ``critmin trade``
prints), ``GET /trade/{mineral}/matrix`` those of :func:`critmin.api.trade_matrix` (a
bilateral matrix of the top partners, for a flow diagram). Both carry the unit, the source
and how the figures were derived (which HS codes were read, codes that mix minerals, a
member traded within its group's codes) in ``meta``. A parameter outside its closed set
(stage, measure), an unknown country code, ``over_time`` without a country and a measure
the mineral's codes cannot be given in (``content_t`` without a content factor) are 422; a
mineral without codes, or a year without flows, is 404.
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

from fastapi import APIRouter, Query

from critmin.web.api.data import MineralPath, lookup
from critmin.web.api.responses import RESPONSES, Format, table_response

router = APIRouter(prefix="/trade", responses=RESPONSES, tags=["world trade"])


class TradeStage(str, Enum):
    mine = "mine"
    processing = "processing"


class TradeMeasure(str, Enum):
    value = "value"
    gross_t = "gross_t"
    content_t = "content_t"


# Functions, not shared objects: FastAPI binds a Query object to the one parameter it declares.
def CountryQuery(side: str):  # noqa: N802 - reads like the Query it returns
    return Query(None, min_length=2, max_length=60,
                 description=f"The {side}: an ISO3 code (USA, CHN, JPN...), a country name, or EU27 (extra-EU trade only).")


def StageQuery():  # noqa: N802
    return Query(None, description="mine or processing; default both.")


def MeasureQuery():  # noqa: N802
    return Query(TradeMeasure.value, description="value (US$), gross_t (tonnes as traded) or content_t (tonnes of the "
                                                 "content basis; refused for codes without a factor).")


def YearQuery():  # noqa: N802
    return Query(None, ge=1995, le=2100, description="Year (1995-2024); default the latest with data.")


def _meta(df, **extra) -> dict:
    first = df.iloc[0] if len(df) else None
    return {
        "commodity": first["commodity_id"] if first is not None else None,
        "stage": first["stage"] if first is not None else None,
        "codes": first["codes"] if first is not None else None,
        "measure": first["measure"] if first is not None else None,
        "unit": first["unit"] if first is not None else None,
        "years": sorted({int(y) for y in df["year"]}) if len(df) else [],
        "derived": df.attrs.get("note", ""),
        "source": df.attrs.get("source", ""),
        **extra,
    }


@router.get("/{mineral}", summary="World trade of a mineral: exporters, an importer's sources, an exporter's "
                                  "destinations, or a share over time (critmin trade)")
def trade(
    mineral: str = MineralPath,
    stage: Optional[TradeStage] = StageQuery(),
    importer: Optional[str] = CountryQuery("importer"),
    exporter: Optional[str] = CountryQuery("exporter"),
    year: Optional[int] = YearQuery(),
    measure: TradeMeasure = MeasureQuery(),
    over_time: bool = Query(False, description="One row per year: the exporter's (or importer's) share."),
    fmt: Format = Query(Format.json, alias="format"),
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Query(0, ge=0, le=10_000_000),
):
    from critmin import api

    lookup(mineral)
    df = api.trade(mineral, stage.value if stage else None, importer, exporter, year, measure.value, over_time)
    meta = _meta(df, role=df["role"].iloc[0] if len(df) else None)
    return table_response(df, fmt, f"trade_{meta['commodity']}", limit=limit, offset=offset, meta=meta)


@router.get("/{mineral}/matrix", summary="A bilateral matrix of one year's trade between the top partners (for a flow diagram)")
def matrix(
    mineral: str = MineralPath,
    year: Optional[int] = YearQuery(),
    stage: Optional[TradeStage] = StageQuery(),
    measure: TradeMeasure = MeasureQuery(),
    top: int = Query(10, ge=2, le=30, description="Exporters and importers kept by their total; the rest is 'Other'."),
    fmt: Format = Query(Format.json, alias="format"),
):
    from critmin import api

    lookup(mineral)
    df = api.trade_matrix(mineral, stage.value if stage else None, year, measure.value, top)
    meta = _meta(df, top=top, total=float(df["amount"].sum()) if len(df) else 0.0)
    return table_response(df, fmt, f"trade_matrix_{meta['commodity']}", meta=meta)


__all__ = ["router"]
