"""REST endpoints of the risk analytics: concentration, supply-risk methods, dossiers.

The analysis functions are pure (:mod:`critmin.analysis`): this module reads the tables
they need from the store, calls them and presents the frames they return. While a piece
of the analytics is not installed, its endpoint answers 503 saying so, rather than
computing anything itself.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from enum import Enum
from typing import Optional

from fastapi import APIRouter, Query

from critmin.web.responses import RESPONSES, Format, json_response, problem, table_response
from critmin.web.routes_data import ListYear, MineralPath, Stage, lookup

router = APIRouter(responses=RESPONSES, tags=["risk"])

#: Whole-snapshot analysis frames of the current snapshot (a handful of keys: concentration,
#: risk inputs, one ranking per method, stage and list). Cleared when the snapshot changes.
_memo: dict[tuple, object] = {}
#: The report tables of the last few dossiers (each holds every table of the snapshot, about
#: 25 MB on the real one): least recently used first out, so a visit to every mineral's
#: dossier cannot grow the server without bound.
_reports: "OrderedDict[tuple, object]" = OrderedDict()
REPORT_TABLES_KEPT = 4
_memo_stamp: tuple = ()
_memo_lock = threading.Lock()


def available() -> dict[str, bool]:
    """Which parts of the analytics this installation has (for ``/health``)."""
    out = {}
    for label, module, attr in (("concentration", "critmin.analysis.concentration", "processing_gap"),
                                ("risk", "critmin.analysis.risk", "rank"), ("report", "critmin.report", "dossier")):
        try:
            out[label] = hasattr(importlib.import_module(module), attr)
        except ModuleNotFoundError:
            out[label] = False
    return out


def _memoised(key: tuple, compute, *, lru: bool = False):
    """Whole-snapshot analysis frames, computed once per snapshot (``lru``: among the last few)."""
    from critmin.snapshot import default_dir

    global _memo_stamp
    stamp = (str(default_dir()), _manifest_mtime())
    store = _reports if lru else _memo
    with _memo_lock:
        if stamp != _memo_stamp:  # another snapshot: nothing computed on the old one is kept
            _memo.clear()
            _reports.clear()
            _memo_stamp = stamp
        if key in store:
            if lru:
                _reports.move_to_end(key)
            return store[key]
    value = compute()
    with _memo_lock:
        if stamp == _memo_stamp:
            store[key] = value
            if lru:
                while len(_reports) > REPORT_TABLES_KEPT:
                    _reports.popitem(last=False)
    return value


def _manifest_mtime() -> int:
    import os

    from critmin.snapshot import MANIFEST, default_dir

    try:
        return os.stat(default_dir() / MANIFEST).st_mtime_ns
    except OSError:
        return 0


def concentration_frame():
    from critmin import store
    from critmin.analysis.concentration import concentration_table

    return _memoised(("concentration",), lambda: concentration_table(store.table("production")))


@router.get("/concentration", summary="Mining versus processing concentration per mineral (HHI, China's share)")
def concentration_gap(
    processing_more_concentrated: Optional[bool] = Query(None, description="Keep minerals with (or without) the flag."),
    fmt: Format = Query(Format.json, alias="format"),
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Query(0, ge=0),
):
    from critmin import api
    from critmin.analysis.concentration import GAP_HHI_THRESHOLD, GAP_MIN_PROCESSING_HHI, processing_gap

    def compute():
        try:
            nir = api.nir()
        except Exception:  # a snapshot without a NIR table still has concentration
            nir = None
        return processing_gap(concentration_frame(), nir)

    df = _memoised(("processing_gap",), compute)
    if processing_more_concentrated is not None:
        df = df[df["processing_more_concentrated"] == processing_more_concentrated]
    meta = {
        "method": "Herfindahl-Hirschman index of world production shares, 0-1 scale (critmin.analysis.concentration)",
        "thresholds": {"hhi_gap": GAP_HHI_THRESHOLD, "processing_hhi": GAP_MIN_PROCESSING_HHI},
        "source": "USGS Mineral Commodity Summaries, world production tables",
    }
    return table_response(df, fmt, "concentration_gap", limit=limit, offset=offset, meta=meta)


@router.get("/minerals/{mineral}/concentration", summary="A mineral's concentration by stage, series and vintage")
def mineral_concentration(
    mineral: str = MineralPath,
    stage: Optional[Stage] = Query(None),
    primary_only: bool = Query(True, description="Only the series used for each (vintage, stage, year)."),
    fmt: Format = Query(Format.json, alias="format"),
):
    c = lookup(mineral)
    df = concentration_frame()
    ids = [c.commodity_id] + ([c.group_id] if c.group_id else [])
    df = df[df["commodity_id"].isin(ids)]
    if (df["commodity_id"] == c.commodity_id).any():
        df = df[df["commodity_id"] == c.commodity_id]
    if stage is not None:
        df = df[df["stage"] == stage.value]
    if primary_only:
        df = df[df["primary"]]
    if df.empty:
        raise problem(404, f"no mine- or processing-stage production series for {c.name} in the snapshot")
    df = df.sort_values(["stage", "vintage", "year"])
    return table_response(df, fmt, f"concentration_{c.commodity_id}",
                          meta={"commodity": c.commodity_id, "scale": "HHI 0-1", "by_stage": _stage_view(c.commodity_id)})


def _stage_view(commodity_id: str) -> list[dict] | None:
    """The concentration the risk methods use per stage, with how it was derived (``derived_from``:
    USGS production, World Mining Data plant output, the EU CRM 2023 shares or BACI exports)."""
    try:
        m = risk_inputs().minerals.get(commodity_id)
    except Exception:  # a build without the risk analytics still answers the USGS table
        return None
    if m is None:
        return []
    keep = ("hhi", "hhi_max", "china_share", "vintage", "year", "series_label", "unit", "status", "status_reason",
            "source_id", "derived_from")
    return [{"stage": stage, **{k: getattr(sd, k) for k in keep}} for stage, sd in sorted(m.stages.items())]


# --- supply-risk methods ---------------------------------------------------------------------------

class Method(str, Enum):
    composite = "composite"
    eu_crm = "eu_crm"
    usgs2021 = "usgs2021"
    geopolrisk = "geopolrisk"


def risk_inputs():
    """:class:`~critmin.analysis.inputs.RiskInputs` of the snapshot, built once per snapshot."""
    from critmin.analysis.inputs import build_inputs, read_tables

    return _memoised(("risk_inputs",), lambda: build_inputs(read_tables()))


def _methods():
    try:
        from critmin.analysis import risk
    except ModuleNotFoundError:  # pragma: no cover - an installation without the analytics
        raise problem(503, "the supply-risk methods (critmin.analysis.risk) are not installed in this build") from None
    return risk


def _method_doc(name: str) -> dict:
    risk = _methods()
    module = importlib.import_module(f"critmin.analysis.risk.{name}")
    doc = (module.__doc__ or "").strip()
    version, title = risk.METHODS[name]
    refs = doc.split("References\n----------", 1)[1].strip() if "References\n----------" in doc else ""
    return {"name": name, "version": version, "title": title, "summary": doc.split("\n\n", 1)[0],
            "documentation": doc, "references": refs}


def _result_record(r) -> dict:
    from critmin.web.responses import clean

    return clean({
        "method": r.method, "version": r.version, "commodity_id": r.commodity_id, "stage": r.stage,
        "status": r.status, "score": r.score, "low": r.low, "high": r.high, "terms": r.terms,
        "missing": list(r.missing), "sources": list(r.sources), "notes": list(r.notes),
    })


@router.get("/risk/methods", summary="Supply-risk methods: name, version, formula, references")
def risk_methods():
    risk = _methods()
    items = [_method_doc(name) for name in risk.METHODS]
    return json_response({"items": items, "total": len(items), "limit": None, "offset": 0, "meta": {}})


def _ranking(method: Method, stage: Optional[Stage], list_year: Optional[int]):
    risk = _methods()

    def compute():
        from critmin import api

        inputs = risk_inputs()
        ids = None
        if list_year is not None:
            ids = list(api.minerals(list_year)["commodity_id"])
        return risk.rank(inputs, method=method.value, stage=stage.value if stage else None, commodities=ids)

    return _memoised(("rank", method.value, stage.value if stage else None, list_year), compute)


@router.get("/risk/ranking", summary="Minerals ranked by one supply-risk method, with each score's breakdown")
def risk_ranking(
    method: Method = Query(Method.composite),
    stage: Optional[Stage] = Query(None, description="mine or processing; default the higher of the two (EU rule)."),
    list_year: Optional[ListYear] = Query(None, description="Only minerals on that US list."),
    status: Optional[str] = Query(None, pattern=r"^(ok|bounded|insufficient_data)$"),
    fmt: Format = Query(Format.json, alias="format"),
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Query(0, ge=0),
):
    if stage is not None and stage.value == "unspecified":
        raise problem(422, "stage: the risk methods take mine or processing")
    df = _ranking(method, stage, int(list_year) if list_year else None)
    if status:
        df = df[df["status"] == status]
    doc = _method_doc(method.value)
    meta = {"method": {k: doc[k] for k in ("name", "version", "title", "summary", "references")},
            "stage": stage.value if stage else "higher of mine and processing",
            "list_year": int(list_year) if list_year else None}
    return table_response(df, fmt, f"risk_{method.value}", limit=limit, offset=offset, meta=meta)


@router.get("/minerals/{mineral}/risk", summary="A mineral's supply risk by every method, with breakdown and what is missing")
def mineral_risk(mineral: str = MineralPath, stage: Optional[Stage] = Query(None)):
    risk = _methods()
    if stage is not None and stage.value == "unspecified":
        raise problem(422, "stage: the risk methods take mine or processing")
    c = lookup(mineral)
    inputs = risk_inputs()
    m = inputs.minerals.get(c.commodity_id)
    if m is None:
        raise problem(404, f"no risk inputs for {c.name}: the snapshot has no production, reliance or import data for it")
    items = []
    for name in risk.METHODS:
        r = risk.evaluate(name, m, stage.value, inputs) if stage else risk.evaluate_all_stages(name, m, inputs)
        rec = _result_record(r)
        rec["title"] = risk.METHODS[name][1]
        rec["breakdown"] = [{"term": k, "value": v} for k, v in rec["terms"].items() if k != "weights"]
        items.append(rec)
    return json_response({"items": items, "total": len(items), "limit": None, "offset": 0,
                          "meta": {"commodity": c.commodity_id, "stage": stage.value if stage else "higher of mine and processing"}})


def _interval(v):
    """A breakdown term as (low, high): a number, a [low, high] pair, or None."""
    if v is None:
        return None
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return float(v[0]), float(v[1])
    try:
        return float(v), float(v)
    except (TypeError, ValueError):
        return None


@router.get("/risk/overview", summary="The overview's ranking and risk matrix (import reliance x concentration)")
def risk_overview(
    method: Method = Query(Method.composite),
    list_year: ListYear = Query(ListYear.y2025),
):
    from critmin.web.responses import records

    df = _ranking(method, None, int(list_year))
    doc = _method_doc(method.value)
    ranking = records(df[["rank", "commodity_id", "name", "stage", "status", "score", "low", "high", "missing"]])
    comp = _ranking(Method.composite, None, int(list_year))
    symbols = {}
    from critmin.vocab import commodities as vc

    for cid in comp["commodity_id"]:
        cat = vc.catalogue().get(cid)
        symbols[cid] = cat.symbol if cat is not None and cat.symbol else cid
    points, left_out = [], []
    for rec in records(comp):
        x, y = _interval(rec.get("term_import_reliance")), _interval(rec.get("term_hhi"))
        if x is None or y is None:
            left_out.append(rec["name"])
            continue
        points.append({"commodity_id": rec["commodity_id"], "name": rec["name"], "symbol": symbols[rec["commodity_id"]],
                       "stage": rec["stage"], "x": (x[0] + x[1]) / 2, "x_low": x[0], "x_high": x[1], "y": y[0],
                       "score": rec["score"], "status": rec["status"]})
    return json_response({
        "method": {"name": doc["name"], "version": doc["version"], "title": doc["title"], "scale": "0 (low) to 1 (high)" if method.value == "composite" else "",
                   "unit": "score", "source": "critmin.analysis.risk on the snapshot (USGS MCS, WGI, export-control register)"},
        "list_year": int(list_year),
        "ranking": ranking,
        "matrix": {
            "description": "Composite-method terms: US net import reliance (x; a bounded figure such as >75 % is drawn as a range) "
                           "against the Herfindahl-Hirschman index of world production at the stage that sets the score (y). "
                           "Dashed lines: 50 % reliance, HHI 0.25 (highly concentrated).",
            "x_label": "net import reliance (fraction of apparent consumption)", "y_label": "HHI of world production (0-1)",
            "x_domain": [0, 1], "y_domain": [0, 1], "x_split": 0.5, "y_split": 0.25, "points": points, "left_out": left_out,
            "source": "USGS MCS (net import reliance, world production); critmin.analysis.risk.composite",
        },
    })


# --- prices and dossiers ---------------------------------------------------------------------------

@router.get("/minerals/{mineral}/prices", summary="Price series of a mineral (World Bank monthly, USGS annual unit values) with statistics")
def mineral_prices(
    mineral: str = MineralPath,
    basis: Optional[str] = Query(None, pattern=r"^(nominal|real-1998)$", description="nominal or real-1998 dollars."),
    fmt: Format = Query(Format.json, alias="format"),
):
    from critmin import store
    from critmin.analysis import prices as ap

    c = lookup(mineral)
    ids = [c.commodity_id] + ([c.group_id] if c.group_id else [])
    df = store.query(
        """SELECT commodity_id, series_id, series_label, unit, frequency, basis, year, month, value, qualifier, raw, source_id
           FROM prices WHERE commodity_id IN (SELECT unnest(?)) ORDER BY series_id, year, month NULLS FIRST""",
        [ids],
    )
    if basis:
        df = df[df["basis"] == basis]
    series = []
    for sid, g in df.groupby("series_id", sort=True):
        first = g.iloc[0]
        freq = "M" if first["frequency"] == "monthly" else "Y"
        try:
            stats = ap.summary(ap.to_series(g, freq=freq))
        except ValueError as exc:  # duplicate periods: the statistics need one series
            stats = {"note": str(exc)}
        series.append({"series_id": sid, "series_label": first["series_label"], "unit": first["unit"],
                       "frequency": first["frequency"], "basis": first["basis"], "source_id": first["source_id"],
                       "statistics": stats})
    return table_response(df, fmt, f"prices_{c.commodity_id}",
                          meta={"commodity": c.commodity_id, "series": series,
                                "method": "critmin.analysis.prices (log-return volatility, drawdown, CAGR); gaps stay gaps"})


def _dossier_tables(commodity_ids: list[str]):
    from critmin.report import data as report_data

    return _memoised(("report_tables", tuple(commodity_ids)), lambda: report_data.load(commodity_ids), lru=True)


@router.get("/minerals/{mineral}/dossier", summary="Everything the dossier shows for a mineral, as data (JSON)")
def mineral_dossier(mineral: str = MineralPath):
    import json as _json

    from critmin.web import routes_data, routes_tracker

    c = lookup(mineral)
    sections: dict = {}

    def part(name, fn):
        response = None
        try:
            response = fn()
        except Exception as exc:  # a section without data says why; the others still come
            from fastapi import HTTPException

            from critmin.errors import CritminError

            if not isinstance(exc, (CritminError, HTTPException)):
                raise
            detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
            sections[name] = {"unavailable": detail}
            return
        sections[name] = _json.loads(response.body)

    part("mineral", lambda: routes_data.mineral(c.commodity_id))
    part("net_import_reliance", lambda: routes_data.mineral_nir(c.commodity_id, fmt=Format.json))
    production = {}
    for s in sections.get("mineral", {}).get("production_series", []):
        if s["measure"] == "production":
            vintage = max(s["vintages"])
            body = _json.loads(routes_data.production(c.commodity_id, stage=Stage(s["stage"]), measure=routes_data.Measure.production,
                                                      year=None, vintage=vintage, fmt=Format.json, limit=10000, offset=0).body)
            production[s["stage"]] = body
    sections["production"] = production
    part("concentration", lambda: mineral_concentration(c.commodity_id, stage=None, primary_only=True, fmt=Format.json))
    part("import_shares", lambda: routes_data.import_shares(c.commodity_id, fmt=Format.json))
    part("risk", lambda: mineral_risk(c.commodity_id, stage=None))
    part("prices", lambda: mineral_prices(c.commodity_id, basis=None, fmt=Format.json))
    part("export_controls", lambda: routes_tracker.export_controls(country=None, mineral=c.commodity_id, status=None,
                                                                     fmt=Format.json, limit=10000, offset=0))
    return json_response({"commodity_id": c.commodity_id, "name": c.name, "sections": sections,
                          "report_html": f"/api/v1/minerals/{c.commodity_id}/dossier.html"})


HTML_200 = {200: {"content": {"text/html": {}}, "description": "A self-contained HTML report (inline SVG charts)."}}


@router.get("/minerals/{mineral}/dossier.html", responses=HTML_200, summary="The mineral's dossier as one self-contained HTML file (critmin.report)")
def mineral_dossier_html(mineral: str = MineralPath):
    from fastapi.responses import HTMLResponse

    try:
        from critmin.report import dossier
    except ModuleNotFoundError:  # pragma: no cover
        raise problem(503, "the HTML reports (critmin.report) are not installed in this build") from None
    c = lookup(mineral)
    ids = [c.commodity_id] + ([c.group_id] if c.group_id else []) + [m for m in _members(c.commodity_id)]
    html = dossier.build(c.commodity_id, _dossier_tables(ids), risk_inputs())
    return HTMLResponse(html, headers={"content-disposition": f'inline; filename="critmin_dossier_{c.commodity_id}.html"'})


def _members(commodity_id: str) -> list[str]:
    from critmin.vocab import commodities as vc

    return [x.commodity_id for x in vc.catalogue().values() if x.group_id == commodity_id]


@router.get("/report/overview.html", responses=HTML_200, summary="The overview report of every critical mineral (critmin.report)")
def overview_html(list_year: ListYear = Query(ListYear.y2025)):
    from fastapi.responses import HTMLResponse

    from critmin.report import overview

    html = overview.build(_dossier_tables([]), risk_inputs(), list_year=int(list_year))
    return HTMLResponse(html, headers={"content-disposition": 'inline; filename="critmin_overview.html"'})


__all__ = ["router", "available", "concentration_frame", "risk_inputs"]
