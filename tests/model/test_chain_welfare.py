"""Welfare and units of the chain engine: closed forms against quadrature, no-op zeros, outlays = payments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from critmin.model.chain import ChainMarket, Stage, simulate_chain
from critmin.model.chain.units import (UnitError, check_stage_units, convert_price, convert_quantity, stage_units,
                                       tonnes_per_unit)
from critmin.model.chain.welfare import (COMPONENTS, consumer_surplus_change, discounted_totals,
                                         producer_surplus_change)

REGIONS = ["USA", "CHN", "AUS", "ROW"]
THREE = {"start": 2026, "end": 2028}


@pytest.fixture
def ree():
    mine = np.array([[5, 30, 0, 0], [0, 150, 0, 0], [0, 40, 10, 5], [0, 20, 0, 30.0]])
    proc = np.array([[2, 0, 0, 0], [8, 180, 0, 30], [1, 0, 8, 1], [1, 0, 0, 30.0]])
    return ChainMarket("rare earths", REGIONS, [
        Stage("mine", "REO", mine, 5000.0), Stage("processing", "REO (oxide)", proc, 60000.0, input_coefficient=1.0)],
        base_year=2025)


@settings(max_examples=200, deadline=None)
@given(D=st.floats(0.1, 1e4), P0=st.floats(1.0, 1e5), lp=st.floats(-1.5, 1.5), lpb=st.floats(-1.5, 1.5),
       eps=st.floats(0.0, 3.0))
def test_consumer_surplus_is_the_integral_under_the_years_demand_curve(D, P0, lp, lpb, eps):
    Ps, Pb = P0 * np.exp(lp), P0 * np.exp(lpb)
    closed = float(consumer_surplus_change(np.array(D), np.array(lp), np.array(lpb), np.array(P0), np.array(eps)))
    integral, _ = quad(lambda P: D * (P / Ps) ** (-eps), Pb, Ps)
    assert closed == pytest.approx(-integral, rel=1e-7, abs=1e-9 * D * P0)


@settings(max_examples=200, deadline=None)
@given(S=st.floats(0.1, 1e4), m=st.floats(1.0, 1e5), ratio=st.floats(0.2, 5.0), eta=st.floats(0.0, 3.0))
def test_producer_surplus_is_the_integral_left_of_the_years_supply_curve(S, m, ratio, eta):
    mb = m * ratio
    closed = float(producer_surplus_change(np.array(S), np.array(m), np.array(mb), np.array(eta)))
    integral, _ = quad(lambda x: S * (x / m) ** eta, mb, m)
    assert closed == pytest.approx(integral, rel=1e-7, abs=1e-9 * S * m)


def test_a_margin_at_or_below_zero_takes_the_trapezoid():
    out = producer_surplus_change(np.array([10.0]), np.array([5.0]), np.array([-2.0]), np.array([1.0]),
                                  np.array([8.0]))
    assert out[0] == pytest.approx((5.0 + 2.0) * (10.0 + 8.0) / 2)


def test_a_scenario_that_changes_nothing_has_no_welfare_change(ree):
    w = simulate_chain(ree, None, THREE).welfare()
    assert set(w.columns) == set(COMPONENTS) | {"total"}
    assert (w.to_numpy() == 0).all()


def test_a_duty_costs_the_world_more_than_it_raises(ree):
    """A duty in a market without other wedges: the importer's consumers lose, the world as a whole loses."""
    r = simulate_chain(ree, {"tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing",
                                          "rate": 0.25}]}, THREE)
    w = r.welfare()
    assert (w.xs(("processing", "USA"), level=("stage", "region"))["consumer_surplus"] < 0).all()
    world = w.groupby(level="year").sum()
    assert (world["total"] < 0).all()
    assert (world["import_revenue"] > 0).all()


def test_a_floor_is_a_transfer_with_a_deadweight_loss(ree):
    r = simulate_chain(ree, {"price_floors": [{"payer": "USA", "producers": ["USA"], "stage": "processing",
                                               "floor": 90000}]}, THREE)
    w = r.welfare()
    us = w.xs(("processing", "USA"), level=("stage", "region"))
    assert (us["producer_surplus"] > 0).all() and (us["government_outlays"] > 0).all()
    assert (w.groupby(level="year")["total"].sum() < 0).all()


