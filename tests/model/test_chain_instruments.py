"""Each instrument of the chain engine through ``simulate_chain``: who pays, who benefits, what it does, and
what it says when it can do nothing."""

import numpy as np
import pandas as pd
import pytest

from critmin.model.chain import (ORDER, ChainMarket, ChainScenarioError, Stage, simulate_chain, simulate_chains,
                                 stack_scenarios)

REGIONS = ["USA", "CHN", "AUS", "ROW"]


@pytest.fixture
def ree():
    """A two-stage chain: the US mines and ships ore to China, which separates it and ships oxide back."""
    mine = np.array([[5, 30, 0, 0], [0, 150, 0, 0], [0, 40, 10, 5], [0, 20, 0, 30.0]])
    proc = np.array([[2, 0, 0, 0], [8, 180, 0, 30], [1, 0, 8, 1], [1, 0, 0, 30.0]])
    return ChainMarket("rare earths", REGIONS, [
        Stage("mine", "REO", mine, 5000.0, sources=("test fixture",)),
        Stage("processing", "REO (oxide)", proc, 60000.0, input_coefficient=1.0)], base_year=2025)


ONE_YEAR = {"start": 2026, "end": 2026}
TEN_YEARS = {"start": 2026, "end": 2035, "discount_rate": 0.05}


def q(result, year, stage, region, column):
    return result.quantities().loc[(year, stage, region), column]


def test_order_is_documented_and_complete():
    from critmin.model.chain.scenario import ChainPolicies

    assert [name for name, _ in ORDER] == [
        "clubs", "tariffs", "minimum_import_prices", "export_restrictions", "new_capacity", "capacity",
        "price_floors", "buyer_of_last_resort", "offtakes", "stockpiles", "demand"]
    assert {name for name, _ in ORDER} == set(ChainPolicies.model_fields)


def test_us_ore_goes_abroad_for_separation_and_comes_back(ree):
    base = simulate_chain(ree, None, ONE_YEAR)
    flows = base.flows(2026)
    assert flows.loc[("mine", "USA", "CHN"), "tonnes"] == pytest.approx(30.0)
    assert flows.loc[("processing", "CHN", "USA"), "tonnes"] == pytest.approx(8.0)


def test_a_ban_lowers_the_importers_physical_imports_and_use(ree):
    ban = simulate_chain(ree, {"export_restrictions": [
        {"exporter": "CHN", "importers": ["USA"], "stage": "processing", "kind": "ban"}]}, ONE_YEAR)
    assert ban.converged
    assert q(ban, 2026, "processing", "USA", "imports") < q(ban, 2026, "processing", "USA", "imports_baseline")
    assert q(ban, 2026, "processing", "USA", "use") < q(ban, 2026, "processing", "USA", "use_baseline")
    assert ban.flows(2026).loc[("processing", "CHN", "USA"), "tonnes"] == 0.0
    assert ban.prices().loc[(2026, "processing", "USA"), "use_price_change_pct"] > 0


def test_a_one_year_ban_and_the_recovery_after_it(ree):
    r = simulate_chain(ree, {"export_restrictions": [
        {"exporter": "CHN", "importers": ["USA"], "stage": "processing", "kind": "ban", "years": [2026, 2026]}]},
        {"start": 2026, "end": 2030})
    flows = r.flows()
    assert flows.loc[(2026, "processing", "CHN", "USA"), "tonnes"] == 0.0
    assert flows.loc[(2027, "processing", "CHN", "USA"), "tonnes"] > 0.0
    change = r.prices().xs(("processing", "USA"), level=("stage", "region"))["use_price_change_pct"]
    # the price falls back at once when the ban ends; the capacity US producers added during the ban (partial
    # adjustment) keeps it a little below the path without the ban until it unwinds
    assert change[2026] > 10 * abs(change[2027]) and abs(change[2030]) < change[2026] / 10


