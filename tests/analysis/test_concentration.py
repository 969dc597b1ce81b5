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


# ---------------------------------------------------------------- audit defect: incomparable or withheld sibling series
# Issue 9, item 8: forms published for different countries became one-country series
# (boron mining "Argentina 100%", processing "Turkey 100%", HHI 1.0 with status ok; the
# withheld US share shown as 0.0); tellurium: US refinery share 0.0 where US output is
# withheld in a sibling series, Sweden's concentrate series 100%.


def _boron_like():
    """MCS 2024 boron: each form is its own series, one country each, world total XX."""
    return production(
        prod_rows("boron", "mine", [("ARG", "Argentina", 130)], label="boron, crude ore", vintage=2024, year=2023),
        prod_rows("boron", "mine", [("PER", "Peru", 200)], label="crude borates", vintage=2024, year=2023),
        prod_rows("boron", "processing", [("TUR", "Türkiye", 2200)], label="refined borates", vintage=2024, year=2023),
        prod_rows("boron", "processing", [("DEU", "Germany", 60)], label="boron compounds", vintage=2024, year=2023),
        prod_rows("boron", "unspecified", [("USA", "United States", "W")], label="borates", vintage=2024, year=2023),
        prod_rows("boron", "unspecified", [], label="boron total all types", vintage=2024, year=2023, world="XX"),
    )


def test_fragment_series_of_different_forms_are_not_complete():
    t = conc.concentration_table(_boron_like())
    for label in ("boron, crude ore", "crude borates", "refined borates", "boron compounds"):
        r = t[t["series_label"] == label].iloc[0]
        assert r["status"] == "insufficient_data", label
        assert math.isnan(r["hhi"]) and math.isnan(r["top1_share"]) and math.isnan(r["us_share"]), label
        assert "series" in r["status_reason"], label
    assert conc.latest(t).empty  # no usable boron series at all


def _tellurium_like():
    """MCS 2026 tellurium: world total 981 covers Sweden's concentrate series; US withheld
    in a sibling series."""
    main = [("CHN", "China", 750), ("JPN", "Japan", 70), ("RUS", "Russia", 64), ("CAN", "Canada", 27),
            ("UZB", "Uzbekistan", 18), ("ZAF", "South Africa", 5), ("BGR", "Bulgaria", 1),
            (None, "Other countries", "NA", "other")]
    return production(
        prod_rows("tellurium", "processing", main, label="Refinery production", world=981),
        prod_rows("tellurium", "processing", [("SWE", "Sweden", 46)], label="Refinery production: concentrate"),
        prod_rows("tellurium", "processing", [("USA", "United States", "W")], label="Refinery production: copper telluride"),
    )


def test_withheld_sibling_series_makes_the_main_series_partial():
    t = conc.concentration_table(_tellurium_like())
    main = t[t["series_label"] == "Refinery production"].iloc[0]
    assert main["us_status"] == "withheld_or_bounded" and math.isnan(main["us_share"])
    assert main["status"] == "partial" and "USA" in main["unknown_countries"]
    # Sweden's concentrate is inside the world total (935 + 46 = 981): folded in, not 100%
    assert main["listed_share"] == pytest.approx(981 / 981)
    assert main["china_share"] == pytest.approx(750 / 981)
    for label in ("Refinery production: concentrate", "Refinery production: copper telluride"):
        r = t[t["series_label"] == label].iloc[0]
        assert r["status"] == "insufficient_data" and math.isnan(r["hhi"]), label
    lat = conc.latest(t)
    assert len(lat) == 1 and lat.iloc[0]["series_label"] == "Refinery production"


def test_sibling_that_does_not_fit_the_total_stays_unknown():
    df = production(
        prod_rows("x", "processing", [("CHN", "China", 90), ("JPN", "Japan", 10)], world=100),
        prod_rows("x", "processing", [("SWE", "Sweden", 40)], label="Refinery production: concentrate"),
    )
    main = conc.concentration_table(df).query("series_label == 'Refinery production'").iloc[0]
    assert main["status"] == "partial" and main["unknown_countries"] == ["SWE"]
    assert main["china_share"] == pytest.approx(0.9)


def test_single_complete_series_without_world_total_still_uses_sum_of_rows():
    df = production(prod_rows("x", "mine", [("AUS", "Australia", 30), ("CHL", "Chile", 10)]))
    r = conc.concentration_table(df).iloc[0]
    assert r["status"] == "ok" and r["share_basis"] == "sum_of_rows" and r["hhi"] == pytest.approx(0.75**2 + 0.25**2)


def test_real_boron_and_tellurium_are_not_reported_as_complete(raw_data_dir):
    from critmin.sources.usgs_mcs2026 import read_mcs2026
    from critmin.sources.usgs_mcs_world import read_mcs2024_world

    prod = pd.concat([read_mcs2024_world(raw_data_dir).tables["production"],
                      read_mcs2026(raw_data_dir).tables["production"]], ignore_index=True)
    t = conc.concentration_table(prod[prod["commodity_id"].isin(["boron", "tellurium"])])
    usable = conc.latest(t)
    for _, r in usable.iterrows():
        # nothing is a one-country 100% series any more
        assert not (r["commodity_id"] == "boron" and r["hhi"] == 1.0)
    te = usable[(usable["commodity_id"] == "tellurium") & (usable["stage"] == "processing")].iloc[0]
    assert te["vintage"] == 2026 and te["us_status"] == "withheld_or_bounded" and math.isnan(te["us_share"])
    assert te["status"] == "partial"
    assert not ((t["commodity_id"] == "tellurium") & (t["top1_country"] == "SWE") & (t["top1_share"] == 1.0)).any()
