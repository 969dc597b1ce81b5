"""World trade analysis (analysis/trade.py) on hand-made flows, with property checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.analysis import trade as tr

NAMES = {"CHN": "China", "CHL": "Chile", "ARG": "Argentina", "USA": "USA", "DEU": "Germany", "FRA": "France",
         "JPN": "Japan", "BEL": "Belgium"}


def flows(rows: list[tuple]) -> pd.DataFrame:
    """``rows``: (year, exporter, importer, hs6, value_usd, quantity_kg or None)."""
    out = []
    for y, e, i, hs, v, q in rows:
        def side(code):
            if code == "SACU":
                return 711, None, "group", "Southern African Customs Union (...1999)"
            if code == "BELUX":
                return 58, None, "group", "Belgium-Luxembourg (...1998)"
            return hash(code) % 900, code, "country", NAMES.get(code, code)

        ec, ei, ek, en = side(e)
        ic, ii, ik, inn = side(i)
        out.append({"year": y, "exporter_code": ec, "exporter_iso3": ei, "exporter_kind": ek, "exporter_name": en,
                    "importer_code": ic, "importer_iso3": ii, "importer_kind": ik, "importer_name": inn, "hs6": hs,
                    "value_usd": v, "quantity_kg": q, "quantity_qualifier": "exact" if q is not None else "missing"})
    df = pd.DataFrame(out)
    df["quantity_kg"] = df["quantity_kg"].astype("Int64")
    return df


LI = flows([
    (2024, "CHL", "CHN", "283691", 900, 90_000),
    (2024, "CHL", "USA", "283691", 100, 10_000),
    (2024, "ARG", "CHN", "283691", 300, 30_000),
    (2024, "CHN", "JPN", "282520", 500, 50_000),
    (2024, "CHN", "USA", "282520", 50, None),  # quantity not reported
    (2023, "CHL", "CHN", "283691", 800, 80_000),
])


def test_value_shares_hand_computed():
    sh = tr.partner_shares(LI[LI["year"] == 2024], "exporter", "value")
    s = dict(zip(sh["partner"], sh["share_low"]))
    assert s == pytest.approx({"CHL": 1000 / 1850, "ARG": 300 / 1850, "CHN": 550 / 1850})
    assert sh["share_low"].sum() == pytest.approx(1.0)
    assert list(sh["rank"]) == [1, 2, 3] and sh.iloc[0]["partner"] == "CHL"


def test_missing_quantity_is_left_out_not_zero():
    sh = tr.partner_shares(LI[LI["year"] == 2024], "exporter", "gross_t")
    chn = sh[sh["partner"] == "CHN"].iloc[0]
    assert chn["amount_low"] == pytest.approx(50.0)  # only the reported 50 t, the other flow is not 0 t of it
    assert sh["value_share_without_quantity"].iloc[0] == pytest.approx(50 / 1850)


def test_content_tonnes_are_intervals_and_never_exceed_gross():
    li = LI[LI["year"] == 2024]
    gross = tr.partner_shares(li, "exporter", "gross_t").set_index("partner")
    content = tr.partner_shares(li, "exporter", "content_t").set_index("partner")
    for p in content.index:
        assert content.loc[p, "amount_low"] <= content.loc[p, "amount_high"] <= gross.loc[p, "amount_low"] + 1e-9
    # lithium carbonate alone: 0.1879 t Li per t
    assert content.loc["ARG", "amount_low"] == pytest.approx(30 * 0.1879)
    # CHN ships hydroxide, LiOH.H2O 0.1654 .. Li2O 0.4645: its share is an interval
    assert content.loc["CHN", "share_low"] < content.loc["CHN", "share_high"]
    assert content["unit"].iloc[0] == "t (Li content)"


def test_content_measure_refused_without_factor():
    co = flows([(2024, "CHN", "USA", "810510", 10, 1000)])
    with pytest.raises(ValueError, match="no defensible content factor"):
        tr.partner_shares(co, "exporter", "content_t")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["CHL", "ARG", "CHN", "DEU"]), st.sampled_from(["283691", "282520"]),
                          st.integers(1, 10_000)), min_size=1, max_size=12))
def test_shares_sum_to_one_and_bounds_contain_every_factor_choice(items):
    df = flows([(2024, e, "USA", hs, q, q * 1000) for e, hs, q in items])
    for measure in ("value", "gross_t"):
        sh = tr.partner_shares(df, "exporter", measure)
        assert sh["share_low"].sum() == pytest.approx(1.0)
    sh = tr.partner_shares(df, "exporter", "content_t").set_index("partner")
    assert (sh["share_low"] <= sh["share_high"] + 1e-12).all()
    # any factor inside the concordance bounds gives shares inside the computed bounds
    rng = np.random.default_rng(len(items))
    gross = df.assign(g=df["quantity_kg"].astype(float) / 1000).pivot_table(index="exporter_iso3", columns="hs6", values="g", aggfunc="sum", fill_value=0.0)
    lo, hi = tr.factors(pd.Series(list(gross.columns)))
    for _ in range(20):
        k = lo + rng.random(len(lo)) * (hi - lo)
        s = gross.to_numpy() @ k / (gross.to_numpy() @ k).sum()
        for p, v in zip(gross.index, s):
            assert sh.loc[p, "share_low"] - 1e-9 <= v <= sh.loc[p, "share_high"] + 1e-9


def test_aggregates_kept_and_eu_bloc_excludes_intra_trade():
    df = flows([
        (1998, "SACU", "USA", "283691", 10, 1),
        (1998, "CHL", "DEU", "283691", 40, 4),
        (1998, "FRA", "DEU", "283691", 30, 3),  # intra-EU
        (1998, "CHL", "BELUX", "283691", 20, 2),  # Belgium-Luxembourg counts as inside the EU
        (1998, "BELUX", "FRA", "283691", 5, 1),  # intra-EU
    ])
    world = tr.partner_shares(df, "exporter", "value")
    assert "Southern African Customs Union (...1999)" in set(world["partner"])
    assert world["share_low"].sum() == pytest.approx(1.0)
    eu = tr.importer_rows(df, "EU27")
    assert set(eu["exporter_iso3"].dropna()) == {"CHL"} and eu["value_usd"].sum() == 60


def test_country_share_series_and_matrix():
    s = tr.country_share_series(LI, "CHL").set_index("year")
    assert s.loc[2023, "share_low"] == 1.0 and s.loc[2024, "share_low"] == pytest.approx(1000 / 1850)
    m = tr.bilateral_matrix(LI[LI["year"] == 2024], "value", top=2)
    assert m.to_numpy().sum() == pytest.approx(1850)
    with pytest.raises(ValueError, match="one year"):
        tr.bilateral_matrix(LI, "value")


def test_trade_block_none_without_flows_and_shapes():
    assert tr.trade_block(LI, "USA", "cobalt", "processing", ["282200"]) is None
    b = tr.trade_block(tr.importer_rows(LI, "USA"), "USA", "lithium", "processing", ["283691", "282520"])
    assert b.year == 2024 and b.codes == ("282520", "283691") and b.basis == "Li"
    assert b.value_usd.sum() == 150 and b.value_without_quantity == pytest.approx(50 / 150)
    assert b.measure() == "content_t"


def test_export_concentration():
    c = tr.export_concentration(LI)
    assert c["year"] == 2024 and c["top1_country"] == "CHL"
    assert c["hhi"] == pytest.approx((1000 / 1850) ** 2 + (300 / 1850) ** 2 + (550 / 1850) ** 2)


def test_real_china_share_of_rare_earth_compounds(raw_data_dir):
    from critmin.sources.cepii_baci import read_baci

    t = read_baci(raw_data_dir).tables["world_trade"]
    ree = tr.select(t, ["284690"])
    s = tr.country_share_series(ree, "CHN").set_index("year")
    assert list(s.index) == list(range(1995, 2025))
    assert 0 < s.loc[2024, "share_low"] < 1 and not math.isnan(s.loc[1995, "share_low"])
    # shares over complete data sum to one in every year
    sh = tr.partner_shares(ree, "exporter", "value")
    assert np.allclose(sh.groupby("year")["share_low"].sum(), 1.0)
