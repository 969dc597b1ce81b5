"""Snapshot tables the calibration reads, once per snapshot (keyed on its fingerprint).

Every read goes through the query layer (:mod:`critmin.kb`); the BACI table is split by year
once (:func:`world_trade_year`), so calibrating every market reads 1.3 M rows once. A rebuilt
snapshot changes the fingerprint, and nothing read from the old one is returned again.
"""

from __future__ import annotations

import pandas as pd

from critmin.snapshot.manifest import per_snapshot


@per_snapshot(maxsize=64)
def table(name: str) -> pd.DataFrame:
    from critmin import kb

    return kb.table(name)


@per_snapshot(maxsize=8)
def world_trade_year(year: int) -> pd.DataFrame:
    """BACI rows of one year (``world_trade``)."""
    from critmin import kb

    return kb.world_trade_year(int(year))


def clear() -> None:
    """Forget cached tables."""
    table.cache_clear()
    world_trade_year.cache_clear()