def test_outlays_are_the_sum_of_every_payment(ree):
    policies = {
        "price_floors": [{"payer": "USA", "producers": ["AUS"], "stage": "processing", "floor": 65000,
                          "upside_share": 0.3, "volume_cap": 5}],
        "buyer_of_last_resort": [{"payer": "USA", "producers": ["USA"], "stage": "mine", "floor": 6000}],
        "offtakes": [{"payer": "USA", "producers": "ROW", "destination": "USA", "stage": "processing", "quantity": 2,
                      "price": 70000}],
        "stockpiles": [{"region": "USA", "stage": "processing", "quantity": 1.0}],
        "new_capacity": [{"name": "plant", "region": "USA", "stage": "processing", "capacity": 3, "unit_cost": 20000,
                          "start": 2026, "ramp_years": 2}],
    }
    policies["price_floors"].append({"payer": "USA", "projects": ["plant"], "stage": "processing", "floor": 80000})
    r = simulate_chain(ree, policies, THREE)
    assert r.converged, r.message
    money = r.money().groupby(["year", "stage", "payer"])["amount"].sum()
    outlays = r.welfare()["government_outlays"]
    for (year, stage, payer), amount in money.items():
        assert outlays.loc[(year, stage, payer)] == pytest.approx(amount, rel=1e-10, abs=1e-6)
    assert outlays.sum() == pytest.approx(money.sum(), rel=1e-10)
    assert (r.welfare().xs("USA", level="region")["new_capacity_margin"].sum()) > 0


def test_discounted_totals_discount_from_the_first_year(ree):
    r = simulate_chain(ree, {"export_restrictions": [{"exporter": "CHN", "importers": ["USA"], "stage": "processing",
                                                      "kind": "ban", "years": [2026, 2026]}]},
                       {"start": 2026, "end": 2028, "discount_rate": 0.05})
    w = r.welfare()
    tot = discounted_totals(w, 0.05, 2026)
    us = w.xs("USA", level="region").groupby(level="year")["total"].sum()
    assert tot.loc["USA", "total"] == pytest.approx(us.sum())
    assert tot.loc["USA", "total_discounted"] == pytest.approx(sum(v / 1.05 ** (y - 2026) for y, v in us.items()))
    assert r.welfare_totals().loc["USA", "total_discounted"] == pytest.approx(tot.loc["USA", "total_discounted"])


# --- units -------------------------------------------------------------------------------------------

def test_mass_unit_conversions():
    assert tonnes_per_unit("kg") == 1e-3 and tonnes_per_unit("lb") == pytest.approx(0.00045359237)
    assert convert_quantity(839000, "kg", "t") == pytest.approx(839.0)
    assert convert_price(439, "USD/kg", "USD/t") == pytest.approx(439000.0)
    assert convert_price(10.24, "USD/lb", "USD/t") == pytest.approx(22575.3, rel=1e-5)
    with pytest.raises(UnitError, match="different currencies"):
        convert_price(1, "USD/t", "EUR/t")
    with pytest.raises(UnitError, match="unknown mass unit 'flask'"):
        tonnes_per_unit("flask")


def test_a_stage_priced_per_another_unit_than_its_quantity_is_refused():
    st_ = Stage("processing", "Ga", np.array([[1.0]]), 439.0, unit="t", price_unit="USD/kg")
    with pytest.raises(UnitError, match="quantities are in t but prices in USD/kg"):
        check_stage_units(st_)


def test_stage_units_give_the_factors_a_comparison_uses(ree):
    kg = ChainMarket("gallium", ["USA", "CHN"], [Stage("processing", "Ga", np.array([[0, 0], [10, 800.0]]), 439.0,
                                                       unit="kg", price_unit="USD/kg")], base_year=2024)
    u = stage_units(kg).iloc[0]
    assert (u.to_tonnes, u.to_per_tonne, u.money_unit) == (1e-3, 1000.0, "USD per year")
    assert list(stage_units(ree)["basis"]) == ["REO", "REO (oxide)"]
