"""Linked mine -> processing chains from the knowledge base (critmin.model.kb.linked, rare_earths).

The fixtures of the feed balance always run; the chains themselves are built from the committed
snapshot. Checked: every chain balances at every stage and region at both corners, its coefficients
are the feed balance's, the stages are on one basis with the mine price below the processing price,
contradictory sources are refused with the regions' figures, US ore shipped abroad for processing
is a mine-stage flow, new US processing draws on the ore market, and the registry lists every chain
with its sources and link.
"""

import numpy as np
import pytest

from critmin.model.kb import KBDataError, by_key, calibrate_chain, calibrate_market, chains, feed_balance, markets
from critmin.model.kb import rare_earths
from critmin.model.kb.linked import MIN_COVERAGE, chain_regions
from critmin.model.kb.specs import PAYABLE

LINKED = ("antimony", "copper", "lead", "rare-earths", "tin", "zinc")


@pytest.fixture(scope="module")
def done():
    return chains()


# --------------------------------------------------------------------- feed balance (fixtures)
def test_feed_balance_scales_a_short_region_and_leaves_a_surplus_as_final_use():
    bal = feed_balance(["A", "B", "C", "ROW"], np.array([10.0, 50.0, 5.0, 0.0]), np.array([40.0, 20.0, 0.0, 0.0]))
    np.testing.assert_allclose(bal.need, [40, 20, 0, 0])
    np.testing.assert_allclose(bal.draw, [10, 20, 0, 0])
    np.testing.assert_allclose(bal.feed_share, [0.25, 1, 1, 1])
    np.testing.assert_allclose(bal.coefficient, [0.25, 1, 1, 1])  # no processing: the mass balance, for new plants
    np.testing.assert_allclose(bal.surplus, [0, 30, 5, 0])
    assert bal.coverage == pytest.approx(30 / 60)
    assert bal.unprocessed == pytest.approx(35 / 65)
    notes = " ".join(bal.notes("low", "Cu"))
    assert "SCALED: A's processors need 40" in notes and "B receives 50" in notes
    # never a flow invented: what is drawn never exceeds what the ore market delivers
    assert np.all(bal.draw <= bal.available) and np.all(bal.draw <= bal.need)


def test_feed_balance_with_a_recovery_below_one_needs_more_feed():
    bal = feed_balance(["A", "ROW"], np.array([100.0, 10.0]), np.array([90.0, 0.0]), mass_balance=1 / 0.9)
    assert bal.need[0] == pytest.approx(100.0)
    assert bal.feed_share[0] == pytest.approx(1.0) and bal.surplus[0] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(KBDataError, match="mass-balance"):
        feed_balance(["A"], np.array([1.0]), np.array([1.0]), mass_balance=0.0)
    with pytest.raises(KBDataError, match="finite"):
        feed_balance(["A"], np.array([-1.0]), np.array([1.0]))


# --------------------------------------------------------------------- the chains
def test_at_least_five_minerals_get_a_linked_chain(done):
    print(f"{len(done)} linked chains:", sorted(done))
    assert set(LINKED) <= set(done)


