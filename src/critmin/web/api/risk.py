"""REST endpoints of the risk analytics: concentration, supply-risk methods, the overview,
prices and dossiers.

Each endpoint parses, calls :mod:`critmin.api` (or :mod:`critmin.report` for the HTML
reports) and presents what it returns: the figures are the CLI's and the reports', computed
once per snapshot in :func:`critmin.api.risk_inputs`. While a piece of the analytics is not
installed, its endpoint answers 503 saying so, rather than computing anything itself.
"""

from __future__ import annotations

import importlib
from enum import Enum
from typing import Optional

from fastapi import APIRouter, Query

from critmin.web.api.data import ListYear, MineralPath, Stage, lookup
from critmin.web.api.responses import RESPONSES, Format, json_response, problem, records, table_response

router = APIRouter(responses=RESPONSES, tags=["risk"])


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


def _risk_stage(stage: Optional[Stage]) -> Optional[str]:
    if stage is not None and stage.value == "unspecified":
        raise problem(422, "stage: the risk methods take mine or processing")
    return stage.value if stage else None


@router.get("/concentration", summary="Mining versus processing concentration per mineral (HHI, China's share)")
def concentration_gap(
    processing_more_concentrated: Optional[bool] = Query(None, description="Keep minerals with (or without) the flag."),
    fmt: Format = Query(Format.json, alias="format"),
    limit: int = Query(1000, ge=1, le=10000),
    offset: int = Query(0, ge=0),
):
    from critmin import api
    from critmin.analysis.concentration import GAP_HHI_THRESHOLD, GAP_MIN_PROCESSING_HHI

    df = api.processing_gap()
    if processing_more_concentrated is not None:
        df = df[df["processing_more_concentrated"] == processing_more_concentrated]
    meta = {
        "method": "Herfindahl-Hirschman index of world production shares, 0-1 scale (critmin.analysis.concentration)",
        "thresholds": {"hhi_gap": GAP_HHI_THRESHOLD, "processing_hhi": GAP_MIN_PROCESSING_HHI},
        "source": "USGS Mineral Commodity Summaries, world production tables; World Mining Data, EU CRM 2023 and "
                  "CEPII BACI where USGS has no usable series of a stage (<stage>_derived_from)",
    }
    return table_response(df, fmt, "concentration_gap", limit=limit, offset=offset, meta=meta)


@router.get("/minerals/{mineral}/concentration", summary="A mineral's concentration by stage, series and vintage (USGS MCS)")
def mineral_concentration(
    mineral: str = MineralPath,
    stage: Optional[Stage] = Query(None),
    primary_only: bool = Query(True, description="Only the series used for each (vintage, stage, year)."),
    fmt: Format = Query(Format.json, alias="format"),
):
    from critmin import api

    c = lookup(mineral)
    df = api.concentration(c.commodity_id, primary_only=primary_only)
    if stage is not None:
        df = df[df["stage"] == stage.value]
    if df.empty:
        where = f"{stage.value}-stage" if stage is not None else "mine- or processing-stage"
        raise problem(404, f"no {where} production series for {c.name} in the snapshot")
    df = df.sort_values(["stage", "vintage", "year"])
    return table_response(df, fmt, f"concentration_{c.commodity_id}",
                          meta={"commodity": c.commodity_id, "scale": "HHI 0-1", "by_stage": _stage_view(c.commodity_id)})


def _stage_view(commodity_id: str) -> list[dict]:
    """The concentration the risk methods use per stage (the rows of ``/minerals/{mineral}/stages``
    without the producers' shares), with how it was derived (``derived_from``)."""
    from critmin import api
    from critmin.errors import CritminError

    try:
        df = api.stages(commodity_id)
    except CritminError:
        return []
    return records(df.drop(columns=["shares"]))


STAGES_DOC = ("The concentration every interface shows for a mineral, one item per stage: the series "
              "critmin.analysis.concentration.stage_view chooses (latest usable USGS MCS, else World Mining Data, else "
              "EU CRM 2023 shares, else BACI world export shares), with `derived_from` saying which, the HHI, the top "
              "producer and its share (with `share_qualifier`) and every producer's share.")


