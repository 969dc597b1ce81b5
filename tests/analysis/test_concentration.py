import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.analysis import concentration as conc
from tests.analysis.frames import prod_rows, production


def test_hhi_hand_computed():
    assert conc.hhi([0.5, 0.3, 0.2]) == pytest.approx(0.25 + 0.09 + 0.04)
    assert conc.hhi([1.0]) == 1.0
    assert conc.top_share([0.5, 0.3, 0.2], 1) == 0.5
    assert conc.top_share([0.1, 0.5, 0.3, 0.05], 3) == pytest.approx(0.9)


def test_hhi_refuses_missing_and_bad_shares():
    with pytest.raises(ValueError, match="missing"):
        conc.hhi([0.5, float("nan")])
    with pytest.raises(ValueError):
        conc.hhi([0.7, 0.7])
    with pytest.raises(ValueError):
        conc.hhi([-0.1, 0.5])
    with pytest.raises(ValueError):
        conc.shares_of([1.0, float("nan")])


@given(st.lists(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), min_size=1, max_size=40))
def test_hhi_between_one_over_n_and_one(quantities):
    s = conc.shares_of(quantities)
    assert s.sum() == pytest.approx(1.0, abs=1e-9)
    h = conc.hhi(s)
    n = len(quantities)
    assert 1.0 / n - 1e-9 <= h <= 1.0 + 1e-9


def test_table_gallium_like_case():
    # China 98 of 100, Japan 1, Russia 1: hand-computed HHI 0.9606, top-3 = 1.
    df = production(prod_rows("gallium", "processing", [("CHN", "China", 980), ("JPN", "Japan", 10), ("RUS", "Russia", 10)], world=1000))
    t = conc.concentration_table(df)
    r = t.iloc[0]
    assert r["status"] == "ok" and r["share_basis"] == "world_total"
    assert r["hhi"] == pytest.approx(0.98**2 + 0.01**2 + 0.01**2)
    assert r["top1_country"] == "CHN" and r["top1_share"] == pytest.approx(0.98)
    assert r["top3_share"] == pytest.approx(1.0)
    assert r["china_share"] == pytest.approx(0.98)
    assert r["n_producers"] == 3


def test_other_countries_and_hhi_max():
    df = production(prod_rows("x", "mine", [("AUS", "Australia", 50), ("CHL", "Chile", 30),
                                            (None, "Other countries", 20, "other")], world=100))
    r = conc.concentration_table(df).iloc[0]
    assert r["hhi"] == pytest.approx(0.25 + 0.09)
    assert r["hhi_max"] == pytest.approx(0.25 + 0.09 + 0.04)
    assert r["other_share"] == pytest.approx(0.2)
    assert r["china_share"] == 0.0 and not r["china_listed"]


def test_withheld_country_never_becomes_zero():
    df = production(prod_rows("x", "mine", [("CHN", "China", "W"), ("AUS", "Australia", 40)], world=100))
    r = conc.concentration_table(df).iloc[0]
    assert r["status"] == "partial"
    assert math.isnan(r["china_share"])
    assert r["unknown_countries"] == ["CHN"]
    assert r["hhi"] == pytest.approx(0.16) and r["hhi_max"] == pytest.approx(0.16 + 0.36)


def test_us_withheld_is_flagged():
    df = production(prod_rows("x", "mine", [("USA", "United States", "W"), ("AUS", "Australia", 40)], world=100))
    r = conc.concentration_table(df).iloc[0]
    assert r["us_status"] == "withheld_or_bounded" and math.isnan(r["us_share"])


def test_no_world_total_uses_sum_of_rows_only_when_all_known():
    df = production(prod_rows("x", "mine", [("AUS", "Australia", 30), ("CHL", "Chile", 10)], world="XX"))
    r = conc.concentration_table(df).iloc[0]
    assert r["share_basis"] == "sum_of_rows" and r["hhi"] == pytest.approx(0.75**2 + 0.25**2)
    df2 = production(prod_rows("x", "mine", [("AUS", "Australia", 30), ("CHL", "Chile", "W")], world="XX"))
    r2 = conc.concentration_table(df2).iloc[0]
    assert r2["status"] == "insufficient_data" and math.isnan(r2["hhi"])


def test_primary_series_and_latest():
    a = prod_rows("x", "mine", [("AUS", "Australia", 30), ("CHL", "Chile", 10)], world=40, label="Mine, gross weight")
    b = prod_rows("x", "mine", [("AUS", "Australia", 3), ("CHL", "Chile", 1), ("PER", "Peru", 1)], world=5, label="Mine, content")
    c = prod_rows("x", "mine", [("AUS", "Australia", 3)], world=5, vintage=2025, year=2023)
    t = conc.concentration_table(production(a, b, c))
    prim = t[t["primary"] & (t["vintage"] == 2026)]
    assert prim["series_label"].tolist() == ["Mine, content"]
    lat = conc.latest(t)
    assert len(lat) == 1 and lat.iloc[0]["vintage"] == 2026


