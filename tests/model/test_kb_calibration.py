"""Chain-engine markets calibrated from the knowledge base (critmin.model.kb) on the committed snapshot.

Lists the calibrated markets (at least 40, the eleven named in issue 10 among them), checks that
each balances at both corners, names its sources and assumptions, refuses quantities and prices on
different bases, and carries ranges where inputs are bounded.
"""

import numpy as np
import pandas as pd
import pytest

from critmin.model.kb import Figure, KBBasisError, KBDataError, MarketInputs, calibrate_market, calibrated, markets
from critmin.model.kb import production as kbprod

NAMED = [("rare-earths", "mine"), ("graphite", "mine"), ("lithium", "processing"), ("nickel", "mine"),
         ("nickel", "processing"), ("cobalt", "processing"), ("gallium", "processing"), ("germanium", "processing"),
         ("antimony", "mine"), ("antimony", "processing"), ("tungsten", "mine"), ("manganese", "mine"),
         ("platinum", "processing"), ("palladium", "processing"), ("rhodium", "processing")]


@pytest.fixture(scope="module")
def table():
    return markets()


@pytest.fixture(scope="module")
def done():
    return calibrated()


def test_at_least_40_markets_calibrate_with_the_named_ones(table, done):
    ok = table[(table["status"] == "calibrated") & (table["stage"] != "chain")]
    listed = sorted(zip(ok["mineral"], ok["stage"]))
    print(f"{len(listed)} calibrated:", listed)
    assert len(listed) >= 40
    assert set(NAMED) <= set(listed), sorted(set(NAMED) - set(listed))
    assert set(listed) == set(done)


def test_every_market_in_the_universe_has_a_status_and_every_missing_one_says_what(table):
    single = table[table["stage"] != "chain"]
    assert len(single) == 122  # 60 minerals of the 2025 list + rare earths, at two stages
    assert list(single["market"]) == [f"kb:{m}:{s}" for m, s in zip(single["mineral"], single["stage"])]
    assert set(table["status"]) <= {"calibrated", "missing"}
    missing = table[table["status"] == "missing"]
    assert (missing["missing"].str.len() > 20).all()
    # rare-earth separation calibrates in REO content; an NdPr market does not, and says why
    assert table.set_index("market").loc["kb:rare-earths:processing", "status"] == "calibrated"
    ndpr = table.set_index("market").loc["kb:neodymium:processing", "missing"]
    assert "NdPr share" in ndpr and "REO content only" in ndpr


@pytest.mark.parametrize("corner", ["low", "high"])
def test_every_calibrated_market_balances_and_names_sources_and_assumptions(done, corner):
    for key, k in done.items():
        m = getattr(k, corner)
        st = m.stages[0]
        assert st.basis == k.inputs.basis and st.unit == "t" and st.price_unit == "USD/t"
        # origins: production = row sums; destinations: use = column sums; every flow >= 0
        assert np.all(st.flows >= 0), key
        np.testing.assert_allclose(st.flows.sum(axis=1), st.production, rtol=1e-12)
        np.testing.assert_allclose(st.flows.sum(axis=0), st.use, rtol=1e-12)
        np.testing.assert_allclose(st.production.sum(), st.use.sum(), rtol=1e-12)
        # production by region equals the inputs' production of the corner
        total = sum(f.at(corner) for f in k.inputs.production.values())
        assert st.production.sum() <= total * (1 + 1e-9), key
        assert np.all(st.prices > 0)
        assert np.isclose(st.prices[0], k.inputs.price.low)
        assert len(m.sources) >= 1, key
        assert any("price:" in a for a in m.assumptions), key
        assert any("flows:" in a for a in m.assumptions), key
        assert "USA" in m.regions and "ROW" in m.regions


def test_a_rare_earth_mine_market_priced_at_the_ndpr_oxide_price_is_refused():
    with pytest.raises(KBBasisError, match="NdPr oxide.*REO|REO.*NdPr oxide|same basis"):
        calibrate_market("rare-earths", "mine", price_series="NdPr")
    with pytest.raises(KBBasisError, match="same basis"):
        calibrate_market("rare-earths", "mine", price_series="Mischmetal")


def test_titanium_concentrates_in_tio2_with_gross_weight_prices_are_refused(table):
    row = table[(table["mineral"] == "titanium") & (table["stage"] == "mine")].iloc[0]
    assert row["status"] == "missing" and "same basis" in row["missing"]


