"""Snapshot tables the calibration reads, loaded once per process (the snapshot is read-only).

Every SELECT of the calibration goes through :func:`table`; the BACI table is split by year
once (:func:`world_trade_year`), so calibrating every market reads 1.3 M rows once.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd


@lru_cache(maxsize=None)
def table(name: str) -> pd.DataFrame:
    from critmin import store

    return store.table(name)


@lru_cache(maxsize=8)
def world_trade_year(year: int) -> pd.DataFrame:
    """BACI rows of one year (``world_trade``)."""
    from critmin import store

    return store.query("SELECT * FROM world_trade WHERE year = ?", [int(year)])


def clear() -> None:
    """Forget cached tables (after a snapshot rebuild)."""
    table.cache_clear()
    world_trade_year.cache_clear()
