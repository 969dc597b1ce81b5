"""The policy tracker: export controls, agreements and dates, each with its status on a day.

Everything comes from :func:`critmin.api.tracker`: the snapshot's ``export_controls`` and
``agreements``, critmin's built-in status changes and dates (Section 232, China's
suspensions with their end dates) and the user's register files (``critmin tracker add``).
Statuses and the next date are computed for the day the request names (``?today=``) or the
server's date, so the page is right on any day: a suspension whose end has passed shows as
lapsed unless a later entry extends it, and when no later date is recorded the answer says
so.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from fastapi import APIRouter, Query

from critmin.web.api.responses import RESPONSES, Format, json_response, table_response

router = APIRouter(prefix="/tracker", responses=RESPONSES, tags=["tracker"])

TODAY = Query(None, description="Reference date (default: the server's date).")


def _today(today: Optional[dt.date]) -> dt.date:
    return today or dt.date.today()


def _year_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=365) if day > dt.date.min + dt.timedelta(days=365) else dt.date.min


def key_dates(today: dt.date, *, since: Optional[dt.date] = None) -> dict:
    """The calendar with each entry's status and the number of days from ``today``
    (by default the twelve months before ``today`` and everything after)."""
    from critmin import api

    res = api.tracker(today, since=since or _year_before(today))
    items = res["dates"].to_dict("records") if not res["dates"].empty else []
    nxt = res["next"]
    return {"today": res["today"], "next": nxt if nxt["date"] else None, "next_message": nxt["message"], "items": items}


@router.get("/dates", summary="Dates that matter, with what has passed and what is next")
def dates(today: Optional[dt.date] = TODAY,
          since: Optional[dt.date] = Query(None, description="Earliest date listed (default: a year before today).")):
    return json_response(key_dates(_today(today), since=since))


@router.get("/status", summary="Export controls and agreements with their status on a day, and the next date to watch")
def status(
    today: Optional[dt.date] = TODAY,
    country: Optional[str] = Query(None, min_length=3, max_length=60, description="Country (ISO3 or name): restricting, target or partner."),
    mineral: Optional[str] = Query(None, max_length=100, description="Mineral id, name or symbol."),
):
    from critmin import api

    res = api.tracker(_today(today), country=country, mineral=mineral, since=_year_before(_today(today)))
    return json_response({
        "today": res["today"], "next": res["next"], "counts": res["counts"],
        "measures": res["measures"].to_dict("records"), "agreements": res["agreements"].to_dict("records"),
    })


@router.get("/export-controls", summary="Export restrictions (China's MOFCOM measures and others, USGS MCS 2026 T4)")
def export_controls(
    country: Optional[str] = Query(None, min_length=3, max_length=3, description="Restricting country ISO3."),
    mineral: Optional[str] = Query(None, max_length=100, description="Mineral id, name or symbol."),
    status: Optional[str] = Query(None, max_length=40, description="Status starts with: active, suspended, lifted ..."),
    fmt: Format = Query(Format.json, alias="format"),
    limit: int = Query(500, ge=1, le=10000),
    offset: int = Query(0, ge=0),
):
    from critmin import api

    df = api.export_controls(country, mineral, status)
    return table_response(df, fmt, "export_controls", limit=limit, offset=offset,
                          meta={"sources": sorted(set(df["source_id"].dropna())) if len(df) else []})


@router.get("/agreements", summary="US critical-mineral agreements by partner (USGS MCS 2026 T5)")
def agreements(
    country: Optional[str] = Query(None, min_length=3, max_length=3, description="Partner ISO3."),
    fmt: Format = Query(Format.json, alias="format"),
):
    from critmin import api

    df = api.agreements(country)
    return table_response(df, fmt, "agreements")


@router.get("/summary", summary="Counts for the tracker's headline: controls by status, agreements, next date")
def summary(today: Optional[dt.date] = Query(None)):
    from critmin import api

    return json_response(api.tracker_summary(_today(today)))


__all__ = ["router", "key_dates"]
