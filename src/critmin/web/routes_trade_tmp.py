"""TEMPORARY (branch `pages`): trade endpoints for the mineral page until `one-truth` lands its own.

`GET /api/v1/trade/{mineral}` answers the rows of :func:`critmin.api.trade`;
`GET /api/v1/trade/{mineral}/matrix` the exporter x importer flows of one year. Delete this
file (and its include in app.py) when main has the real endpoints.
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

from fastapi import APIRouter, Query

from critmin.web.responses import RESPONSES, Format, table_response

router = APIRouter(tags=["trade (temporary)"], responses=RESPONSES)


class Measure(str, Enum):
    value = "value"
    gross_t = "gross_t"
    content_t = "content_t"


class TradeStage(str, Enum):
    mine = "mine"
    processing = "processing"


UNITS = {"value": "US$", "gross_t": "t (gross weight)", "content_t": "t (content)"}


@router.get("/trade/{mineral}", summary="World trade of a mineral by stage (CEPII BACI)")
def trade(mineral: str, stage: Optional[TradeStage] = Query(None), importer: Optional[str] = Query(None, max_length=8),
          exporter: Optional[str] = Query(None, max_length=8), year: Optional[int] = Query(None, ge=1995, le=2100),
          measure: Measure = Query(Measure.value), over_time: bool = Query(False),
          fmt: Format = Query(Format.json, alias="format")):
    from critmin import api

    df = api.trade(mineral, stage=stage.value if stage else None, importer=importer, exporter=exporter, year=year,
                   measure=measure.value, over_time=over_time)
    meta = {"note": df.attrs.get("note", ""), "measure": measure.value, "unit": UNITS[measure.value],
            "source": "CEPII BACI (HS1992), via critmin's HS6 concordance"}
    return table_response(df, fmt, f"trade_{mineral}", meta=meta)


@router.get("/trade/{mineral}/matrix", summary="Exporter x importer flows of one year (top 15 each, the rest as Other)")
def matrix(mineral: str, stage: Optional[TradeStage] = Query(None), year: Optional[int] = Query(None, ge=1995, le=2100),
           measure: Measure = Query(Measure.value)):
    from critmin import api, store
    from critmin.analysis import trade as tr
    from critmin.errors import CritminError
    from critmin.web.responses import json_response

    codes = api.trade_codes(mineral, stage.value if stage else None)
    codes = codes[codes["stage"].str.split("|").map(lambda s: bool(set(s) & {"mine", "processing"})).astype(bool)]
    if codes.empty:
        raise CritminError(f"no HS1992 code of the BACI extract reads as {mineral}" + (f" at the {stage.value} stage" if stage else ""))
    rows = store.query(f"SELECT {api._TRADE_COLS} FROM world_trade WHERE hs6 IN (SELECT unnest(?))", [list(codes["hs6"])])
    if rows.empty:
        raise CritminError(f"no BACI flows of {mineral}")
    y = int(year) if year is not None else int(rows["year"].max())
    try:
        m = tr.bilateral_matrix(rows[rows["year"] == y], measure.value)
    except ValueError as exc:  # e.g. no defensible content factor for content tonnes
        raise CritminError(str(exc)) from None
    names = {}
    for side in ("exporter", "importer"):
        names.update(dict(zip(rows[f"{side}_iso3"].fillna(rows[f"{side}_name"]), rows[f"{side}_name"])))
    items = [{"exporter": e, "exporter_name": names.get(e, e), "importer": i, "importer_name": names.get(i, i), "amount": float(v)}
             for e in m.index for i in m.columns if (v := m.loc[e, i]) > 0]
    return json_response({"items": items, "total": len(items), "limit": None, "offset": 0,
                          "meta": {"year": y, "stage": stage.value if stage else "all", "measure": measure.value,
                                   "unit": UNITS[measure.value], "codes": ", ".join(codes["hs6"])}})
