"""Upstream shares from world trade (CEPII BACI): the provider on a small frame written here, and
on the committed snapshot where production shares leave a stage empty."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import CritminError
from critmin.exposure.trade_shares import TradeShares
from critmin.exposure.upstream import ChainedShares, FixedShares

REAL = Path(__file__).resolve().parents[2] / "src" / "critmin" / "snapshot_data"


def fake_trade(rows, year=2024, codes="810310"):
    def trade(mineral, stage=None, importer=None, **kw):
        if mineral == "nothing":
            raise CritminError("no HS1992 code of the BACI extract reads as nothing")
        df = pd.DataFrame(rows, columns=["partner_iso3", "partner_kind", "share_low", "share_high"])
        df = df.assign(year=year, codes=codes)
        df.attrs["note"] = f"HS1992 codes {codes}"
        df.attrs["source"] = "CEPII BACI (test)"
        return df
    return trade


def test_shares_aggregates_unassigned_and_labels(monkeypatch):
    from critmin import api

    monkeypatch.setattr(api, "trade", fake_trade([("CHN", "country", 0.5, 0.5), ("USA", "country", 0.3, 0.3),
                                                  ("Other Asia, nes", "aggregate", 0.2, 0.2)]))
    ss = TradeShares(last_year=2024).shares("tantalum", "processing")
    assert set(ss.shares) == {"CHN", "USA"}
    assert ss.shares["CHN"].low == pytest.approx(0.5)
    # the BACI aggregate is no country: it is the unassigned share, not spread over the others
    assert ss.unassigned.low == pytest.approx(0.2) and ss.unassigned.high == pytest.approx(0.2)
    assert ss.basis == "world trade" and "CEPII BACI world exports 2024" in ss.source and "proxy" in ss.source


def test_bounded_shares_stay_intervals(monkeypatch):
    from critmin import api

    monkeypatch.setattr(api, "trade", fake_trade([("CHN", "country", 0.4, 0.6), ("JPN", "country", 0.2, 0.3)]))
    ss = TradeShares(last_year=2024).shares("tantalum", "processing")
    assert (ss.shares["CHN"].low, ss.shares["CHN"].high) == (0.4, 0.6)
    assert ss.unassigned.low == pytest.approx(0.1) and ss.unassigned.high == pytest.approx(0.4)


def test_stale_codes_and_no_codes_give_no_shares(monkeypatch):
    from critmin import api

    monkeypatch.setattr(api, "trade", fake_trade([("USA", "country", 0.64, 0.64)], year=2016))
    assert TradeShares(last_year=2024).shares("germanium", "processing") is None  # 2016 is too old in 2024
    assert TradeShares(last_year=2024).shares("nothing", "mine") is None
    assert TradeShares(last_year=2024).shares("graphite", "processing", form="synthetic") is None


def test_production_first_trade_fills_the_gap(monkeypatch):
    from critmin import api

    monkeypatch.setattr(api, "trade", fake_trade([("CHN", "country", 1.0, 1.0)]))
    chain = ChainedShares([FixedShares({("cobalt", "mine"): {"COD": 0.7}}), TradeShares(last_year=2024)])
    assert chain.shares("cobalt", "mine").basis == "user assumption"
    assert chain.shares("tantalum", "processing").basis == "world trade"


@pytest.mark.skipif(not (REAL / "manifest.json").is_file(), reason=f"no committed snapshot at {REAL}")
def test_radar_tantalum_processing_is_inferred_from_trade(monkeypatch):
    from critmin import exposure as ex, store

    monkeypatch.setenv("CRITMIN_SNAPSHOT", str(REAL))
    store.reset()
    res = ex.assess(ex.example_path("radar_module"), diversify=False)
    ta = res.paths[(res.paths["commodity_id"] == "tantalum") & (res.paths["stage"] == "processing")]
    assert len(ta) > 1 and set(ta["basis"].astype(str)) == {"inferred"}
    assert all(str(s).startswith("world trade: CEPII BACI world exports") for s in ta["share_source"])
    # the mine stage keeps its production shares (production comes first)
    mine = res.paths[(res.paths["commodity_id"] == "tantalum") & (res.paths["stage"] == "mine")]
    assert all("USGS" in str(s) or "EU CRM" in str(s) for s in mine["share_source"])
    # shares of a line add up to its tonnes at each stage, within the bounds
    line_t = res.lines[res.lines["commodity_id"] == "tantalum"]["tonnes_high"].sum()
    assert ta["tonnes_low"].sum() <= line_t * (1 + 1e-9) <= ta["tonnes_high"].sum() * (1 + 1e-9) + line_t
    store.reset()