def _stages_response(mineral: str, stage: Optional[str]):
    from critmin import api

    c = lookup(mineral)
    df = api.stages(c.commodity_id, stage)
    return table_response(df, Format.json, f"stages_{c.commodity_id}", meta={
        "commodity": c.commodity_id, "scale": "HHI 0-1; shares 0-1",
        "derived_from": {"usgs_production": "USGS MCS world production table",
                         "wmd_production": "World Mining Data production (plant output for processing)",
                         "eu_crm_2023_shares": "EU CRM 2023 global supply shares",
                         "baci_exports": "CEPII BACI share of world export value (a proxy for production)"},
    })


@router.get("/minerals/{mineral}/stages", summary="A mineral's concentration per stage, with how it was derived",
            description=STAGES_DOC)
def mineral_stages(mineral: str = MineralPath,
                   stage: Optional[Stage] = Query(None, description="mine or processing; default both.")):
    return _stages_response(mineral, _risk_stage(stage))


@router.get("/minerals/{mineral}/processing", summary="A mineral's processing-stage concentration, with how it was derived",
            description="The `processing` item of `/minerals/{mineral}/stages`: " + STAGES_DOC)
def mineral_processing(mineral: str = MineralPath):
    return _stages_response(mineral, "processing")


# --- supply-risk methods ---------------------------------------------------------------------------

class Method(str, Enum):
    composite = "composite"
    eu_crm = "eu_crm"
    usgs2021 = "usgs2021"
    geopolrisk = "geopolrisk"


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
    return {
        "method": r.method, "version": r.version, "commodity_id": r.commodity_id, "stage": r.stage,
        "status": r.status, "score": r.score, "low": r.low, "high": r.high, "terms": r.terms,
        "missing": list(r.missing), "sources": list(r.sources), "notes": list(r.notes),
    }


@router.get("/risk/methods", summary="Supply-risk methods: name, version, formula, references")
def risk_methods():
    risk = _methods()
    items = [_method_doc(name) for name in risk.METHODS]
    return json_response({"items": items, "total": len(items), "limit": None, "offset": 0, "meta": {}})


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
    from critmin import api

    _methods()
    df = api.ranking(method.value, _risk_stage(stage), int(list_year) if list_year else None)
    if status:
        df = df[df["status"] == status]
    doc = _method_doc(method.value)
    meta = {"method": {k: doc[k] for k in ("name", "version", "title", "summary", "references")},
            "stage": stage.value if stage else "higher of mine and processing",
            "list_year": int(list_year) if list_year else None}
    return table_response(df, fmt, f"risk_{method.value}", limit=limit, offset=offset, meta=meta)


@router.get("/minerals/{mineral}/risk", summary="A mineral's supply risk by every method, with breakdown and what is missing")
def mineral_risk(mineral: str = MineralPath, stage: Optional[Stage] = Query(None)):
    from critmin import api

    risk = _methods()
    st = _risk_stage(stage)
    c = lookup(mineral)
    items = []
    for r in api.mineral_risk(c.commodity_id, st):
        rec = _result_record(r)
        rec["title"] = risk.METHODS[r.method][1]
        rec["breakdown"] = [{"term": k, "value": v} for k, v in rec["terms"].items() if k != "weights"]
        items.append(rec)
    return json_response({"items": items, "total": len(items), "limit": None, "offset": 0,
                          "meta": {"commodity": c.commodity_id, "stage": st or "higher of mine and processing"}})


@router.get("/risk/overview", summary="The overview's ranking and risk matrix (import reliance x concentration)")
def risk_overview(
    method: Method = Query(Method.composite),
    list_year: ListYear = Query(ListYear.y2025),
):
    from critmin import api

    _methods()
    df = api.ranking(method.value, None, int(list_year))
    doc = _method_doc(method.value)
    ranking = records(df[["rank", "commodity_id", "name", "stage", "status", "score", "low", "high", "missing"]])
    ov = api.overview(int(list_year))
    return json_response({
        "method": {"name": doc["name"], "version": doc["version"], "title": doc["title"],
                   "scale": "0 (low) to 1 (high)" if method.value == "composite" else "", "unit": "score",
                   "source": "critmin.analysis.risk on the snapshot (USGS MCS, WGI, export-control register)"},
        "list_year": int(list_year),
        "ranking": ranking,
        "matrix": ov["matrix"],
    })


# --- prices and dossiers ---------------------------------------------------------------------------