def test_processing_gap_flags():
    mine = prod_rows("graphite", "mine", [("CHN", "China", 40), ("MOZ", "Mozambique", 30), ("USA", "United States", 30)], world=100)
    proc = prod_rows("graphite", "processing", [("CHN", "China", 95), ("JPN", "Japan", 5)], world=100)
    gap = conc.processing_gap(conc.concentration_table(production(mine, proc)))
    r = gap.iloc[0]
    assert r["hhi_gap"] == pytest.approx(0.95**2 + 0.05**2 - (0.16 + 0.09 + 0.09))
    assert bool(r["processing_more_concentrated"]) and bool(r["us_mines_imports_processed"])
    assert r["china_gap"] == pytest.approx(0.55)


def test_processing_gap_missing_stage_is_noted_not_flagged():
    mine = prod_rows("x", "mine", [("AUS", "Australia", 1)], world=1)
    gap = conc.processing_gap(conc.concentration_table(production(mine)))
    assert not gap.iloc[0]["processing_more_concentrated"]
    assert "no usable processing-stage data" in gap.iloc[0]["note"]


def test_vintage_change():
    v23 = prod_rows("x", "processing", [("CHN", "China", 60), ("JPN", "Japan", 40)], world=100, vintage=2023, year=2022)
    v26 = prod_rows("x", "processing", [("CHN", "China", 90), ("JPN", "Japan", 10)], world=100, vintage=2026, year=2025)
    ch = conc.vintage_change(conc.concentration_table(production(v23, v26)))
    r = ch.iloc[0]
    assert r["china_change"] == pytest.approx(0.3)
    assert r["hhi_change"] == pytest.approx((0.81 + 0.01) - (0.36 + 0.16))
    assert r["first_year"] == 2022 and r["last_year"] == 2025


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12), st.integers(min_value=0, max_value=11))
def test_table_hhi_matches_scalar_and_withheld_is_unknown(values, withheld_at):
    rows = [(f"C{i:02d}", f"Country {i}", v) for i, v in enumerate(values)]
    total = sum(values)
    t = conc.concentration_table(production(prod_rows("p", "mine", rows, world=total)))
    assert t.iloc[0]["hhi"] == pytest.approx(conc.hhi(np.array(values) / total))
    assert t.iloc[0]["listed_share"] == pytest.approx(1.0)
    k = withheld_at % len(values)
    rows_w = [(iso, nm, "W" if i == k else v) for i, (iso, nm, v) in enumerate(rows)]
    tw = conc.concentration_table(production(prod_rows("p", "mine", rows_w, world=total))).iloc[0]
    known = np.array([v for i, v in enumerate(values) if i != k]) / total
    assert tw["hhi"] == pytest.approx(float(np.sum(known**2)))
    assert tw["hhi_max"] >= tw["hhi"]
    assert tw["unknown_countries"] == [rows[k][0]]


def test_eu_concentration_table_bounds_and_material_choice():
    rows = []
    for material, cid, iso, val, q, hi in [
        ("Kaolin", "clays", "CHN", 40.0, "exact", 40.0), ("Kaolin", "clays", "USA", 60.0, "exact", 60.0),
        ("Clays", "clays", "AUS", 70.0, "exact", 70.0), ("Clays", "clays", "SMR", None, "less_than", 0.1),
        ("Clays", "clays", "PRK", None, "withheld", None),
    ]:
        rows.append({"material": material, "commodity_id": cid, "scope": "global", "stage": "processing",
                     "country_iso3": iso, "country_name": iso, "country_kind": "country", "value": val, "qualifier": q,
                     "low": val, "high": hi, "raw": "", "trade_factor": 1.0, "source_id": "eu"})
    t = conc.eu_concentration_table(pd.DataFrame(rows))
    assert len(t) == 1
    r = t.iloc[0]
    assert "(Clays)" in r["series_label"]             # the material named like the commodity wins
    assert r["hhi"] == pytest.approx(0.49)             # '<0.1%' counts 0 at the low end
    assert r["hhi_max"] == pytest.approx(0.49 + 0.001**2 + (1 - 0.701) ** 2)
    assert r["status"] == "partial" and r["unknown_countries"] == ["PRK"]
    assert r["stage"] == "processing" and math.isnan(r["year"])