@pytest.mark.parametrize("corner", ["low", "high"])
def test_every_linked_chain_balances_at_every_stage_and_region(done, corner):
    for mineral, k in done.items():
        m = getattr(k, corner)
        assert [s.name for s in m.stages] == ["mine", "processing"], mineral
        mine, proc = m.stages
        assert mine.basis == proc.basis and mine.unit == proc.unit == "t", mineral
        for st in m.stages:
            assert np.all(st.flows >= 0), (mineral, st.name)
            np.testing.assert_allclose(st.flows.sum(axis=1), st.production, rtol=1e-12)
            np.testing.assert_allclose(st.flows.sum(axis=0), st.use, rtol=1e-12)
            assert st.production.sum() == pytest.approx(st.use.sum(), rel=1e-12)
        bal = k.balance[corner]
        # the ore market's use in each region = processors' draw + mine-stage final use, to rounding
        np.testing.assert_allclose(mine.use, bal.draw + bal.surplus, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(m.derived_use(0), bal.draw, rtol=1e-9, atol=1e-6)
        assert np.all(m.final_use(0) >= -1e-6 * mine.use.max()), mineral
        np.testing.assert_allclose(proc.input_coefficient, bal.coefficient, rtol=1e-12)
        assert np.all(proc.input_coefficient[proc.production > 0] > 0)
        assert bal.coverage >= MIN_COVERAGE
        # a processor's feed costs less than its output: the mine price sits below the processing price
        assert np.all(m.input_cost_share(1) < 1), mineral
        assert np.all(mine.prices < proc.prices), mineral
        # both stages carry the inputs' tonnes (exports above output were scaled, never added)
        mine_in, proc_in = k.inputs[corner]
        assert mine.production.sum() <= sum(f.at(corner) for f in mine_in.production.values()) * (1 + 1e-9)
        assert proc.production.sum() == pytest.approx(sum(f.at(corner) for f in proc_in.production.values()),
                                                      rel=1e-9)
        assert m.sources and any("feed balance" in a for a in m.assumptions), mineral
        assert any("input coefficient" in a for a in m.assumptions), mineral


def test_a_linked_chain_solves_its_baseline_as_a_steady_state(done):
    k = done["copper"]
    res = k.simulate(None, {"start": 2025, "end": 2026})
    for corner, r in res.items():
        assert r.converged, corner
        p = r.prices()
        assert np.allclose(p["use_price_change_pct"].to_numpy(float), 0.0, atol=1e-8)


def test_payable_corners_price_the_mine_stage_below_the_refined_price(done):
    k = done["zinc"]
    p_ref = k.low.stages[1].prices[0]
    assert k.low.stages[0].prices[0] == pytest.approx(PAYABLE[0] * p_ref)
    assert k.high.stages[0].prices[0] == pytest.approx(PAYABLE[1] * p_ref)
    assert any("Costmine" in a for a in k.low.assumptions)


def test_a_recovery_rate_raises_the_coefficient_and_a_wrong_one_is_refused():
    k = calibrate_chain("tin", recovery=0.95, payable=(0.85, 0.9))
    assert k.mass_balance == pytest.approx(1 / 0.95)
    bal = k.balance["low"]
    assert np.all(bal.need == pytest.approx(bal.output / 0.95))
    base = calibrate_chain("tin", payable=(0.85, 0.9)).balance["low"]
    assert bal.coverage <= base.coverage  # more feed needed from the same ore
    with pytest.raises(KBDataError, match="recovery"):
        calibrate_chain("tin", recovery=1.5)
    with pytest.raises(KBDataError, match="more for their feed"):
        calibrate_chain("tin", recovery=0.9, payable=(0.9, 0.95))


def test_contradictory_stages_are_refused_with_the_regions_figures():
    with pytest.raises(KBDataError, match=r"carries only \d+% of processing's feed.*CHN: ore"):
        calibrate_chain("nickel")
    with pytest.raises(KBDataError, match="US imports and exports only"):
        calibrate_chain("beryllium")
    with pytest.raises(KBDataError, match="alumina"):
        calibrate_chain("aluminum")
    with pytest.raises(KBDataError, match="mine stage does not calibrate|does not calibrate"):
        calibrate_chain("cobalt")
    with pytest.raises(KBDataError, match="below 90%"):
        calibrate_chain("copper", min_coverage=0.9)


def test_us_ore_shipped_abroad_for_separation_and_reimported_as_oxide_is_represented(done):
    m = done["rare-earths"].low
    us, cn = m.index("USA"), m.index("CHN")
    mine, sep = m.stages
    assert mine.flows[us, cn] > 30_000  # US concentrate to China (MCS 2026 exports x MYB 2022 destinations)
    assert sep.flows[cn, us] > 0  # separated compounds back to the US (BACI)
    assert sep.production[us] == pytest.approx(4300.0)  # USGS: compounds and metals produced in 2024


def test_new_us_processing_draws_on_the_ore_market(done):
    k = done["rare-earths"]
    project = {"new_capacity": [{"name": "US separation", "region": "USA", "stage": "processing", "capacity": 10_000,
                                 "unit_cost": 2_000, "start": 2025, "input_coefficient": k.mass_balance}]}
    res = k.simulate(project, {"start": 2025, "end": 2025})
    for corner, r in res.items():
        assert r.converged, corner
        q = r.quantities().loc[(2025, "mine", "USA")]
        # the project's feed is derived demand on the US ore market: US ore use rises, its ore exports fall
        assert q["use"] > q["use_baseline"] + 1_000, corner
        assert q["exports"] < 37_500, corner


def test_the_registry_lists_linked_chains_with_sources_and_link(done):
    table = markets()
    rows = table[table["stage"] == "chain"].set_index("market")
    assert set(f"kb:{m}" for m in LINKED) <= set(rows.index[rows["status"] == "calibrated"])
    ok = rows[rows["status"] == "calibrated"]
    assert ok["sources"].str.len().gt(10).all() and ok["link"].str.contains("feed").all()
    assert ok["basis"].str.contains("->").all()
    assert ok["assumptions"].str.contains("feed balance").all() and ok["assumptions"].str.contains("ASSUMPTION").all()
    assert (rows.loc[rows["status"] == "missing", "missing"].str.len() > 20).all()
    assert "nickel" in rows.loc["kb:nickel", "missing"]
    assert by_key("kb:copper") is done["copper"]
    assert by_key("kb:copper:mine").inputs.stage == "mine"
    with pytest.raises(KBDataError, match="not calibrated"):
        by_key("kb:nickel")
    with pytest.raises(KBDataError, match="expected kb:"):
        by_key("copper")


def test_chain_regions_take_producers_of_both_stages(done):
    k = done["copper"]
    mine, proc = k.inputs["low"]
    regions = chain_regions(mine, proc)
    assert regions[:2] == ("USA", "CHN") and regions[-1] == "ROW"
    assert "CHL" in regions and "JPN" in regions  # Chile mines, Japan refines


# --------------------------------------------------------------------- rare-earth separation stage
def test_rare_earth_separation_stage_is_in_reo_and_priced_on_that_basis():
    k = calibrate_market("rare-earths", "processing")
    s = k.summary()
    assert s["basis"] == "REO" and k.bounded
    price, label = rare_earths.separation_price()
    assert s["price"] == pytest.approx(price.low) and "table 6" in label
    assert 5_000 < price.low < 100_000  # USD per t REO of US compound imports, not per kg of NdPr oxide
    world = sum(f.low for f in k.inputs.production.values())
    assert world == pytest.approx(384_000, rel=1e-9)  # feed balance: separated REO = mined REO (USGS 2024)
    chn = k.inputs.production["CHN"].low / (world - 4300.0)
    assert chn == pytest.approx(84.9 / 100.1, rel=1e-6)  # EU CRM 2023 share, rescaled to 100%
    with pytest.raises(KBDataError, match="one documented series"):
        calibrate_market("rare-earths", "processing", price_series="NdPr")


def test_reo_factors_come_from_the_yearbook_and_bound_metals_above_one():
    f = rare_earths.reo_factors()
    assert set(f) == {"mixed", "284610", "284690", "280530"}
    for lo, hi, how in f.values():
        assert 0 < lo <= hi and "lines" in how
    assert f["280530"][0] > 1.0  # a tonne of metal is more than a tonne of oxide equivalent
    assert f["mixed"][1] < 1.0


def test_the_ndpr_floor_question_is_answered_with_what_is_missing():
    assert "$110/kg NdPr floor" in rare_earths.NDPR_MISSING and "NdPr tonnage" in rare_earths.NDPR_MISSING