def test_a_floor_on_us_producers_is_paid_by_the_us_and_raises_their_receipts(ree):
    r = simulate_chain(ree, {"price_floors": [
        {"payer": "USA", "producers": ["USA"], "stage": "processing", "floor": 90000}]}, ONE_YEAR)
    rec = r.receipts().iloc[0]
    assert rec.receipts_per_tonne == pytest.approx(90000)
    assert rec.receipts_per_tonne >= rec.baseline_price
    money = r.money()
    assert money.payer.tolist() == ["USA"] and money.beneficiary.tolist() == ["producers in USA"]
    assert money.amount.iloc[0] == pytest.approx((90000 - rec.market_price) * q(r, 2026, "processing", "USA",
                                                                                "production_existing"))
    # output rises; the US market price falls less than the floor supports (near-homogeneous metal)
    assert q(r, 2026, "processing", "USA", "production") > 2.0
    assert r.prices().loc[(2026, "processing", "USA"), "producer_price_change_pct"] > -5


def test_a_floor_paid_by_the_us_on_allied_output_with_upside_sharing_and_a_cap(ree):
    r = simulate_chain(ree, {"price_floors": [
        {"payer": "USA", "producers": ["AUS"], "stage": "processing", "floor": 70000, "upside_share": 0.3,
         "volume_cap": 5}]}, ONE_YEAR)
    rec = r.receipts().iloc[0]
    payment = r.money().amount.iloc[0]
    covered = min(q(r, 2026, "processing", "AUS", "production_existing"), 5)
    assert payment == pytest.approx((70000 - rec.market_price) * covered)
    assert r.fiscal().index.tolist() == [("USA", "price_floor")]


def test_a_floor_on_zero_output_says_it_does_nothing(ree):
    r = simulate_chain(ree, {"price_floors": [
        {"payer": "USA", "producers": ["AUS"], "stage": "mine", "floor": 1.0}]}, ONE_YEAR)
    r2 = simulate_chain(ree.with_stage("mine", flows=np.array(
        [[5, 30, 0, 0], [0, 150, 0, 0], [0, 40, 10, 5], [0, 20, 0, 30.0]])), {"price_floors": [
            {"payer": "USA", "producers": ["USA"], "stage": "processing", "floor": 1.0}]}, ONE_YEAR)
    assert any("never binds" in a for a in r2.assumptions)
    zero = ree.with_stage("processing", flows=np.array([[0, 0, 0, 0], [10, 180, 0, 30], [1, 0, 8, 1], [1, 0, 0, 30.0]]))
    r3 = simulate_chain(zero, {"price_floors": [
        {"payer": "USA", "producers": ["USA"], "stage": "processing", "floor": 90000}]}, ONE_YEAR)
    assert any("no processing (REO (oxide)) output at the base" in a for a in r3.assumptions)
    assert r.converged and r3.converged


def test_new_capacity_in_a_region_with_no_output_needs_no_invented_flow(ree):
    """US separation built from nothing, fed by US ore; two ramp-ups give consistent answers."""
    zero = ree.with_stage("processing", flows=np.array([[0, 0, 0, 0], [10, 180, 0, 30], [1, 0, 8, 1], [1, 0, 0, 30.0]]))
    pol = {"new_capacity": [{"name": "us-sep", "region": "USA", "stage": "processing", "capacity": 6,
                             "unit_cost": 20000, "start": 2026, "ramp_years": 2}]}
    r = simulate_chain(zero, pol, {"start": 2026, "end": 2028})
    assert r.converged
    new = r.quantities().xs(("processing", "USA"), level=("stage", "region"))["production_new_capacity"]
    assert new[2026] == pytest.approx(3.0) and new[2027] == pytest.approx(6.0)
    # its feed is US ore that used to go to China
    flows = r.flows()
    assert flows.loc[(2027, "mine", "USA", "USA"), "tonnes"] > flows.loc[(2027, "mine", "USA", "USA"), "tonnes"] * 0 + 5
    assert flows.loc[(2027, "mine", "USA", "CHN"), "tonnes"] < 30
    # the US oxide price moves little: the plant sells at the market price, it is not a new variety
    assert abs(r.prices().loc[(2027, "processing", "USA"), "use_price_change_pct"]) < 10