@router.get("/minerals/{mineral}/prices", summary="Price series of a mineral (World Bank monthly, USGS annual unit values) with statistics")
def mineral_prices(
    mineral: str = MineralPath,
    basis: Optional[str] = Query(None, pattern=r"^(nominal|real-1998)$", description="nominal or real-1998 dollars."),
    fmt: Format = Query(Format.json, alias="format"),
):
    from critmin import api

    c = lookup(mineral)
    df, series = api.prices(c.commodity_id, basis)
    cols = ["commodity_id", "series_id", "series_label", "unit", "frequency", "basis", "year", "month", "value",
            "qualifier", "raw", "source_id"]
    return table_response(df[[x for x in cols if x in df.columns]], fmt, f"prices_{c.commodity_id}",
                          meta={"commodity": c.commodity_id, "series": series,
                                "method": "critmin.analysis.prices (log-return volatility, drawdown, CAGR); gaps stay gaps"})


@router.get("/minerals/{mineral}/dossier", summary="Everything the dossier shows for a mineral, as data (JSON)")
def mineral_dossier(mineral: str = MineralPath):
    import json as _json

    from critmin.web.api import data, tracker

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
        sections[name] = response if isinstance(response, (dict, list)) else _json.loads(response.body)

    part("mineral", lambda: data.mineral(c.commodity_id))
    part("key_facts", lambda: _key_facts(c.commodity_id))
    part("net_import_reliance", lambda: data.mineral_nir(c.commodity_id, fmt=Format.json))
    production = {}
    for s in sections.get("mineral", {}).get("production_series", []):
        if s["measure"] == "production":
            vintage = max(s["vintages"])
            body = _json.loads(data.production(c.commodity_id, stage=Stage(s["stage"]), measure=data.Measure.production,
                                                      year=None, vintage=vintage, fmt=Format.json, limit=10000, offset=0).body)
            production[s["stage"]] = body
    sections["production"] = production
    part("stages", lambda: _stages_response(c.commodity_id, None))
    part("concentration", lambda: mineral_concentration(c.commodity_id, stage=None, primary_only=True, fmt=Format.json))
    part("import_shares", lambda: data.import_shares(c.commodity_id, fmt=Format.json))
    part("risk", lambda: mineral_risk(c.commodity_id, stage=None))
    part("prices", lambda: mineral_prices(c.commodity_id, basis=None, fmt=Format.json))
    part("export_controls", lambda: tracker.export_controls(country=None, mineral=c.commodity_id, status=None,
                                                                     fmt=Format.json, limit=10000, offset=0))
    return json_response({"commodity_id": c.commodity_id, "name": c.name, "sections": sections,
                          "report_html": f"/api/v1/minerals/{c.commodity_id}/dossier.html"})


def _key_facts(commodity_id: str) -> dict:
    """The HTML dossier's key figures, as the dossier computes them (:func:`critmin.report.dossier.key_facts`)."""
    from critmin import api
    from critmin.report import dossier

    inputs = api.risk_inputs()
    return {"items": dossier.key_facts(inputs.minerals.get(commodity_id), inputs)}


HTML_200 = {200: {"content": {"text/html": {}}, "description": "A self-contained HTML report (inline SVG charts)."}}


@router.get("/minerals/{mineral}/dossier.html", responses=HTML_200, summary="The mineral's dossier as one self-contained HTML file (critmin.report)")
def mineral_dossier_html(mineral: str = MineralPath):
    from fastapi.responses import HTMLResponse

    try:
        from critmin.report import dossier
    except ModuleNotFoundError:  # pragma: no cover
        raise problem(503, "the HTML reports (critmin.report) are not installed in this build") from None
    c = lookup(mineral)
    html = dossier.for_mineral(c.commodity_id)
    return HTMLResponse(html, headers={"content-disposition": f'inline; filename="critmin_dossier_{c.commodity_id}.html"'})


@router.get("/report/overview.html", responses=HTML_200, summary="The overview report of every critical mineral (critmin.report)")
def overview_html(list_year: ListYear = Query(ListYear.y2025)):
    from fastapi.responses import HTMLResponse

    from critmin.report import overview

    html = overview.for_list(int(list_year))
    return HTMLResponse(html, headers={"content-disposition": 'inline; filename="critmin_overview.html"'})


__all__ = ["router", "available"]
