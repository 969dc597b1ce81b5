"""REST endpoints of the risk analytics: concentration, supply-risk methods, dossiers.

The analysis functions are pure (:mod:`critmin.analysis`): this module reads the tables
they need from the store, calls them and presents the frames they return. While a piece
of the analytics is not installed, its endpoint answers 503 saying so, rather than
computing anything itself.
"""

from __future__ import annotations

import importlib
import threading
from typing import Optional

from fastapi import APIRouter, Path, Query

from critmin.web.responses import Format, json_response, problem, table_response
from critmin.web.routes_data import MineralPath, Stage, lookup

router = APIRouter(tags=["risk"])

_memo: dict[tuple, object] = {}
_memo_lock = threading.Lock()


def available() -> dict[str, bool]:
    """Which parts of the analytics this installation has."""
    out = {}
    for name in ("critmin.analysis.concentration", "critmin.analysis.risk", "critmin.report"):
        try:
            importlib.import_module(name)
            out[name.rsplit(".", 1)[1]] = True
        except ModuleNotFoundError:
            out[name.rsplit(".", 1)[1]] = False
    return out


def _memoised(key: tuple, compute):
    """Whole-snapshot analysis frames, computed once per snapshot fingerprint."""
    from critmin.snapshot import default_dir

    full = (str(default_dir()), _manifest_mtime(), *key)
    with _memo_lock:
        if full in _memo:
            return _memo[full]
    value = compute()
    with _memo_lock:
        _memo[full] = value
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
    return table_response(df, fmt, f"concentration_{c.commodity_id}", meta={"commodity": c.commodity_id, "scale": "HHI 0-1"})


# --- supply-risk methods and dossiers: wired to critmin.analysis.risk / critmin.report -----------

def _risk_module():
    try:
        return importlib.import_module("critmin.analysis.risk")
    except ModuleNotFoundError:
        raise problem(503, "the supply-risk methods (critmin.analysis.risk) are not installed in this build") from None


@router.get("/risk/methods", summary="Supply-risk methods: name, version, description, references")
def risk_methods():
    risk = _risk_module()
    if not hasattr(risk, "list_methods"):
        raise problem(503, "critmin.analysis.risk has no list_methods() yet")
    return table_response(risk.list_methods(), Format.json, "risk_methods")


__all__ = ["router", "available", "concentration_frame", "Path"]