def test_new_capacity_below_its_unit_cost_runs_below_capacity(ree):
    pol = {"new_capacity": [{"name": "dear", "region": "AUS", "stage": "processing", "capacity": 5,
                             "unit_cost": 200000, "start": 2026, "market": "USA"}]}
    r = simulate_chain(ree, pol, ONE_YEAR)
    assert 0 < q(r, 2026, "processing", "AUS", "production_new_capacity") < 5
    with_floor = simulate_chain(ree, {**pol, "price_floors": [
        {"payer": "USA", "projects": ["dear"], "stage": "processing", "floor": 250000}]}, ONE_YEAR)
    assert q(with_floor, 2026, "processing", "AUS", "production_new_capacity") == pytest.approx(5)
    assert with_floor.money().beneficiary.tolist() == ["dear"]


def test_offtake_is_a_fixed_price_contract_with_a_delivery(ree):
    r = simulate_chain(ree, {"offtakes": [
        {"payer": "USA", "producers": "AUS", "destination": "USA", "stage": "processing", "quantity": 4,
         "price": 65000}]}, ONE_YEAR)
    assert r.converged
    assert q(r, 2026, "processing", "USA", "imports") > q(r, 2026, "processing", "USA", "imports_baseline")
    money = r.money().iloc[0]
    P_us = r.prices().loc[(2026, "processing", "USA"), "use_price"]
    assert money.instrument == "offtake" and money.amount == pytest.approx((65000 - P_us) * 4)


def test_buyer_of_last_resort_holds_the_floor(ree):
    r = simulate_chain(ree, {"buyer_of_last_resort": [
        {"payer": "USA", "producers": ["USA"], "stage": "processing", "floor": 80000}]}, ONE_YEAR)
    assert r.prices().loc[(2026, "processing", "USA"), "producer_price"] == pytest.approx(80000)
    bought = q(r, 2026, "processing", "USA", "government_purchase_blr")
    assert bought > 0
    assert r.money().amount.iloc[0] == pytest.approx(80000 * bought)


def test_stockpile_release_beyond_the_stock_is_an_error_naming_the_year(ree):
    with pytest.raises(ChainScenarioError, match=r"stockpiles.0.quantity: .* in 2027"):
        simulate_chain(ree, {"stockpiles": [{"region": "USA", "stage": "processing", "quantity": -2,
                                             "initial": 3}]}, {"start": 2026, "end": 2028})
    r = simulate_chain(ree, {"stockpiles": [{"region": "USA", "stage": "processing", "quantity": -2,
                                             "initial": 4, "years": [2026, 2027]}]}, {"start": 2026, "end": 2028})
    assert q(r, 2026, "processing", "USA", "stockpile_purchase") == -2
    assert q(r, 2026, "processing", "USA", "imports") < q(r, 2026, "processing", "USA", "imports_baseline")


def test_tariff_mip_and_club(ree):
    duty = simulate_chain(ree, {"tariffs": [
        {"importer": "USA", "origins": ["CHN"], "stage": "processing", "rate": 0.25}]}, ONE_YEAR)
    assert duty.flows(2026).loc[("processing", "CHN", "USA"), "tonnes"] < 8
    assert duty.flows(2026).loc[("processing", "AUS", "USA"), "tonnes"] > 1
    low_mip = simulate_chain(ree, {"minimum_import_prices": [
        {"importer": "USA", "stage": "processing", "price": 1000}]}, ONE_YEAR)
    assert any("at or below every covered route's base delivered cost" in a for a in low_mip.assumptions)
    club = simulate_chain(ree, {"clubs": [
        {"members": ["USA", "AUS"], "stage": "processing", "external_tariff": 0.2, "qualification_cost": 2000}]},
        ONE_YEAR)
    assert club.flows(2026).loc[("processing", "CHN", "USA"), "tonnes"] < 8


