"""The policy tracker: export controls in force, US agreements by partner, dates that matter.

Export controls and agreements are the snapshot's ``export_controls`` and ``agreements``
tables (MOFCOM announcements compiled in ``export_controls/``, USGS MCS 2026 T4 and T5).
The calendar below is the Section 232 timeline and the end of China's suspensions; each
entry says where it comes from. ``passed`` and ``next`` are relative to the date the
request names (``?today=``) or the server's date, so the page is right on any day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Optional

from fastapi import APIRouter, Query

from critmin.web.responses import RESPONSES, Format, json_response, table_response

router = APIRouter(prefix="/tracker", responses=RESPONSES, tags=["tracker"])


@dataclass(frozen=True)
class KeyDate:
    date: dt.date
    precision: str  # "day" or "month"
    title: str
    detail: str
    kind: str  # us_policy | china_controls | alliances
    source: str


KEY_DATES: tuple[KeyDate, ...] = (
    KeyDate(dt.date(2025, 4, 1), "month", "Section 232 investigation opened",
            "Commerce opens an investigation into imports of processed critical minerals and derivative products (PCMDPs).",
            "us_policy", "Proclamation of 14 January 2026"),
    KeyDate(dt.date(2025, 6, 1), "month", "G7 Critical Minerals Action Plan",
            "Standards-based marketplace with traceability, capital mobilisation, R&D.", "alliances", "G7 leaders' statement, June 2025"),
    KeyDate(dt.date(2025, 10, 1), "month", "Section 232 report submitted",
            "Commerce finds the US too reliant on foreign processing, with volatile prices and shrinking capacity.",
            "us_policy", "Proclamation of 14 January 2026"),
    KeyDate(dt.date(2025, 10, 9), "day", "China announces Nos. 55-58, 61, 62",
            "Export licensing of more rare earths, superhard materials, battery materials, RE equipment and technologies, "
            "and extraterritorial re-export licensing.", "china_controls", "MOFCOM announcements 2025 Nos. 55-58, 61, 62"),
    KeyDate(dt.date(2025, 11, 7), "day", "China suspends the October 2025 controls",
            "Announcement 2025 No. 70 suspends Nos. 55-58, 61 and 62 until 10 November 2026.", "china_controls",
            "MOFCOM Announcement 2025 No. 70"),
    KeyDate(dt.date(2026, 1, 14), "day", "Proclamation: threat found, no tariffs",
            "Imports of PCMDPs threaten to impair national security; Commerce and USTR to negotiate agreements "
            "(price floors considered) instead of imposing tariffs now.", "us_policy", "Presidential proclamation, 14 January 2026"),
    KeyDate(dt.date(2026, 7, 13), "day", "180-day update due",
            "First update on the negotiations due; if talks fail the President may impose minimum import prices, "
            "tariffs or other measures.", "us_policy", "Proclamation of 14 January 2026 (180 days)"),
    KeyDate(dt.date(2026, 11, 10), "day", "Suspension of China's October 2025 controls ends",
            "End of the suspension of Announcements 2025 Nos. 55-58, 61 and 62 (No. 70), unless extended.",
            "china_controls", "MOFCOM Announcement 2025 No. 70"),
    KeyDate(dt.date(2026, 11, 27), "day", "Suspension of China's US-specific ban ends",
            "End of the suspension (Announcement 2025 No. 72) of the ban on gallium, germanium, antimony and "
            "superhard-material exports to the US (Announcement 2024 No. 46), unless extended. Verify: reported in secondary sources.",
            "china_controls", "MOFCOM Announcement 2025 No. 72 (secondary)"),
)


def _today(today: Optional[dt.date]) -> dt.date:
    return today or dt.date.today()


def key_dates(today: dt.date) -> dict:
    """The calendar with each entry's status and the number of days from ``today``."""
    items = []
    next_index = None
    for i, k in enumerate(KEY_DATES):
        # a month-precision entry has passed once its month is over
        end = k.date if k.precision == "day" else (k.date.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        passed = end < today
        status = "passed" if passed else ("today" if end == today else "upcoming")
        if not passed and next_index is None:
            next_index = i
        items.append({**asdict(k), "date": k.date.isoformat(), "status": status, "days_from_today": (k.date - today).days})
    if next_index is not None:
        items[next_index]["is_next"] = True
    return {"today": today.isoformat(), "next": items[next_index] if next_index is not None else None, "items": items}


@router.get("/dates", summary="Dates that matter, with what has passed and what is next")
def dates(today: Optional[dt.date] = Query(None, description="Reference date (default: the server's date).")):
    return json_response(key_dates(_today(today)))


@router.get("/export-controls", summary="Export restrictions (China's MOFCOM measures and others, USGS MCS 2026 T4)")
def export_controls(
    country: Optional[str] = Query(None, min_length=3, max_length=3, description="Restricting country ISO3."),
    mineral: Optional[str] = Query(None, max_length=100, description="Mineral id, name or symbol."),
    status: Optional[str] = Query(None, max_length=40, description="Status starts with: active, suspended, lifted ..."),
    fmt: Format = Query(Format.json, alias="format"),
    limit: int = Query(500, ge=1, le=10000),
    offset: int = Query(0, ge=0),
):
    from critmin import store

    df = store.query(
        """SELECT e.*, c.name AS country_name
           FROM export_controls e LEFT JOIN countries c ON c.iso3 = e.country_iso3
           ORDER BY e.effective_date DESC NULLS LAST, e.announced_date DESC NULLS LAST, e.measure_id, e.commodity_id"""
    )
    if country:
        df = df[df["country_iso3"] == country.upper()]
    if mineral:
        from critmin.vocab import commodities as vc

        c = vc.lookup(mineral)
        df = df[df["commodity_id"].isin([c.commodity_id] + ([c.group_id] if c.group_id else []))]
    if status:
        df = df[df["status"].fillna("").str.lower().str.startswith(status.lower())]
    return table_response(df, fmt, "export_controls", limit=limit, offset=offset,
                          meta={"sources": sorted(set(df["source_id"].dropna())) if len(df) else []})


@router.get("/agreements", summary="US critical-mineral agreements by partner (USGS MCS 2026 T5)")
def agreements(
    country: Optional[str] = Query(None, min_length=3, max_length=3, description="Partner ISO3."),
    fmt: Format = Query(Format.json, alias="format"),
):
    from critmin import store

    df = store.query(
        """SELECT a.*, c.name AS country_name, c.g7, c.usmca, c.feoc
           FROM agreements a LEFT JOIN countries c ON c.iso3 = a.country_iso3
           ORDER BY a.signing_date DESC NULLS LAST, a.country_iso3"""
    )
    if country:
        df = df[df["country_iso3"] == country.upper()]
    return table_response(df, fmt, "agreements")


@router.get("/summary", summary="Counts for the tracker's headline: controls by status, agreements, next date")
def summary(today: Optional[dt.date] = Query(None)):
    from critmin import store

    t = _today(today)
    controls = store.query(
        """SELECT country_iso3, measure_id, any_value(status) AS status, any_value(effective_date) AS effective_date
           FROM export_controls GROUP BY country_iso3, measure_id"""
    )
    status = controls["status"].fillna("unknown").str.split().str[0].str.strip(" ,;(").str.lower()
    agreements = store.query("SELECT count(*) AS n, count(DISTINCT country_iso3) AS partners FROM agreements")
    return json_response({
        "today": t.isoformat(),
        "measures": int(len(controls)),
        "measures_by_status": {k: int(v) for k, v in status.value_counts().items()},
        "countries_with_measures": int(controls["country_iso3"].nunique()),
        "agreements": int(agreements["n"].iloc[0]),
        "agreement_partners": int(agreements["partners"].iloc[0]),
        "next_date": key_dates(t)["next"],
    })


__all__ = ["router", "KEY_DATES", "key_dates"]