def test_inputs_object_refuses_a_price_on_another_basis():
    q = {"CHN": Figure.point(100.0, "t", "REO", ("x",))}
    flows = pd.DataFrame(columns=["exporter", "importer", "low", "high"])
    price = Figure.point(55000.0, "USD/t", "NdPr oxide", ("usgs",))
    with pytest.raises(KBBasisError, match="same basis"):
        MarketInputs("rare-earths", "mine", 2024, "REO", q, flows, "none", price, "NdPr oxide", ("CHN", "ROW"))
    with pytest.raises(KBBasisError):
        MarketInputs("rare-earths", "mine", 2024, "REO", {"CHN": Figure.point(1.0, "t", "Nd", ())}, flows, "none",
                     Figure.point(1.0, "USD/t", "REO", ()), "p", ("CHN", "ROW"))
    with pytest.raises(KBDataError, match="low <= high"):
        Figure(5.0, 1.0, "t", "REO")
    with pytest.raises(KBDataError, match="finite"):
        Figure(float("nan"), 1.0, "t", "REO")


def test_bounded_inputs_give_two_corners_that_differ_and_are_both_solved(done):
    bounded = {k: v for k, v in done.items() if v.bounded}
    assert len(bounded) >= 10
    for key in [("lithium", "processing"), ("cobalt", "processing"), ("manganese", "mine")]:
        k = bounded[key]
        assert k.low is not k.high
        assert (k.low.stages[0].flows != k.high.stages[0].flows).any()
        assert any("low and high corners" in a for a in k.high.assumptions)
    k = bounded[("cobalt", "processing")]
    res = k.simulate({"export_restrictions": [{"exporter": "CHN", "importers": ["USA"], "stage": "processing",
                                               "kind": "ban"}]}, {"start": 2025, "end": 2025})
    assert set(res) == {"low", "high"}
    assert all(r.converged for r in res.values())
    p = {c: r.prices().loc[(2025, "processing", "USA"), "use_price_change_pct"] for c, r in res.items()}
    assert all(v > 0 for v in p.values())


def test_a_withheld_us_output_is_an_interval_never_zero(done):
    fig = done[("fluorspar", "mine")].inputs.production["USA"]
    assert fig.low == 0 and fig.high > 0 and "withheld" in fig.note
    lith = done[("lithium", "processing")].inputs
    assert any(not f.is_point for f in lith.production.values())


def test_published_us_import_shares_are_honoured_for_gallium(done):
    m = done[("gallium", "processing")].low
    st = m.stages[0]
    us = m.regions.index("USA")
    imports = st.flows[:, us].copy()
    imports[us] = 0
    chn = imports[m.regions.index("CHN")] / imports.sum()
    assert abs(chn - 0.18) < 0.01  # MCS 2026: China 18% of US gallium imports 2021-24


def _rows(entries, world):
    rows = [{"country_name": n, "country_iso3": iso, "country_kind": "country", "qualifier": q, "value": v,
             "low": v, "high": v, "raw": raw} for n, iso, q, v, raw in entries]
    if world is not None:
        rows.append({"country_name": "World", "country_iso3": None, "country_kind": "world", "qualifier": "exact",
                     "value": world, "low": world, "high": world, "raw": str(world)})
    return pd.DataFrame(rows)


def test_withheld_figures_are_bounded_by_the_world_total_less_the_published_countries():
    out = kbprod.ProductionRead({}, "test", ["t"])
    rows = _rows([("China", "CHN", "exact", 80.0, "80"), ("Brazil", "BRA", "withheld", np.nan, "W"),
                  ("Peru", "PER", "withheld", np.nan, "W")], 100.0)
    kbprod._collect(out, rows, 1.0, "X", "fixture", name_col="country_name", iso_col="country_iso3",
                    kind_col="country_kind", cid="x", stage="mine", year=2024)
    assert out.figures["BRA"].low == 0 and out.figures["BRA"].high == 20.0
    assert out.caps == [(("BRA", "PER"), 20.0)]
    assert out.world().high == pytest.approx(100.0)
    with pytest.raises(KBDataError, match="never 0"):
        kbprod._collect(kbprod.ProductionRead({}, "t", ["t"]),
                        _rows([("China", "CHN", "exact", 80.0, "80"), ("Peru", "PER", "withheld", np.nan, "W")], None),
                        1.0, "X", "fixture", name_col="country_name", iso_col="country_iso3", kind_col="country_kind",
                        cid="x", stage="mine", year=2024)