def test_a_duty_on_a_route_without_trade_says_it_changes_nothing(ree):
    r = simulate_chain(ree, {"tariffs": [
        {"importer": "AUS", "origins": ["USA"], "stage": "processing", "rate": 0.5}]}, ONE_YEAR)
    assert any("the duty changes nothing" in a for a in r.assumptions)


def test_ten_year_floor_cost_is_discounted_at_the_stated_rate(ree):
    r = simulate_chain(ree, {"price_floors": [
        {"payer": "USA", "producers": ["USA"], "stage": "processing", "floor": 90000}]}, TEN_YEARS)
    fiscal = r.fiscal().loc[("USA", "price_floor")]
    yearly = fiscal[list(range(2026, 2036))].to_numpy(float)
    assert fiscal["discounted_total"] == pytest.approx((yearly / 1.05 ** np.arange(10)).sum())
    assert any("discounted at 5.0%" in a for a in r.assumptions)


def test_several_minerals_in_one_scenario(ree):
    other = ChainMarket("gallium", REGIONS, [Stage("processing", "Ga", np.array(
        [[1, 0, 0, 0], [2, 50, 1, 5], [0, 0, 1, 0], [0, 0, 0, 3.0]]), 500.0)], base_year=2025)
    out = simulate_chains([(ree, {"tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing",
                                               "rate": 0.25}]}),
                           (other, {"tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing",
                                                 "rate": 0.25}]})], ONE_YEAR)
    assert set(out) == {"rare earths", "gallium"} and all(r.converged for r in out.values())


def test_errors_name_the_field(ree):
    with pytest.raises(ChainScenarioError, match=r"policies.tariffs.0.importer: unknown region 'XXX'"):
        simulate_chain(ree, {"tariffs": [{"importer": "XXX", "stage": "processing", "rate": 0.1}]}, ONE_YEAR)
    with pytest.raises(ChainScenarioError, match=r"policies.tariffs.0.stage: unknown stage 'refining'"):
        simulate_chain(ree, {"tariffs": [{"importer": "USA", "stage": "refining", "rate": 0.1}]}, ONE_YEAR)
    with pytest.raises(ChainScenarioError, match="one contract per producer group"):
        simulate_chain(ree, {"price_floors": [{"payer": "USA", "producers": ["USA"], "stage": "processing",
                                               "floor": 1}] * 2}, ONE_YEAR)


def test_a_failed_member_is_null_with_a_reason_and_counted(ree):
    zero = ree.with_stage("processing", flows=np.array([[0, 0, 0, 0], [10, 180, 0, 30], [1, 0, 8, 1], [1, 0, 0, 30.0]]))
    batch = stack_scenarios(zero, [("fine", None), ("no supplier", {"export_restrictions": [
        {"exporter": o, "importers": ["USA"], "stage": "processing", "kind": "ban"} for o in ["CHN", "AUS", "ROW"]]})],
        ONE_YEAR)
    summary = batch.summary()
    assert summary.attrs["outcome"] == {"members": 2, "converged": 1, "failed": 1, "by_status": {"infeasible": 1}}
    assert summary.attrs["failure_note"] == ("1 of 2 members did not solve (no supplier: infeasible); their figures "
                                             "are null")
    assert summary.loc["no supplier", "message"].startswith("2026: USA has no permitted supplier")
    assert summary.loc["fine", "status"] == "converged"
    bad = batch[1]
    assert bad.status == "infeasible" and bad.message == "2026: USA has no permitted supplier of processing left " \
        "(every origin it buys from is banned)"
    assert bad.quantities()["use"].isna().all() and bad.prices()["use_price"].isna().all()
    assert np.isnan(summary.loc["no supplier", "fiscal_cost_total"])
